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
 *
 * A host whose time jumps far ahead in one step (serve's fast-forward) says
 * when it jumps ({@link TimeJumps}) and gives {@link IdleHints}: inside a
 * jump a loop skips the ticks that would change nothing, so a jump costs the
 * work due in it, not one tick per interval. The lessor's tick goes straight
 * to the tick at or after the earliest lease deadline (none left: it sleeps
 * to the end of the jump), the watch resync sleeps while no unsynced watcher
 * can be served, progress sleeps once another tick would only repeat the
 * same notifications at the same revision; a lessor's tick that revoked
 * something wakes the other two at their next tick. After the jump every
 * loop ticks at every interval again.
 */
import * as limits from './limits.ts';

/** How the loops' time is scheduled: timers at absolute times on the host's clock. */
export interface LoopTimers<Timer = unknown> {
  nowMs(): number;
  /** Run `fn` at `dueMs` (never before now). */
  at(dueMs: number, fn: () => void): Timer;
  /** Cancel a timer; one that fired or was cancelled is left alone. */
  cancel(timer: Timer): void;
  /** A host whose time can jump far ahead in one step: loops skip idle ticks inside a jump (needs EtcdLoopWork.idle). */
  readonly jumps?: TimeJumps | undefined;
}

/** When a host's time jumps (serve's fast-forward). */
export interface TimeJumps {
  /** Whether the clock is in a jump now. */
  jumping(): boolean;
  /** Call `listener` after each jump; returns how to stop listening. */
  onJumpEnd(listener: () => void): () => void;
}

/** When each loop has work again, for skipping idle ticks inside a jump. */
export interface IdleHints {
  /** The earliest lease deadline: the lessor's tick has nothing to do before it (undefined: no lease). */
  nextLeaseDeadlineMs(): number | undefined;
  /** How many leases the lessor's ticks have revoked so far: a tick that revoked some gives the watch loops work again. */
  leasesRevoked(): number;
  /** Whether the watch resync has an unsynced watcher it can serve. */
  hasWatchersToSync(): boolean;
  /** Whether another progress tick at this revision would notify more watchers. */
  progressPending(): boolean;
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
  /** What lets the loops skip idle ticks when the timers jump (LoopTimers.jumps). */
  readonly idle?: IdleHints | undefined;
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
  const idle = timers.jumps === undefined ? undefined : work.idle;
  if (timers.jumps !== undefined && idle === undefined) throw new TypeError('loops on timers that jump need idle hints (EtcdLoopWork.idle)');
  const whileRunning = (fn: () => void) => () => {
    if (work.running === undefined || work.running()) fn();
  };
  // Made once: a tick allocates nothing of its own (the resync runs every 100 ms).
  const lessorTick = whileRunning(() => tickLessor(work.lessor));
  const syncWatchers = whileRunning(() => work.syncWatchers());
  const notifyWatchProgress = whileRunning(() => work.notifyWatchProgress());
  const sweep = new Ticker(timers, intervals.sweepIntervalMs, (tickMs) => {
    const revokedBefore = idle?.leasesRevoked();
    lessorTick();
    if (idle === undefined) return undefined;
    if (idle.leasesRevoked() !== revokedBefore) {
      // At a shared ms the loop armed earlier fires first: a longer loop's tick at this very ms came before this one.
      for (const loop of [resync, progress]) loop.wake(tickMs, loop.intervalMs > intervals.sweepIntervalMs);
    }
    return idle.nextLeaseDeadlineMs();
  });
  const resync = new Ticker(timers, intervals.watchResyncIntervalMs, (tickMs) => {
    syncWatchers();
    return idle?.hasWatchersToSync() ? tickMs : undefined;
  });
  const progress = new Ticker(timers, intervals.progressNotifyIntervalMs, (tickMs) => {
    notifyWatchProgress();
    return idle?.progressPending() ? tickMs : undefined;
  });
  const loops = [sweep, resync, progress];
  const stops: (() => void)[] = loops.map((loop) => () => loop.stop());
  if (timers.jumps !== undefined) stops.push(timers.jumps.onJumpEnd(() => loops.forEach((loop) => loop.resume())));
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
  const ticker = new Ticker(timers, intervalMs, () => {
    work();
    return undefined;
  });
  return () => ticker.stop();
}

/**
 * One loop on the grid start + k × interval. Outside a jump it fires every
 * tick. In a jump, each tick's work returns the earliest time the loop has
 * work again (undefined: none until something wakes it or the jump ends),
 * and the loop sleeps to the first tick at or after that (and after the one
 * just fired).
 */
class Ticker<Timer> {
  readonly intervalMs: number;
  readonly #timers: LoopTimers<Timer>;
  readonly #startMs: number;
  readonly #work: (tickMs: number) => number | undefined;
  #timer: Timer | undefined;
  #dueMs = Number.NaN;
  #lastTickMs = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(timers: LoopTimers<Timer>, intervalMs: number, work: (tickMs: number) => number | undefined) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`loop interval must be a positive number of ms, got ${intervalMs}`);
    this.#timers = timers;
    this.#startMs = timers.nowMs();
    this.intervalMs = intervalMs;
    this.#work = work;
    this.#armAt(this.#startMs + intervalMs);
  }

  /** Have work again from `fromMs` on: fire at the next tick at (or strictly after) it, unless due sooner. */
  wake(fromMs: number, strictlyAfter = false): void {
    if (this.#stopped) return;
    let dueMs = this.#nextTickAtOrAfter(fromMs);
    if (strictlyAfter && dueMs === fromMs) dueMs += this.intervalMs;
    if (this.#timer === undefined || dueMs < this.#dueMs) this.#armAt(dueMs);
  }

  /** After a jump: back to firing at every tick, starting with the next one (a tick at now itself was due in the jump). */
  resume(): void {
    if (this.#stopped) return;
    const nowMs = this.#timers.nowMs();
    let dueMs = this.#nextTickAtOrAfter(nowMs);
    if (dueMs === nowMs) dueMs += this.intervalMs;
    if (this.#timer === undefined || this.#dueMs !== dueMs) this.#armAt(dueMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.cancel(this.#timer);
    this.#timer = undefined;
  }

  #armAt(dueMs: number): void {
    if (this.#timer !== undefined) this.#timers.cancel(this.#timer);
    this.#dueMs = dueMs;
    this.#timer = this.#timers.at(dueMs, this.#fire);
  }

  readonly #fire = (): void => {
    const tickMs = this.#dueMs;
    this.#timer = undefined;
    this.#lastTickMs = tickMs;
    const workFromMs = this.#work(tickMs);
    if (this.#stopped) return; // the work stopped the loops
    // The work first, then the next tick; in a jump, only when there is work.
    if (this.#timers.jumps === undefined || !this.#timers.jumps.jumping()) this.#armAt(tickMs + this.intervalMs);
    else if (workFromMs !== undefined) this.wake(workFromMs);
  };

  /** The first tick at or after `ms` that comes after the last one fired. */
  #nextTickAtOrAfter(ms: number): number {
    const ticks = Math.max(1, Math.ceil((ms - this.#startMs) / this.intervalMs));
    let dueMs = this.#startMs + ticks * this.intervalMs;
    if (dueMs <= this.#lastTickMs) dueMs = this.#lastTickMs + this.intervalMs;
    return dueMs;
  }
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
