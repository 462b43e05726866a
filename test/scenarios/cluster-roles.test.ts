// Who led a simulated cluster when, read from the member events of a run.
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/index.ts';
import { aFollower, leaderAt, leadersElected, memberEvents } from '../../src/scenarios/cluster-roles.ts';
import type { SimResult } from '../../src/sim/index.ts';
import { Trace, type TraceEvent } from '../../src/sim/trace.ts';

/** A run's result as these read it: its trace of member role changes. */
function run(events: [number, string, string, number][]): SimResult<Client> {
  const trace = new Trace();
  trace.record({ atMs: 0, kind: 'log', process: 'alice', incarnation: 1, message: 'not a member event' } as TraceEvent);
  for (const [atMs, member, role, term] of events) trace.record({ atMs, kind: 'member', member, role, term } as TraceEvent);
  return { trace } as unknown as SimResult<Client>;
}

const history = run([
  [100, 'm1', 'candidate', 2],
  [120, 'm1', 'leader', 2],
  [120, 'm2', 'follower', 2],
  [5000, 'm1', 'down', 2],
  [6100, 'm3', 'candidate', 3],
  [6150, 'm3', 'leader', 3],
  [9000, 'm1', 'follower', 3],
]);

describe('cluster roles', () => {
  it('lists the member events and the leaders elected, in order', () => {
    expect(memberEvents(history)).toHaveLength(7);
    expect(leadersElected(history).map((event) => `${event.member}@${event.term}`)).toEqual(['m1@2', 'm3@3']);
  });

  it('the leader at a time: none before the first election and while the last leader is down; a later event of another member changes nothing', () => {
    expect(leaderAt(history, 50)).toBeUndefined();
    expect(leaderAt(history, 119)).toBeUndefined();
    expect(leaderAt(history, 120)).toBe('m1');
    expect(leaderAt(history, 4999)).toBe('m1');
    expect(leaderAt(history, 5000)).toBeUndefined();
    expect(leaderAt(history, 6149)).toBeUndefined();
    expect(leaderAt(history, 6150)).toBe('m3');
    expect(leaderAt(history, 9500)).toBe('m3'); // m1 back as a follower: m3 still leads
  });

  it('a follower: the first member in order that is not the leader', () => {
    expect(aFollower(['m1', 'm2', 'm3'], 'm1')).toBe('m2');
    expect(aFollower(['m1', 'm2', 'm3'], 'm2')).toBe('m1');
    expect(aFollower(['m1', 'm2', 'm3'], undefined)).toBe('m1');
    expect(aFollower(['m1'], 'm1')).toBe('m1'); // no other member: the only one
  });
});
