/**
 * Every counterexample is replayed once before it is reported: the same seed
 * and schedule must give the same trace, byte for byte. When they do not,
 * the counterexample cannot be trusted to show the bug again, and the report
 * says so, with the first line that differs and the likely cause:
 *
 *   replay differs from the run that found it (first difference at trace line 212):
 *     found:  12.004  alice#1   call #9 txn …
 *     replay: 12.004  alice#1   call #9 range …
 *   likely cause: the algorithm called Math.random ×12 (use the lock context's random()) …
 */
import { renderTraceEvent } from '../sim/trace.ts';
import type { LockRun } from './workload.ts';

/** Undefined when the two runs are the same; else a few lines saying where they part and why. */
export function compareReplay(found: LockRun, replayed: LockRun): string | undefined {
  const a = found.trace.events;
  const b = replayed.trace.events;
  const length = Math.min(a.length, b.length);
  let index = -1;
  for (let i = 0; i < length; i++) {
    const left = renderTraceEvent(a[i]!);
    const right = renderTraceEvent(b[i]!);
    if (left !== right) {
      index = i;
      break;
    }
  }
  if (index < 0 && a.length === b.length) return undefined;
  if (index < 0) index = length;
  const line = (events: typeof a) => (events[index] === undefined ? '(the trace ended here)' : renderTraceEvent(events[index]!).trim());
  return [
    `replay differs from the run that found it (first difference at trace line ${index + 1} of ${a.length} / ${b.length}):`,
    `  found:  ${line(a)}`,
    `  replay: ${line(b)}`,
    `likely cause: ${likelyCause(found, replayed)}`,
  ].join('\n');
}

/** What most likely made two runs of the same case differ. */
export function likelyCause(found: LockRun, replayed: LockRun): string {
  const causes: string[] = [];
  const used = found.globals.description || replayed.globals.description;
  if (used !== '') causes.push(`the algorithm used globals: ${used}; they were replaced by seeded/virtual ones, but global timers ignore pauses and crashes`);
  if (found.globals.shared || replayed.globals.shared)
    causes.push('another simulated run was going on at the same time in this process and shared the replaced globals (run explorations one at a time)');
  causes.push(
    'state kept between runs (module-level variables, caches, counters in the lock module), or time and randomness the simulator cannot replace (new Date(), performance.now, node:timers, crypto.randomUUID, real I/O)',
  );
  return causes.join('; or ');
}
