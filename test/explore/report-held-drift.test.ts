/**
 * What a report adds for hold and drift faults (issue 8, item 7): the messages
 * a hold kept back, per link, and each drifted process's own clock reading at
 * the violation, worked out from the trace.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutex } from '../../src/client/lock-algorithm.ts';
import { Sim } from '../../src/sim/sim.ts';
import { driftedClocks, heldMessages, runReplayCase, type ReplayCase } from '../../src/explore/property.ts';

const replay: ReplayCase = {
  seed: 3,
  workload: { clients: 2, ttlSeconds: 5, durationMs: 20_000, quietMs: 5_000 },
  schedule: [
    { atMs: 1_000, fault: { kind: 'drift', process: 'alice', driftRate: 2 } },
    { atMs: 2_000, fault: { kind: 'hold', from: 'bob', to: 'server' } },
    { atMs: 4_000, fault: { kind: 'release', from: 'bob', to: 'server' } },
    { atMs: 5_000, fault: { kind: 'drift', process: 'alice', jumpMs: -500 } },
  ],
  properties: ['belief', 'fenced', 'liveness'],
};

describe('reports for hold and drift faults', () => {
  it('count what a hold kept back, per link, when it let go', async () => {
    const { run } = await runReplayCase(etcdMutex, replay);
    const released = run.trace.ofKind('messages-released');
    expect(released.length).toBeGreaterThan(0);
    expect(released.every((event) => event.atMs === 4_000 && event.messages > 0)).toBe(true);
    const lines = heldMessages(run.trace, 10_000);
    expect(lines.some((line) => /^ +\d+ × bob → server held, released at +4\.000s$/.test(line))).toBe(true);
    expect(heldMessages(run.trace, 3_999)).toEqual([]);
  });

  it('read each drifted clock at a moment: rate 2 from 1 s, then a 500 ms jump back', async () => {
    const { run } = await runReplayCase(etcdMutex, replay);
    // alice: 1.000 + 2 × (4.000 − 1.000) = 7.000 s at true 4 s; at true 8 s: 1 + 2×4 = 9.000, −0.5 → 8.500 + 2×3 = 14.500 s.
    expect(driftedClocks(run.trace, 4_000)).toEqual(['  alice reads 7.000s at true 4.000s (3000 ms ahead, rate 2)']);
    expect(driftedClocks(run.trace, 8_000)).toEqual(['  alice reads 14.500s at true 8.000s (6500 ms ahead, rate 2)']);
    expect(driftedClocks(run.trace, 999)).toEqual([]);
  });

  it('agree with what a drifting process reads from its own clock in the simulator', async () => {
    const sim = new Sim({ seed: 1, msMax: 12_000 });
    sim.process('alice', async ({ now, sleep, log }) => {
      for (let i = 0; i < 12; i++) {
        log(`local ${now()}`);
        await sleep(700);
      }
    });
    sim.faults([
      { atMs: 1_000, fault: { kind: 'drift', process: 'alice', driftRate: 1.5 } },
      { atMs: 3_000, fault: { kind: 'drift', process: 'alice', jumpMs: 250 } },
      { atMs: 5_000, fault: { kind: 'drift', process: 'alice', driftRate: 0.5 } },
    ]);
    const { trace } = await sim.run();
    const logs = trace.ofKind('log');
    expect(logs.length).toBeGreaterThan(8);
    for (const event of logs) {
      const read = Number(/^local (.+)$/.exec(event.message)![1]);
      const [line] = driftedClocks(trace, event.atMs);
      if (line === undefined)
        expect(read).toBe(event.atMs); // no drift yet
      else expect(line).toContain(`alice reads ${(read / 1000).toFixed(3)}s at true`);
    }
  });
});
