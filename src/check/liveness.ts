/**
 * Liveness: once faults stop, a free lock that someone is waiting for is
 * acquired within a bound (the caller passes TTL + one expiry sweep + slack:
 * a crashed holder's key lasts at most its lease's TTL, then a sweep).
 *
 * A lock is free when no process believes it holds it (beliefs as in
 * mutual-exclusion.ts; a crashed holder must be reported `lost` at its
 * crash). A process waits from its wait start until it acquires the lock
 * (its first `acquired` at or after the start) or abandons the wait. A
 * stall is a stretch of time at or after `faultsStoppedMs` when the lock is
 * free and somebody waits; it ends when anybody acquires the lock, when no
 * one waits any more, or at the end of the run. A stall longer than
 * `boundMs` is a violation:
 *
 *   faults stop @100; p1 releases @120; p2 waits since @90 and acquires @900
 *   bound 500 → stall [120, 900] on L, 780 ms, waiters p2 (since 90)
 *
 * A holder that keeps the lock for a long time is not a liveness failure
 * (the lock is not free); nor is a stall still shorter than the bound when
 * the run ends.
 */
import type { LockEvent, LockWaitStart, ProcessName } from './history.ts';
import { beliefIntervals } from './beliefs.ts';
import type { HistoryProblem, PropertyVerdict } from './verdict.ts';
import { propertyVerdict, timeOrder } from './verdict.ts';

/** A waiter in a stall. */
export interface StalledWaiter {
  process: ProcessName;
  /** When it started waiting. */
  waitingSinceMs: number;
  /** When it stopped waiting: it acquired the lock or abandoned; undefined if still waiting at the end. */
  waitEndedMs: number | undefined;
}

/** `lockName` was free, with waiters, for longer than the bound. */
export interface LivenessViolation {
  kind: 'stall';
  lockName: string;
  /** Start of the stall: the lock free, someone waiting, faults over. */
  fromMs: number;
  /** End of the stall: an acquire, the last waiter leaving, or the end of the run. */
  toMs: number;
  stalledMs: number;
  boundMs: number;
  endedBy: 'acquired' | 'no-waiters' | 'end-of-run';
  /** Who acquired it at `toMs`, when `endedBy` is `acquired`. */
  acquiredBy: ProcessName | undefined;
  /** Everyone who waited during the stall. */
  waiters: StalledWaiter[];
}

/** Input of {@link checkLiveness}. */
export interface LivenessHistory {
  events: readonly LockEvent[];
  waits: readonly LockWaitStart[];
  /** When the last fault was healed; no stall counts before it. */
  faultsStoppedMs: number;
  /** End of the run. @defaultValue the latest event or wait time */
  endMs?: number;
}

/** Options of {@link checkLiveness}. */
export interface LivenessOptions {
  /** Longest acceptable stall, e.g. TTL + one sweep + slack. */
  boundMs: number;
}

interface Wait {
  process: ProcessName;
  fromMs: number;
  toMs: number;
  endedByAcquire: boolean;
}

/**
 * Was every free lock acquired within `boundMs` of becoming free (or of
 * faults stopping), while someone waited for it?
 *
 * @param history - lock events, wait starts, the time faults stopped, the end of the run.
 * @param options - the bound.
 * @returns `violated` with one `stall` per stretch longer than the bound (lock, [from, to], waiters).
 */
export function checkLiveness(history: LivenessHistory, options: LivenessOptions): PropertyVerdict<LivenessViolation> {
  const problems: HistoryProblem[] = [];
  let lastEventMs = -Infinity;
  for (const record of [...history.events, ...history.waits]) {
    if (Number.isFinite(record?.timeMs)) lastEventMs = Math.max(lastEventMs, record.timeMs);
  }
  const endMs = history.endMs ?? (Number.isFinite(lastEventMs) ? lastEventMs : 0);
  const { intervals, problems: beliefProblems } = beliefIntervals(history.events, endMs);
  problems.push(...beliefProblems);

  const waitsByLock = waitsOf(history, intervals, endMs, problems);
  const violations: LivenessViolation[] = [];
  for (const [lockName, waits] of waitsByLock) {
    const beliefs = intervals.filter((interval) => interval.lockName === lockName);
    violations.push(...stallsOf(lockName, beliefs, waits, { faultsStoppedMs: history.faultsStoppedMs, endMs, boundMs: options.boundMs }));
  }
  return propertyVerdict(violations, problems);
}

type Belief = ReturnType<typeof beliefIntervals>['intervals'][number];

/** Each wait, per lock: from its start to the acquire that ends it, or its abandoning, or the end of the run. */
function waitsOf(history: LivenessHistory, intervals: readonly Belief[], endMs: number, problems: HistoryProblem[]): Map<string, Wait[]> {
  // Acquire times per (lock, process), to end waits.
  const acquires = new Map<string, number[]>();
  const acquireKey = (lockName: string, process: ProcessName) => `${lockName}\u0000${typeof process}:${String(process)}`;
  for (const interval of intervals) {
    const key = acquireKey(interval.lockName, interval.process);
    const list = acquires.get(key) ?? [];
    list.push(interval.fromMs);
    acquires.set(key, list);
  }
  const waitsByLock = new Map<string, Wait[]>();
  for (const index of timeOrder(history.waits, (wait) => wait?.timeMs, problems)) {
    const start = history.waits[index]!;
    const acquired = (acquires.get(acquireKey(start.lockName, start.process)) ?? []).find((ms) => ms >= start.timeMs);
    const abandoned = start.abandonedMs;
    let toMs = endMs;
    let endedByAcquire = false;
    if (acquired !== undefined && (abandoned === undefined || acquired <= abandoned)) {
      toMs = acquired;
      endedByAcquire = true;
    } else if (abandoned !== undefined) toMs = abandoned;
    const list = waitsByLock.get(start.lockName) ?? [];
    list.push({ process: start.process, fromMs: start.timeMs, toMs: Math.max(toMs, start.timeMs), endedByAcquire });
    waitsByLock.set(start.lockName, list);
  }
  return waitsByLock;
}

/** One lock's stalls longer than the bound: stretches after faults stopped where it was free while someone waited. */
function stallsOf(
  lockName: string,
  beliefs: readonly Belief[],
  waits: readonly Wait[],
  { faultsStoppedMs, endMs, boundMs }: { faultsStoppedMs: number; endMs: number; boundMs: number },
): LivenessViolation[] {
  const stalls: LivenessViolation[] = [];
  // Instants where something changes; between two of them the lock is free-with-waiters or not.
  const instants = new Set<number>([faultsStoppedMs, endMs]);
  for (const belief of beliefs) instants.add(belief.fromMs).add(belief.toMs);
  for (const wait of waits) instants.add(wait.fromMs).add(wait.toMs);
  const times = [...instants].filter((ms) => ms >= faultsStoppedMs && ms <= endMs).sort((a, b) => a - b);
  let stallFromMs: number | undefined;
  const close = (toMs: number, endedBy: LivenessViolation['endedBy']) => {
    if (stallFromMs === undefined) return;
    const stalledMs = toMs - stallFromMs;
    if (stalledMs > boundMs) {
      const from = stallFromMs;
      const acquirer = endedBy === 'acquired' ? beliefs.find((belief) => belief.fromMs === toMs) : undefined;
      stalls.push({
        kind: 'stall',
        lockName,
        fromMs: from,
        toMs,
        stalledMs,
        boundMs,
        endedBy,
        acquiredBy: acquirer?.process,
        waiters: waits
          .filter((wait) => wait.fromMs <= toMs && wait.toMs >= from)
          .map((wait) => ({
            process: wait.process,
            waitingSinceMs: wait.fromMs,
            waitEndedMs: wait.toMs === endMs && !wait.endedByAcquire ? undefined : wait.toMs,
          })),
      });
    }
    stallFromMs = undefined;
  };
  for (const t of times) {
    // State over [t, next instant): held if a belief covers t (a belief ending at t no longer does).
    // A belief starting at t counts even if it also ends at t: the lock was acquired.
    const held = beliefs.some((belief) => belief.fromMs <= t && (t < belief.toMs || belief.fromMs === t));
    const waiting = waits.some((wait) => wait.fromMs <= t && t < wait.toMs);
    const stalled = !held && waiting && t < endMs;
    if (stalled && stallFromMs === undefined) stallFromMs = t;
    else if (!stalled && stallFromMs !== undefined) close(t, held ? 'acquired' : t >= endMs ? 'end-of-run' : 'no-waiters');
  }
  close(endMs, 'end-of-run');
  return stalls;
}
