/**
 * Lock-state coverage and the coverage-guided search.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutex } from '../../src/client/lock-algorithm.ts';
import { coverageKeys, lockStateCoverage } from '../../src/explore/coverage.ts';
import { guidedSearch } from '../../src/explore/guided.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';
import { mutex35Checked, mutex35NoLeaseCheck } from './fixtures/subtle-locks.ts';

const workload = { clients: 3, durationMs: 30_000, quietMs: 10_000 };

describe('lock-state coverage', () => {
  it('sees a waiter whose key expires while it waits, and nothing rare in a quiet run', async () => {
    const quiet = await runLockWorkload(etcdMutex, { ...workload, seed: 1 });
    expect([...lockStateCoverage(quiet.trace).keys()]).toEqual([]);
    const run = await runLockWorkload(etcdMutex, { ...workload, seed: 1 }, [
      { atMs: 5_000, fault: { kind: 'aimed', role: 'waiter', action: 'partition', durationMs: 9_000, untilMs: 20_000 } },
    ]);
    const features = lockStateCoverage(run.trace);
    expect(features.get('waiter-key-expired')).toBeGreaterThanOrEqual(1);
    expect(coverageKeys(features)).toContain('waiter-key-expired×1');
  });

  it('sees an unknown-outcome delete (a late delete) when the answers to a deleteRange are cut', async () => {
    const run = await runLockWorkload(etcdMutex, { ...workload, seed: 1 }, [
      {
        atMs: 5_000,
        fault: { kind: 'aimed', role: 'caller', method: 'deleteRange', action: 'partition', direction: 'in', durationMs: 4_000, untilMs: 20_000 },
      },
    ]);
    const features = lockStateCoverage(run.trace);
    expect(
      [...features.keys()].some((feature) => feature === 'late-delete' || feature.startsWith('answer-lost:') || feature.startsWith('write-unknown:')),
    ).toBe(true);
  });
});

describe('guidedSearch', () => {
  const options = {
    clients: 3,
    properties: ['belief' as const],
    faults: ['partition' as const, 'hold' as const, 'crash' as const],
    seed: 1,
    verifyReplay: false,
  };

  it('finds the 3.5-style Mutex without a lease check with 3 clients', async () => {
    const found = await guidedSearch(mutex35NoLeaseCheck, { ...options, runs: 60 });
    expect(found.counterexample?.judged.violations[0]?.property).toBe('belief');
    expect(found.runsToFirst).toBe(54);
    expect(found.corpus).toBeGreaterThan(0);
  });

  it('searches the same way for the same seed', async () => {
    const first = await guidedSearch(mutex35Checked, { ...options, runs: 12 });
    const again = await guidedSearch(mutex35Checked, { ...options, runs: 12 });
    expect(first.counterexample).toBeUndefined();
    expect(again.corpus).toBe(first.corpus);
    expect([...again.featuresSeen]).toEqual([...first.featuresSeen]);
  });
});
