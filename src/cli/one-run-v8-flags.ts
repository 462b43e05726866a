/**
 * V8 settings for a process that does one simulation and exits (`leaselab
 * run`): such a run is mostly cold, and most of its CPU is V8 compiling
 * optimized code on helper threads and copying the kept trace through the
 * young generation, not running that code. Set after the command's modules
 * load and before it runs; commands that run many simulations (explore) keep
 * V8's defaults.
 *
 * Measured (alternating, medians of 11 fresh processes, 2-core machine):
 * bench/sim-cold.ts's workload (its child sets these the same way) CPU of
 * all threads 467 → 349 ms, main thread 143 → 138 ms; `leaselab run
 * leader-changes-keep-lease` (162k events) CPU 263 → 201 ms; a short
 * scenario (lock-contention, 166 events) unchanged at 48 ms. In a process
 * that goes on running (bench/sim.ts's warm runs, explore) the same settings
 * make runs 10-30% slower, which is why they are not the default:
 *
 * - max-bytecode-size-for-early-opt=0: small functions wait for the usual
 *   number of ticks before TurboFan compiles them on their own (most are
 *   inlined into their hot callers by then), so fewer compile jobs.
 * - max-inlined-bytecode-size-cumulative=460 (V8's default is 920): less
 *   inlined into each optimized function, so less compile work per job.
 * - no-allocation-site-pretenuring (-17 ms CPU on top of the other two):
 *   V8 otherwise decides late in a long run to allocate the kept trace's
 *   objects in the old generation, deoptimizing the code that allocates them.
 */
import v8 from 'node:v8';

export const oneRunV8Flags = ['--max-bytecode-size-for-early-opt=0', '--max-inlined-bytecode-size-cumulative=460', '--no-allocation-site-pretenuring'] as const;

/** Apply {@link oneRunV8Flags} to this process (before the run: code optimized before keeps the old settings). */
export function useOneRunV8Flags(): void {
  for (const flag of oneRunV8Flags) v8.setFlagsFromString(flag);
}
