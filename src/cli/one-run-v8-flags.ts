/**
 * V8 settings for a process that does one simulation and exits (`leaselab
 * run`): such a run is mostly cold, and most of its CPU is V8 compiling
 * optimized code on helper threads and copying the kept trace through the
 * young generation, not running that code. Set after the command's modules
 * load and before it runs; commands that run many simulations (explore) keep
 * V8's defaults.
 *
 * Measured (alternating, medians of 11-15 fresh processes, 2-core machine):
 * bench/sim-cold.ts's workload (its child sets these the same way) CPU of
 * all threads 467 → 349 ms and main thread 143 → 138 ms with the last three
 * flags; the interrupt budget then 354 → 318 ms CPU, main 141 → 151 ms,
 * wall 207 → 195 ms. `leaselab run leader-changes-keep-lease` (162k events)
 * CPU 263 → 201 ms (last three); a short scenario (lock-contention, 166
 * events) unchanged at 48-52 ms. In a process that goes on running
 * (bench/sim.ts's warm runs, explore) such settings make runs 10-30% slower,
 * which is why they are not the default:
 *
 * - interrupt-budget=101376 (1.5× V8's default): functions run longer in
 *   the interpreter before V8 considers optimizing them, so fewer are
 *   compiled (more main-thread time, less on the compiler threads; twice
 *   the default cut CPU further, 310 ms, but put main at ~159 ms).
 * - max-bytecode-size-for-early-opt=0: small functions wait for the usual
 *   number of ticks before TurboFan compiles them on their own (most are
 *   inlined into their hot callers by then), so fewer compile jobs.
 * - max-inlined-bytecode-size-cumulative=460 (V8's default is 920): less
 *   inlined into each optimized function, so less compile work per job.
 * - no-allocation-site-pretenuring (-17 ms CPU on top of early-opt and inlining):
 *   V8 otherwise decides late in a long run to allocate the kept trace's
 *   objects in the old generation, deoptimizing the code that allocates them.
 */
import v8 from 'node:v8';

export const oneRunV8Flags = [
  '--interrupt-budget=101376',
  '--max-bytecode-size-for-early-opt=0',
  '--max-inlined-bytecode-size-cumulative=460',
  '--no-allocation-site-pretenuring',
] as const;

/** Apply {@link oneRunV8Flags} to this process (before the run: code optimized before keeps the old settings). */
export function useOneRunV8Flags(): void {
  for (const flag of oneRunV8Flags) v8.setFlagsFromString(flag);
}
