/**
 * etcd's background loops for one store, as timers on a VirtualClock: the
 * lessor's expiry sweep (every 500 ms), the watch resync (every 100 ms) and
 * progress notifications (every 10 min). The store itself never schedules
 * anything; whoever owns it (simulator node, server, test) calls this.
 *
 *   const stop = runStoreLoops(store, clock);
 *   // t=0 grant ttl 2 → deadline 2000; sweeps at 500, 1000, 1500, 2000 → revoked at 2000
 *   // t=10 grant ttl 2 → deadline 2010; revoked at the 2500 sweep (exactExpiry: at 2010)
 *   stop();
 *
 * Ticks fall at start + k × interval. With `store.exactExpiry`, one more
 * timer waits for the earliest lease deadline (lessor.nextDeadlineMs()) and
 * sweeps there; it is moved earlier when a sooner lease is granted and
 * re-armed after each wake-up. A backlog (more than
 * limits.leasesRevokedPerSweepMax leases due at once) is still drained at
 * the sweep rate, by the 500 ms ticks.
 */
import type { EtcdStore } from './etcd-store.ts';
import * as limits from './limits.ts';
import type { TimerId, VirtualClock } from './virtual-clock.ts';

/** Intervals of the loops {@link runStoreLoops} starts (lease sweep, watch resync, progress notify). */
export interface StoreLoopOptions {
  /** @defaultValue limits.leaseSweepIntervalMs (500) */
  sweepIntervalMs?: number;
  /** @defaultValue limits.watchResyncIntervalMs (100) */
  watchResyncIntervalMs?: number;
  /** @defaultValue limits.watchProgressNotifyIntervalMs (10 min) */
  progressNotifyIntervalMs?: number;
}

/** Schedule etcd's background loops for `store` on `clock`; returns a function that stops them. */
export function runStoreLoops(store: EtcdStore, clock: VirtualClock, options: StoreLoopOptions = {}): () => void {
  const sweepIntervalMs = options.sweepIntervalMs ?? limits.leaseSweepIntervalMs;
  const watchResyncIntervalMs = options.watchResyncIntervalMs ?? limits.watchResyncIntervalMs;
  const progressNotifyIntervalMs = options.progressNotifyIntervalMs ?? limits.watchProgressNotifyIntervalMs;
  const stops: (() => void)[] = [
    every(clock, sweepIntervalMs, () => store.sweepExpiredLeases()),
    every(clock, watchResyncIntervalMs, () => store.syncWatchers()),
    every(clock, progressNotifyIntervalMs, () => store.notifyWatchProgress()),
  ];
  if (store.exactExpiry) stops.push(wakeAtDeadlines(store, clock));
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const stop of stops) stop();
  };
}

/** Run `fn` every `intervalMs` from now on (first at now + interval). */
function every(clock: VirtualClock, intervalMs: number, fn: () => void): () => void {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`loop interval must be a positive number of ms, got ${intervalMs}`);
  let dueMs = clock.nowMs() + intervalMs;
  let timer: TimerId;
  const tick = () => {
    dueMs += intervalMs;
    timer = clock.setTimerAt(dueMs, tick);
    fn();
  };
  timer = clock.setTimerAt(dueMs, tick);
  return () => clock.cancelTimer(timer);
}

/** exactExpiry: keep one timer at the earliest lease deadline. */
function wakeAtDeadlines(store: EtcdStore, clock: VirtualClock): () => void {
  let timer: TimerId | undefined;
  let timerDueMs = Number.POSITIVE_INFINITY;

  const arm = () => {
    const deadlineMs = store.lessor.nextDeadlineMs();
    // No lease, a wake-up already set no later (it re-arms when it fires), or a
    // backlog already due (the 500 ms ticks drain it at etcd's revoke rate).
    if (deadlineMs === undefined || deadlineMs >= timerDueMs || deadlineMs <= clock.nowMs()) return;
    if (timer !== undefined) clock.cancelTimer(timer);
    timerDueMs = deadlineMs;
    timer = clock.setTimerAt(deadlineMs, wake);
  };
  const wake = () => {
    timer = undefined;
    timerDueMs = Number.POSITIVE_INFINITY;
    store.sweepExpiredLeases();
    arm();
  };

  const unsubscribe = store.lessor.onEarliestDeadlineChange(arm);
  arm();
  return () => {
    unsubscribe();
    if (timer !== undefined) clock.cancelTimer(timer);
  };
}
