/**
 * Node globals the simulator and the explorer reach for, in the browser
 * bundle: `process.nextTick` and `setImmediate` (the scheduler runs its next
 * event once every promise continuation has settled, src/sim/scheduler.ts),
 * and `Buffer`.
 *
 * Node runs a next-tick callback once V8's microtask queue is empty; the
 * browser has no such queue, but a task (a MessageChannel message) also runs
 * only after the microtask queue drained, so the simulator runs the same
 * events in the same order and writes the same trace (a task costs more:
 * a run is slower than in Node, not different).
 */
import { Buffer } from './buffer.ts';

interface NodeLikeGlobals {
  setImmediate?: (fn: () => void) => void;
  Buffer?: unknown;
  process?: { nextTick?: (fn: () => void) => void; env?: Record<string, string | undefined> };
}
const host = globalThis as unknown as NodeLikeGlobals;

const queue: (() => void)[] = [];
const channel = new MessageChannel();
// One callback per task: each runs after the microtasks the one before it queued.
(channel.port1 as unknown as { onmessage: () => void }).onmessage = () => {
  const fn = queue.shift();
  if (fn !== undefined) fn();
};
function afterMicrotasks(fn: () => void): void {
  queue.push(fn);
  channel.port2.postMessage(0);
}

host.setImmediate ??= afterMicrotasks;
host.process ??= { env: {} };
host.process.nextTick ??= afterMicrotasks;
host.process.env ??= {};
host.Buffer ??= Buffer;
