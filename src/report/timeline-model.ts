/**
 * A trace turned into the compact data the timeline viewer draws: lanes (each
 * process, the server, each resource), calls as intervals, leases with their
 * server and client deadlines, lock beliefs, watches, faults on the links they
 * cut, resource writes from send to arrival, and every committed revision (so
 * the viewer can show the keys at any time t). Tuples instead of objects where
 * there are many (calls, revisions): a 10-minute, 20-client run stays small.
 *
 *   calls: [[0, 1003, 1009, 'leaseGrant', 'ok', '{TTL:5} → {ID:694d…}'], …]   lane, from, until (-1: never answered), …
 *   leases: [{ id: '694d…', lane: 0, serverDeadlines: [[1006, 6006], [2710, 7710]], sweptAtMs: 9500, … }]
 *
 * The verdict is one sentence: a stale write that landed, two holders at once,
 * or "safe: the stale write was rejected".
 */
import { firstKeepAliveTimeoutMs } from '../client/lease.ts';
import type { Fault } from '../sim/faults.ts';
import { describeFault, serverNode } from '../sim/faults.ts';
import { type MemberRole, show, showLeaseId, type TraceEvent } from '../sim/trace.ts';
import { electionTimeoutMs } from '../store/limits.ts';
import type { LeaseId } from '../store/messages.ts';
import { callSummaryCharsMax, timelineDropsMax } from './limits.ts';
import { faultWindows, lockBeliefs, overlappingBeliefs } from './trace-facts.ts';

/** A claim of a scenario's story, as the page lists it. */
export interface TimelineClaim {
  claim: string;
  holds: boolean;
  detail: string;
}

/** A property violation the explorer found (src/explore/judge.ts). */
export interface TimelineViolation {
  property: string;
  atMs: number;
  processes: string[];
  message: string;
  /** The explorer's classification: a bug of the algorithm, a known limitation of lease locks, or not judgeable. @defaultValue 'bug' */
  verdict?: 'bug' | 'limitation' | 'unknown';
}

export type VerdictTone = 'unsafe' | 'safe' | 'ok' | 'failed';

export interface TimelineVerdict {
  tone: VerdictTone;
  text: string;
}

export type LaneKind = 'process' | 'server' | 'member' | 'resource';
export type CallOutcomeShown = 'ok' | 'error' | 'unknown' | 'open';

/** lane, fromMs, untilMs (-1: never answered), method, outcome, summary, when the server applied it (-1: not known). */
export type CallTuple = [number, number, number, string, CallOutcomeShown, string, number];
/** lane, lockName, token, fromMs, untilMs (-1: held to the end), end, lease ID. */
export type BeliefTuple = [number, string, number, number, number, string, string];
/** atMs, revision, changes: [type, key, value, lease]. */
export type RevisionTuple = [number, number, [string, string, string, string][]];
/** resource lane, process lane, sentAtMs, atMs, token, value, accepted, highest token before. */
export type WriteTuple = [number, number, number, number, number, string, boolean, number];
/** lockName, owner lane (-1 unknown), fromMs, untilMs (-1: to the end), key, create revision. */
export type OwnerTuple = [string, number, number, number, string, number];
/** A cluster member's raft role over a stretch: lane, role, term, fromMs, untilMs (-1: to the end), lane of the leader it follows (-1: none known). */
export type RoleTuple = [number, MemberRole, number, number, number, number];
/** A leader elected: atMs, its lane, term. */
export type LeaderChangeTuple = [number, number, number];
/** lane, atMs, text. */
export type LogTuple = [number, number, string];
/** atMs, from lane (-1 unknown), to lane, message, reason. */
export type DropTuple = [number, number, number, string, string];

export interface LeaseModel {
  id: string;
  /** The owner's lane. */
  lane: number;
  incarnation: number;
  ttlSeconds: number;
  grantedAtMs: number;
  /** Swept (expired) or revoked, -1 when it outlived the run. */
  endedAtMs: number;
  end: 'expired' | 'revoked' | 'alive';
  /** The revision the expiry made (-1 when none). */
  revision: number;
  /** The server's deadline as it moved: [since, deadline] at the grant, each renewal and each promotion. */
  serverDeadlines: [number, number][];
  /** The client's local deadline as it moved: [since, deadline] (keepalive start, each answer). */
  clientDeadlines: [number, number][];
  /** Keepalives sent by the client. */
  keepalivesSentAtMs: number[];
  /** When the client stopped believing in it, and why; null when it never did. */
  lost: [number, string] | null;
}

export interface WatchModel {
  lane: number;
  watchNo: number;
  key: string;
  rangeEnd: string | null;
  fromMs: number;
  /** -1 while still open at the end. */
  untilMs: number;
  endReason: string;
  /** [atMs, revision, "DELETE /a mod 7, …"]. */
  responses: [number, number, string][];
}

export interface FaultModel {
  kind: Fault['kind'];
  label: string;
  fromMs: number;
  /** -1 when never undone. */
  untilMs: number;
  /** Lanes the fault hits as a whole (a paused process, the restarting server). */
  lanes: number[];
  /** Link faults: the link's ends (lanes; -1 for a node without a lane), oneWay; null for whole-node faults. Both ends -1 with `everywhere`. */
  link: [number, number, boolean] | null;
  everywhere: boolean;
}

export interface TimelineModel {
  title: string;
  endMs: number;
  lanes: { name: string; kind: LaneKind }[];
  calls: CallTuple[];
  leases: LeaseModel[];
  beliefs: BeliefTuple[];
  /** lockName, fromMs, untilMs (-1: to the end), lanes. */
  overlaps: [string, number, number, number[]][];
  faults: FaultModel[];
  writes: WriteTuple[];
  watches: WatchModel[];
  revisions: RevisionTuple[];
  /** [atMs, leaseId, revision]. */
  expiries: [number, string, number][];
  /** Whom the server puts first for each lock: lockName, owner lane (-1 unknown), fromMs, untilMs (-1: to the end), key, create revision. */
  owners: OwnerTuple[];
  /** [atMs, leases promoted]. */
  serverUps: [number, number][];
  /** Each cluster member's raft role over time (none for a single server). */
  roles: RoleTuple[];
  /** Every leader elected, in order (the first election too). */
  leaderChanges: LeaderChangeTuple[];
  /** [lane, atMs, incarnation] for restarts, [lane, atMs, error] for exits. */
  starts: [number, number, number][];
  exits: [number, number, string][];
  crashes: [number, number][];
  logs: LogTuple[];
  drops: DropTuple[];
  /** Drops left out to keep the page small. */
  dropsOmitted: number;
  violations: TimelineViolation[];
  verdict: TimelineVerdict;
}

export interface TimelineModelOptions {
  title?: string;
  claims?: readonly TimelineClaim[];
  violations?: readonly TimelineViolation[];
  /** Overrides the verdict read from the trace. */
  verdict?: TimelineVerdict;
}

const keyDecoder = new TextDecoder();

function keyText(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : keyDecoder.decode(bytes);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function secondsText(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

type Lanes = { name: string; kind: LaneKind }[];
/** A lane's index by name; -1 for none. */
type LaneOf = (name: string | undefined) => number;

/** Build the viewer's data from a trace. */
export function timelineModel(events: readonly TraceEvent[], options: TimelineModelOptions = {}): TimelineModel {
  const lanes = lanesOf(events);
  const laneOf = new Map(lanes.map((lane, index) => [lane.name, index]));
  const lane: LaneOf = (name) => (name === undefined ? -1 : (laneOf.get(name) ?? -1));
  const lastMs = events.reduce((max, event) => Math.max(max, event.atMs), 0);
  // A little room after the last event, so what happens last is not squeezed against the edge.
  const endMs = Math.max(1000, Math.ceil((lastMs + Math.max(500, lastMs * 0.06)) / 500) * 500);

  const built = new TimelineEvents(lane);
  for (const event of events) built.add(event);
  built.placeUnansweredPuts();

  const beliefFacts = lockBeliefs(events);
  const beliefs: BeliefTuple[] = beliefFacts.map((belief) => [
    lane(belief.process),
    belief.lockName,
    belief.fencingToken,
    belief.fromMs,
    belief.untilMs ?? -1,
    belief.end,
    showLeaseId(belief.leaseId),
  ]);
  const overlaps: [string, number, number, number[]][] = overlappingBeliefs(beliefFacts).map((overlap) => [
    overlap.lockName,
    overlap.fromMs,
    overlap.untilMs ?? -1,
    [...new Set(overlap.holders.map((holder) => lane(holder.process)))],
  ]);
  const owners = serverOwners(
    [...new Set(beliefFacts.map((belief) => belief.lockName))],
    built.revisions,
    new Map([...built.leases.values()].map((lease) => [lease.id, lease.lane])),
  );
  const verdict = options.verdict ?? verdictOf(lanes, beliefFacts.length, overlaps, built.writes, options.claims ?? [], options.violations ?? []);
  return {
    title: options.title ?? 'leaselab run',
    endMs,
    lanes,
    calls: built.calls,
    leases: [...built.leases.values()],
    beliefs,
    overlaps,
    faults: faultModels(events, lane),
    writes: built.writes,
    watches: built.watchList,
    revisions: built.revisions,
    expiries: built.expiries,
    owners,
    serverUps: built.serverUps,
    roles: built.roles,
    leaderChanges: built.leaderChanges,
    starts: built.starts,
    exits: built.exits,
    crashes: built.crashes,
    logs: built.logs,
    drops: built.drops,
    dropsOmitted: built.dropsOmitted,
    violations: [...(options.violations ?? [])],
    verdict,
  };
}

/** Member names in number order: etcd2 before etcd10. Made when first needed: making one costs ~7 ms of CPU, and most runs have one member or none. */
let memberOrder: Intl.Collator | undefined;

/** One lane per process (in order of appearance), the server, each cluster member (etcd1…etcdN), then one per resource. */
function lanesOf(events: readonly TraceEvent[]): Lanes {
  const processes: string[] = [];
  const resources: string[] = [];
  const members: string[] = [];
  for (const event of events) {
    if ((event.kind === 'process-started' || event.kind === 'client' || event.kind === 'log') && !processes.includes(event.process))
      processes.push(event.process);
    if (event.kind === 'resource-write' && !resources.includes(event.resource)) resources.push(event.resource);
    if (event.kind === 'member' && !members.includes(event.member)) members.push(event.member);
  }
  if (members.length > 1) members.sort((memberOrder ??= new Intl.Collator('en', { numeric: true })).compare);
  return [
    ...processes.map((name) => ({ name, kind: 'process' as const })),
    { name: serverNode, kind: 'server' },
    ...members.map((name) => ({ name, kind: 'member' as const })),
    ...resources.map((name) => ({ name, kind: 'resource' as const })),
  ];
}

/** Each fault window on the lanes or the link it hits. */
function faultModels(events: readonly TraceEvent[], lane: LaneOf): FaultModel[] {
  const faults: FaultModel[] = [];
  const faultEvents = events.filter((event): event is Extract<TraceEvent, { kind: 'fault' }> => event.kind === 'fault');
  const windows = faultWindows(events);
  // faultWindows keeps the order faults began; the opening faults in the same order give each window its link.
  const openers = faultEvents.filter((event) => windows.some((window) => window.fromMs === event.atMs && window.label === describeFault(event.fault)));
  let openerIndex = 0;
  for (const window of windows) {
    let fault: Fault | undefined;
    while (openerIndex < openers.length) {
      const candidate = openers[openerIndex++]!;
      if (candidate.atMs === window.fromMs && describeFault(candidate.fault) === window.label) {
        fault = candidate.fault;
        break;
      }
    }
    const model: FaultModel = {
      kind: window.kind,
      label: window.label,
      fromMs: window.fromMs,
      untilMs: window.untilMs ?? -1,
      lanes: [],
      link: null,
      everywhere: false,
    };
    if (fault !== undefined && (fault.kind === 'partition' || fault.kind === 'hold' || fault.kind === 'loss' || fault.kind === 'latency')) {
      if (fault.from === undefined || fault.to === undefined) model.everywhere = true;
      else model.link = [lane(fault.from), lane(fault.to), fault.oneWay === true];
    } else if (window.kind === 'serverRestart' && restartedMember(events, window.fromMs) !== undefined) {
      // In a cluster the leader restarts: the window is that member's, down until it is back.
      const member = restartedMember(events, window.fromMs)!;
      model.lanes = [lane(member.name)];
      model.untilMs = member.backAtMs;
    } else if (window.kind === 'serverRestart' || window.kind === 'slowApply') model.lanes = [lane(serverNode)];
    else model.lanes = window.nodes.map(lane).filter((index) => index >= 0);
    faults.push(model);
  }
  return faults;
}

/** The cluster member a serverRestart at `atMs` took down, and when it was back (-1: never); undefined for a lone server. */
function restartedMember(events: readonly TraceEvent[], atMs: number): { name: string; backAtMs: number } | undefined {
  const down = events.find((event) => event.kind === 'member' && event.atMs === atMs && event.role === 'down');
  if (down === undefined || down.kind !== 'member') return undefined;
  const back = events.find((event) => event.kind === 'member' && event.member === down.member && event.atMs > atMs && event.role !== 'down');
  return { name: down.member, backAtMs: back?.atMs ?? -1 };
}

type ClientTraceEvent = Extract<TraceEvent, { kind: 'client' }>;
type ClientEventOf<K extends ClientTraceEvent['event']['kind']> = Extract<ClientTraceEvent['event'], { kind: K }>;

/** The trace's events, one handler per event kind, collected as the viewer's tuples and models. */
class TimelineEvents {
  readonly calls: CallTuple[] = [];
  readonly leases = new Map<LeaseId, LeaseModel>();
  readonly watchList: WatchModel[] = [];
  readonly revisions: RevisionTuple[] = [];
  readonly expiries: [number, string, number][] = [];
  readonly serverUps: [number, number][] = [];
  readonly starts: [number, number, number][] = [];
  readonly exits: [number, number, string][] = [];
  readonly crashes: [number, number][] = [];
  readonly logs: LogTuple[] = [];
  readonly drops: DropTuple[] = [];
  readonly writes: WriteTuple[] = [];
  readonly roles: RoleTuple[] = [];
  readonly leaderChanges: LeaderChangeTuple[] = [];
  dropsOmitted = 0;
  /** Each member's role span still open, by lane. */
  readonly #openRoles = new Map<number, RoleTuple>();
  readonly #lane: LaneOf;
  readonly #openCalls = new Map<string, CallTuple>();
  readonly #watches = new Map<string, WatchModel>();
  /** When the server committed each revision, and granted each lease: a call's answer names them. */
  readonly #revisionAtMs = new Map<number, number>();
  readonly #grantedAtMs = new Map<LeaseId, number>();
  /** The key of each put, to find where an unanswered one was applied. */
  readonly #putKeys = new Map<CallTuple, string>();
  /** leaseRevoke calls in flight (`alice#1/4` → lease ID): an ok answer ends the lease. */
  readonly #revokes = new Map<string, LeaseId>();

  constructor(lane: LaneOf) {
    this.#lane = lane;
  }

  add(event: TraceEvent): void {
    const lane = this.#lane;
    switch (event.kind) {
      case 'client':
        return this.#client(event);
      case 'lease-granted':
        return this.#leaseGranted(event);
      case 'lease-renewed': {
        const lease = this.leases.get(event.leaseId);
        if (lease !== undefined && lease.end === 'alive') lease.serverDeadlines.push([event.atMs, event.atMs + event.ttlSeconds * 1000]);
        break;
      }
      case 'lease-expired':
        return this.#leaseExpired(event);
      case 'server-up':
        this.serverUps.push([event.atMs, event.leases]);
        // Promotion: every lease gets its full TTL plus the election timeout from now.
        for (const lease of this.leases.values()) {
          if (lease.end === 'alive') lease.serverDeadlines.push([event.atMs, event.atMs + lease.ttlSeconds * 1000 + electionTimeoutMs]);
        }
        break;
      case 'kv-applied':
        this.#revisionAtMs.set(event.revision, event.atMs);
        this.revisions.push([
          event.atMs,
          event.revision,
          event.changes.map((change) => [
            change.type === 'put' ? 'PUT' : 'DELETE',
            change.key,
            change.value ?? '',
            change.lease !== undefined ? showLeaseId(change.lease) : '',
          ]),
        ]);
        break;
      case 'resource-write':
        this.writes.push([
          lane(event.resource),
          lane(event.process),
          event.sentAtMs,
          event.atMs,
          event.fencingToken,
          event.value,
          event.accepted,
          event.highestTokenBefore,
        ]);
        break;
      case 'process-started':
        this.starts.push([lane(event.process), event.atMs, event.incarnation]);
        break;
      case 'process-exited':
        this.exits.push([lane(event.process), event.atMs, event.error ?? '']);
        break;
      case 'log':
        this.logs.push([lane(event.process), event.atMs, cut(event.message, callSummaryCharsMax * 2)]);
        break;
      case 'message-dropped':
        if (this.drops.length < timelineDropsMax)
          this.drops.push([event.atMs, lane(event.from), lane(event.to), cut(event.message, callSummaryCharsMax), event.reason]);
        else this.dropsOmitted++;
        break;
      case 'fault':
        if (event.fault.kind === 'crash') this.crashes.push([lane(event.fault.process), event.atMs]);
        break;
      case 'member':
        return this.#member(event);
      default:
        break;
    }
  }

  /** A put that timed out or was never answered may still have been applied: find its key's next PUT. */
  placeUnansweredPuts(): void {
    for (const [call, key] of this.#putKeys) {
      if (call[4] === 'ok' || call[4] === 'error') continue;
      const applied = this.revisions.find((revision) => revision[0] >= call[1] && revision[2].some((change) => change[0] === 'PUT' && change[1] === key));
      if (applied !== undefined) call[6] = applied[0];
    }
  }

  /** A role change closes the member's open span; learning whom it follows in the same term only names the leader. */
  #member(event: Extract<TraceEvent, { kind: 'member' }>): void {
    const memberLane = this.#lane(event.member);
    const leaderLane = this.#lane(event.leader);
    const open = this.#openRoles.get(memberLane);
    if (open !== undefined && open[1] === event.role && open[2] === event.term && (open[5] < 0 || open[5] === leaderLane)) {
      if (leaderLane >= 0) open[5] = leaderLane;
      return;
    }
    if (open !== undefined) open[4] = event.atMs;
    const span: RoleTuple = [memberLane, event.role, event.term, event.atMs, -1, leaderLane];
    this.roles.push(span);
    this.#openRoles.set(memberLane, span);
    if (event.role === 'leader') this.leaderChanges.push([event.atMs, memberLane, event.term]);
  }

  #leaseGranted(event: Extract<TraceEvent, { kind: 'lease-granted' }>): void {
    this.#grantedAtMs.set(event.leaseId, event.atMs);
    this.leases.set(event.leaseId, {
      id: showLeaseId(event.leaseId),
      lane: this.#lane(event.process),
      incarnation: event.incarnation,
      ttlSeconds: event.ttlSeconds,
      grantedAtMs: event.atMs,
      endedAtMs: -1,
      end: 'alive',
      revision: -1,
      serverDeadlines: [[event.atMs, event.atMs + event.ttlSeconds * 1000]],
      clientDeadlines: [],
      keepalivesSentAtMs: [],
      lost: null,
    });
  }

  #leaseExpired(event: Extract<TraceEvent, { kind: 'lease-expired' }>): void {
    this.expiries.push([event.atMs, showLeaseId(event.leaseId), event.revision]);
    const lease = this.leases.get(event.leaseId);
    if (lease !== undefined && lease.end === 'alive') {
      lease.end = 'expired';
      lease.endedAtMs = event.atMs;
      lease.revision = event.revision;
    }
  }

  #client(event: ClientTraceEvent): void {
    const e = event.event;
    switch (e.kind) {
      case 'call':
        this.#call(event, e);
        break;
      case 'return':
        this.#return(event, e);
        break;
      case 'keepalive-sent': {
        const lease = this.leases.get(e.leaseId);
        if (lease === undefined) break;
        if (lease.keepalivesSentAtMs.length === 0) lease.clientDeadlines.push([event.atMs, event.atMs + firstKeepAliveTimeoutMs]);
        lease.keepalivesSentAtMs.push(event.atMs);
        break;
      }
      case 'keepalive-answered': {
        const lease = this.leases.get(e.leaseId);
        if (lease !== undefined && e.ttlSeconds > 0) lease.clientDeadlines.push([event.atMs, event.atMs + e.ttlSeconds * 1000]);
        break;
      }
      case 'lease-lost': {
        const lease = this.leases.get(e.leaseId);
        if (lease !== undefined && lease.lost === null) lease.lost = [event.atMs, e.reason];
        break;
      }
      case 'watch-started':
      case 'watch-events':
      case 'watch-ended':
        this.#watch(event, e);
        break;
      default:
        break;
    }
  }

  #call(event: ClientTraceEvent, e: ClientEventOf<'call'>): void {
    const callKey = `${event.process}#${event.incarnation}/${e.callId}`;
    const call: CallTuple = [this.#lane(event.process), event.atMs, -1, e.method, 'open', cut(show(e.request), callSummaryCharsMax), -1];
    if (e.method === 'put') this.#putKeys.set(call, keyText((e.request as { key?: Uint8Array }).key));
    this.calls.push(call);
    this.#openCalls.set(callKey, call);
    if (e.method === 'leaseRevoke') {
      const id = (e.request as { ID?: LeaseId }).ID;
      if (id !== undefined) this.#revokes.set(callKey, id);
    }
  }

  #return(event: ClientTraceEvent, e: ClientEventOf<'return'>): void {
    const callKey = `${event.process}#${event.incarnation}/${e.callId}`;
    const call = this.#openCalls.get(callKey);
    this.#openCalls.delete(callKey);
    if (call === undefined) return;
    call[2] = event.atMs;
    call[4] = e.outcome;
    const answer = e.outcome === 'ok' ? show(e.response) : (e.error ?? e.outcome);
    if (e.outcome === 'ok') call[6] = this.#serverTimeOf(call, e.response);
    call[5] = cut(`${call[5]} → ${answer}`, callSummaryCharsMax * 2);
    const revoked = this.#revokes.get(callKey);
    this.#revokes.delete(callKey);
    const lease = revoked === undefined ? undefined : this.leases.get(revoked);
    if (lease !== undefined && e.outcome === 'ok' && lease.end === 'alive') {
      lease.end = 'revoked';
      lease.endedAtMs = event.atMs;
    }
  }

  /** When the server applied what an ok answer reports, or -1. */
  #serverTimeOf(call: CallTuple, response: unknown): number {
    const r = response as { header?: { revision?: number }; ID?: LeaseId } | undefined;
    let atMs: number | undefined;
    if (call[3] === 'leaseGrant' && r?.ID !== undefined) atMs = this.#grantedAtMs.get(r.ID);
    else if ((call[3] === 'put' || call[3] === 'txn' || call[3] === 'deleteRange') && typeof r?.header?.revision === 'number')
      atMs = this.#revisionAtMs.get(r.header.revision);
    // a write that changed nothing answers with an older revision: only a commit between send and answer is this call's
    return atMs !== undefined && atMs >= call[1] ? atMs : -1;
  }

  #watch(event: ClientTraceEvent, e: ClientEventOf<'watch-started' | 'watch-events' | 'watch-ended'>): void {
    const watchKey = `${event.process}#${event.incarnation}/${e.watchNo}`;
    if (e.kind === 'watch-started') {
      const watch: WatchModel = {
        lane: this.#lane(event.process),
        watchNo: e.watchNo,
        key: e.key,
        rangeEnd: e.rangeEnd ?? null,
        fromMs: event.atMs,
        untilMs: -1,
        endReason: '',
        responses: [],
      };
      this.#watches.set(watchKey, watch);
      this.watchList.push(watch);
    } else if (e.kind === 'watch-events') {
      const watch = this.#watches.get(watchKey);
      watch?.responses.push([
        event.atMs,
        e.revision,
        cut(e.events.map((item) => `${item.type} ${item.key} mod ${item.modRevision}`).join(', '), callSummaryCharsMax * 2),
      ]);
    } else {
      const watch = this.#watches.get(watchKey);
      if (watch !== undefined && watch.untilMs < 0) {
        watch.untilMs = event.atMs;
        watch.endReason = e.reason;
      }
    }
  }
}

/**
 * Whom the server's keys make the owner of each lock over time: the key named
 * by the lock or under its prefix with the lowest create revision (how etcd's
 * Mutex decides), mapped to its lease's holder.
 */
export function serverOwners(lockNames: readonly string[], revisions: readonly RevisionTuple[], laneOfLease: ReadonlyMap<string, number>): OwnerTuple[] {
  const owners: OwnerTuple[] = [];
  if (lockNames.length === 0) return owners;
  const keys = new Map<string, { create: number; lease: string }>();
  const open = new Map<string, OwnerTuple>();
  for (const [atMs, revision, changes] of revisions) {
    for (const [type, key, , lease] of changes) {
      if (type === 'DELETE') keys.delete(key);
      else if (!keys.has(key)) keys.set(key, { create: revision, lease });
      else keys.get(key)!.lease = lease;
    }
    for (const lockName of lockNames) {
      let first: { key: string; create: number; lease: string } | undefined;
      for (const [key, kv] of keys) {
        if ((key === lockName || key.startsWith(`${lockName}/`)) && (first === undefined || kv.create < first.create))
          first = { key, create: kv.create, lease: kv.lease };
      }
      const current = open.get(lockName);
      if (current !== undefined && first !== undefined && current[4] === first.key && current[5] === first.create) continue;
      if (current !== undefined) {
        current[3] = atMs;
        open.delete(lockName);
      }
      if (first !== undefined) {
        const owner: OwnerTuple = [lockName, laneOfLease.get(first.lease) ?? -1, atMs, -1, first.key, first.create];
        owners.push(owner);
        open.set(lockName, owner);
      }
    }
  }
  return owners;
}

/** One sentence on what the run shows: the worst thing that happened, or why it was safe. */
export function verdictOf(
  lanes: readonly { name: string }[],
  beliefCount: number,
  overlaps: readonly [string, number, number, number[]][],
  writes: readonly WriteTuple[],
  claims: readonly TimelineClaim[],
  violations: readonly TimelineViolation[],
): TimelineVerdict {
  const name = (index: number) => lanes[index]?.name ?? '?';
  const names = (indexes: readonly number[]) => indexes.map(name).join(' and ');
  const staleAccepted = writes.find((write) => write[6] && write[4] < write[7]);
  const rejected = writes.filter((write) => !write[6]);
  const failed = claims.filter((claim) => !claim.holds);
  const first = overlaps[0];
  const during =
    first === undefined
      ? ''
      : ` (${names(first[3])} both believed they held ${first[0]} from ${secondsText(first[1])} to ${first[2] < 0 ? 'the end' : secondsText(first[2])})`;
  if (staleAccepted !== undefined)
    return {
      tone: 'unsafe',
      text: `unsafe: ${name(staleAccepted[0])} accepted ${name(staleAccepted[1])}'s stale write at ${secondsText(staleAccepted[3])} (token ${staleAccepted[4]} after token ${staleAccepted[7]}): a lost update${during}`,
    };
  const bug = violations.find((violation) => violation.verdict !== 'limitation');
  if (bug !== undefined) {
    const what = bug.verdict === 'unknown' ? 'cannot be judged' : 'violated';
    return { tone: 'unsafe', text: `${bug.property} ${what} at ${secondsText(bug.atMs)}: ${bug.message}` };
  }
  const limitation = violations[0];
  // Fencing covers what lease locks cannot promise: a rejected stale write makes a belief overlap safe.
  if (rejected.length > 0 && (first !== undefined || limitation !== undefined || rejected.some((write) => write[4] < write[7]))) {
    const write = rejected[0]!;
    const known =
      limitation === undefined
        ? ''
        : `; ${limitation.property}: a known limitation of lease locks at ${secondsText(limitation.atMs)}, which the fencing token covered`;
    return {
      tone: 'safe',
      text: `safe: the stale write was rejected: ${name(write[0])} turned away ${name(write[1])}'s token ${write[4]} at ${secondsText(write[3])} (it had accepted token ${write[7]})${during}${known}`,
    };
  }
  if (limitation !== undefined)
    return {
      tone: 'unsafe',
      text: `${limitation.property}: known limitation of lease locks at ${secondsText(limitation.atMs)}, not a bug of this lock: ${limitation.message}`,
    };
  if (first !== undefined)
    return {
      tone: 'unsafe',
      text: `two clients held the lock: ${names(first[3])} both believed they held ${first[0]} from ${secondsText(first[1])} to ${first[2] < 0 ? 'the end' : secondsText(first[2])}`,
    };
  if (failed.length > 0) return { tone: 'failed', text: `${failed.length} claim(s) did not hold: ${failed[0]!.claim}` };
  if (beliefCount > 0)
    return {
      tone: 'ok',
      text: `one holder at a time: no two clients believed they held a lock at once${claims.length > 0 ? `; all ${claims.length} claims hold` : ''}`,
    };
  return { tone: 'ok', text: claims.length > 0 ? `all ${claims.length} claims hold` : 'the run as it happened' };
}
