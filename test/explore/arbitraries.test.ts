import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  defaultFaultKinds,
  faultKinds,
  faultPlanArbitrary,
  faultSpecArbitrary,
  parseFaultKinds,
  planSchedule,
  type FaultPlan,
} from '../../src/explore/arbitraries.ts';
import type { Fault, ScheduledFault } from '../../src/sim/faults.ts';

const closes: Partial<Record<Fault['kind'], Fault['kind']>> = { pause: 'resume', crash: 'restart', partition: 'heal', hold: 'release' };

/** Every opening fault is followed, later or at once, by its closing one on the same target. */
function wellFormed(schedule: readonly ScheduledFault[]): boolean {
  return schedule.every(({ atMs, fault }, i) => {
    const closing = closes[fault.kind];
    if (closing === undefined) return true;
    return schedule
      .slice(i + 1)
      .some(
        (later) =>
          later.atMs >= atMs && later.fault.kind === closing && JSON.stringify({ ...later.fault, kind: '' }) === JSON.stringify({ ...fault, kind: '' }),
      );
  });
}

describe('fault plans', () => {
  it('expand into well-formed, sorted schedules that end before the quiet tail', () => {
    fc.assert(
      fc.property(faultPlanArbitrary({ kinds: faultKinds, countMax: 6, faultsEndMs: 30_000 }), (plan) => {
        const schedule = planSchedule(plan, { clients: 5, faultsEndMs: 30_000 });
        expect(wellFormed(schedule)).toBe(true);
        expect(schedule.map((entry) => entry.atMs)).toEqual([...schedule.map((entry) => entry.atMs)].sort((a, b) => a - b));
        for (const { atMs } of schedule) expect(atMs).toBeLessThanOrEqual(30_000);
        expect(plan.length).toBeLessThanOrEqual(6);
      }),
      { seed: 1, numRuns: 300 },
    );
  });

  it('respect the bounds users set: kinds, pause length, window', () => {
    fc.assert(
      fc.property(faultSpecArbitrary({ kinds: ['pause', 'drift'], pauseMsMax: 3000, durationMsMax: 9000, windowStartMs: 5000, faultsEndMs: 8000 }), (spec) => {
        expect(['pause', 'drift']).toContain(spec.kind);
        expect(spec.atMs).toBeGreaterThanOrEqual(5000);
        expect(spec.atMs).toBeLessThan(8000);
        if (spec.kind === 'pause') expect(spec.durationMs).toBeLessThanOrEqual(3000);
      }),
      { seed: 2, numRuns: 200 },
    );
  });

  it('shrink by dropping faults and shortening them', () => {
    // "fails" when some pause is longer than 4 s: the minimal plan is one pause of 4001 ms at the window start.
    const result = fc.check(
      fc.property(
        faultPlanArbitrary({ kinds: ['pause', 'partition', 'crash'], countMax: 5, aimedShare: 0 }),
        (plan: FaultPlan) => !plan.some((spec) => spec.kind === 'pause' && spec.durationMs > 4000),
      ),
      { seed: 3, numRuns: 500 },
    );
    expect(result.failed).toBe(true);
    const [plan] = result.counterexample!;
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ kind: 'pause', durationMs: 4001, atMs: 1000, process: 0 });
    expect(planSchedule(plan, { clients: 5, faultsEndMs: 40_000 })).toEqual([
      { atMs: 1000, fault: { kind: 'pause', process: 'alice' } },
      { atMs: 5001, fault: { kind: 'resume', process: 'alice' } },
    ]);
  });

  it('shrink towards one aimed fault when faults are aimed at roles too', () => {
    const result = fc.check(
      fc.property(
        faultPlanArbitrary({ kinds: ['pause', 'partition', 'crash'], countMax: 5 }),
        (plan: FaultPlan) => !plan.some((spec) => spec.kind === 'pause' && spec.durationMs > 4000),
      ),
      { seed: 3, numRuns: 500 },
    );
    expect(result.failed).toBe(true);
    const [plan] = result.counterexample!;
    expect(plan).toHaveLength(1);
    expect(plan[0]).toMatchObject({ kind: 'pause', atMs: 1000, aim: { role: 'holder', delayMs: 0, pick: 0 } });
    // An aimed fault is one entry; the simulator resolves it to pause/resume of whoever acquires next.
    expect(planSchedule(plan, { clients: 5, faultsEndMs: 40_000 })).toEqual([
      { atMs: 1000, fault: { kind: 'aimed', role: 'holder', action: 'pause', durationMs: plan[0]!.durationMs, untilMs: 40_000 } },
    ]);
  });

  it('name link faults by direction and cut them short at the quiet tail', () => {
    const plan: FaultPlan = [
      { atMs: 100, kind: 'partition', process: 1, peer: 1, direction: 'out', durationMs: 500, magnitude: 0 },
      { atMs: 9_000, kind: 'hold', process: 0, peer: 0, direction: 'in', durationMs: 5_000, magnitude: 0 },
      { atMs: 200, kind: 'serverRestart', process: 0, peer: 0, direction: 'both', durationMs: 1, magnitude: 2 },
    ];
    expect(planSchedule(plan, { clients: 2, faultsEndMs: 10_000 })).toEqual([
      { atMs: 100, fault: { kind: 'partition', from: 'bob', to: 'storage', oneWay: true } },
      { atMs: 200, fault: { kind: 'serverRestart', downMs: 2000 } },
      { atMs: 600, fault: { kind: 'heal', from: 'bob', to: 'storage', oneWay: true } },
      { atMs: 9_000, fault: { kind: 'hold', from: 'server', to: 'alice', oneWay: true } },
      { atMs: 10_000, fault: { kind: 'release', from: 'server', to: 'alice', oneWay: true } },
    ]);
  });

  it('parses the CLI names of fault kinds', () => {
    expect(parseFaultKinds('pause,crash,partition,drift,restart')).toEqual(['pause', 'crash', 'partition', 'drift', 'serverRestart']);
    expect(parseFaultKinds('all')).toEqual([...faultKinds]);
    expect(defaultFaultKinds).not.toContain('loss');
    expect(() => parseFaultKinds('pause,meteor')).toThrow(/unknown fault kind 'meteor'/);
  });
});
