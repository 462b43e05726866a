/**
 * Mutual exclusion of belief: no two processes believe they hold the same
 * lock at the same virtual instant.
 *
 * A process's belief runs from its `acquired` event to its `released` or
 * `lost` event; one still open at the end of the run lasts until `endMs`.
 *
 *   p1  acquired 10 ──────────── lost 40
 *   p2             acquired 30 ─────────── released 60
 *                  overlap [30, 40]: p1 (token 5) and p2 (token 6)
 *
 * Beliefs and the rule for when two share an instant (touching ends do not,
 * a zero-length belief does when another is held strictly around it) live in
 * ./beliefs.ts.
 */
import { beliefIntervals, beliefOverlap, type BeliefInterval } from './beliefs.ts';
import type { LockEvent } from './history.ts';
import type { PropertyVerdict } from './verdict.ts';
import { propertyVerdict } from './verdict.ts';

/** Two processes believed they held `lockName` over [`fromMs`, `toMs`]. */
export interface MutualExclusionViolation {
  kind: 'overlap';
  lockName: string;
  fromMs: number;
  toMs: number;
  /** The earlier acquirer's belief. */
  first: BeliefInterval;
  /** The later acquirer's belief. */
  second: BeliefInterval;
}

/** Options of {@link checkMutualExclusion}. */
export interface MutualExclusionOptions {
  /** End of the run: beliefs still open end here. @defaultValue the latest event time */
  endMs?: number;
  /** Stop collecting after this many violations. @defaultValue 1000 */
  violationsMax?: number;
}

/**
 * Did two processes ever believe they held the same lock at the same instant?
 *
 * @param events - lock events of every process, in any order (ties keep input order).
 * @param options - end of the run, cap on violations.
 * @returns `violated` with one `overlap` per pair of overlapping beliefs (processes, [from, to], tokens).
 */
export function checkMutualExclusion(
  events: readonly LockEvent[],
  options: MutualExclusionOptions = {},
): PropertyVerdict<MutualExclusionViolation> & { intervals: BeliefInterval[] } {
  const { intervals, problems } = beliefIntervals(events, options.endMs);
  const violationsMax = options.violationsMax ?? 1000;
  const violations: MutualExclusionViolation[] = [];
  const byLock = new Map<string, BeliefInterval[]>();
  for (const interval of intervals) {
    let list = byLock.get(interval.lockName);
    if (list === undefined) byLock.set(interval.lockName, (list = []));
    list.push(interval);
  }
  for (const list of byLock.values()) {
    // Sweep in order of acquisition; `active` holds beliefs not yet over.
    let active: BeliefInterval[] = [];
    for (const interval of list) {
      active = active.filter((other) => other.toMs >= interval.fromMs);
      for (const other of active) {
        const overlap = beliefOverlap(other, interval);
        if (overlap !== undefined && violations.length < violationsMax) {
          violations.push({ kind: 'overlap', lockName: interval.lockName, ...overlap, first: other, second: interval });
        }
      }
      active.push(interval);
    }
  }
  return { ...propertyVerdict(violations, problems), intervals };
}
