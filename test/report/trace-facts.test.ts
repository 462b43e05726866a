import { describe, expect, it } from 'vitest';
import { faultWindows, lockBeliefs, overlappingBeliefs, traceToJson } from '../../src/report/trace-facts.ts';
import type { TraceEvent } from '../../src/sim/trace.ts';

const stamp = (atMs: number, process: string) => ({ atMs, process, incarnation: 1 });
const acquired = (atMs: number, process: string, fencingToken: number): TraceEvent => ({
  kind: 'client',
  ...stamp(atMs, process),
  event: { kind: 'lock-acquired', lockName: 'L', key: `L/${process}`, leaseId: 1n, fencingToken },
});

describe('trace facts', () => {
  it('beliefs end at release, loss, crash or exit, and overlaps are found', () => {
    const events: TraceEvent[] = [
      acquired(10, 'a', 2),
      { kind: 'fault', atMs: 20, fault: { kind: 'pause', process: 'a' } },
      acquired(30, 'b', 3),
      { kind: 'client', ...stamp(40, 'a'), event: { kind: 'lock-lost', lockName: 'L', key: 'L/a', leaseId: 1n } },
      { kind: 'fault', atMs: 40, fault: { kind: 'resume', process: 'a' } },
      acquired(50, 'c', 4),
      { kind: 'fault', atMs: 60, fault: { kind: 'crash', process: 'c' } },
      { kind: 'process-exited', ...stamp(70, 'b') },
    ];
    const beliefs = lockBeliefs(events);
    expect(beliefs.map((b) => [b.process, b.fromMs, b.untilMs, b.end])).toEqual([
      ['a', 10, 40, 'lost'],
      ['b', 30, 70, 'exited'],
      ['c', 50, 60, 'crashed'],
    ]);
    const overlaps = overlappingBeliefs(beliefs);
    expect(overlaps.map((o) => [o.fromMs, o.untilMs, o.holders.map((h) => h.process).sort()])).toEqual([
      [30, 40, ['a', 'b']],
      [50, 60, ['b', 'c']],
    ]);
    expect(faultWindows(events).map((w) => [w.kind, w.fromMs, w.untilMs])).toEqual([
      ['pause', 20, 40],
      ['crash', 60, undefined],
    ]);
  });

  it('traceToJson writes bigints as strings and bytes as text', () => {
    expect(traceToJson({ id: 2n ** 63n - 1n, key: new TextEncoder().encode('k'), raw: new Uint8Array([0xff]) })).toBe(
      '{"id":"9223372036854775807","key":"k","raw":"0xff"}',
    );
  });
});
