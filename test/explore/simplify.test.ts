/**
 * Simplifying a shrunk counterexample: one aimed fault instead of several,
 * no fault that only shifts timing.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutex } from '../../src/client/lock-algorithm.ts';
import type { FaultSpec } from '../../src/explore/arbitraries.ts';
import { simplifyCase } from '../../src/explore/simplify.ts';

const workload = { clients: 3, durationMs: 20_000, quietMs: 8_000 };
const options = { ...workload, properties: ['belief' as const] };

const latency: FaultSpec = { atMs: 1_500, kind: 'latency', process: 1, peer: 1, direction: 'both', durationMs: 4_000, magnitude: 1 };
const slowApply: FaultSpec = { atMs: 9_000, kind: 'slowApply', process: 0, peer: 0, direction: 'both', durationMs: 1_000, magnitude: 0 };
const aimedWaiterPartition: FaultSpec = {
  atMs: 2_000,
  kind: 'partition',
  process: 0,
  peer: 0,
  direction: 'both',
  durationMs: 7_000,
  magnitude: 0,
  aim: { role: 'waiter', delayMs: 0, pick: 0 },
};

describe('simplifyCase', () => {
  it('keeps one aimed fault when it breaks the same property alone', async () => {
    const simplified = await simplifyCase(etcdMutex, { seed: 1, plan: [latency, aimedWaiterPartition, slowApply], workload }, 'belief', options);
    expect(simplified.case.plan).toEqual([aimedWaiterPartition]);
    expect(simplified.steps[0]).toBe('3 faults → 1 aimed fault');
    expect(simplified.judged?.violations.some((violation) => violation.property === 'belief')).toBe(true);
  });

  it('drops faults that only shift timing, and leaves a case that does not break the property alone', async () => {
    const blindPause: FaultSpec = { atMs: 2_000, kind: 'pause', process: 0, peer: 0, direction: 'both', durationMs: 8_000, magnitude: 0 };
    const simplified = await simplifyCase(etcdMutex, { seed: 1, plan: [latency, blindPause, slowApply], workload }, 'belief', options);
    expect(simplified.case.plan.length).toBe(1);
    expect(simplified.case.plan[0]!.kind).toBe('pause');
    expect(simplified.steps.length).toBeGreaterThan(0);
    const untouched = await simplifyCase(etcdMutex, { seed: 1, plan: [latency], workload }, 'belief', options);
    expect(untouched.steps).toEqual([]);
    expect(untouched.case.plan).toEqual([latency]);
  });
});
