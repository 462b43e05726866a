import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import { etcdKvModel } from '../../src/check/models/kv-etcd.ts';
import { etcdMutex, etcdMutexFenced, naiveLock } from '../../src/client/lock-algorithm.ts';
import { planSchedule } from '../../src/explore/arbitraries.ts';
import { etcdKvHistory } from '../../src/explore/history.ts';
import { algorithmFences, clientNames, runLockWorkload, workloadOptionsOf } from '../../src/explore/workload.ts';
import fc from 'fast-check';
import { exploreCaseArbitrary, replayCaseOf } from '../../src/explore/property.ts';
import { casesFor } from '../quick-tier.ts';

describe('lock workload', () => {
  it('learns which algorithms fence', async () => {
    expect(await algorithmFences(naiveLock)).toBe(false);
    expect(await algorithmFences(etcdMutex)).toBe(false);
    expect(await algorithmFences(etcdMutexFenced)).toBe(true);
  });

  it('runs clients that take turns and write with their tokens; without faults nothing breaks', async () => {
    const run = await runLockWorkload(etcdMutexFenced, { seed: 4, clients: 3, durationMs: 20_000, quietMs: 5_000 });
    expect(run.sim.endedBy).toBe('msMax');
    expect(run.sim.errors).toEqual([]);
    const acquired = run.history.lockEvents.filter((event) => event.kind === 'acquired');
    expect(new Set(acquired.map((event) => event.process))).toEqual(new Set(clientNames(3)));
    expect(run.history.writes.length).toBeGreaterThan(10);
    expect(run.history.writes.every((write) => write.accepted)).toBe(true);
    // one holder at a time: events alternate acquired / released
    const kinds = run.history.lockEvents.map((event) => event.kind);
    for (let i = 0; i + 1 < kinds.length; i += 2) expect([kinds[i], kinds[i + 1]]).toEqual(['acquired', 'released']);
    expect(run.history.waits.length).toBeGreaterThanOrEqual(acquired.length);
  });

  it('turns a crashed holder into a lost belief; is deterministic', async () => {
    const options = { seed: 2, clients: 2, durationMs: 15_000, quietMs: 5_000 };
    const calm = await runLockWorkload(naiveLock, options);
    const firstHold = calm.history.lockEvents.find((event) => event.kind === 'acquired' && event.process === 'alice')!;
    const crashMs = firstHold.timeMs + 10; // the same run up to the crash: alice holds then
    const schedule = [
      { atMs: crashMs, fault: { kind: 'crash' as const, process: 'alice' } },
      { atMs: crashMs + 2000, fault: { kind: 'restart' as const, process: 'alice' } },
    ];
    const a = await runLockWorkload(naiveLock, options, schedule);
    const b = await runLockWorkload(naiveLock, options, schedule);
    expect(a.trace.toText()).toBe(b.trace.toText());
    expect(a.history.lockEvents.filter((event) => event.process === 'alice' && event.timeMs === crashMs)).toEqual([
      { timeMs: crashMs, process: 'alice', kind: 'lost', lockName: '/lock' },
    ]);
    expect(a.history.lastFaultMs).toBe(crashMs + 2000);
    // the restarted alice waits again, and bob gets the lock once alice's lease runs out
    expect(a.history.waits.some((wait) => wait.process === 'alice' && wait.timeMs >= crashMs + 2000)).toBe(true);
    expect(a.history.lockEvents.some((event) => event.process === 'bob' && event.kind === 'acquired' && event.timeMs > crashMs)).toBe(true);
  });

  it('keeps its leases alive after a lease was lost (keepalive regression)', async () => {
    const schedule = [
      { atMs: 1000, fault: { kind: 'pause' as const, process: 'alice' } },
      { atMs: 9000, fault: { kind: 'resume' as const, process: 'alice' } },
    ];
    const run = await runLockWorkload(naiveLock, { seed: 5, clients: 2, durationMs: 40_000, quietMs: 20_000 }, schedule);
    // after the pause, alice's new lease lives on: no lease expires in the quiet tail
    expect(run.history.leaseExpiries.filter((expiry) => expiry.timeMs > 12_000)).toEqual([]);
  });

  it('its KV histories are linearizable (naive lock; every lock: test/explore/kv-linearizability.test.ts)', async () => {
    // Faults that leave few calls with unknown outcomes (each one multiplies the search).
    const cases = fc.sample(exploreCaseArbitrary({ faults: ['pause', 'crash', 'drift', 'serverRestart', 'hold'] }), { seed: 11, numRuns: casesFor(4, 2) });
    for (const explored of cases) {
      const replay = replayCaseOf(explored);
      const run = await runLockWorkload(naiveLock, { ...replay.workload, seed: replay.seed }, replay.schedule);
      const { operations, unfollowed } = etcdKvHistory(run.history);
      expect(unfollowed).toBe(0);
      expect(operations.length).toBeGreaterThan(100);
      const verdict = checkLinearizability(operations, etcdKvModel(), { stepsMax: 100_000_000 });
      expect(verdict.result, JSON.stringify(replay.schedule)).toBe('ok');
    }
  });

  it('picks the workload options out of wider options, in the key order of the defaults', () => {
    const options = { seed: 7, clients: 3, lockName: '/l', properties: ['mutual-exclusion'] };
    expect(workloadOptionsOf(options)).toEqual({ clients: 3, lockName: '/l' });
    expect(Object.keys(workloadOptionsOf({ writeTimeoutMs: 5, clients: 2 }))).toEqual(['clients', 'writeTimeoutMs']);
  });

  it('plans expand onto the workload names', () => {
    expect(
      planSchedule([{ atMs: 5, kind: 'crash', process: 4, peer: 0, direction: 'both', durationMs: 10, magnitude: 0 }], { clients: 5, faultsEndMs: 100 }),
    ).toEqual([
      { atMs: 5, fault: { kind: 'crash', process: 'erin' } },
      { atMs: 15, fault: { kind: 'restart', process: 'erin' } },
    ]);
  });
});
