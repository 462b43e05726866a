/**
 * fast-check arbitraries for the explorer: fault plans and workloads.
 *
 * A fault is drawn as one flat record, {atMs, kind, process, peer, direction,
 * durationMs, magnitude}, and expanded into a pair of scheduled faults (a
 * pause and its resume, a partition and its heal, …), so every schedule is
 * well formed and fast-check's own shrinking of arrays and integers does the
 * work: it drops faults, moves them earlier, shortens pauses and partitions,
 * and turns the process and peer indices towards the first ones.
 *
 *   { atMs: 10_000, kind: 'pause', process: 0, durationMs: 7_000, … }
 *     → 10.000 pause alice; 17.000 resume alice
 *   { atMs: 3_000, kind: 'partition', process: 1, peer: 0, direction: 'both', durationMs: 6_000, … }
 *     → 3.000 partition bob ↔ server; 9.000 heal bob ↔ server
 *
 * Every fault ends by `faultsEndMs` (the start of the quiet tail in which
 * liveness is judged): a longer one is cut short there.
 */
import fc from 'fast-check';
import { assertNever } from '../store/assert.ts';
import { memberNames } from '../sim/cluster/cluster.ts';
import { describeFault, serverNode, type AimedAction, type AimedRole, type Fault, type ScheduledFault } from '../sim/faults.ts';
import { clientNames, resourceName, type WorkloadOptions } from './workload.ts';

/** The fault kinds a plan can draw (each a pair, except serverRestart). */
export const faultKinds = ['pause', 'crash', 'partition', 'hold', 'loss', 'latency', 'drift', 'serverRestart', 'slowApply'] as const;
/**
 * Fault kinds of a cluster (`explore --members 3`): a member cut off from
 * the other members, a member crashed and restarted, a member that applies
 * committed entries late (it lags: its serializable reads are stale). (serverRestart is a
 * leader change there: the leader crashes and comes back.)
 */
export const memberFaultKinds = ['memberIsolate', 'memberCrash', 'memberSlow'] as const;
/** A fault kind a plan may draw. */
export type FaultPlanKind = (typeof faultKinds)[number] | (typeof memberFaultKinds)[number];

/**
 * The kinds drawn unless told otherwise: all but `loss`. The simulator's loss
 * drops single messages inside a stream, which TCP never does: a watch that
 * loses its DELETE event waits forever, so every lock would fail liveness for
 * a reason no real network has. Ask for it (`faults: ['loss']`) to see that.
 */
export const defaultFaultKinds: readonly FaultPlanKind[] = faultKinds.filter((kind) => kind !== 'loss');

/** The short names the CLI takes (`--faults pause,crash,partition,drift,restart`). */
export const faultKindAliases: Readonly<Record<string, FaultPlanKind>> = {
  restart: 'serverRestart',
  'server-restart': 'serverRestart',
  'leader-change': 'serverRestart',
  'member-isolate': 'memberIsolate',
  'member-crash': 'memberCrash',
  'member-slow': 'memberSlow',
  slow: 'slowApply',
  'slow-apply': 'slowApply',
};

/** Parse `pause,crash,restart` into fault kinds. @throws RangeError on an unknown name. */
export function parseFaultKinds(list: string): FaultPlanKind[] {
  const kinds: FaultPlanKind[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'all') {
      kinds.push(...faultKinds);
      continue;
    }
    const kind = faultKindAliases[name] ?? ([...faultKinds, ...memberFaultKinds] as readonly string[]).find((k) => k === name);
    if (kind === undefined)
      throw new RangeError(`unknown fault kind '${name}' (known: ${[...faultKinds, ...memberFaultKinds, ...Object.keys(faultKindAliases)].join(', ')})`);
    if (!kinds.includes(kind as FaultPlanKind)) kinds.push(kind as FaultPlanKind);
  }
  return kinds;
}

/** Which way a link fault cuts: both ways, process → peer only, or peer → process only. */
export type FaultDirection = 'both' | 'out' | 'in';

/**
 * One fault as drawn: what, when, where, how long and how hard. Indices pick
 * a process (of the workload's clients) and a peer (0 the etcd server, 1 the
 * resource). `magnitude` (0–3) picks the strength of loss, latency, drift,
 * server downtime and slow apply from a small table.
 */
export interface FaultSpec {
  atMs: number;
  kind: FaultPlanKind;
  process: number;
  peer: number;
  direction: FaultDirection;
  durationMs: number;
  magnitude: number;
  /**
   * Present when the fault is aimed at a role instead of at `process`
   * (src/sim/aimed-faults.ts): armed at atMs, it hits the next holder, a
   * waiter, or the next caller; `kind` is what it does, `peer` picks the
   * link (0 the server, 1 the storage) of a partition or hold.
   */
  aim?: FaultAim;
}

export interface FaultAim {
  role: AimedRole;
  /** Fire this long after the target is found. */
  delayMs: number;
  /** caller: only calls of this method. */
  method?: string;
  /** waiter: which waiter. */
  pick: number;
}

/** The plan kinds an aimed fault can take, and the action each stands for (loss and latency are not aimed). */
export const aimedActionOfKind: Readonly<Partial<Record<FaultPlanKind, AimedAction>>> = {
  pause: 'pause',
  crash: 'crash',
  partition: 'partition',
  hold: 'hold',
  drift: 'drift',
  serverRestart: 'serverRestart',
  slowApply: 'slowApply',
};

/** Calls whose in-flight moment a caller-aimed fault may pick (undefined: any call). */
export const aimedMethods: readonly (string | undefined)[] = [undefined, 'txn', 'deleteRange', 'put', 'range', 'leaseGrant'];

/** A fault plan: what the property draws and shrinks; {@link planSchedule} turns it into a FaultSchedule. */
export type FaultPlan = readonly FaultSpec[];

/** Options of {@link faultPlanArbitrary}. */
export interface FaultPlanOptions {
  /** The workload's client count (faults pick a process among them). @defaultValue 5 */
  clients?: number;
  /** Kinds to draw from. @defaultValue {@link defaultFaultKinds}: every kind but loss */
  kinds?: readonly FaultPlanKind[];
  /** At most this many faults (pairs). @defaultValue 4 */
  countMax?: number;
  /** Faults start in [windowStartMs, faultsEndMs). @defaultValue 1_000 */
  windowStartMs?: number;
  /** Every fault is over by then. @defaultValue 40_000 */
  faultsEndMs?: number;
  /** The longest pause. @defaultValue 15_000 */
  pauseMsMax?: number;
  /** The longest partition, hold, loss or latency spike, drift or slow apply. @defaultValue 15_000 */
  durationMsMax?: number;
  /** The shortest fault. @defaultValue 100 */
  durationMsMin?: number;
  /**
   * The share of faults aimed at a role (the next holder, a waiter, the next
   * caller) rather than at a process chosen blind; 0 turns aiming off.
   * @defaultValue 0.5
   */
  aimedShare?: number;
  /**
   * The lease TTL of the workload (s): aimed faults favour lengths around it
   * (half of it, just past it, past the client's deadline too).
   * @defaultValue 5
   */
  ttlSeconds?: number;
  /**
   * The links partitions, holds, loss and latency may cut: a process's link
   * to the etcd server, to the storage resource, or both.
   * @defaultValue ['server', 'storage']
   */
  links?: readonly FaultLink[];
}

/** A link a fault may cut: a process ↔ the etcd server, or a process ↔ the storage resource. */
export type FaultLink = 'server' | 'storage';
export const faultLinks: readonly FaultLink[] = ['server', 'storage'];

/** Parse `server,storage`. @throws RangeError on an unknown name or an empty list. */
export function parseFaultLinks(list: string): FaultLink[] {
  const links: FaultLink[] = [];
  for (const raw of list.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    if (name === 'all') return [...faultLinks];
    if (name !== 'server' && name !== 'storage') throw new RangeError(`unknown link '${name}' (known: server, storage, all)`);
    if (!links.includes(name)) links.push(name);
  }
  if (links.length === 0) throw new RangeError('name at least one link (server, storage)');
  return links;
}

/** The peer index (0 the server, 1 the storage) among those the links allow. */
function peerArbitrary(links: readonly FaultLink[]): fc.Arbitrary<number> {
  const indices = faultLinks.flatMap((link, index) => (links.includes(link) ? [index] : []));
  return indices.length === faultLinks.length ? fc.integer({ min: 0, max: faultLinks.length - 1 }) : fc.constantFrom(...indices);
}

export type ResolvedFaultPlanOptions = Required<FaultPlanOptions>;

export function resolveFaultPlanOptions(options: FaultPlanOptions = {}): ResolvedFaultPlanOptions {
  const resolved: ResolvedFaultPlanOptions = {
    clients: options.clients ?? 5,
    kinds: options.kinds ?? defaultFaultKinds,
    countMax: options.countMax ?? 4,
    windowStartMs: options.windowStartMs ?? 1_000,
    faultsEndMs: options.faultsEndMs ?? 40_000,
    pauseMsMax: options.pauseMsMax ?? 15_000,
    durationMsMax: options.durationMsMax ?? 15_000,
    durationMsMin: options.durationMsMin ?? 100,
    aimedShare: options.aimedShare ?? 0.5,
    links: options.links ?? faultLinks,
    ttlSeconds: options.ttlSeconds ?? 5,
  };
  if (resolved.links.length === 0) throw new RangeError('at least one link is needed');
  if (!(resolved.aimedShare >= 0 && resolved.aimedShare <= 1)) throw new RangeError(`aimedShare must be in [0, 1], got ${resolved.aimedShare}`);
  if (resolved.kinds.length === 0) throw new RangeError('at least one fault kind is needed');
  if (!(resolved.windowStartMs < resolved.faultsEndMs)) throw new RangeError('windowStartMs must be before faultsEndMs');
  if (!(resolved.durationMsMin <= Math.min(resolved.pauseMsMax, resolved.durationMsMax))) throw new RangeError('durationMsMin is above a maximum');
  return resolved;
}

/**
 * One fault: aimed at a role (with probability `aimedShare`) or at a process
 * chosen blind. Shrinks towards an aimed fault (fast-check's cross-shrink:
 * one well-placed fault explains a bug better than several blind ones), the
 * first kind listed, the earliest time, the first process, the etcd server,
 * both directions, the shortest duration and the mildest magnitude.
 */
export function faultSpecArbitrary(options: FaultPlanOptions = {}): fc.Arbitrary<FaultSpec> {
  const o = resolveFaultPlanOptions(options);
  const blind = blindFaultSpecArbitrary(o);
  const aimedKinds = o.kinds.filter((kind) => aimedActionOfKind[kind] !== undefined);
  if (o.aimedShare === 0 || aimedKinds.length === 0) return blind;
  if (o.aimedShare === 1) return aimedFaultSpecArbitrary(o);
  const weight = Math.round(o.aimedShare * 100);
  return fc.oneof({ withCrossShrink: true }, { arbitrary: aimedFaultSpecArbitrary(o), weight }, { arbitrary: blind, weight: 100 - weight });
}

/** A fault aimed at a role: armed at atMs, it fires on the role's next moment (src/sim/aimed-faults.ts). */
export function aimedFaultSpecArbitrary(options: FaultPlanOptions = {}): fc.Arbitrary<FaultSpec> {
  const o = resolveFaultPlanOptions(options);
  const kinds = o.kinds.filter((kind) => aimedActionOfKind[kind] !== undefined);
  if (kinds.length === 0) throw new RangeError(`no fault kind can be aimed among ${o.kinds.join(', ')}`);
  const durationMsMax = Math.max(o.pauseMsMax, o.durationMsMax);
  // Lengths that matter to a lease lock: within the lease, just past it, and past the client's keepalive
  // deadline while the server still keeps the lease (up to about two TTLs); a few ms either way.
  const ttlMs = o.ttlSeconds * 1000;
  const telling = [ttlMs / 2, ttlMs + 1_000, ttlMs + 2_000, 2 * ttlMs - 1_000, 2 * ttlMs]
    .map((ms) => Math.round(Math.min(Math.max(ms, o.durationMsMin), durationMsMax)))
    .filter((ms, i, all) => all.indexOf(ms) === i);
  const duration = fc.oneof(
    fc.integer({ min: o.durationMsMin, max: durationMsMax }),
    fc
      .tuple(fc.constantFrom(...telling), fc.integer({ min: -300, max: 300 }))
      .map(([ms, jitter]) => Math.min(Math.max(ms + jitter, o.durationMsMin), durationMsMax)),
  );
  return fc
    .record({
      atMs: fc.integer({ min: o.windowStartMs, max: o.faultsEndMs - 1 }),
      kind: fc.constantFrom(...kinds),
      role: fc.constantFrom<AimedRole>('holder', 'waiter', 'caller'),
      peer: peerArbitrary(o.links),
      direction: fc.constantFrom<FaultDirection>('both', 'out', 'in'),
      durationMs: duration,
      magnitude: fc.integer({ min: 0, max: 3 }),
      // Mostly at once ("right after it acquires"), sometimes a little later (in the middle of the work).
      delayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3_000 })),
      method: fc.constantFrom(...aimedMethods),
      pick: fc.integer({ min: 0, max: Math.max(0, o.clients - 1) }),
    })
    .map(({ role, delayMs, method, pick, ...spec }) => {
      const aim: FaultAim = { role, delayMs, pick };
      if (role === 'caller' && method !== undefined) aim.method = method;
      return { ...spec, process: 0, durationMs: Math.min(spec.durationMs, spec.kind === 'pause' ? o.pauseMsMax : o.durationMsMax), aim };
    });
}

/** A fault at a process chosen blind, at a time chosen blind. */
function blindFaultSpecArbitrary(o: ResolvedFaultPlanOptions): fc.Arbitrary<FaultSpec> {
  const durationMsMax = Math.max(o.pauseMsMax, o.durationMsMax);
  return fc
    .record({
      atMs: fc.integer({ min: o.windowStartMs, max: o.faultsEndMs - 1 }),
      kind: fc.constantFrom(...o.kinds),
      process: fc.integer({ min: 0, max: o.clients - 1 }),
      peer: peerArbitrary(o.links),
      direction: fc.constantFrom<FaultDirection>('both', 'out', 'in'),
      durationMs: fc.integer({ min: o.durationMsMin, max: durationMsMax }),
      magnitude: fc.integer({ min: 0, max: 3 }),
    })
    .map((spec) => ({ ...spec, durationMs: Math.min(spec.durationMs, spec.kind === 'pause' ? o.pauseMsMax : o.durationMsMax) }));
}

/** A plan of 0 to countMax faults (shrinks by dropping faults, then by shrinking each). */
export function faultPlanArbitrary(options: FaultPlanOptions = {}): fc.Arbitrary<FaultPlan> {
  const o = resolveFaultPlanOptions(options);
  return fc.array(faultSpecArbitrary(o), { minLength: 0, maxLength: o.countMax });
}

const lossProbabilities = [0.2, 0.4, 0.6, 0.9];
const latencyMaxMs = [200, 1000, 3000, 8000];
const driftRates = [0.5, 2, 0.25, 4];
const serverDownMs = [0, 500, 2000, 6000];
const slowApplyMs = [50, 300, 1000, 3000];

/**
 * The scheduled faults a plan stands for, sorted by time (ties keep plan
 * order). `faultsEndMs` cuts every fault short at the start of the quiet tail.
 */
export function planSchedule(plan: FaultPlan, options: { clients: number; faultsEndMs: number; members?: number }): ScheduledFault[] {
  const processes = clientNames(options.clients);
  // A member fault picks its member by the spec's process index (shrinking towards etcd1); without a cluster it does nothing.
  const members = options.members !== undefined && options.members >= 2 ? memberNames(options.members) : [];
  const peers = [serverNode, resourceName];
  const schedule: ScheduledFault[] = [];
  for (const spec of plan) {
    const process = processes[Math.min(spec.process, processes.length - 1)]!;
    const peer = peers[Math.min(spec.peer, peers.length - 1)]!;
    const magnitude = Math.min(Math.max(spec.magnitude, 0), 3);
    const atMs = Math.min(spec.atMs, options.faultsEndMs - 1);
    if (spec.aim !== undefined) {
      const aimed = aimedFaultOf(spec, spec.aim, magnitude, options.faultsEndMs);
      if (aimed !== undefined) schedule.push({ atMs, fault: aimed });
      continue;
    }
    const endMs = Math.min(atMs + Math.max(1, spec.durationMs), options.faultsEndMs);
    for (const [start, end] of specFaults(spec, process, peer, magnitude, members)) {
      schedule.push({ atMs, fault: start });
      if (end !== undefined) schedule.push({ atMs: endMs, fault: end });
    }
  }
  return schedule
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.atMs - b.entry.atMs || a.index - b.index)
    .map(({ entry }) => entry);
}

/** The faults one unaimed spec stands for, in order: a start with the end that undoes it, or a start alone. */
function specFaults(spec: FaultSpec, process: string, peer: string, magnitude: number, members: readonly string[]): [start: Fault, end?: Fault][] {
  const link: { from: string; to: string; oneWay?: boolean } =
    spec.direction === 'both'
      ? { from: process, to: peer }
      : spec.direction === 'out'
        ? { from: process, to: peer, oneWay: true }
        : { from: peer, to: process, oneWay: true };
  const faults: [start: Fault, end?: Fault][] = [];
  const pair = (start: Fault, end: Fault) => faults.push([start, end]);
  switch (spec.kind) {
    case 'pause':
      pair({ kind: 'pause', process }, { kind: 'resume', process });
      break;
    case 'crash':
      pair({ kind: 'crash', process }, { kind: 'restart', process });
      break;
    case 'partition':
      pair({ kind: 'partition', ...link }, { kind: 'heal', ...link });
      break;
    case 'hold':
      pair({ kind: 'hold', ...link }, { kind: 'release', ...link });
      break;
    case 'loss':
      pair({ kind: 'loss', probability: lossProbabilities[magnitude]!, ...link }, { kind: 'loss', probability: 0, ...link });
      break;
    case 'latency':
      pair({ kind: 'latency', latencyMs: { min: 50, max: latencyMaxMs[magnitude]! }, ...link }, { kind: 'latency', ...link });
      break;
    case 'drift':
      pair({ kind: 'drift', process, driftRate: driftRates[magnitude]! }, { kind: 'drift', process, driftRate: 1 });
      break;
    case 'serverRestart': {
      const downMs = serverDownMs[magnitude]!;
      faults.push([downMs > 0 ? { kind: 'serverRestart', downMs } : { kind: 'serverRestart' }]);
      break;
    }
    case 'slowApply':
      pair({ kind: 'slowApply', delayMs: slowApplyMs[magnitude]! }, { kind: 'slowApply', delayMs: 0 });
      break;
    case 'memberIsolate': {
      if (members.length === 0) break;
      const member = members[spec.process % members.length]!;
      for (const peer of members) if (peer !== member) pair({ kind: 'partition', from: member, to: peer }, { kind: 'heal', from: member, to: peer });
      break;
    }
    case 'memberCrash': {
      if (members.length === 0) break;
      const member = members[spec.process % members.length]!;
      pair({ kind: 'crash', process: member }, { kind: 'restart', process: member });
      break;
    }
    case 'memberSlow': {
      if (members.length === 0) break;
      const member = members[spec.process % members.length]!;
      pair({ kind: 'slowApply', delayMs: slowApplyMs[magnitude]!, member }, { kind: 'slowApply', delayMs: 0, member });
      break;
    }
    default:
      assertNever(spec.kind, 'fault plan kind');
  }
  return faults;
}

/** The aimed fault a spec stands for (undefined for a kind that cannot be aimed). */
function aimedFaultOf(spec: FaultSpec, aim: FaultAim, magnitude: number, untilMs: number): Fault | undefined {
  const action = aimedActionOfKind[spec.kind];
  if (action === undefined) return undefined;
  const fault: Fault = { kind: 'aimed', role: aim.role, action, durationMs: Math.max(1, spec.durationMs), untilMs };
  if (aim.delayMs > 0) fault.delayMs = aim.delayMs;
  if (action === 'partition' || action === 'hold') {
    if (spec.peer >= 1) fault.link = 'storage';
    if (spec.direction !== 'both') fault.direction = spec.direction;
  }
  if (action === 'drift') fault.magnitude = driftRates[magnitude]!;
  if (action === 'slowApply') fault.magnitude = slowApplyMs[magnitude]!;
  if (action === 'serverRestart') fault.durationMs = Math.max(1, serverDownMs[magnitude]!);
  if (aim.role === 'waiter' && aim.pick > 0) fault.pick = aim.pick;
  if (aim.role === 'caller' && aim.method !== undefined) fault.method = aim.method;
  return fault;
}

/** The workload knobs a property may vary. */
export interface WorkloadArbitraryOptions {
  /** Client counts to draw from. @defaultValue exactly the given `clients` (5) */
  clients?: { min: number; max: number };
  /** TTLs (s) to draw from. @defaultValue exactly 5 */
  ttlSeconds?: { min: number; max: number };
  /** Bounds of the critical section's longest length (ms). @defaultValue exactly 200–2000 */
  criticalSectionMsMax?: { min: number; max: number };
}

/**
 * Workload options: client count, TTL and critical-section length. Shrinks
 * towards fewer clients, shorter TTLs and shorter critical sections.
 */
export function workloadArbitrary(options: WorkloadArbitraryOptions = {}): fc.Arbitrary<WorkloadOptions> {
  const clients = options.clients ?? { min: 5, max: 5 };
  const ttl = options.ttlSeconds ?? { min: 5, max: 5 };
  const cs = options.criticalSectionMsMax ?? { min: 2000, max: 2000 };
  return fc
    .record({
      clients: fc.integer(clients),
      ttlSeconds: fc.integer(ttl),
      criticalSectionMsMax: fc.integer(cs),
    })
    .map(({ clients, ttlSeconds, criticalSectionMsMax }) => ({
      clients,
      ttlSeconds,
      criticalSectionMs: { min: Math.min(200, criticalSectionMsMax), max: criticalSectionMsMax },
    }));
}

/** One line per scheduled fault: ` 10.000  pause alice`. */
export function describeSchedule(schedule: readonly ScheduledFault[]): string[] {
  return schedule.map(({ atMs, fault }) => `${(atMs / 1000).toFixed(3).padStart(8)}  ${describeFault(fault)}`);
}
