/**
 * Drives a store's VirtualClock from the wall clock, for servers that real
 * clients talk to: virtual time = wall-clock ms since start + the total
 * fast-forward. etcd's loops (runStoreLoops: lease sweep every 500 ms, watch
 * resync every 100 ms, progress notifications) run on that clock.
 *
 *   const driver = new RealTimeDriver(store, clock);   // starts ticking every 10 ms
 *   driver.tick();                                     // before serving a request
 *   driver.advance(5_500);                             // leases 5.5 s from expiry are gone now
 *   driver.stop();
 *
 * `advance(ms)` moves virtual time ahead of wall time for good (the offset
 * stays), firing every loop tick due on the way, so a lease granted with
 * TTL 5 expires at once after `advance(5500)` instead of 5.5 s later.
 * Virtual time never moves backwards.
 */
import type { EtcdStore } from '../store/etcd-store.ts';
import { runStoreLoops, type StoreLoopOptions } from '../store/store-loops.ts';
import type { VirtualClock } from '../store/virtual-clock.ts';

/** Options of the real-time driver: tick interval, the store loops' intervals, the wall clock. */
export interface RealTimeDriverOptions {
  /** How often the clock catches up with the wall clock on its own. @defaultValue 10 */
  tickIntervalMs?: number;
  /** Passed to runStoreLoops. */
  loops?: StoreLoopOptions;
  /** Wall-clock ms (monotonic). @defaultValue performance.now */
  wallNowMs?: () => number;
}

/** Keeps a store's virtual clock on wall time (and lets it run ahead: `advance(ms)`), running the store loops. */
export class RealTimeDriver {
  readonly clock: VirtualClock;
  readonly #wallNowMs: () => number;
  readonly #wallStartMs: number;
  readonly #virtualStartMs: number;
  #offsetMs = 0;
  #interval: ReturnType<typeof setInterval> | undefined;
  #stopLoops: (() => void) | undefined;

  constructor(store: EtcdStore, clock: VirtualClock, options: RealTimeDriverOptions = {}) {
    this.clock = clock;
    this.#wallNowMs = options.wallNowMs ?? (() => performance.now());
    this.#wallStartMs = this.#wallNowMs();
    this.#virtualStartMs = clock.nowMs();
    this.#stopLoops = runStoreLoops(store, clock, options.loops);
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

  /** Catch the virtual clock up with wall time + fast-forward, firing the loops due on the way. */
  tick(): void {
    if (this.#stopLoops === undefined) return;
    const targetMs = this.#virtualStartMs + (this.#wallNowMs() - this.#wallStartMs) + this.#offsetMs;
    if (targetMs > this.clock.nowMs()) this.clock.advanceTo(targetMs);
  }

  /** Move virtual time `ms` ahead of wall time (cumulative), firing everything due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`can only fast-forward by a finite, non-negative number of ms, got ${ms}`);
    this.#offsetMs += ms;
    this.tick();
  }

  /** Stop ticking and stop the store's loops; the clock stays where it is. */
  stop(): void {
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#interval = undefined;
    this.#stopLoops?.();
    this.#stopLoops = undefined;
  }
}
