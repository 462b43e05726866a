/**
 * The fault vocabulary, as data: a script says `world.pause('alice')`, a
 * generated schedule says `{ atMs: 10_000, fault: { kind: 'pause', process: 'alice' } }`,
 * and both end up in `World.apply(fault)` and in the trace as the same thing.
 * Faults come in pairs:
 *
 *   crash / restart        volatile state lost, pending calls never answer; restart runs main again
 *   pause / resume         stop-the-world: timers and messages wait, the local clock runs on
 *   partition / heal       messages dropped (one way or both; process ↔ server or ↔ resource)
 *   hold / release         messages delayed until release, then delivered in order
 *   loss, latency          a link (or the whole network) drops or slows messages, until set back
 *   drift                  a process's clock runs at another rate, or jumps
 *   serverRestart          etcd restarts: data kept, every lease promoted, connections dropped
 *   slowApply              the server waits this long before applying each request
 *   aimed                  one of the above aimed at a role (the holder right after it
 *                          acquires, a waiter while it waits, the process whose call is in
 *                          flight), resolved when the run gets there: src/sim/aimed-faults.ts
 */
import { assertNever } from '../store/assert.ts';
import type { LatencyDistribution } from './network.ts';
import { RandomStream, type Seed } from './random.ts';

/** The etcd server's node name on the network. */
export const serverNode = 'server';

/** One fault as data: crash/restart, pause/resume, partition/heal, hold/release, loss, latency, drift, serverRestart, slowApply. */
export type Fault =
  | { kind: 'crash'; process: string }
  | { kind: 'restart'; process: string }
  | { kind: 'pause'; process: string }
  | { kind: 'resume'; process: string }
  /** Drop messages between two nodes (only from → to when oneWay). */
  | { kind: 'partition'; from: string; to: string; oneWay?: boolean }
  /** Heal a partition, or every partition when from/to are left out. */
  | { kind: 'heal'; from?: string; to?: string; oneWay?: boolean }
  | { kind: 'hold'; from: string; to: string; oneWay?: boolean }
  /** Release held messages, or all of them when from/to are left out. */
  | { kind: 'release'; from?: string; to?: string; oneWay?: boolean }
  /** Lose messages with this probability on a link, or everywhere when from/to are left out; 0 ends it. */
  | { kind: 'loss'; probability: number; from?: string; to?: string; oneWay?: boolean }
  /** A latency spike on a link, or everywhere; leave latencyMs out to restore the network's own. */
  | { kind: 'latency'; latencyMs?: LatencyDistribution; from?: string; to?: string; oneWay?: boolean }
  /** Set a process's clock rate (1 = true time) and/or jump its clock by jumpMs. */
  | { kind: 'drift'; process: string; driftRate?: number; jumpMs?: number }
  /** etcd restarts (down for downMs, default 0): data kept, leases promoted, connections dropped. */
  | { kind: 'serverRestart'; downMs?: number }
  /** The server waits delayMs before applying each request; 0 ends it. In a cluster: every member, or only `member`, applies committed entries that late. */
  | { kind: 'slowApply'; delayMs: number; member?: string }
  /** A fault aimed at a role, armed now and fired when the run gets there (src/sim/aimed-faults.ts). */
  | AimedFault;

/**
 * Who an aimed fault hits, found at run time from what the run did:
 * - holder: the next process to acquire the lock (right after it acquires);
 * - waiter: a process waiting for the lock now (the `pick`-th by when it
 *   started waiting), or else the next to start waiting;
 * - caller: the next process to send a call (of `method`, if given), while
 *   that call is in flight.
 */
export type AimedRole = 'holder' | 'waiter' | 'caller';
export const aimedRoles: readonly AimedRole[] = ['holder', 'waiter', 'caller'];

/** What an aimed fault does to its target: to the process, to its link (`link`), or to the server. */
export type AimedAction = 'pause' | 'crash' | 'partition' | 'hold' | 'drift' | 'serverRestart' | 'slowApply';
export const aimedActions: readonly AimedAction[] = ['pause', 'crash', 'partition', 'hold', 'drift', 'serverRestart', 'slowApply'];

export interface AimedFault {
  kind: 'aimed';
  role: AimedRole;
  action: AimedAction;
  /** How long the fault lasts once it fires (serverRestart: how long the server is down). */
  durationMs: number;
  /** Fire this long after the target is found. @defaultValue 0 */
  delayMs?: number;
  /** partition/hold: the target's link to the etcd server or to the storage resource. @defaultValue 'server' */
  link?: 'server' | 'storage';
  /** partition/hold: both ways, only target → peer ('out'), or only peer → target ('in'). @defaultValue 'both' */
  direction?: 'both' | 'out' | 'in';
  /** waiter: which of the current waiters, by when they started waiting (wraps around). @defaultValue 0 */
  pick?: number;
  /** caller: only calls of this method (txn, put, deleteRange, range, leaseGrant, …). */
  method?: string;
  /** drift: the rate; slowApply: the delay per request (ms). */
  magnitude?: number;
  /** Lapse if not fired by then, and be over by then (virtual ms). */
  untilMs?: number;
}

/** The kind of a {@link Fault}. */
export type FaultKind = Fault['kind'];

/** A fault and the virtual time it is applied at. */
export interface ScheduledFault {
  atMs: number;
  fault: Fault;
}

/** Faults with their virtual times, for `sim.faults()`. */
export type FaultSchedule = readonly ScheduledFault[];

/**
 * Fault pairing, in one place: which faults undo which. A fault that starts
 * something (a pause, a partition, a latency spike) is undone by its partner
 * (resume, heal, latency without a distribution) on the same process, or on
 * links that cover the ones it touched: `heal a ↔ b` undoes `partition b → a`
 * (one way) and `partition b ↔ a`; `heal` with no link undoes every
 * partition; `heal a → b` does not undo `partition a ↔ b`, which still drops
 * b → a. A clock jump without a rate change is a point, not a start.
 */
export function isUndoFault(fault: Fault): boolean {
  switch (fault.kind) {
    case 'resume':
    case 'restart':
    case 'heal':
    case 'release':
      return true;
    case 'loss':
      return fault.probability === 0;
    case 'latency':
      return fault.latencyMs === undefined;
    case 'slowApply':
      return fault.delayMs === 0;
    case 'drift':
      return (fault.driftRate ?? 1) === 1 && fault.jumpMs === undefined;
    case 'crash':
    case 'pause':
    case 'partition':
    case 'hold':
    case 'serverRestart':
    case 'aimed':
      return false;
    default:
      return assertNever(fault, 'fault kind');
  }
}

/** A fault that happens at an instant and lasts nothing: a clock jump with no rate change. */
export function isPointFault(fault: Fault): boolean {
  return fault.kind === 'drift' && fault.driftRate === undefined;
}

/** Does `end` undo `start`? (See {@link isUndoFault} for the pairing and the link rule.) */
export function undoesFault(start: Fault, end: Fault): boolean {
  if (!isUndoFault(end) || isUndoFault(start) || isPointFault(start)) return false;
  switch (start.kind) {
    case 'pause':
      return end.kind === 'resume' && end.process === start.process;
    case 'crash':
      return end.kind === 'restart' && end.process === start.process;
    case 'partition':
      return end.kind === 'heal' && coversLinks(end, start);
    case 'hold':
      return end.kind === 'release' && coversLinks(end, start);
    case 'loss':
      return end.kind === 'loss' && coversLinks(end, start);
    case 'latency':
      return end.kind === 'latency' && coversLinks(end, start);
    case 'slowApply':
      // a member's slow apply is undone for that member (or for every member)
      return end.kind === 'slowApply' && (end.member === undefined || end.member === start.member);
    case 'drift':
      return end.kind === 'drift' && end.process === start.process;
    case 'resume':
    case 'restart':
    case 'heal':
    case 'release':
    case 'serverRestart':
    case 'aimed':
      return false;
    default:
      return assertNever(start, 'fault kind');
  }
}

/** The directed links (`from→to`) a link fault selects; undefined when it selects every link. */
function directedLinks(fault: { from?: string; to?: string; oneWay?: boolean }): string[] | undefined {
  if (fault.from === undefined || fault.to === undefined) return undefined;
  return fault.oneWay === true ? [`${fault.from}→${fault.to}`] : [`${fault.from}→${fault.to}`, `${fault.to}→${fault.from}`];
}

/** Does `end` select every directed link `start` selected (the network's own selection rule)? */
function coversLinks(end: { from?: string; to?: string; oneWay?: boolean }, start: { from?: string; to?: string; oneWay?: boolean }): boolean {
  const ended = directedLinks(end);
  if (ended === undefined) return true;
  const started = directedLinks(start);
  return started?.every((link) => ended.includes(link)) ?? false;
}

function link(fault: { from?: string; to?: string; oneWay?: boolean }): string {
  if (fault.from === undefined || fault.to === undefined) return 'everywhere';
  return `${fault.from} ${fault.oneWay ? '→' : '↔'} ${fault.to}`;
}

function latency(distribution: LatencyDistribution | undefined): string {
  if (distribution === undefined) return 'default';
  if (typeof distribution === 'number') return `${distribution}ms`;
  if ('max' in distribution) return `${distribution.min}-${distribution.max}ms`;
  return `${distribution.min ?? 0}ms+exp(${distribution.mean}ms)`;
}

/** One line: `partition alice ↔ server`, `drift bob rate 1.5 jump +200ms`. */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      return `${fault.kind} ${fault.process}`;
    case 'partition':
    case 'heal':
    case 'hold':
    case 'release':
      return `${fault.kind} ${link(fault)}`;
    case 'loss':
      return `loss ${fault.probability} ${link(fault)}`;
    case 'latency':
      return `latency ${latency(fault.latencyMs)} ${link(fault)}`;
    case 'drift': {
      const parts = [`drift ${fault.process}`];
      if (fault.driftRate !== undefined) parts.push(`rate ${fault.driftRate}`);
      if (fault.jumpMs !== undefined) parts.push(`jump ${fault.jumpMs >= 0 ? '+' : ''}${fault.jumpMs}ms`);
      return parts.join(' ');
    }
    case 'serverRestart':
      return fault.downMs ? `serverRestart down ${fault.downMs}ms` : 'serverRestart';
    case 'slowApply':
      return `slowApply ${fault.delayMs}ms${fault.member !== undefined ? ` ${fault.member}` : ''}`;
    case 'aimed':
      return describeAimedFault(fault);
  }
}

const roleWords: Record<AimedRole, string> = {
  holder: 'the next holder, right after it acquires',
  waiter: 'a waiter, while it waits',
  caller: 'the next caller, while its call is in flight',
};

/** `aimed pause at the next holder, right after it acquires, for 6000ms`. */
export function describeAimedFault(fault: AimedFault): string {
  const parts = [`aimed ${fault.action}`];
  if (fault.action === 'partition' || fault.action === 'hold') {
    const arrow = fault.direction === 'out' ? '→' : fault.direction === 'in' ? '←' : '↔';
    parts.push(`${arrow} ${fault.link ?? 'server'}`);
  }
  if (fault.action === 'drift' && fault.magnitude !== undefined) parts.push(`rate ${fault.magnitude}`);
  if (fault.action === 'slowApply' && fault.magnitude !== undefined) parts.push(`${fault.magnitude}ms`);
  let role = roleWords[fault.role];
  if (fault.role === 'waiter' && fault.pick) role += ` (#${fault.pick})`;
  if (fault.role === 'caller' && fault.method !== undefined) role = `the next ${fault.method} caller, while the call is in flight`;
  parts.push(`at ${role}${fault.delayMs ? ` + ${fault.delayMs}ms` : ''},`);
  parts.push(fault.action === 'serverRestart' ? `down ${fault.durationMs}ms` : `for ${fault.durationMs}ms`);
  return parts.join(' ');
}

/** Options of {@link randomFaultSchedule}. */
export interface FaultScheduleOptions {
  /** Processes the faults may hit. */
  processes: readonly string[];
  /** Resources whose links may be cut. */
  resources?: readonly string[];
  /** Faults start in [0, untilMs). */
  untilMs: number;
  /** How many fault pairs (a pause and its resume count as one). */
  count: number;
  /** How long a fault lasts at most. @defaultValue 10_000 */
  durationMsMax?: number;
  /** Kinds to draw from. @defaultValue every pair but crash/restart and serverRestart */
  kinds?: readonly ('crash' | 'pause' | 'partition' | 'hold' | 'loss' | 'latency' | 'drift' | 'serverRestart' | 'slowApply')[];
}

/**
 * A random schedule of paired faults (each fault is undone later), sorted by
 * time: what a property test or explorer hands to `sim.faults()`. Give it a
 * seed (it draws from that seed's `faults` stream, as a Sim with that seed
 * would) or a {@link RandomStream} of your own.
 *
 *   sim.faults(randomFaultSchedule(7, { processes: ['alice', 'bob'], untilMs: 30_000, count: 3 }));
 */
export function randomFaultSchedule(source: Seed | RandomStream, options: FaultScheduleOptions): ScheduledFault[] {
  const random = source instanceof RandomStream ? source : new RandomStream(source, 'faults');
  const kinds = options.kinds ?? ['pause', 'partition', 'hold', 'loss', 'latency', 'drift', 'slowApply'];
  const durationMsMax = options.durationMsMax ?? 10_000;
  const peers = [serverNode, ...(options.resources ?? [])];
  const schedule: ScheduledFault[] = [];
  for (let i = 0; i < options.count; i++) {
    const atMs = random.int(0, Math.max(0, options.untilMs - 1));
    const endMs = atMs + random.int(1, durationMsMax);
    const process = random.pick(options.processes);
    const peer = random.pick(peers);
    const oneWay = random.chance(0.3);
    const outward = random.chance(0.5);
    const selector = !oneWay ? { from: process, to: peer } : outward ? { from: process, to: peer, oneWay: true } : { from: peer, to: process, oneWay: true };
    switch (random.pick(kinds)) {
      case 'crash':
        schedule.push({ atMs, fault: { kind: 'crash', process } }, { atMs: endMs, fault: { kind: 'restart', process } });
        break;
      case 'pause':
        schedule.push({ atMs, fault: { kind: 'pause', process } }, { atMs: endMs, fault: { kind: 'resume', process } });
        break;
      case 'partition':
        schedule.push({ atMs, fault: { kind: 'partition', ...selector } }, { atMs: endMs, fault: { kind: 'heal', ...selector } });
        break;
      case 'hold':
        schedule.push({ atMs, fault: { kind: 'hold', ...selector } }, { atMs: endMs, fault: { kind: 'release', ...selector } });
        break;
      case 'loss':
        schedule.push(
          { atMs, fault: { kind: 'loss', probability: random.int(1, 5) / 10, ...selector } },
          { atMs: endMs, fault: { kind: 'loss', probability: 0, ...selector } },
        );
        break;
      case 'latency':
        schedule.push(
          { atMs, fault: { kind: 'latency', latencyMs: { min: 50, max: random.int(100, 3000) }, ...selector } },
          { atMs: endMs, fault: { kind: 'latency', ...selector } },
        );
        break;
      case 'drift':
        schedule.push(
          { atMs, fault: { kind: 'drift', process, driftRate: random.pick([0.5, 0.9, 1.1, 2]) } },
          { atMs: endMs, fault: { kind: 'drift', process, driftRate: 1 } },
        );
        break;
      case 'serverRestart':
        schedule.push({ atMs, fault: { kind: 'serverRestart', downMs: random.int(0, 2000) } });
        break;
      case 'slowApply':
        schedule.push({ atMs, fault: { kind: 'slowApply', delayMs: random.int(10, 2000) } }, { atMs: endMs, fault: { kind: 'slowApply', delayMs: 0 } });
        break;
    }
  }
  // Stable sort: equal times keep the order they were drawn in.
  return schedule.sort((a, b) => a.atMs - b.atMs);
}
