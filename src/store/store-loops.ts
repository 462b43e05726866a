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
import { type EtcdLoopWork, type LoopTimers, type StoreLoopOptions, startEtcdLoops, type TimeJumps } from './etcd-loops.ts';
import type { TimerId, VirtualClock } from './virtual-clock.ts';

/** Schedule etcd's background loops for `store` on `clock`; returns a function that stops them. */
export function runStoreLoops(store: EtcdStore, clock: VirtualClock, options: StoreLoopOptions = {}): () => void {
  return startEtcdLoops(storeLoopWork(store), clockTimers(clock), options);
}

/** What the loops do to `store`, revoking at once, with the hints that let a jump skip idle ticks. */
function storeLoopWork(store: EtcdStore): EtcdLoopWork {
  let leasesRevoked = 0;
  let progressPending = true;
  return {
    lessor: {
      revokeExpired: () => {
        leasesRevoked += store.sweepExpiredLeases().length;
      },
    },
    syncWatchers: () => store.syncWatchers(),
    notifyWatchProgress: () => {
      progressPending = store.notifyWatchProgress();
    },
    exactExpiry: store.exactExpiry ? store.lessor : undefined,
    idle: {
      nextLeaseDeadlineMs: () => store.lessor.nextDeadlineMs(),
      leasesRevoked: () => leasesRevoked,
      hasWatchersToSync: () => store.watch.hasWatchersToSync,
      progressPending: () => progressPending,
    },
  };
}

/** A VirtualClock's timers, as the loops schedule them. */
function clockTimers(clock: VirtualClock, jumps?: TimeJumps): LoopTimers<TimerId> {
  return { nowMs: () => clock.nowMs(), at: (dueMs, fn) => clock.setTimerAt(dueMs, fn), cancel: (timer) => clock.cancelTimer(timer), jumps };
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
 * waits for its next tick, as runStoreLoops does. An advance is a jump of
 * the loops' timers (etcd-loops.ts TimeJumps): with the store's idle hints
 * (next lease deadline, watchers to sync, progress pending) each loop skips
 * the ticks that would change nothing.
 */
export interface JumpingStoreLoops {
  /** Move the clock to `targetMs` (never backwards), running the loop ticks that have work on the way. */
  advanceTo(targetMs: number): void;
  stop(): void;
}

export function runJumpingStoreLoops(store: EtcdStore, clock: VirtualClock, options: StoreLoopOptions = {}): JumpingStoreLoops {
  let jumping = false;
  const jumpEndListeners = new Set<() => void>();
  const jumps: TimeJumps = {
    jumping: () => jumping,
    onJumpEnd: (listener) => {
      jumpEndListeners.add(listener);
      return () => jumpEndListeners.delete(listener);
    },
  };
  const stopLoops = startEtcdLoops(storeLoopWork(store), clockTimers(clock, jumps), options);
  let stopped = false;
  return {
    advanceTo(targetMs: number): void {
      if (stopped) {
        clock.advanceTo(targetMs);
        return;
      }
      jumping = true;
      try {
        clock.advanceTo(targetMs);
      } finally {
        jumping = false;
        for (const listener of jumpEndListeners) listener();
      }
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      stopLoops();
    },
  };
}
