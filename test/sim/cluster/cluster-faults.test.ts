// Random cluster fault schedules: one seed, one schedule; every fault starts before `untilMs` and is
// undone by then (a leader change is one restart); only the kinds asked for; in time order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterFaultKind, clusterFaultKinds, randomClusterFaultSchedule } from '../../../src/sim/cluster/cluster-faults.ts';
import { memberNames } from '../../../src/sim/cluster/cluster.ts';
import type { Fault, ScheduledFault } from '../../../src/sim/faults.ts';
import { casesFor } from '../../quick-tier.ts';

/** What undoes a fault, and the key that pairs them. */
function pairKey(fault: Fault): { opens: boolean; key: string } | undefined {
  switch (fault.kind) {
    case 'partition':
      return { opens: true, key: `link ${fault.from} ${fault.to}` };
    case 'heal':
      return { opens: false, key: `link ${fault.from} ${fault.to}` };
    case 'crash':
    case 'pause':
      return { opens: true, key: `process ${fault.process}` };
    case 'restart':
    case 'resume':
      return { opens: false, key: `process ${fault.process}` };
    case 'latency':
      return { opens: fault.latencyMs !== undefined, key: `latency ${fault.from} ${fault.to}` };
    default:
      return undefined;
  }
}

describe('randomClusterFaultSchedule', () => {
  const options = fc.record({
    members: fc.integer({ min: 2, max: 5 }),
    untilMs: fc.integer({ min: 1, max: 60_000 }),
    count: fc.nat({ max: 12 }),
    durationMsMax: fc.integer({ min: 1, max: 10_000 }),
    kinds: fc.subarray([...clusterFaultKinds], { minLength: 1 }),
  });

  it('is the same for a seed, in time order, within [0, untilMs], every fault undone, only the kinds asked for', () => {
    fc.assert(
      fc.property(fc.nat(), options, (seed, o) => {
        const processes = ['alice', 'bob'];
        const schedule = randomClusterFaultSchedule(seed, { ...o, processes });
        expect(randomClusterFaultSchedule(seed, { ...o, processes })).toEqual(schedule);
        expect(schedule.map((entry) => entry.atMs)).toEqual(schedule.map((entry) => entry.atMs).sort((a, b) => a - b));
        const members = memberNames(o.members);
        const open = new Map<string, number>();
        for (const { atMs, fault } of schedule) {
          expect(atMs).toBeGreaterThanOrEqual(0);
          expect(atMs).toBeLessThanOrEqual(o.untilMs);
          for (const node of ['from' in fault ? fault.from : undefined, 'to' in fault ? fault.to : undefined, 'process' in fault ? fault.process : undefined])
            if (node !== undefined) expect([...members, ...processes]).toContain(node);
          const pair = pairKey(fault);
          if (pair === undefined) {
            expect(fault.kind).toBe('serverRestart');
            expect(o.kinds).toContain<ClusterFaultKind>('leaderChange');
            continue;
          }
          open.set(pair.key, (open.get(pair.key) ?? 0) + (pair.opens ? 1 : -1));
        }
        for (const [key, count] of open) expect(count, key).toBe(0);
        const kindsSeen = new Set(schedule.map(({ fault }: ScheduledFault) => fault.kind));
        if (!o.kinds.includes('pauseClient')) expect(kindsSeen.has('pause')).toBe(false);
        if (!o.kinds.includes('crashMember')) expect(kindsSeen.has('crash')).toBe(false);
        if (!o.kinds.includes('slowMemberLink')) expect(kindsSeen.has('latency')).toBe(false);
      }),
      { seed: 14, numRuns: casesFor(300, 60) },
    );
  });

  it('another seed, another schedule', () => {
    const o = { members: 3, processes: ['alice'], untilMs: 30_000, count: 6 };
    expect(randomClusterFaultSchedule(1, o)).not.toEqual(randomClusterFaultSchedule(2, o));
  });
});
