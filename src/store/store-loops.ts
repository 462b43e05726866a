/**
 * etcd's background loops (src/store/etcd-loops.ts) for one store, as timers
 * on a VirtualClock, every revoke applied on the store at once: the lessor's
 * expiry sweep (every 500 ms), the watch resync (every 100 ms) and progress
 * notifications (every 10 min). The store itself never schedules anything;
 * whoever owns it (server, test) calls this.
 *
 *   const stop = runStoreLoops(store, clock);
 *   // t=0 grant ttl 2 → deadline 2000; sweeps at 500, 1000, 1500, 2000 → revoked at 2000
 *   // t=10 grant ttl 2 → deadline 2010; revoked at the 2500 sweep (exactExpiry: at 2010)
 *   stop();
 *
 * With `store.exactExpiry`, one more timer waits for the earliest lease
 * deadline (lessor.nextDeadlineMs()) and sweeps there.
 */
import type { EtcdStore } from './etcd-store.ts';
import { type LoopTimers, loopIntervals, type StoreLoopOptions, startEtcdLoops, wakeAtEarliestDeadline } from './etcd-loops.ts';
import type { TimerId, VirtualClock } from './virtual-clock.ts';

/** Schedule etcd's background loops for `store` on `clock`; returns a function that stops them. */
export function runStoreLoops(store: EtcdStore, clock: VirtualClock, options: StoreLoopOptions = {}): () => void {
  return startEtcdLoops(
    {
      lessor: { revokeExpired: () => store.sweepExpiredLeases() },
      syncWatchers: () => store.syncWatchers(),
      notifyWatchProgress: () => store.notifyWatchProgress(),
      exactExpiry: store.exactExpiry ? store.lessor : undefined,
    },
    clockTimers(clock),
    options,
  );
}

/** A VirtualClock's timers, as the loops schedule them. */
function clockTimers(clock: VirtualClock): LoopTimers<TimerId> {
  return { nowMs: () => clock.nowMs(), at: (dueMs, fn) => clock.setTimerAt(dueMs, fn), cancel: (timer) => clock.cancelTimer(timer) };
}

/**
 * The same loops for a clock that can be moved far ahead in one step (a
 * server's fast-forward), at a cost that grows with the work due, not with
 * the jump: move the clock with `advanceTo`, never with `clock.advanceTo`.
 *
 *   const loops = runJumpingStoreLoops(store, clock);
 *   loops.advanceTo(clock.nowMs() + 1e12);   // a few timers, not 2e9 sweeps
 *   loops.stop();
 *
 * Ticks still fall at start + k × interval, and between advances every loop
 * waits for its next tick, as runStoreLoops does. Inside an advance a loop
 * skips the ticks that would change nothing: the sweep goes straight to the
 * tick at or after the earliest lease deadline (or waits for the end of the
 * advance when no lease is left), the watch resync stops while no unsynced
 * watcher can be served, and progress notification stops once another tick
 * would only repeat the same notifications at the same revision. A sweep
 * that revoked something wakes the other two at their next tick.
 */
export interface JumpingStoreLoops {
  /** Move the clock to `targetMs` (never backwards), running the loop ticks that have work on the way. */
  advanceTo(targetMs: number): void;
  stop(): void;
}

export function runJumpingStoreLoops(store: EtcdStore, clock: VirtualClock, options: StoreLoopOptions = {}): JumpingStoreLoops {
  const startMs = clock.nowMs();
  const { sweepIntervalMs, watchResyncIntervalMs, progressNotifyIntervalMs } = loopIntervals(options);
  const resync = new GridLoop(clock, startMs, watchResyncIntervalMs, (tickMs) => {
    store.syncWatchers();
    return store.watch.hasWatchersToSync ? tickMs : undefined;
  });
  const progress = new GridLoop(clock, startMs, progressNotifyIntervalMs, (tickMs) => (store.notifyWatchProgress() ? tickMs : undefined));
  const sweep = new GridLoop(clock, startMs, sweepIntervalMs, (tickMs) => {
    if (store.sweepExpiredLeases().length > 0) {
      // As in runStoreLoops, where at a shared tick the loop with the longer interval (armed earlier) fires first:
      // a longer loop's tick at this very ms came before this sweep, so its next chance is its next tick.
      for (const loop of [resync, progress]) loop.wake(tickMs, loop.intervalMs > sweepIntervalMs);
    }
    return store.lessor.nextDeadlineMs();
  });
  const loops = [sweep, resync, progress];
  const stopExact = store.exactExpiry ? wakeAtEarliestDeadline(store.lessor, clockTimers(clock), () => store.sweepExpiredLeases()) : undefined;
  let stopped = false;
  return {
    advanceTo(targetMs: number): void {
      if (stopped) {
        clock.advanceTo(targetMs);
        return;
      }
      for (const loop of loops) loop.jumping = true;
      try {
        clock.advanceTo(targetMs);
      } finally {
        for (const loop of loops) {
          loop.jumping = false;
          loop.resume();
        }
      }
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      for (const loop of loops) loop.stop();
      stopExact?.();
    },
  };
}

/**
 * One loop on the grid start + k × interval. Outside a jump it fires every
 * tick. In a jump, each tick's work returns the earliest time the loop has
 * work again (undefined: none until something wakes it or the jump ends),
 * and the loop sleeps to the first tick at or after that (and after the one
 * just fired).
 */
class GridLoop {
  jumping = false;
  readonly #clock: VirtualClock;
  readonly #startMs: number;
  readonly intervalMs: number;
  readonly #tick: (tickMs: number) => number | undefined;
  #timer: TimerId | undefined;
  #dueMs = Number.NaN;
  #lastTickMs = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(clock: VirtualClock, startMs: number, intervalMs: number, tick: (tickMs: number) => number | undefined) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`loop interval must be a positive number of ms, got ${intervalMs}`);
    this.#clock = clock;
    this.#startMs = startMs;
    this.intervalMs = intervalMs;
    this.#tick = tick;
    this.#armAt(startMs + intervalMs);
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
    const nowMs = this.#clock.nowMs();
    let dueMs = this.#nextTickAtOrAfter(nowMs);
    if (dueMs === nowMs) dueMs += this.intervalMs;
    if (this.#timer === undefined || this.#dueMs !== dueMs) this.#armAt(dueMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clock.cancelTimer(this.#timer);
    this.#timer = undefined;
  }

  #armAt(dueMs: number): void {
    if (this.#timer !== undefined) this.#clock.cancelTimer(this.#timer);
    this.#dueMs = dueMs;
    this.#timer = this.#clock.setTimerAt(dueMs, this.#fire);
  }

  readonly #fire = (): void => {
    const tickMs = this.#dueMs;
    this.#timer = undefined;
    this.#lastTickMs = tickMs;
    const workFromMs = this.#tick(tickMs);
    if (this.#stopped) return;
    // The work first, then the next tick, as every loop does (src/store/etcd-loops.ts); in a jump, only when there is work.
    if (!this.jumping) this.#armAt(tickMs + this.intervalMs);
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
