/**
 * etcd's background loops, in one place: what runs when, and what each tick
 * does. Whoever hosts a store (the in-process store, the simulated server, a
 * cluster member) says how time is scheduled ({@link LoopTimers}: a virtual
 * clock, the simulator's scheduler) and how the lessor's work is applied
 * ({@link LessorTick}: revoked on the store at once, through the simulated
 * server's apply path, or proposed through raft by a cluster's leader).
 *
 *   every 500 ms   the lessor's tick (lessor.go runLoop): revoke the leases
 *                  past their deadline, then checkpoint the leases due
 *   every 100 ms   serve unsynced watchers (watchable_store.go syncWatchersLoop)
 *   every 10 min   progress notifications (--experimental-watch-progress-notify-interval)
 *   at a deadline  exactExpiry (teaching mode): one more lessor tick at the
 *                  earliest lease deadline
 *
 *   const stop = startEtcdLoops({ lessor: { revokeExpired: () => store.sweepExpiredLeases() }, ... }, timers);
 *   stop();
 *
 * Ticks fall at start + k × interval. When two fall on the same ms, the one
 * armed first fires first: with etcd's intervals the lessor's tick before
 * the watch resync's, and progress before both. A tick does its work, then
 * arms the next one, so what the work schedules for the next tick's ms runs
 * before it. While the host is not running (a simulated server that is
 * down), ticks keep their times and do nothing.
 */
import * as limits from './limits.ts';

/** How the loops' time is scheduled: timers at absolute times on the host's clock. */
export interface LoopTimers<Timer = unknown> {
  nowMs(): number;
  /** Run `fn` at `dueMs` (never before now). */
  at(dueMs: number, fn: () => void): Timer;
  /** Cancel a timer; one that fired or was cancelled is left alone. */
  cancel(timer: Timer): void;
}

/** How the lessor's tick is applied. */
export interface LessorTick {
  /** Whether this lessor counts time now (a cluster member's only while it is the promoted leader). @defaultValue always */
  counting?(): boolean;
  /** Revoke the leases past their deadline, at most limits.leasesRevokedPerSweepMax: on the store at once, or proposed. */
  revokeExpired(): void;
  /** Checkpoint the remaining TTL of the leases whose checkpoint is due (lease checkpointing on a cluster's leader). */
  readonly checkpointDue?: (() => void) | undefined;
}

/** Where exactExpiry reads the earliest lease deadline (EtcdStore's lessor). */
export interface EarliestDeadline {
  nextDeadlineMs(): number | undefined;
  /** Returns how to stop listening. */
  onEarliestDeadlineChange(listener: (earliestDeadlineMs: number | undefined) => void): () => void;
}

/** What the loops do at their ticks. */
export interface EtcdLoopWork {
  readonly lessor: LessorTick;
  syncWatchers(): void;
  notifyWatchProgress(): void;
  /** Whether the host runs now (a simulated server that is down does nothing at its ticks). @defaultValue always */
  running?(): boolean;
  /** exactExpiry: also tick the lessor at each lease's exact deadline. */
  readonly exactExpiry?: EarliestDeadline | undefined;
}

/** Intervals of the loops (defaults: etcd's, from limits.ts). */
export interface StoreLoopOptions {
  /** @defaultValue limits.leaseSweepIntervalMs (500) */
  sweepIntervalMs?: number;
  /** @defaultValue limits.watchResyncIntervalMs (100) */
  watchResyncIntervalMs?: number;
  /** @defaultValue limits.watchProgressNotifyIntervalMs (10 min) */
  progressNotifyIntervalMs?: number;
}

/** The loops' intervals, defaults filled in. */
export function loopIntervals(options: StoreLoopOptions = {}): Required<StoreLoopOptions> {
  return {
    sweepIntervalMs: options.sweepIntervalMs ?? limits.leaseSweepIntervalMs,
    watchResyncIntervalMs: options.watchResyncIntervalMs ?? limits.watchResyncIntervalMs,
    progressNotifyIntervalMs: options.progressNotifyIntervalMs ?? limits.watchProgressNotifyIntervalMs,
  };
}

/** One tick of the lessor (lessor.go runLoop: revokeExpiredLeases, then checkpointScheduledLeases). */
function tickLessor(lessor: LessorTick): void {
  if (lessor.counting !== undefined && !lessor.counting()) return;
  lessor.revokeExpired();
  lessor.checkpointDue?.();
}

/** Start etcd's loops; returns a function that stops them. */
export function startEtcdLoops<Timer>(work: EtcdLoopWork, timers: LoopTimers<Timer>, options: StoreLoopOptions = {}): () => void {
  const intervals = loopIntervals(options);
  const whileRunning = (fn: () => void) => () => {
    if (work.running === undefined || work.running()) fn();
  };
  const lessorTick = whileRunning(() => tickLessor(work.lessor));
  const stops: (() => void)[] = [
    every(timers, intervals.sweepIntervalMs, lessorTick),
    every(
      timers,
      intervals.watchResyncIntervalMs,
      whileRunning(() => work.syncWatchers()),
    ),
    every(
      timers,
      intervals.progressNotifyIntervalMs,
      whileRunning(() => work.notifyWatchProgress()),
    ),
  ];
  if (work.exactExpiry !== undefined) stops.push(wakeAtEarliestDeadline(work.exactExpiry, timers, lessorTick));
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const stop of stops) stop();
  };
}

/**
 * Run `work` every `intervalMs` from now on (first at now + interval): the
 * work first, then the next tick is armed. Returns how to stop.
 */
export function every<Timer>(timers: LoopTimers<Timer>, intervalMs: number, work: () => void): () => void {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`loop interval must be a positive number of ms, got ${intervalMs}`);
  let dueMs = timers.nowMs() + intervalMs;
  let stopped = false;
  const tick = () => {
    work();
    if (stopped) return; // the work stopped the loops
    dueMs += intervalMs;
    timer = timers.at(dueMs, tick);
  };
  let timer = timers.at(dueMs, tick);
  return () => {
    stopped = true;
    timers.cancel(timer);
  };
}

/**
 * exactExpiry: keep one timer at the earliest lease deadline and `sweep`
 * there. It is moved earlier when a sooner lease is granted and re-armed
 * after each wake-up. A backlog (more than limits.leasesRevokedPerSweepMax
 * leases due at once) is still drained at the sweep rate, by the 500 ms
 * ticks. Returns how to stop.
 */
export function wakeAtEarliestDeadline<Timer>(deadlines: EarliestDeadline, timers: LoopTimers<Timer>, sweep: () => void): () => void {
  let timer: Timer | undefined;
  let timerDueMs = Number.POSITIVE_INFINITY;

  const arm = () => {
    const deadlineMs = deadlines.nextDeadlineMs();
    // No lease, a wake-up already set no later (it re-arms when it fires), or a
    // backlog already due (the 500 ms ticks drain it at etcd's revoke rate).
    if (deadlineMs === undefined || deadlineMs >= timerDueMs || deadlineMs <= timers.nowMs()) return;
    if (timer !== undefined) timers.cancel(timer);
    timerDueMs = deadlineMs;
    timer = timers.at(deadlineMs, wake);
  };
  const wake = () => {
    timer = undefined;
    timerDueMs = Number.POSITIVE_INFINITY;
    sweep();
    arm();
  };

  const unsubscribe = deadlines.onEarliestDeadlineChange(arm);
  arm();
  return () => {
    unsubscribe();
    if (timer !== undefined) timers.cancel(timer);
  };
}
