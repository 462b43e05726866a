/**
 * A process's own clock: it runs at `driftRate` times virtual time, offset by
 * `offsetMs`, and the process's timers run on it. A timer for 1000 local ms
 * on a clock running at rate 2 fires after 500 virtual ms:
 *
 *   clock = new LocalClock(scheduler, { driftRate: 2, offsetMs: 100 }, gate)
 *   clock.nowMs()            // 100 at virtual 0
 *   clock.setTimer(1000, f)  // f runs at virtual 500, when clock.nowMs() is 1100
 *
 * Drift can change mid-run (a `drift` fault): the clock re-anchors at the
 * current instant and pending timers are rescheduled on the new rate, so a
 * timer always fires when the local clock reaches its due time. A jump moves
 * the local clock (NTP step); timers due by then fire.
 *
 * Timers fire through the process's gate: a paused process holds them until
 * it resumes. The local clock keeps running through a pause.
 */
import type { ClientRuntime, TimerHandle } from '../client/runtime.ts';
import { assert } from '../store/assert.ts';
import { type Linked, LinkedList } from '../store/linked-list.ts';
import { QueuedEvent, type Scheduler } from './scheduler.ts';

/** A process's local clock: its rate against virtual time and its offset. */
export interface ClockSpec {
  /** Local ms per virtual ms. @defaultValue 1 */
  driftRate?: number;
  /** Local time at virtual time 0. @defaultValue 0 */
  offsetMs?: number;
}

/** How a process lets its clock's timers run: at once while it runs, otherwise held (paused) or dropped (stopped). */
export interface TimerGate {
  /** Whether a timer that comes due now runs at once. */
  open(): boolean;
  /** A timer came due while the gate is closed: run `fn` when it opens, or never. */
  hold(fn: () => void): void;
}

/**
 * A pending timer of a LocalClock, the handle that cancels it, and its own
 * scheduler event (queued again when the clock's rate changes): one object
 * per timer. Out of the scheduler's queue (queueIndex -1) while still pending,
 * it is due: it stays cancellable until it actually runs (a paused process
 * runs it on resume).
 */
export class LocalTimer extends QueuedEvent implements Linked<LocalTimer>, TimerHandle {
  readonly localDueMs: number;
  readonly callback: (arg: unknown) => unknown;
  readonly callbackArg: unknown;
  readonly #clock: LocalClock;
  prev: LocalTimer | undefined = undefined;
  next: LocalTimer | undefined = undefined;
  linked = false;

  /** `due` is the clock's event function: the scheduler runs it with this timer. */
  constructor(clock: LocalClock, due: (timer: LocalTimer) => unknown, localDueMs: number, callback: (arg: unknown) => unknown, callbackArg: unknown) {
    super(0, 0, due as (arg: unknown) => unknown, undefined, 0);
    this.arg = this;
    this.#clock = clock;
    this.localDueMs = localDueMs;
    this.callback = callback;
    this.callbackArg = callbackArg;
  }

  cancel(): void {
    this.#clock.cancelTimer(this);
  }
}

/** setTimer's timers: their `arg` is the function to run, called with no argument as the caller gave it. */
function callWithoutArg(fn: unknown): unknown {
  return (fn as () => unknown)();
}

export class LocalClock implements ClientRuntime {
  readonly #scheduler: Scheduler;
  readonly #gate: TimerGate;
  #driftRate: number;
  /** local = anchorLocalMs + driftRate × (virtual − anchorVirtualMs) */
  #anchorVirtualMs = 0;
  #anchorLocalMs: number;
  /** Pending timers in the order they were set (a timer leaves when it runs or is cancelled). */
  readonly #timers = new LinkedList<LocalTimer>();

  constructor(scheduler: Scheduler, spec: ClockSpec, gate: TimerGate) {
    this.#scheduler = scheduler;
    this.#gate = gate;
    this.#driftRate = spec.driftRate ?? 1;
    assert(this.#driftRate > 0, `drift rate must be positive, got ${this.#driftRate}`);
    this.#anchorVirtualMs = scheduler.nowMs();
    this.#anchorLocalMs = (spec.offsetMs ?? 0) + this.#driftRate * scheduler.nowMs();
  }

  get driftRate(): number {
    return this.#driftRate;
  }

  /** Timers waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  nowMs(): number {
    return this.#anchorLocalMs + this.#driftRate * (this.#scheduler.nowMs() - this.#anchorVirtualMs);
  }

  /** The first whole virtual ms at which this clock reads at least `localMs`. */
  virtualAtMs(localMs: number): number {
    const exact = this.#anchorVirtualMs + (localMs - this.#anchorLocalMs) / this.#driftRate;
    let virtualMs = Math.max(this.#scheduler.nowMs(), Math.ceil(exact));
    // Guard against float rounding: never fire before the local due time.
    while (this.#anchorLocalMs + this.#driftRate * (virtualMs - this.#anchorVirtualMs) < localMs) virtualMs++;
    return virtualMs;
  }

  setTimer(delayMs: number, fn: () => void): () => void {
    const timer = this.setTimerWith(delayMs, callWithoutArg, fn);
    return timer.cancel.bind(timer); // a bound function: smaller than a closure with its context
  }

  /** Run `fn(arg)` after `delayMs` local ms; the timer is its own handle (no closure per timer). */
  setTimerWith<A>(delayMs: number, fn: (arg: A) => unknown, arg: A): LocalTimer {
    const localDueMs = this.nowMs() + Math.max(0, delayMs);
    const timer = new LocalTimer(this, this.#due, localDueMs, fn as (arg: unknown) => unknown, arg);
    this.#schedule(timer);
    this.#timers.add(timer);
    return timer;
  }

  /** Cancel a timer of this clock unless it ran or was cancelled already. */
  cancelTimer(timer: LocalTimer): void {
    if (!this.#timers.remove(timer)) return;
    this.#scheduler.cancel(timer); // a no-op when it is due (out of the queue)
  }

  /** Change the rate from now on; pending timers follow the new rate. */
  setDriftRate(driftRate: number): void {
    assert(driftRate > 0, `drift rate must be positive, got ${driftRate}`);
    this.#anchorLocalMs = this.nowMs();
    this.#anchorVirtualMs = this.#scheduler.nowMs();
    this.#driftRate = driftRate;
    this.#reschedule();
  }

  /** Step the local clock by `ms` (either way). */
  jump(ms: number): void {
    this.#anchorLocalMs = this.nowMs() + ms;
    this.#anchorVirtualMs = this.#scheduler.nowMs();
    this.#reschedule();
  }

  /** Forget every timer (the process crashed or exited). */
  dropTimers(): void {
    for (const timer of this.#timers.toArray()) this.#scheduler.cancel(timer);
    this.#timers.clear();
  }

  #schedule(timer: LocalTimer): void {
    this.#scheduler.enqueue(timer, this.virtualAtMs(timer.localDueMs));
  }

  /** A timer's event: one function for every timer of this clock (no closure per timer); it passes on the timer's settledNothing. */
  readonly #due = (timer: LocalTimer): unknown => {
    if (!this.#timers.has(timer)) return undefined;
    if (this.#gate.open()) return this.#fire(timer);
    this.#gate.hold(() => this.#fire(timer));
    return undefined; // held: what it returns when it runs is not this event's
  };

  /** Run a due timer unless it was cancelled meanwhile. */
  #fire(timer: LocalTimer): unknown {
    if (!this.#timers.remove(timer)) return undefined;
    return timer.callback(timer.callbackArg);
  }

  #reschedule(): void {
    for (const timer of this.#timers.toArray()) {
      if (timer.queueIndex === -1) continue; // due: waiting at the gate
      this.#scheduler.cancel(timer);
      this.#schedule(timer);
    }
  }
}
