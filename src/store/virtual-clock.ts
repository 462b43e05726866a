/**
 * A virtual clock in milliseconds with timers. Nothing moves unless its owner
 * says so: `advance(ms)` and `advanceTo(t)` fire every timer due on the way,
 * in (due time, sequence number) order, setting `nowMs()` to each timer's due
 * time as it fires. A timer set while firing runs in the same advance if it is
 * due by then.
 *
 *   clock.setTimer(500, sweep); clock.setTimer(500, resync); clock.advance(1000)
 *   → sweep@500, resync@500 (set in that order), then whatever they set for ≤ 1000.
 */
import { assert } from './assert.ts';
import type { Clock } from './clock.ts';
import { DeadlineHeap, dueBefore } from './deadline-heap.ts';

/** Names a timer set on a {@link VirtualClock}, to cancel it. */
export type TimerId = number;

interface Timer {
  dueMs: number;
  readonly sequence: number;
  fn: () => void;
  /** Its slot in the timer heap; -1 once it left it. */
  queueIndex: number;
}

/** Bounds of {@link VirtualClock.runUntil}. */
export interface RunUntilOptions {
  /** Give up once virtual time would pass now + msMax. */
  msMax: number;
}

/** A clock that moves only when told to (`advance(ms)`), running the timers that fall due on the way. */
export class VirtualClock implements Clock {
  #nowMs: number;
  #sequence = 0;
  /** Timers by (dueMs, sequence). */
  readonly #heap = new DeadlineHeap<Timer>(dueBefore);
  /** Timers waiting to fire, by ID. */
  readonly #live = new Map<TimerId, Timer>();

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** Due time of the next timer, or undefined when none is set. */
  nextDueMs(): number | undefined {
    return this.#heap.peek()?.dueMs;
  }

  /** Run `fn` once, `delayMs` from now (0 and negative delays mean now, after timers already due). */
  setTimer(delayMs: number, fn: () => void): TimerId {
    return this.setTimerAt(this.#nowMs + Math.max(0, delayMs), fn);
  }

  setTimerAt(dueMs: number, fn: () => void): TimerId {
    if (!Number.isFinite(dueMs)) assert(false, `timer due time must be finite, got ${dueMs}`); // the message is built only on failure
    const timer: Timer = { dueMs: Math.max(dueMs, this.#nowMs), sequence: ++this.#sequence, fn, queueIndex: -1 };
    this.#live.set(timer.sequence, timer);
    this.#heap.push(timer);
    return timer.sequence;
  }

  /** Cancel a timer; cancelling one that fired or was cancelled is a no-op. */
  cancelTimer(id: TimerId): void {
    const timer = this.#live.get(id);
    if (timer === undefined) return;
    this.#live.delete(id);
    this.#heap.remove(timer);
  }

  /** Move time forward by `ms`, firing every timer due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) assert(false, `cannot move time backwards (${ms} ms)`); // the message is built only on failure
    this.advanceTo(this.#nowMs + ms);
  }

  /**
   * Move time to `targetMs` (never backwards), firing every timer due on the way.
   * A timer that itself moves the clock further (a nested advance) leaves it
   * there: time never goes back to `targetMs`.
   */
  advanceTo(targetMs: number): void {
    if (!Number.isFinite(targetMs)) assert(false, `cannot move time to ${targetMs}`); // the message is built only on failure
    if (!(targetMs >= this.#nowMs)) assert(false, `cannot move time backwards (${this.#nowMs} → ${targetMs})`); // the message is built only on failure
    while (this.fireNext(targetMs)) {
      // keep firing
    }
    this.#nowMs = Math.max(this.#nowMs, targetMs);
  }

  /**
   * Fire the earliest timer if it is due by `limitMs`, moving time to it.
   * Returns false (time unchanged) when no timer is due by then.
   */
  fireNext(limitMs = Number.POSITIVE_INFINITY): boolean {
    const top = this.#heap.peek();
    if (top === undefined || top.dueMs > limitMs) return false;
    this.#heap.pop();
    this.#live.delete(top.sequence);
    this.#nowMs = top.dueMs;
    top.fn();
    return true;
  }

  /**
   * Fire timers in order until `predicate()` holds (checked before each
   * timer) or time would pass now + msMax. Returns whether the predicate held.
   */
  runUntil(predicate: () => boolean, { msMax }: RunUntilOptions): boolean {
    if (!(Number.isFinite(msMax) && msMax >= 0)) assert(false, `runUntil needs a finite, non-negative msMax, got ${msMax}`); // the message is built only on failure
    const limitMs = this.#nowMs + msMax;
    for (;;) {
      if (predicate()) return true;
      if (!this.fireNext(limitMs)) {
        this.#nowMs = Math.max(this.#nowMs, limitMs);
        return predicate();
      }
    }
  }

  /** Check the timers (for tests): heap order, exactly the live timers queued, none due before now. */
  checkValid(): void {
    this.#heap.checkValid();
    assert(this.#heap.size === this.#live.size, `virtual clock: ${this.#heap.size} timers queued, ${this.#live.size} live`);
    for (const [id, timer] of this.#live) {
      assert(timer.queueIndex >= 0, `virtual clock: timer ${id} is live but not queued`);
      assert(timer.dueMs >= this.#nowMs, `virtual clock: timer ${id} due at ${timer.dueMs}, before now (${this.#nowMs})`);
    }
  }
}
