/**
 * What the cluster scenarios read from a run: who led when, and how
 * members' roles changed (the trace's `member` events).
 */
import type { Client } from '../client/index.ts';
import type { SimResult, TraceEvent } from '../sim/index.ts';

export type MemberEvent = Extract<TraceEvent, { kind: 'member' }>;

/** Every member role change, in order. */
export function memberEvents(result: SimResult<Client>): MemberEvent[] {
  return result.trace.ofKind('member');
}

/** The leaders elected (member and term), in order. */
export function leadersElected(result: SimResult<Client>): MemberEvent[] {
  return memberEvents(result).filter((event) => event.role === 'leader');
}

/** The member leading at `atMs` (the last elected by then that had not stepped down or gone down since). */
export function leaderAt(result: SimResult<Client>, atMs: number): string | undefined {
  let leader: MemberEvent | undefined;
  for (const event of memberEvents(result)) {
    if (event.atMs > atMs) break;
    if (event.role === 'leader') leader = event;
    else if (leader !== undefined && event.member === leader.member) leader = undefined;
  }
  return leader?.member;
}

/** The first member (in name order) that is not `leader`. */
export function aFollower(members: readonly string[], leader: string | undefined): string {
  return members.find((member) => member !== leader) ?? members[0]!;
}
