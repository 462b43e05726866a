/**
 * The explorer's verdict on one run: which of the three lock properties
 * (DESIGN.md, "What the property tests must show") the run broke, and where.
 *
 *   belief    no two clients believe they hold the lock at once
 *   fenced    the resource never accepts a stale holder's write
 *             (a write whose token is below one it had already accepted)
 *   liveness  once faults stop, a free lock that someone wants is acquired
 *             within TTL + slack
 *
 *   judgeRun(run, ['belief']) → [{ property: 'belief', atMs: 23_004, processes: ['alice', 'bob'],
 *                                  message: 'bob acquired (token 12) while alice believed it held (token 7)' }]
 *
 * The checkers of src/check judge the history the workload recorded
 * (src/explore/history.ts); this file turns their verdicts into one line each.
 */
import { checkFencedSafety } from '../check/fenced-safety.ts';
import { checkLiveness } from '../check/liveness.ts';
import { checkMutualExclusion } from '../check/mutual-exclusion.ts';
import { leaseSweepIntervalMs } from '../store/limits.ts';
import type { ExploreHistory } from './history.ts';

/** A property a lock is judged by: `belief` (mutual exclusion), `fenced` (no stale write accepted), `liveness`. */
export type LockProperty = 'belief' | 'fenced' | 'liveness';
/** Every property, in the order they are judged. */
export const lockProperties: readonly LockProperty[] = ['belief', 'fenced', 'liveness'];

/** A broken property, with when and who. */
export interface Violation {
  property: LockProperty;
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
  /** Liveness is judged from here on (after the last fault). */
  quietFromMs: number;
  /** Slack over TTL + one expiry sweep for liveness. @defaultValue 5_000 */
  livenessSlackMs?: number;
  /** Whether the resource checked tokens. */
  fenced: boolean;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/** Mutual exclusion of belief (checkMutualExclusion): each overlap of two beliefs. */
export function judgeBelief(history: ExploreHistory, options: JudgeOptions): Violation[] {
  return checkMutualExclusion(history.lockEvents, { endMs: options.durationMs }).violations.map((overlap) => {
    const [first, second] = [String(overlap.first.process), String(overlap.second.process)];
    return {
      property: 'belief',
      atMs: overlap.fromMs,
      processes: [first, second],
      message: `${second} acquired the lock (token ${overlap.second.fencingToken ?? '?'}) while ${first} believed it held it (token ${overlap.first.fencingToken ?? '?'})`,
    };
  });
}

/**
 * Fenced safety (checkFencedSafety): an accepted write whose token is below
 * one accepted before. An unfenced resource's writes carry the writer's
 * belief token, so a stale holder's write shows the same way.
 */
export function judgeFenced(history: ExploreHistory, options: JudgeOptions): Violation[] {
  return checkFencedSafety({ writes: history.writes, mode: options.fenced ? 'fenced' : 'unfenced' }).violations.map((violation) => {
    const writer = String(violation.write.process);
    if (violation.kind === 'token-regression') {
      const overtaken = String(violation.overtaken.process);
      return {
        property: 'fenced',
        atMs: violation.write.timeMs,
        processes: [writer, overtaken],
        message: `the resource accepted a stale write by ${writer} (token ${violation.write.fencingToken ?? 'none'}) after accepting token ${violation.overtaken.fencingToken ?? '?'} from ${overtaken}`,
      };
    }
    const holder = violation.holder === undefined ? 'nobody' : String(violation.holder.process);
    return { property: 'fenced', atMs: violation.write.timeMs, processes: [writer, holder], message: `the resource accepted a write by ${writer} while ${holder} held the lock` };
  });
}

/**
 * Liveness (checkLiveness): after the last fault, whenever someone waits
 * for the lock and no one believes it holds it, someone acquires it within
 * TTL + one expiry sweep + slack (the TTL covers a crashed holder's lease).
 */
export function judgeLiveness(history: ExploreHistory, options: JudgeOptions): Violation[] {
  const boundMs = options.ttlSeconds * 1000 + leaseSweepIntervalMs + (options.livenessSlackMs ?? 5_000);
  const verdict = checkLiveness(
    { events: history.lockEvents, waits: history.waits, faultsStoppedMs: options.quietFromMs, endMs: options.durationMs },
    { boundMs },
  );
  return verdict.violations.map((stall) => ({
    property: 'liveness',
    atMs: stall.fromMs + boundMs,
    processes: stall.waiters.map((waiter) => String(waiter.process)),
    message: `the lock was free from ${seconds(stall.fromMs)} to ${seconds(stall.toMs)} (${stall.stalledMs} ms, ${stall.endedBy}) with ${stall.waiters.length} client(s) waiting; bound ${boundMs} ms (TTL + sweep + slack) after faults stopped`,
  }));
}

/** Every violation of the given properties, earliest first. */
export function judgeRun(history: ExploreHistory, properties: readonly LockProperty[], options: JudgeOptions): Violation[] {
  const violations: Violation[] = [];
  if (properties.includes('belief')) violations.push(...judgeBelief(history, options));
  if (properties.includes('fenced')) violations.push(...judgeFenced(history, options));
  if (properties.includes('liveness')) violations.push(...judgeLiveness(history, options));
  return violations.sort((a, b) => a.atMs - b.atMs);
}
