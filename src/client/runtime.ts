/**
 * The client's sense of time: its local clock and timers on it. In the
 * simulator this is the process's drifting local clock; against a real etcd
 * it is the wall clock (`realRuntime`).
 */
export interface ClientRuntime {
  nowMs(): number;
  /** Run `fn` after `delayMs` on this clock; returns a function that cancels it. */
  setTimer(delayMs: number, fn: () => void): () => void;
}

/** The wall clock and real timers (the simulator hands its clients a virtual runtime instead). */
export const realRuntime: ClientRuntime = {
  nowMs: () => Date.now(),
  setTimer(delayMs, fn) {
    const handle = setTimeout(fn, delayMs);
    return () => clearTimeout(handle);
  },
};
