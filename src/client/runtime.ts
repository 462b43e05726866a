/**
 * The client's sense of time: its local clock and timers on it. In the
 * simulator this is the process's drifting local clock; against a real etcd
 * it is the wall clock (`realRuntime`).
 */
export interface ClientRuntime {
  nowMs(): number;
  /** Run `fn` after `delayMs` on this clock; returns a function that cancels it. `fn` may return {@link settledNothing}. */
  setTimer(delayMs: number, fn: () => void): () => void;
  /**
   * Run `fn(arg)` after `delayMs`; returns a handle that cancels it. The same
   * as setTimer without a closure per timer: hot paths (call deadlines, loop
   * ticks) pass one shared `fn` and their own state as `arg`. Optional: see
   * {@link armTimer}.
   */
  setTimerWith?<A>(delayMs: number, fn: (arg: A) => unknown, arg: A): TimerHandle;
}

/** A pending timer: cancel() stops it (after it ran, or a second time, it does nothing). */
export interface TimerHandle {
  cancel(): void;
}

/** setTimerWith where the runtime has it, else setTimer with a closure. */
export function armTimer<A>(runtime: ClientRuntime, delayMs: number, fn: (arg: A) => unknown, arg: A): TimerHandle {
  if (runtime.setTimerWith !== undefined) return runtime.setTimerWith(delayMs, fn, arg);
  return { cancel: runtime.setTimer(delayMs, () => fn(arg)) };
}

/**
 * What a timer's (or a simulator event's) function may return to say it ran
 * no user code and settled no promise, as a loop's tick that found nothing to
 * do: the simulator then runs its next event without first waiting for
 * continuations. A symbol, so that no function says it by accident; real
 * runtimes ignore it.
 */
export const settledNothing: unique symbol = Symbol('settled nothing');

/** The wall clock and real timers (the simulator hands its clients a virtual runtime instead). */
export const realRuntime: ClientRuntime = {
  nowMs: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, delayMs);
    return () => clearTimeout(handle);
  },
};
