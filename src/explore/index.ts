/**
 * `leaselab/explore`: lock safety as a fast-check property.
 * `fc.assert(lockSafety(myLock, options))` draws fault plans, runs
 * `options.clients` processes contending for the lock in the simulator,
 * judges belief / fenced / liveness, and shrinks a failure to the fewest,
 * shortest faults; its message carries the replay line.
 * `exploreCaseArbitrary` + `checkLockCase` are the same for
 * `@fast-check/vitest`'s `test.prop`.
 */

/** The property, its pieces, and the error a failing case throws (with its violations). */
export { checkLockCase, exploreCaseArbitrary, LockPropertyError, lockSafety } from './property.ts';
export type { ExploreCase, LockSafetyOptions, ReplayCase } from './property.ts';
/** A replayable case as the one-line string `leaselab replay --schedule` takes. */
export { decodeReplayCase, encodeReplayCase, replayCaseOf, replayLine } from './property.ts';
/** Fault-plan and workload arbitraries, for building your own properties. */
export { defaultFaultKinds, describeSchedule, faultKinds, faultPlanArbitrary, planSchedule, workloadArbitrary } from './arbitraries.ts';
export type { FaultDirection, FaultPlan, FaultPlanKind, FaultPlanOptions, FaultSpec, WorkloadArbitraryOptions } from './arbitraries.ts';
/** Run one lock workload under a fault schedule and get its trace and judged history. */
export { runLockWorkload } from './workload.ts';
export type { LockRun, MsRange, ResolvedWorkloadOptions, RunLockWorkloadOptions, WorkloadOptions } from './workload.ts';
/** The history a run yields (lock events, waits, fenced writes, KV calls, lease expiries). */
export type { ExploreFencedWrite, ExploreHistory, KvCallInput, LeaseExpiry } from './history.ts';
/** The properties a run is judged by (`belief`, `fenced`, `liveness`) and what a violation names. */
export { lockProperties } from './judge.ts';
export type { LockProperty, Violation } from './judge.ts';
/** Faults aimed at roles (the holder right after it acquires, a waiter while it waits, the caller of an in-flight call), and which links faults may touch. */
export { aimedFaultSpecArbitrary, parseFaultLinks } from './arbitraries.ts';
export type { FaultAim, FaultLink } from './arbitraries.ts';
/** Exhaustive small-scope search: every single aimed fault over a time grid, then every pair; a counterexample or a bounded proof. */
export { aimedFaultCatalogue, describeExhaustiveResult, exploreExhaustive } from './exhaustive.ts';
export type { ExhaustiveOptions, ExhaustiveResult } from './exhaustive.ts';
/** Coverage-guided search: keeps runs that reach rare lock states and mutates them. */
export { guidedSearch } from './guided.ts';
export type { GuidedSearchOptions, GuidedSearchResult } from './guided.ts';
export { coverageKeys, lockStateCoverage } from './coverage.ts';
/** Simplify a counterexample: one aimed fault instead of several, drop faults that only shift timing. */
export { simplifyCase, timingOnlyKinds } from './simplify.ts';
export type { SimplifiedCase } from './simplify.ts';
/** Compare a counterexample's replay with its first run (nondeterminism shows as a first differing line). */
export { compareReplay } from './replay-check.ts';
