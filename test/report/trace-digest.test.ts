// traceDigest: FNV-1a (32 bits) over the trace's JSON, bigints as text and bytes as number arrays.
import { describe, expect, it } from 'vitest';
import { traceDigest } from '../../src/report/trace-digest.ts';
import type { TraceEvent } from '../../src/sim/trace.ts';
import { Sim } from '../../src/sim/sim.ts';

/** FNV-1a 32 over the bytes of an ASCII text, written from the algorithm's definition (offset basis 2166136261, prime 16777619). */
function fnv1a(text: string): string {
  let hash = 2166136261n;
  for (const byte of Buffer.from(text, 'latin1')) hash = ((hash ^ BigInt(byte)) * 16777619n) % 2n ** 32n;
  return hash.toString(16).padStart(8, '0');
}

const events = (list: unknown[]) => list as TraceEvent[];

describe('traceDigest', () => {
  it('the reference FNV-1a gives the published test vectors', () => {
    // from the FNV reference test suite (Fowler/Noll/Vo): "", "a", "foobar"
    expect([fnv1a(''), fnv1a('a'), fnv1a('foobar')]).toEqual(['811c9dc5', 'e40c292c', 'bf9cf968']);
  });

  it("is FNV-1a of the events' JSON, as 8 hex digits", () => {
    expect(traceDigest([])).toBe(fnv1a('[]'));
    const trace = events([{ atMs: 0, kind: 'log', process: 'alice', message: 'hello' }]);
    expect(traceDigest(trace)).toBe(fnv1a(JSON.stringify(trace)));
    expect(traceDigest(trace)).toMatch(/^[0-9a-f]{8}$/);
  });

  it('reads a bigint as its decimal text and bytes as a list of numbers', () => {
    expect(traceDigest(events([{ lease: 7587869238400090122n }]))).toBe(traceDigest(events([{ lease: '7587869238400090122' }])));
    expect(traceDigest(events([{ value: new Uint8Array([104, 105]) }]))).toBe(traceDigest(events([{ value: [104, 105] }])));
  });

  it('changes with any event and with their order', () => {
    const a = { atMs: 1, kind: 'log', process: 'p', message: 'x' };
    const b = { atMs: 2, kind: 'log', process: 'p', message: 'y' };
    const digests = [traceDigest(events([a, b])), traceDigest(events([b, a])), traceDigest(events([a])), traceDigest(events([a, { ...b, atMs: 3 }]))];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('two runs of one seed have one digest', async () => {
    const run = async () => {
      const sim = new Sim({ seed: 5 });
      sim.process('alice', async ({ client }) => {
        const { ID } = await client.grant(3);
        await client.put('/k', 'v', { lease: ID });
      });
      const { trace } = await sim.run();
      // the run did what it was asked (a failed process would be deterministic too)
      expect(trace.events.some((event) => event.kind === 'lease-granted')).toBe(true);
      return traceDigest(trace.events);
    };
    expect(await run()).toBe(await run());
  });
});
