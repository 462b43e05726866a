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
