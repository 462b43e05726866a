import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/lock-algorithm.ts';
import { etcdKvHistory, traceToHistory } from '../../src/explore/history.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';

// alice is paused from 3 s on and never resumed: her lease expires, and her fault span ends with the trace
const schedule = [{ atMs: 3_000, fault: { kind: 'pause' as const, process: 'alice' } }];
const pausedRun = () => runLockWorkload(etcdMutexFenced, { seed: 3, clients: 2, durationMs: 15_000, quietMs: 2_000 }, schedule);

describe('traceToHistory', () => {
  it("reads a run's trace into the lists the judges read, closing a fault left open at the end of the run", async () => {
    const run = await pausedRun();
    const history = traceToHistory(run.trace, { lockName: '/lock', fenced: true });
    expect(history).toEqual(run.history);
    const endMs = run.trace.events.at(-1)!.atMs;
    expect(history.faultSpans).toMatchObject([{ fromMs: 3_000, toMs: endMs }]);
    expect(history.lastFaultMs).toBe(3_000);
    expect(history.lockEvents.filter((event) => event.kind === 'acquired').length).toBeGreaterThan(0);
    expect(history.writes.length).toBeGreaterThan(0);
    expect(history.failedAcquires).toBe(0);
  });
});

describe('etcdKvHistory', () => {
  it("turns every KV and lease call of a run into the etcd KV model's ops, the server's lease expiries too", async () => {
    const run = await pausedRun();
    const { operations, ignored, unfollowed } = etcdKvHistory(run.history);
    expect(unfollowed).toBe(0);
    const expiries = operations.filter((op) => op.input.kind === 'leaseRevoke' && op.input.expiry).length;
    expect(expiries).toBeGreaterThan(0);
    expect(expiries).toBe(run.history.leaseExpiries.length);
    expect(operations.length - expiries + ignored).toBe(run.history.operations.length);
    expect(operations.some((op) => op.input.kind === 'txn')).toBe(true);
  });
});
