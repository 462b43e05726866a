/**
 * The simulator's one clock and its event queue. Events run one at a time in
 * (virtual time, sequence number) order, so two events due at the same
 * millisecond run in the order they were scheduled:
 *
 *   at(5, a); at(3, b); at(5, c)   → b@3, a@5, c@5
 *
 * Between events, promise continuations settle: after an event that may have
 * run user code the scheduler drains microtasks with a chain of microtask
 * ticks (each one microtask, as an `await` takes) that goes on until user
 * code has gone quiet (no timer set, message sent or trace line written for
 * `settleTicks` ticks), and every so often, before
 * virtual time moves on, it yields a full macrotask (setImmediate), which
 * lets every queued continuation run. Yielding a macrotask after every event
 * would cap the simulator near 250k events/s; a chain of awaits costs almost
 * nothing (DESIGN.md, "The simulated world"). Either way the order of
 * everything is fixed by the program and the seed, so runs are reproducible.
 *
 * Quiet events (the server applying a request, its expiry sweep) run no user
 * code and settle no promises, so they never force a yield. Background events
 * (the server's periodic upkeep) do not keep a run from going idle.
 */
import { assert } from '../store/assert.ts';

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

interface QueuedEvent extends ScheduledEvent {
  fn: () => void;
  background: boolean;
  quiet: boolean;
  cancelled: boolean;
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
 * After an event that may have run user code, drain microtasks until this
 * many ticks (one microtask each, like an `await`) in a row saw no activity (nothing scheduled, cancelled or
 * traced). Over 100 seeds of the faulty workload, 4 already gives traces
 * identical to yielding a macrotask after every event; 12 is the margin.
 */
export const settleTicks = 12;
/**
 * Yield a macrotask before time moves on once this many user-code events ran
 * since the last one (and always before a run ends). A macrotask lets every
 * continuation settle, however deep, but costs ~8 µs against ~1.5 µs for the
 * drain; every event would cap the simulator near 100k events/s here.
 */
export const macrotaskEveryEvents = 64;

/** Reactions on a resolved promise run after every microtask queued before them: one settle tick. */
const settled = Promise.resolve();

function yieldMacrotask(then: () => void): void {
  // The one real yield: a macrotask runs only after every queued promise continuation has settled.
  setImmediate(then); // tidy: allow settle continuations before virtual time moves on
}

export class Scheduler {
  #nowMs = 0;
  #sequence = 0;
  #heap: QueuedEvent[] = [];
  #foreground = 0;
  #eventsRun = 0;
  /** Bumped by anything user code does to the world: scheduling, cancelling, tracing (touch). */
  #activity = 0;

  /** Note that user code did something (the trace calls this). */
  touch(): void {
    this.#activity++;
  }

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
    if (!Number.isFinite(atMs)) assert(false, `event time must be finite, got ${atMs}`); // the message is built only on failure
    const event: QueuedEvent = {
      atMs: Math.max(atMs, this.#nowMs),
      sequence: ++this.#sequence,
      fn,
      background: options?.background ?? false,
      quiet: options?.quiet ?? false,
      cancelled: false,
    };
    if (!event.background) this.#foreground++;
    this.#activity++;
    this.#push(event);
    return event;
  }

  /** Run `fn` `delayMs` from now. */
  after(delayMs: number, fn: () => void, options?: ScheduleOptions): ScheduledEvent {
    return this.at(this.#nowMs + Math.max(0, delayMs), fn, options);
  }

  /** Cancel an event; cancelling one that ran or was cancelled is a no-op. */
  cancel(handle: ScheduledEvent): void {
    const event = handle as QueuedEvent;
    if (event.cancelled) return;
    event.cancelled = true;
    this.#activity++;
    if (!event.background) this.#foreground--;
  }

  /** Due time of the next event, or undefined. */
  nextAtMs(): number | undefined {
    return this.#peek()?.atMs;
  }

  /**
   * Run events until `hooks.done()`, until nothing can happen any more
   * ('idle'), or until a limit. Throws whatever an event throws (a broken
   * invariant ends the run).
   */
  run(limits: RunLimits, hooks: RunHooks): Promise<RunEnd> {
    // The loop is driven by plain callbacks rather than an async function:
    // each settle tick is one reaction on an already-resolved promise (the
    // one microtask an `await undefined` takes, so continuations interleave
    // exactly as before) without resuming an async function per tick.
    // (Node's queueMicrotask costs more: it wraps every callback for async_hooks.)
    return new Promise<RunEnd>((resolve, reject) => {
      /** User-code events since the last macrotask yield. */
      let unsettled = 0;
      /** Settle ticks in a row that saw no activity, and the activity count last seen. */
      let silent = 0;
      let seen = 0;
      const loop = (): void => {
        try {
          step();
        } catch (error) {
          reject(error);
        }
      };
      const afterMacrotask = (): void => {
        unsettled = 0;
        loop(); // continuations may have changed the picture (or scheduled events for now): look again
      };
      const settleTick = (): void => {
        if (this.#activity === seen) silent++;
        else {
          seen = this.#activity;
          silent = 0;
        }
        if (silent < settleTicks) void settled.then(settleTick);
        else loop();
      };
      const step = (): void => {
        for (;;) {
          const next = this.#peek();
          if ((next === undefined || next.atMs > this.#nowMs) && unsettled >= macrotaskEveryEvents) {
            yieldMacrotask(afterMacrotask);
            return;
          }
          let why: RunEnd | undefined;
          if (hooks.done()) why = 'done';
          else if (next === undefined || (this.#foreground === 0 && !hooks.canWake())) why = 'idle';
          else if (next.atMs > limits.msMax) why = 'msMax';
          else if (this.#eventsRun >= limits.eventsMax) why = 'eventsMax';
          if (why !== undefined) {
            if (unsettled !== 0) {
              yieldMacrotask(afterMacrotask); // always settle fully before a run ends
              return;
            }
            if (why === 'msMax') this.#nowMs = Math.max(this.#nowMs, limits.msMax);
            resolve(why);
            return;
          }
          if (next === undefined) continue; // unreachable: an empty queue ends the run as idle
          this.#pop();
          next.cancelled = true;
          if (!next.background) this.#foreground--;
          this.#nowMs = next.atMs;
          this.#eventsRun++;
          next.fn();
          if (!next.quiet) {
            unsettled++;
            silent = 0;
            seen = this.#activity;
            void settled.then(settleTick);
            return;
          }
        }
      };
      loop();
    });
  }

  #peek(): QueuedEvent | undefined {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.cancelled) this.#pop();
    return heap[0];
  }

  #push(event: QueuedEvent): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent]!;
      if (!before(event, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = event;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      let smallest = heap[left]!;
      if (right < n) {
        const other = heap[right]!;
        if (before(other, smallest)) {
          child = right;
          smallest = other;
        }
      }
      if (!before(smallest, last)) break;
      heap[i] = smallest;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);
}
