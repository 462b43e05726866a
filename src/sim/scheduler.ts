/**
 * The simulator's one clock and its event queue. Events run one at a time in
 * (virtual time, sequence number) order, so two events due at the same
 * millisecond run in the order they were scheduled:
 *
 *   at(5, a); at(3, b); at(5, c)   → b@3, a@5, c@5
 *
 * Between events, promise continuations settle, however deep: after an
 * event that may have run user code the scheduler queues one microtask that
 * queues a `process.nextTick`. Node runs next-tick callbacks only once V8 has
 * drained its whole microtask queue, including every microtask queued while
 * draining, so the next event runs only after every continuation has run
 * (exactly, with no guess at how many awaits deep user code goes). Where
 * Node lets it (`drainNow`), the scheduler drains the microtask queue at once
 * instead: as exact, and cheaper. User code's own `process.nextTick`
 * callbacks are not reliably waited for (in the simulator, await instead). Every so
 * often, before virtual time moves on, it also yields a macrotask
 * (setImmediate), so I/O, timers and worker messages of the host process are
 * not starved by a long run. The order of everything is fixed by the program
 * and the seed, so runs are reproducible.
 *
 * Quiet events (the server applying a request, its expiry sweep) run no user
 * code and settle no promises, so they never force a yield. Background events
 * (the server's periodic upkeep) do not keep a run from going idle.
 */
import { settledNothing } from '../client/runtime.ts';
import { assert } from '../store/assert.ts';
import { DeadlineHeap } from '../store/deadline-heap.ts';
import type { LoopTimers } from '../store/etcd-loops.ts';

export interface ScheduleOptions {
  /** Periodic upkeep that alone never makes anything happen to a process (it does not keep the run alive). */
  background?: boolean;
  /** Runs no user code and settles no promise, so no yield is needed after it. */
  quiet?: boolean;
}

export interface ScheduledEvent {
  readonly atMs: number;
  readonly sequence: number;
}

/** Flag bits of a queued event (one small integer instead of a field each: ~57k events a bench run). */
const backgroundFlag = 1;
const quietFlag = 2;

/**
 * An event in the queue. Its owner may keep one and queue it again once it
 * left the queue (`Scheduler.enqueue`): a local clock's timer is its own
 * event, so arming a timer makes one object, not two.
 */
export class QueuedEvent implements ScheduledEvent {
  atMs: number;
  sequence: number;
  /** Returns settledNothing when it ran no user code and settled no promise after all (no continuations to wait for). */
  readonly fn: (arg: unknown) => unknown;
  /** What `fn` is called with: one shared `fn` serves many events (no closure per event). */
  arg: unknown;
  /** `backgroundFlag | quietFlag`, as ScheduleOptions says. */
  readonly flags: number;
  /** Its slot in the event heap; -1 once it left it (ran or was cancelled: cancelling it again does nothing). */
  queueIndex = -1;

  constructor(atMs: number, sequence: number, fn: (arg: unknown) => unknown, arg: unknown, flags: number) {
    this.atMs = atMs;
    this.sequence = sequence;
    this.fn = fn;
    this.arg = arg;
    this.flags = flags;
  }
}

/** Why a run stopped. */
export type RunEnd = 'done' | 'idle' | 'msMax' | 'eventsMax';

export interface RunLimits {
  /** Stop before running an event due after this virtual time. */
  msMax: number;
  /** Stop after running this many events. */
  eventsMax: number;
}

export interface RunHooks {
  /** Has everything the run is for finished? Checked between events. */
  done(): boolean;
  /** Only background events are left: can they still make anything happen? */
  canWake(): boolean;
}

/**
 * Yield a macrotask before time moves on once this many user-code events ran
 * since the last one (and always before a run ends), so the host's event
 * loop (I/O, a progress bar, worker messages) keeps turning. A macrotask
 * costs ~8 µs; after every event it would cap the simulator near 100k events/s.
 */
export const macrotaskEveryEvents = 64;

/** A reaction on a resolved promise: queued behind every microtask already queued. */
const settled = Promise.resolve();

/**
 * Node's "run every queued microtask now" (process._tickCallback: what Node
 * itself runs between timers and between immediates). From a next-tick or a
 * macrotask callback it drains V8's whole microtask queue, and any next-tick
 * callbacks queued meanwhile, before it returns; inside a microtask it does
 * nothing, so the scheduler relies on it only after a marker microtask showed
 * it drains where the loop runs. Saves the microtask + nextTick round
 * (~0.2 µs and ~250 bytes) after each user-code event. Deprecated but kept
 * (DEP0134, documentation-only): used only while it is Node's plain function
 * (with --pending-deprecation Node wraps it to warn; a browser has none).
 */
const drainNow: (() => void) | undefined = (() => {
  const candidate = (globalThis as { process?: { _tickCallback?: unknown } }).process?._tickCallback;
  return typeof candidate === 'function' && candidate.name === 'runNextTicks' ? (candidate as () => void) : undefined;
})();

/** Whether drainNow drains where the caller runs: it runs a marker microtask if and only if it does. */
function drainsHere(): boolean {
  if (drainNow === undefined) return false;
  markerRan = false;
  void settled.then(markDrained);
  drainNow();
  return markerRan;
}
let markerRan = false;
const markDrained = (): void => {
  markerRan = true;
};

function yieldMacrotask(then: () => void): void {
  setImmediate(then); // tidy: allow let the host's event loop turn before virtual time moves on
}

export class Scheduler {
  /**
   * True while a run is executing events and settling their continuations;
   * false before and after a run and while it yields a macrotask to the host
   * (whose timers and I/O callbacks then run: code that is not the simulation's).
   */
  #simulating = false;
  #nowMs = 0;
  #sequence = 0;
  readonly #heap = new DeadlineHeap<QueuedEvent>(before);
  #foreground = 0;
  #eventsRun = 0;
  nowMs(): number {
    return this.#nowMs;
  }

  /** Events run so far. */
  get eventsRun(): number {
    return this.#eventsRun;
  }

  /** Pending events that are not background upkeep. */
  get foregroundPending(): number {
    return this.#foreground;
  }

  /** Run `fn` at virtual time `atMs` (not before now). */
  at(atMs: number, fn: () => void, options?: ScheduleOptions): ScheduledEvent {
    return this.atWith(atMs, fn, undefined, options);
  }

  /**
   * Run `fn(arg)` at virtual time `atMs` (not before now); as `at`, without a closure for each event.
   * `fn` may return settledNothing to say this run was quiet after all (no user code ran, no promise settled).
   */
  atWith<A>(atMs: number, fn: (arg: A) => unknown, arg: A, options?: ScheduleOptions): ScheduledEvent {
    if (!Number.isFinite(atMs)) assert(false, `event time must be finite, got ${atMs}`); // the message is built only on failure
    const flags = options === undefined ? 0 : (options.background === true ? backgroundFlag : 0) | (options.quiet === true ? quietFlag : 0);
    const event = new QueuedEvent(Math.max(atMs, this.#nowMs), ++this.#sequence, fn as (arg: unknown) => unknown, arg, flags);
    if ((flags & backgroundFlag) === 0) this.#foreground++;
    this.#heap.push(event);
    return event;
  }

  /**
   * Queue `event` (not in the queue now) to run at `atMs`
   * (not before now), with the next sequence number: as atWith, with an event
   * object its owner keeps.
   */
  enqueue(event: QueuedEvent, atMs: number): void {
    if (!Number.isFinite(atMs)) assert(false, `event time must be finite, got ${atMs}`);
    // Checked before its time and sequence change: they place it in the heap.
    if (event.queueIndex !== -1) assert(false, 'event is already queued');
    event.atMs = Math.max(atMs, this.#nowMs);
    event.sequence = ++this.#sequence;
    if ((event.flags & backgroundFlag) === 0) this.#foreground++;
    this.#heap.push(event);
  }

  /** Run `fn` `delayMs` from now. */
  after(delayMs: number, fn: () => void, options?: ScheduleOptions): ScheduledEvent {
    return this.at(this.#nowMs + Math.max(0, delayMs), fn, options);
  }

  /** Cancel an event; cancelling one that ran or was cancelled is a no-op. */
  cancel(handle: ScheduledEvent): void {
    const event = handle as QueuedEvent;
    if (event.queueIndex === -1) return;
    this.#heap.remove(event);
    if ((event.flags & backgroundFlag) === 0) this.#foreground--;
  }

  /** Whether code running now is the simulation's (an event or its continuations), not the host's. */
  get simulating(): boolean {
    return this.#simulating;
  }

  /** Due time of the next event, or undefined. */
  nextAtMs(): number | undefined {
    return this.#heap.peek()?.atMs;
  }

  /**
   * Run events until `hooks.done()`, until nothing can happen any more
   * ('idle'), or until a limit. Throws whatever an event throws (a broken
   * invariant ends the run).
   */
  run(limits: RunLimits, hooks: RunHooks): Promise<RunEnd> {
    // The loop is driven by plain callbacks rather than an async function.
    // (Node's queueMicrotask costs more than a reaction on a resolved promise:
    // it wraps every callback for async_hooks.)
    return new Promise<RunEnd>((resolve, reject) => {
      /** User-code events since the last macrotask yield. */
      let unsettled = 0;
      const enter = (inCallback: boolean): void => {
        try {
          step(inCallback);
        } catch (error) {
          this.#simulating = false;
          reject(error);
        }
      };
      const loop = (): void => enter(true);
      const toHost = (): void => {
        this.#simulating = false;
        yieldMacrotask(afterMacrotask);
      };
      const afterMacrotask = (): void => {
        this.#simulating = true;
        unsettled = 0;
        loop(); // continuations may have changed the picture (or scheduled events for now): look again
      };
      // Runs once V8's microtask queue is empty: every continuation of the last event has settled.
      const settledAll = (): void => process.nextTick(loop);
      /** @param inCallback - whether a tick or macrotask callback runs it (or the caller of run(): maybe a microtask) */
      const step = (inCallback: boolean): void => {
        /** Undefined until an event needs its continuations settled: can drainNow settle them here? */
        let drains: boolean | undefined;
        for (;;) {
          const next = this.#heap.peek();
          if ((next === undefined || next.atMs > this.#nowMs) && unsettled >= macrotaskEveryEvents) {
            toHost();
            return;
          }
          let why: RunEnd | undefined;
          if (hooks.done()) why = 'done';
          else if (next === undefined || (this.#foreground === 0 && !hooks.canWake())) why = 'idle';
          else if (next.atMs > limits.msMax) why = 'msMax';
          else if (this.#eventsRun >= limits.eventsMax) why = 'eventsMax';
          if (why !== undefined) {
            if (unsettled !== 0) {
              toHost(); // always settle fully before a run ends
              return;
            }
            if (why === 'msMax') this.#nowMs = Math.max(this.#nowMs, limits.msMax);
            this.#simulating = false;
            resolve(why);
            return;
          }
          if (next === undefined) continue; // unreachable: an empty queue ends the run as idle
          this.#heap.pop();
          if ((next.flags & backgroundFlag) === 0) this.#foreground--;
          this.#nowMs = next.atMs;
          this.#eventsRun++;
          const quietAfterAll = next.fn(next.arg) === settledNothing;
          if ((next.flags & quietFlag) === 0 && !quietAfterAll) {
            unsettled++;
            if (drains === undefined)
              drains = inCallback && drainsHere(); // the first drain here is also the test
            else if (drains) drainNow!();
            if (!drains) {
              void settled.then(settledAll);
              return;
            }
          }
        }
      };
      this.#simulating = true;
      enter(false);
    });
  }

  /** Check the event queue (for tests): heap order (a queued event knows its slot), none before now, the foreground count. */
  checkValid(): void {
    this.#heap.checkValid();
    let foreground = 0;
    for (const event of this.#heap.entries()) {
      assert(event.atMs >= this.#nowMs, `scheduler: event ${event.sequence} due at ${event.atMs}, before now (${this.#nowMs})`);
      if ((event.flags & backgroundFlag) === 0) foreground++;
    }
    assert(foreground === this.#foreground, `scheduler: ${foreground} foreground events queued, count says ${this.#foreground}`);
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);
}

/** Background upkeep that runs no user code (one object for every such event). */
const upkeep: ScheduleOptions = { background: true, quiet: true };

/** The scheduler's events, as etcd's loops schedule them: background upkeep that runs no user code. */
export function upkeepTimers(scheduler: Scheduler): LoopTimers<ScheduledEvent> {
  return {
    nowMs: () => scheduler.nowMs(),
    at: (atMs, fn) => scheduler.at(atMs, fn, upkeep),
    cancel: (event) => scheduler.cancel(event),
  };
}
