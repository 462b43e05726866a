/**
 * A simulated etcd cluster: N members (etcd1, etcd2, …) on the simulated
 * network, each a node that processes and peers reach by name, so the
 * ordinary fault verbs cut, hold, slow or lose member-to-member links
 * (`partition etcd1 ↔ etcd2`) as well as client-to-member ones.
 *
 *   const cluster = new Cluster({ members: 3, … });
 *   cluster.leader?.name            // 'etcd2' once elected
 *   cluster.crash('etcd2')          // a new leader is elected among the others
 *   cluster.restart('etcd2')        // back as a follower, catches up from the leader
 *
 * Each committed entry is traced once (kv-applied, lease-granted,
 * lease-expired), by the first member to apply it: that is when the
 * cluster's state changed, whichever member a client asked.
 */
import { assert } from '../../store/assert.ts';
import { leaseCheckpointIntervalMs } from '../../store/limits.ts';
import type { Network } from '../network.ts';
import type { SimRandom } from '../random.ts';
import type { Scheduler } from '../scheduler.ts';
import type { ServerStore, StoreFactory } from '../server-node.ts';
import type { DropReason, MemberRole, Trace } from '../trace.ts';
import type { ToServer, WireMessage } from '../wire.ts';
import { defaultElectionTimeoutMs, defaultHeartbeatIntervalMs, defaultMembers } from './cluster-limits.ts';
import { Member } from './member.ts';

/** Options of a simulated cluster. */
export interface ClusterOptions {
  /** How many members. @defaultValue 3 */
  members?: number;
  /** Lease checkpointing (etcd's --experimental-enable-lease-checkpoint). @defaultValue false */
  leaseCheckpoint?: boolean;
  /** How often the leader checkpoints a lease (only leases with more than this left are checkpointed). @defaultValue 5 min */
  leaseCheckpointIntervalMs?: number;
}

export interface ClusterDeps {
  scheduler: Scheduler;
  trace: Trace;
  random: SimRandom;
  network: Network<WireMessage>;
  createStore: StoreFactory;
  heartbeatMs?: number;
  electionMs?: number;
  /** A message a member discarded. */
  dropped(member: string, message: ToServer, reason: DropReason): void;
}

/** The members' node names: etcd1, etcd2, … */
export function memberNames(members: number): string[] {
  return Array.from({ length: members }, (_, i) => `etcd${i + 1}`);
}

export class Cluster {
  readonly members: readonly Member[];
  readonly #byName = new Map<string, Member>();
  readonly #trace: Trace;
  readonly #scheduler: Scheduler;
  /** Entries through this index were traced (by the first member to apply them). */
  #tracedThroughIndex = 0;
  /** The role last traced per member, to trace changes only. */
  readonly #lastTraced = new Map<string, string>();

  constructor(options: ClusterOptions, deps: ClusterDeps) {
    const count = options.members ?? defaultMembers;
    assert(Number.isInteger(count) && count >= 2 && count <= 9, `a cluster has 2 to 9 members, got ${count}`);
    this.#trace = deps.trace;
    this.#scheduler = deps.scheduler;
    const names = memberNames(count);
    const scheduler = deps.scheduler;
    const members: Member[] = [];
    for (const name of names) {
      const store: ServerStore = deps.createStore({ clock: { nowMs: () => scheduler.nowMs() }, random: deps.random.stream(`store/${name}`) });
      const member = new Member({
        name,
        peers: names.filter((peer) => peer !== name),
        scheduler,
        trace: deps.trace,
        store,
        electionRandom: deps.random.stream(`cluster/${name}/election`),
        leaseIdRandom: deps.random.stream(`cluster/${name}/lease-ids`),
        heartbeatMs: deps.heartbeatMs ?? defaultHeartbeatIntervalMs,
        electionMs: deps.electionMs ?? defaultElectionTimeoutMs,
        leaseCheckpointIntervalMs: options.leaseCheckpoint === true ? (options.leaseCheckpointIntervalMs ?? leaseCheckpointIntervalMs) : undefined,
        sendToProcess: (to, message) => deps.network.send(name, to, message),
        sendToMember: (to, message) => deps.network.send(name, to, message),
        dropped: (message, reason) => deps.dropped(name, message, reason),
        firstToApply: (index) => {
          if (index <= this.#tracedThroughIndex) return false;
          this.#tracedThroughIndex = index;
          return true;
        },
        changed: (changed) => this.#traceRole(changed),
      });
      members.push(member);
      this.#byName.set(name, member);
      deps.network.attach(name, { quiet: true, deliver: (_from, message) => member.deliver(message as never) });
    }
    this.members = members;
  }

  get names(): string[] {
    return this.members.map((member) => member.name);
  }

  member(name: string): Member | undefined {
    return this.#byName.get(name);
  }

  /** The member that leads in the highest term, if any is up and leads. */
  get leader(): Member | undefined {
    let leader: Member | undefined;
    for (const member of this.members) if (member.up && member.raft.isLeader && (leader === undefined || member.raft.term > leader.raft.term)) leader = member;
    return leader;
  }

  /** The store of the leader (or of the member that applied most, between leaders): the cluster's state as a caller inspects it. */
  get store(): ServerStore {
    const leader = this.leader;
    if (leader !== undefined) return leader.store;
    let best = this.members[0]!;
    for (const member of this.members) if (member.appliedIndex > best.appliedIndex) best = member;
    return best.store;
  }

  start(): void {
    for (const member of this.members) member.start();
  }

  crash(name: string): void {
    this.#required(name).crash();
  }

  restart(name: string): void {
    this.#required(name).restart();
  }

  /** serverRestart in a cluster: the leader (or, with none, the first member up) crashes and comes back after downMs: a leader change. */
  restartLeader(downMs: number): void {
    const member = this.leader ?? this.members.find((candidate) => candidate.up);
    if (member === undefined) return;
    member.crash();
    this.#scheduler.after(downMs, () => member.restart(), { quiet: true });
  }

  /** slowApply in a cluster: every member (or only `member`) applies committed entries this late: it lags. */
  setSlowApply(delayMs: number, member?: string): void {
    if (member !== undefined) return this.#required(member).setApplyDelay(delayMs);
    for (const each of this.members) each.setApplyDelay(delayMs);
  }

  #required(name: string): Member {
    const member = this.#byName.get(name);
    assert(member !== undefined, `no member named ${name}`);
    return member;
  }

  #traceRole(member: Member): void {
    const role: MemberRole = member.up ? member.raft.role : 'down';
    const leader = role === 'follower' ? member.raft.leader : undefined;
    const key = `${role}/${member.raft.term}/${leader ?? ''}`;
    if (this.#lastTraced.get(member.name) === key) return;
    this.#lastTraced.set(member.name, key);
    const event = { kind: 'member' as const, atMs: this.#scheduler.nowMs(), member: member.name, role, term: member.raft.term };
    this.#trace.record(leader === undefined ? event : Object.assign(event, { leader }));
  }
}
