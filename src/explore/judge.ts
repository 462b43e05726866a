/**
 * The explorer's verdict on one run: which lock properties (docs/design.md, "The
 * explorer and the judges") the run broke, where, and whether that is a
 * bug of the algorithm or a known limitation of every lease lock.
 *
 *   belief    no two clients believe they hold the lock at once. An overlap is
 *             a `limitation` when the stale believer lost its key to its lease
 *             expiring during a fault on it (a pause, a partition, drift…) and
 *             it stopped believing as soon as its client knew; any other
 *             overlap is a `bug`.
 *   fenced    the resource never accepts a stale write: judged by the
 *             server's ownership epochs (src/check/lock-ownership.ts), not by
 *             the tokens; a fence that turns the owner away is a bug too.
 *   liveness  once every fault has healed and the server serves again, a free
 *             lock that someone wants is acquired within TTL + election
 *             timeout + sweep + the keepalive deadline tick + slack.
 *   crash     acquire() or release() threw a programming error (TypeError…).
 *             Always judged.
 *
 *   judgeRun(history, ['belief'], options) → [{ property: 'belief', verdict: 'bug', atMs: 23_004, processes: ['alice', 'bob'],
 *                                              message: 'bob acquired the lock (token 12) while alice believed it held it (token 7): …' }]
 */
import { checkLiveness } from '../check/liveness.ts';
import { epochAt, latestClaim, lockOwnership, checkWritesByOwnership, type LockClaim, type LockOwnership, type OwnedWrite } from '../check/lock-ownership.ts';
import type { BeliefInterval } from '../check/beliefs.ts';
import { checkMutualExclusion, type MutualExclusionViolation } from '../check/mutual-exclusion.ts';
import { keepAliveDeadlineCheckIntervalMs } from '../client/lease.ts';
import { describeFault, serverNode, type Fault } from '../sim/faults.ts';
import { electionTimeoutMs, leaseSweepIntervalMs } from '../store/limits.ts';
import type { ExploreHistory, FaultSpan } from './history.ts';

/** A property a lock is judged by: `belief` (mutual exclusion), `fenced` (no stale write accepted), `liveness`, `crash` (acquire or release threw a programming error). */
export type LockProperty = 'belief' | 'fenced' | 'liveness' | 'crash';
/** Every property, in the order they are judged. */
export const lockProperties: readonly LockProperty[] = ['belief', 'fenced', 'liveness', 'crash'];

/**
 * - `bug`: the algorithm broke the property (exit 1);
 * - `limitation`: inherent to lease locks (a fault longer than the lease), reported with the fault (exit 0);
 * - `unknown`: the run cannot be judged (ownership not established): not a pass.
 */
export type ViolationVerdict = 'bug' | 'limitation' | 'unknown';

/** A broken property, with when and who. */
export interface Violation {
  property: LockProperty;
  verdict: ViolationVerdict;
  /** Virtual time of the violating event. */
  atMs: number;
  /** The processes involved. */
  processes: string[];
  message: string;
}

export interface JudgeOptions {
  ttlSeconds: number;
  /** The run's virtual length. */
  durationMs: number;
  /** Liveness is judged from here on (after the last fault has healed and the server is up). */
  quietFromMs: number;
  /** Slack over the liveness bound. @defaultValue 5_000 */
  livenessSlackMs?: number;
  /** Whether the resource checked tokens. */
  fenced: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

const ownerships = new WeakMap<ExploreHistory, LockOwnership>();

/** The run's ownership epochs (computed once per history). */
export function ownershipOf(history: ExploreHistory): LockOwnership {
  let ownership = ownerships.get(history);
  if (ownership === undefined) ownerships.set(history, (ownership = lockOwnership(history.lockKeyChanges)));
  return ownership;
}

/** Does a fault stop `process`'s keepalives from reaching the server (or their answers from coming back)? */
export function blocksKeepalives(fault: Fault, process: string): boolean {
  switch (fault.kind) {
    case 'crash':
      // A crashed cluster member: any client's keepalives may ride through it.
      return isMemberName(fault.process);
    case 'pause':
    case 'drift':
      return fault.process === process;
    case 'serverRestart':
      // Down for downMs: nobody's keepalive is answered (the span is the downtime).
      return (fault.downMs ?? 0) > 0;
    case 'partition':
    case 'hold':
    case 'loss':
    case 'latency':
      if (fault.from === undefined || fault.to === undefined) return true;
      // In a cluster a keepalive goes client → member → leader: a cut on any link to or between members may be the one.
      if (isMemberName(fault.from) || isMemberName(fault.to)) return true;
      return (fault.from === process && fault.to === serverNode) || (fault.from === serverNode && fault.to === process);
    default:
      return false;
  }
}

/** etcd1, etcd2, …: a cluster member's node name (src/sim/cluster). */
function isMemberName(name: string): boolean {
  return /^etcd[1-9]$/.test(name);
}

/** How long a fault's effect outlasts it: messages sent during a latency spike still arrive that late. */
export function lingersMs(fault: Fault): number {
  if (fault.kind !== 'latency' || fault.latencyMs === undefined) return 0;
  const latency = fault.latencyMs;
  if (typeof latency === 'number') return latency;
  if ('max' in latency) return latency.max;
  // An exponential tail: a generous bound.
  return (latency.min ?? 0) + latency.mean * 10;
}

function describeSpan(span: FaultSpan): string {
  return `${describeFault(span.fault)} ${seconds(span.fromMs)}–${seconds(span.toMs)}`;
}

function describeClaim(claim: LockClaim): string {
  return `key ${JSON.stringify(claim.key)} put at rev ${claim.revision} (${seconds(claim.timeMs)})`;
}

/**
 * Why a belief overlap happened. Every believer that was not the server's
 * owner then must be excused: its key went with its lease, the lease expired
 * during a fault that cut its keepalives, and it stopped believing as soon as
 * its client knew. Then the overlap is a `limitation`; otherwise a `bug`,
 * with what the server says.
 */
export function classifyOverlap(
  overlap: MutualExclusionViolation,
  history: ExploreHistory,
  ownership: LockOwnership,
  ttlSeconds: number,
): { verdict: 'bug' | 'limitation'; cause: string } {
  const owner = epochAt(ownership, overlap.fromMs);
  const ownerProcess = owner?.claim.process;
  const stale: BeliefInterval[] = [overlap.first, overlap.second].filter((belief) => belief.process !== ownerProcess);
  const ownerText = owner === undefined ? 'nobody owned it on the server' : `the server's owner was ${String(ownerProcess)} (${describeClaim(owner.claim)})`;
  const causes: string[] = [];
  for (const belief of stale) {
    const excuse = excuseStaleBelief(belief, overlap.fromMs, history, ownership, ttlSeconds);
    if (!excuse.excused) return { verdict: 'bug', cause: `${excuse.cause}; at ${seconds(overlap.fromMs)} ${ownerText}` };
    causes.push(excuse.cause);
  }
  return { verdict: 'limitation', cause: `known limitation of lease locks: ${causes.join('; ')}; only a fencing token protects the resource` };
}

/** Is a believer that did not own the lock at `atMs` excused by a fault longer than its lease? */
function excuseStaleBelief(
  belief: BeliefInterval,
  atMs: number,
  history: ExploreHistory,
  ownership: LockOwnership,
  ttlSeconds: number,
): { excused: boolean; cause: string } {
  const process = String(belief.process);
  const claim = latestClaim(ownership, process, belief.fromMs);
  if (claim === undefined) return { excused: false, cause: `${process} believed without ever putting a lock key on the server` };
  const end = claim.end;
  if (end === undefined || end.timeMs > atMs)
    return { excused: false, cause: `${process} believed while its ${describeClaim(claim)} was there but not the owner` };
  if (end.how !== 'expired') {
    const by = end.by === undefined ? 'the server' : String(end.by) === process ? `${process} itself` : String(end.by);
    return {
      excused: false,
      cause: `${process}'s ${describeClaim(claim)} was ${end.how} by ${by}'s request at rev ${end.revision} (${seconds(end.timeMs)}), not by its lease expiring`,
    };
  }
  const windowFromMs = end.timeMs - ttlSeconds * 1000 - leaseSweepIntervalMs - keepAliveDeadlineCheckIntervalMs;
  const fault = history.faultSpans.find(
    (span) => blocksKeepalives(span.fault, process) && span.fromMs <= end.timeMs && span.toMs + lingersMs(span.fault) >= windowFromMs,
  );
  if (fault === undefined)
    return { excused: false, cause: `${process}'s lease expired at ${seconds(end.timeMs)} (rev ${end.revision}) with no fault cutting its keepalives` };
  // When its client learned the lease behind its key was gone (any lease, if the key had none we know of).
  const knew = history.leaseLosses.find(
    (loss) => loss.process === process && loss.timeMs >= claim.timeMs && (claim.lease === undefined || loss.leaseId === claim.lease),
  );
  if (knew !== undefined && belief.toMs > Math.max(knew.timeMs, belief.fromMs))
    return {
      excused: false,
      cause: `${process} went on believing until ${seconds(belief.toMs)} although its client knew at ${seconds(knew.timeMs)} that its lease was lost (${knew.reason})`,
    };
  return {
    excused: true,
    cause: `${process}'s lease expired at ${seconds(end.timeMs)} (rev ${end.revision}) during ${describeSpan(fault)} and it stopped believing as soon as it could know`,
  };
}

/** Mutual exclusion of belief, each overlap classified as a bug or a limitation. */
export function judgeBelief(history: ExploreHistory, options: JudgeOptions): Violation[] {
  const ownership = ownershipOf(history);
  return checkMutualExclusion(history.lockEvents, { endMs: options.durationMs }).violations.map((overlap) => {
    const [first, second] = [String(overlap.first.process), String(overlap.second.process)];
    const { verdict, cause } = classifyOverlap(overlap, history, ownership, options.ttlSeconds);
    return {
      property: 'belief',
      verdict,
      atMs: overlap.fromMs,
      processes: [first, second],
      message: `${second} acquired the lock (token ${overlap.second.fencingToken ?? '?'}) while ${first} believed it held it (token ${overlap.first.fencingToken ?? '?'}): ${cause}`,
    };
  });
}

const token = (write: OwnedWrite) => (write.fencingToken === undefined || write.fencingToken === -1 ? 'no token' : `token ${write.fencingToken}`);

/**
 * Fenced safety by the server's truth: an accepted write is stale when a write
 * from a later ownership epoch was accepted before it, whatever the tokens;
 * a fence that rejects the owner's write is a bug too. Unfenced resources are
 * judged the same way.
 */
export function judgeFenced(history: ExploreHistory, options: JudgeOptions): Violation[] {
  const ownership = ownershipOf(history);
  const writes: OwnedWrite[] = history.writes.map((write) => ({
    timeMs: write.timeMs,
    process: write.process,
    fencingToken: write.fencingToken,
    accepted: write.accepted,
    ...(write.acquiredMs !== undefined ? { acquiredMs: write.acquiredMs } : {}),
  }));
  const verdict = checkWritesByOwnership(ownership, writes, { fenced: options.fenced });
  if (verdict.result === 'unknown') {
    const first = history.writes.find((write) => write.accepted)!;
    return [
      {
        property: 'fenced',
        verdict: 'unknown',
        atMs: first.timeMs,
        processes: [first.process],
        message: `cannot judge the resource's writes: ${verdict.reason}`,
      },
    ];
  }
  return verdict.violations.map((violation): Violation => {
    const writer = String(violation.write.process);
    switch (violation.kind) {
      case 'stale-write': {
        const overtaken = String(violation.overtaken.process);
        const [late, early] = [violation.write.fencingToken ?? -1, violation.overtaken.fencingToken ?? -1];
        const tokens = !options.fenced
          ? ' The resource does not fence.'
          : late >= early
            ? ` The fence let it through: token ${late} is not below ${early}, so the token does not grow with ownership.`
            : ` Token ${late} is below ${early}, yet the resource accepted it.`;
        return {
          property: 'fenced',
          verdict: 'bug',
          atMs: violation.write.timeMs,
          processes: [writer, overtaken],
          message: `the resource accepted a stale write by ${writer} (${token(violation.write)}, from its ${describeClaim(violation.claim)}) after accepting ${overtaken}'s (${token(violation.overtaken)}, from its later ${describeClaim(violation.overtakenClaim)}) at ${seconds(violation.overtaken.timeMs)}.${tokens}`,
        };
      }
      case 'unowned-write':
        return {
          property: 'fenced',
          verdict: 'bug',
          atMs: violation.write.timeMs,
          processes: [writer],
          message: `the resource accepted a write by ${writer} (${token(violation.write)}), which never put a lock key on the server`,
        };
      case 'rejected-owner':
        return {
          property: 'fenced',
          verdict: 'bug',
          atMs: violation.write.timeMs,
          processes: violation.highest === undefined ? [writer] : [writer, String(violation.highest.process)],
          message: `the fence rejected ${writer}'s write (${token(violation.write)}) although ${writer} owned the lock on the server (${describeClaim(violation.claim)})${violation.highest !== undefined ? `: it had accepted ${token(violation.highest)} from ${String(violation.highest.process)}` : ''}; the token scheme turns rightful holders away`,
        };
    }
  });
}

/** The liveness bound: a dead holder's lease (TTL, promoted by an election timeout after a restart), a sweep, the client's deadline tick, slack. */
export function livenessBoundMs(options: Pick<JudgeOptions, 'ttlSeconds' | 'livenessSlackMs'>): number {
  return options.ttlSeconds * 1000 + electionTimeoutMs + leaseSweepIntervalMs + keepAliveDeadlineCheckIntervalMs + (options.livenessSlackMs ?? 5_000);
}

/**
 * Liveness (checkLiveness): after every fault has healed and the server is
 * up, whenever someone waits for the lock (failed attempts and retries count
 * as waiting) and no one believes it holds it, someone acquires it within the
 * bound. The message names what blocked it on the server.
 */
export function judgeLiveness(history: ExploreHistory, options: JudgeOptions): Violation[] {
  const boundMs = livenessBoundMs(options);
  const verdict = checkLiveness(
    { events: history.lockEvents, waits: history.waits, faultsStoppedMs: options.quietFromMs, endMs: options.durationMs },
    { boundMs },
  );
  const ownership = ownershipOf(history);
  return verdict.violations.map((stall) => {
    const waiters = [...new Set(stall.waiters.map((waiter) => String(waiter.process)))];
    const owner = epochAt(ownership, stall.fromMs + boundMs);
    const blocker =
      owner === undefined
        ? 'no lock key on the server'
        : `the server's owner was ${String(owner.claim.process)}'s ${describeClaim(owner.claim)}${owner.claim.lease !== undefined ? ` on lease ${owner.claim.lease.toString(16)}` : ' with no lease'}, yet nobody believed it held the lock`;
    const failed = history.failedAcquires > 0 ? `; ${history.failedAcquires} acquire attempt(s) failed in the run` : '';
    return {
      property: 'liveness' as const,
      verdict: 'bug' as const,
      atMs: stall.fromMs + boundMs,
      processes: waiters,
      message: `the lock was free from ${seconds(stall.fromMs)} to ${seconds(stall.toMs)} (${stall.stalledMs} ms, ${stall.endedBy}) with ${waiters.length} client(s) waiting (${waiters.join(', ')}); bound ${boundMs} ms (TTL + election timeout + sweep + keepalive deadline tick + slack) after faults healed at ${seconds(options.quietFromMs)}; ${blocker}${failed}`,
    };
  });
}

/** acquire()/release() threw a programming error: one violation for the first, with the count. */
export function judgeCrash(history: ExploreHistory): Violation[] {
  const first = history.crashes[0];
  if (first === undefined) return [];
  const more = history.crashes.length > 1 ? ` (${history.crashes.length} crash(es) in the run)` : '';
  return [
    {
      property: 'crash',
      verdict: 'bug',
      atMs: first.timeMs,
      processes: [first.process],
      message: `${first.process}#${first.incarnation} ${first.message}${more}`,
    },
  ];
}

/** Every violation of the given properties (crash always), earliest first. */
export function judgeRun(history: ExploreHistory, properties: readonly LockProperty[], options: JudgeOptions): Violation[] {
  const violations: Violation[] = [];
  if (properties.includes('belief')) violations.push(...judgeBelief(history, options));
  if (properties.includes('fenced')) violations.push(...judgeFenced(history, options));
  if (properties.includes('liveness')) violations.push(...judgeLiveness(history, options));
  violations.push(...judgeCrash(history));
  return violations.sort((a, b) => a.atMs - b.atMs);
}

/** The violations that fail a run: bugs and runs that cannot be judged (limitations pass). */
export function failing(violations: readonly Violation[]): Violation[] {
  return violations.filter((violation) => violation.verdict !== 'limitation');
}
