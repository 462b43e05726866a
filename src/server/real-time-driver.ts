/**
 * Drives a store's VirtualClock from the wall clock, for servers that real
 * clients talk to: virtual time = wall-clock ms since start + the total
 * fast-forward. etcd's loops (lease sweep every 500 ms, watch resync every
 * 100 ms, progress notifications) run on that clock (runJumpingStoreLoops).
 *
 *   const driver = new RealTimeDriver(store, clock);   // starts ticking every 10 ms
 *   driver.tick();                                     // before serving a request
 *   driver.advance(5_500);                             // an unkept lease 5.5 s from expiry is gone now
 *   driver.stop();
 *
 * The fast-forward model: `advance(ms)` moves virtual time ahead of wall
 * time for good (the offset stays), as if `ms` of real time had passed in
 * an instant while every client kept doing what it was doing:
 * - a lease with a live keeper (`keepers`: an open keepalive stream that
 *   renewed it within its cadence, in wall time) is carried across: its
 *   deadline moves `ms` later, so its remaining TTL is what it was, as it
 *   would be after `ms` of renewals every TTL/3;
 * - every other lease (its client closed the stream, its connection died,
 *   it went silent) expires on the way, at etcd's 500 ms sweep;
 * - loops skip the ticks where they have nothing to do, so a jump costs
 *   O(work due): `advance(1e12)` is as quick as `advance(1000)`.
 * Virtual time never moves backwards.
 */
import type { EtcdStore } from '../store/etcd-store.ts';
import type { StoreLoopOptions } from '../store/etcd-loops.ts';
import { type JumpingStoreLoops, runJumpingStoreLoops } from '../store/store-loops.ts';
import type { VirtualClock } from '../store/virtual-clock.ts';
import { fastForwardTotalMsMax } from './fast-forward-limits.ts';
import { LeaseKeepers } from './lease-keepers.ts';

/** Options of the real-time driver: tick interval, the store loops' intervals, the wall clock. */
export interface RealTimeDriverOptions {
  /** How often the clock catches up with the wall clock on its own. @defaultValue 10 */
  tickIntervalMs?: number;
  /** Passed to runJumpingStoreLoops. */
  loops?: StoreLoopOptions;
  /** Wall-clock ms (monotonic). @defaultValue performance.now */
  wallNowMs?: () => number;
}

/** Keeps a store's virtual clock on wall time (and lets it run ahead: `advance(ms)`), running the store loops. */
export class RealTimeDriver {
  readonly clock: VirtualClock;
  /** Which leases live clients are keeping alive (fed by the server's keepalive streams). */
  readonly keepers: LeaseKeepers;
  readonly #store: EtcdStore;
  readonly #loopOptions: StoreLoopOptions | undefined;
  readonly #wallNowMs: () => number;
  readonly #wallStartMs: number;
  readonly #virtualStartMs: number;
  #offsetMs = 0;
  #interval: ReturnType<typeof setInterval> | undefined;
  #loops: JumpingStoreLoops | undefined;

  constructor(store: EtcdStore, clock: VirtualClock, options: RealTimeDriverOptions = {}) {
    this.clock = clock;
    this.#store = store;
    this.#loopOptions = options.loops;
    this.#wallNowMs = options.wallNowMs ?? (() => performance.now());
    this.keepers = new LeaseKeepers(this.#wallNowMs);
    this.#wallStartMs = this.#wallNowMs();
    this.#virtualStartMs = clock.nowMs();
    this.#loops = runJumpingStoreLoops(store, clock, options.loops);
    const tickIntervalMs = options.tickIntervalMs ?? 10;
    this.#interval = setInterval(() => this.tick(), tickIntervalMs);
    this.#interval.unref();
  }

  /** How far virtual time has been moved ahead of wall time, in ms. */
  get fastForwardMs(): number {
    return this.#offsetMs;
  }

  /** Virtual ms now (after catching up with the wall clock). */
  nowMs(): number {
    this.tick();
    return this.clock.nowMs();
  }

  /** Catch the virtual clock up with wall time + fast-forward, running the loop ticks due on the way. */
  tick(): void {
    if (this.#loops === undefined) return;
    const targetMs = this.#virtualStartMs + (this.#wallNowMs() - this.#wallStartMs) + this.#offsetMs;
    if (targetMs > this.clock.nowMs()) this.#loops.advanceTo(targetMs);
  }

  /**
   * Move virtual time `ms` ahead of wall time (cumulative): leases with a live
   * keeper are carried across, everything else due on the way happens.
   * @throws RangeError for a negative or non-finite `ms`, or one that takes the total past fastForwardTotalMsMax
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`can only fast-forward by a finite, non-negative number of ms, got ${ms}`);
    if (this.#offsetMs + ms > fastForwardTotalMsMax) {
      throw new RangeError(`can only fast-forward ${fastForwardTotalMsMax} ms in total; ${this.#offsetMs} ms used, ${ms} ms asked`);
    }
    this.tick(); // keepers are judged against the store as of now
    for (const id of this.keepers.liveLeases()) this.#store.lessor.postpone(id, ms);
    this.#offsetMs += ms;
    this.tick();
  }

  /** The store was emptied (EtcdStore.reset): run its loops afresh and forget who kept what. */
  restartLoops(): void {
    if (this.#loops === undefined) return;
    this.#loops.stop();
    this.#loops = runJumpingStoreLoops(this.#store, this.clock, this.#loopOptions);
    this.keepers.forgetRenewals();
  }

  /** Stop ticking and stop the store's loops; the clock stays where it is. */
  stop(): void {
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#interval = undefined;
    this.#loops?.stop();
    this.#loops = undefined;
  }
}
