/**
 * Random fault schedules for a cluster run, in the ordinary fault verbs:
 * a member cut off from its peers (a minority partition), a member
 * crashed and restarted, the leader restarted (a leader change), a slow
 * member link, a client cut off from one member, a paused client. Each fault
 * is undone later, as randomFaultSchedule's are.
 *
 *   sim.faults(randomClusterFaultSchedule(7, { members: 3, processes: ['alice', 'bob'], untilMs: 30_000, count: 4 }));
 */
import type { ScheduledFault } from '../faults.ts';
import { RandomStream, type Seed } from '../random.ts';
import { memberNames } from './cluster.ts';

/** The kinds of cluster fault {@link randomClusterFaultSchedule} draws. */
export type ClusterFaultKind = 'isolateMember' | 'crashMember' | 'leaderChange' | 'slowMemberLink' | 'cutClientFromMember' | 'pauseClient';

export const clusterFaultKinds: readonly ClusterFaultKind[] = [
  'isolateMember',
  'crashMember',
  'leaderChange',
  'slowMemberLink',
  'cutClientFromMember',
  'pauseClient',
];

export interface ClusterFaultScheduleOptions {
  members: number;
  /** Processes (clients) the client faults may hit. */
  processes: readonly string[];
  /** Faults start in [0, untilMs). */
  untilMs: number;
  /** How many faults (a fault and its undoing count as one). */
  count: number;
  /** How long a fault lasts at most. @defaultValue 8_000 */
  durationMsMax?: number;
  /** Kinds to draw from. @defaultValue all of them */
  kinds?: readonly ClusterFaultKind[];
}

export function randomClusterFaultSchedule(source: Seed | RandomStream, options: ClusterFaultScheduleOptions): ScheduledFault[] {
  const random = source instanceof RandomStream ? source : new RandomStream(source, 'cluster-faults');
  const members = memberNames(options.members);
  // A link between members needs two of them; client faults need a client.
  const possible = (kind: ClusterFaultKind) =>
    kind === 'slowMemberLink' ? members.length > 1 : kind === 'cutClientFromMember' || kind === 'pauseClient' ? options.processes.length > 0 : true;
  const kinds = options.kinds ?? clusterFaultKinds.filter(possible);
  const impossible = kinds.filter((kind) => !possible(kind));
  if (impossible.length > 0)
    throw new RangeError(`cluster fault ${impossible.join(', ')} needs ${impossible[0] === 'slowMemberLink' ? 'two members or more' : 'a client process'}`);
  if (kinds.length === 0) throw new RangeError('no cluster fault kind to draw from');
  const durationMsMax = options.durationMsMax ?? 8000;
  const schedule: ScheduledFault[] = [];
  for (let i = 0; i < options.count; i++) {
    const atMs = random.int(0, Math.max(0, options.untilMs - 1));
    const endMs = Math.min(atMs + random.int(1, durationMsMax), options.untilMs);
    const member = random.pick(members);
    switch (random.pick(kinds)) {
      case 'isolateMember':
        for (const peer of members) {
          if (peer === member) continue;
          schedule.push({ atMs, fault: { kind: 'partition', from: member, to: peer } }, { atMs: endMs, fault: { kind: 'heal', from: member, to: peer } });
        }
        break;
      case 'crashMember':
        schedule.push({ atMs, fault: { kind: 'crash', process: member } }, { atMs: endMs, fault: { kind: 'restart', process: member } });
        break;
      case 'leaderChange':
        schedule.push({ atMs, fault: { kind: 'serverRestart', downMs: random.int(0, 3000) } });
        break;
      case 'slowMemberLink': {
        const peer = random.pick(members.filter((other) => other !== member));
        schedule.push(
          { atMs, fault: { kind: 'latency', latencyMs: { min: 50, max: random.int(100, 1500) }, from: member, to: peer } },
          { atMs: endMs, fault: { kind: 'latency', from: member, to: peer } },
        );
        break;
      }
      case 'cutClientFromMember': {
        const process = random.pick(options.processes);
        schedule.push({ atMs, fault: { kind: 'partition', from: process, to: member } }, { atMs: endMs, fault: { kind: 'heal', from: process, to: member } });
        break;
      }
      case 'pauseClient': {
        const process = random.pick(options.processes);
        schedule.push({ atMs, fault: { kind: 'pause', process } }, { atMs: endMs, fault: { kind: 'resume', process } });
        break;
      }
    }
  }
  return schedule.sort((a, b) => a.atMs - b.atMs);
}
