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
 * Touching endpoints are not an overlap: p1 releasing at t and p2 acquiring
 * at t are one after the other, whatever order the two events were recorded
 * in (the simulator may stamp both with the same instant). Beliefs are
 * half-open intervals [from, to) and overlap when they share an instant. A
 * belief of zero length (acquired and released at t) is the point t: it
 * overlaps a belief that is held strictly around t (from < t < to).
 */
import type { LockEvent, ProcessName } from './history.ts';
import type { HistoryProblem, PropertyVerdict } from './verdict.ts';
import { propertyVerdict, timeOrder } from './verdict.ts';

/** How a belief ended. */
export type BeliefEnd = 'released' | 'lost' | 'end-of-run';

/** One process's belief that it held a lock, from `fromMs` to `toMs`. */
export interface BeliefInterval {
  lockName: string;
  process: ProcessName;
  /** The token it acquired with; undefined if the `acquired` event had none. */
  fencingToken: number | undefined;
  fromMs: number;
  toMs: number;
  endedBy: BeliefEnd;
}

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
 * Belief intervals from lock events, by lock, in order of acquisition.
 *
 * Problems (skipped): an `acquired` while the process already holds that lock
 * (the first belief goes on), a `released` without an `acquired`, a bad time.
 * A `lost` without a belief is ignored silently (a client may learn its lease
 * is gone after it released).
 */
export function beliefIntervals(events: readonly LockEvent[], endMs?: number): { intervals: BeliefInterval[]; problems: HistoryProblem[] } {
  const problems: HistoryProblem[] = [];
  const order = timeOrder(events, (event) => event?.timeMs, problems);
  const lastMs = order.length > 0 ? events[order[order.length - 1]!]!.timeMs : 0;
  const end = endMs ?? lastMs;
  const open = new Map<string, Map<ProcessName, BeliefInterval>>();
  const intervals: BeliefInterval[] = [];
  for (const index of order) {
    const event = events[index]!;
    let holders = open.get(event.lockName);
    if (holders === undefined) open.set(event.lockName, (holders = new Map()));
    const current = holders.get(event.process);
    if (event.kind === 'acquired') {
      if (current !== undefined) {
        problems.push({ index, message: `${String(event.process)} acquired ${event.lockName} again while holding it since ${current.fromMs}` });
        continue;
      }
      const interval: BeliefInterval = {
        lockName: event.lockName,
        process: event.process,
        fencingToken: event.fencingToken,
        fromMs: event.timeMs,
        toMs: Math.max(end, event.timeMs),
        endedBy: 'end-of-run',
      };
      holders.set(event.process, interval);
      intervals.push(interval);
    } else if (event.kind === 'released' || event.kind === 'lost') {
      if (current === undefined) {
        if (event.kind === 'released') problems.push({ index, message: `${String(event.process)} released ${event.lockName} without holding it` });
        continue;
      }
      current.toMs = event.timeMs;
      current.endedBy = event.kind;
      holders.delete(event.process);
    } else {
      problems.push({ index, message: `unknown lock event kind ${String((event as { kind: unknown }).kind)}` });
    }
  }
  return { intervals, problems };
}

/** The instants two beliefs share, or undefined (see the file comment for the endpoint rule). */
export function beliefOverlap(a: BeliefInterval, b: BeliefInterval): { fromMs: number; toMs: number } | undefined {
  const aPoint = a.fromMs === a.toMs;
  const bPoint = b.fromMs === b.toMs;
  if (aPoint && bPoint) return undefined;
  if (aPoint) return b.fromMs < a.fromMs && a.fromMs < b.toMs ? { fromMs: a.fromMs, toMs: a.fromMs } : undefined;
  if (bPoint) return a.fromMs < b.fromMs && b.fromMs < a.toMs ? { fromMs: b.fromMs, toMs: b.fromMs } : undefined;
  const fromMs = Math.max(a.fromMs, b.fromMs);
  const toMs = Math.min(a.toMs, b.toMs);
  return fromMs < toMs ? { fromMs, toMs } : undefined;
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
