/**
 * Small-scope exhaustive search: every single aimed fault over a grid, then
 * every pair; the first counterexample or a bounded proof.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/lock-algorithm.ts';
import { aimedFaultCatalogue, describeExhaustiveResult, exploreExhaustive } from '../../src/explore/exhaustive.ts';
import { keepAliveBlindLock, mutex35Checked, mutex35NoLeaseCheck, pollingLeaseLockChecked } from './fixtures/subtle-locks.ts';

describe('explore --exhaustive', () => {
  it('finds the 3.5-style Mutex that does not check its lease with one aimed fault (a waiter whose answers are held)', async () => {
    const result = await exploreExhaustive(mutex35NoLeaseCheck, { clients: 3, properties: ['belief'], faults: ['hold'], maxFaults: 1 });
    expect(result.counterexample).toBeDefined();
    const [only] = result.counterexample!.replay.schedule;
    expect(result.counterexample!.replay.schedule).toHaveLength(1);
    expect(only!.fault).toMatchObject({ kind: 'aimed', role: 'waiter', action: 'hold', direction: 'in' });
    expect(result.counterexample!.judged.violations[0]!.property).toBe('belief');
    expect(describeExhaustiveResult(result)).toMatch(
      /^counterexample with 1 aimed fault\(s\) after \d+ of \d+ schedule\(s\) \(3 client\(s\), ttl 5s, seed 1, /,
    );
  });

  it('finds the lock blind to its keepalive failing; its correct twin gets a bounded proof', async () => {
    const found = await exploreExhaustive(keepAliveBlindLock, { clients: 3, properties: ['belief'], faults: ['hold'], maxFaults: 1 });
    expect(found.counterexample?.judged.violations[0]?.property).toBe('belief');
    const proof = await exploreExhaustive(pollingLeaseLockChecked, { clients: 3, properties: ['belief'], faults: ['hold'], maxFaults: 1, gridMs: 4_000 });
    expect(proof.counterexample).toBeUndefined();
    expect(proof.tried).toBe(proof.total);
    expect(describeExhaustiveResult(proof)).toMatch(
      /^no counterexample with ≤ 1 fault\(s\) in this scope \(3 client\(s\), ttl 5s, seed 1, 30 aimed faults every 4000ms, before 12s of 20s; 60 schedules\)$/,
    );
  });

  it('tries every pair after every single, and counts them', async () => {
    const result = await exploreExhaustive(mutex35Checked, { clients: 2, properties: ['belief'], faults: ['crash'], gridMs: 4_000, durationsMs: [3_000] });
    // crash aimed at: holder, waiter ×2 picks, caller ×3 methods = 6 faults; singles on 4, 8 s; pairs on 8 s only.
    expect(result.total).toBe(6 * 2 + (6 * 5) / 2);
    expect(result.counterexample).toBeUndefined();
    expect(result.tried).toBe(result.total);
    expect(describeExhaustiveResult(result)).toContain('no counterexample with ≤ 2 fault(s) in this scope');
  });

  it('lists the aimed faults the kinds and links allow', () => {
    const all = aimedFaultCatalogue(['pause', 'crash', 'partition', 'hold', 'drift', 'serverRestart', 'slowApply'], [1_000], 10_000);
    expect(all.length).toBe(33);
    expect(new Set(all.map((fault) => fault.role))).toEqual(new Set(['holder', 'waiter', 'caller']));
    const serverOnly = aimedFaultCatalogue(['partition', 'hold'], [1_000], 10_000, ['server']);
    expect(serverOnly.some((fault) => fault.link === 'storage')).toBe(false);
    expect(aimedFaultCatalogue(['latency', 'loss'], [1_000], 10_000)).toEqual([]);
  });

  it('rejects a scope it cannot search', async () => {
    await expect(exploreExhaustive(etcdMutexFenced, { faults: ['latency'] })).rejects.toThrow(/no fault kind given can be aimed/);
    await expect(exploreExhaustive(etcdMutexFenced, { maxFaults: 3 })).rejects.toThrow(/maxFaults must be 1 or 2/);
  });
});
