/**
 * leaselab's public API: one explicit export list (as fast-check's index.ts).
 * Scenarios and users import from here, never from a file deeper down.
 *
 *   import { Sim, etcdMutexFenced, renderTextTimeline } from 'leaselab';
 *   const sim = new Sim({ seed: 1 });
 *   sim.resource('storage');
 *   sim.process('alice', async ({ client, resource }) => {
 *     const lock = etcdMutexFenced.create(client, { lockName: '/lock', ttlSeconds: 5 });
 *     const { fencingToken } = await lock.acquire();
 *     await resource('storage').write(fencingToken ?? 0, 'hello');
 *     await lock.release();
 *   });
 *   const result = await sim.run();
 *   console.log(renderTextTimeline(result.trace));
 *
 * Layers (DESIGN.md): store → client → sim → report. Everything exported here
 * is deterministic given a seed.
 */

// ------------------------------------------------------------------ store

/**
 * The in-memory etcd 3.4 store: MVCC KV, txn, compaction, lessor and watch,
 * synchronous, with time injected. `new EtcdStore({ clock })`.
 * @defaultValue heartbeatIntervalMs 100, electionTimeoutMs 1000, exactExpiry false
 */
export { EtcdStore, defaultLeaseIdSeed } from './store/etcd-store.ts';
/** Options of {@link EtcdStore}. */
export type { EtcdStoreOptions } from './store/etcd-store.ts';
/** A clock you advance by hand, and the loop that sweeps leases on it (every 500 ms). */
export { VirtualClock } from './store/virtual-clock.ts';
export { runStoreLoops } from './store/store-loops.ts';
export type { StoreLoopOptions } from './store/store-loops.ts';
/** What the store needs of time and randomness. */
export type { Clock, RandomSource } from './store/clock.ts';
/** etcd's API as the store serves it, and the calls only its owner makes. */
export type { EtcdApi, EtcdMaintenance, WatchSink, WatchStream } from './store/etcd-api.ts';
/** Bytes helpers: keys and values are bytes and sort as bytes. */
export { fromUtf8, utf8 } from './store/bytes.ts';
/** etcd's limits (TTL maximum, sweep interval, minimum TTL …), with units in their names. */
export {
  electionTimeoutMs,
  heartbeatIntervalMs,
  leaseSweepIntervalMs,
  leaseTtlSecondsMax,
  minLeaseTtlSeconds,
  txnOpsMax,
} from './store/limits.ts';
/**
 * etcd's errors: typed classes with etcd's gRPC code and exact message.
 * @throws nothing itself; `isEtcdError` is the type guard.
 */
export {
  CompactedError,
  DuplicateKeyError,
  EtcdError,
  FutureRevisionError,
  GrpcCode,
  InvalidRequestError,
  isEtcdError,
  KeyNotFoundError,
  KeyNotProvidedError,
  LeaseExistsError,
  LeaseNotFoundError,
  LeaseProvidedError,
  LeaseTtlTooLargeError,
  RequestTooLargeError,
  ServerStoppedError,
  TooManyOpsError,
  ValueProvidedError,
  WatchCancelReason,
} from './store/errors.ts';
/** A broken invariant inside leaselab: a bug, never an outcome to handle. */
export { AssertionError } from './store/assert.ts';
/** etcd's messages (RangeRequest, PutResponse, KeyValue, Event, …). Lease IDs are bigints. */
export type {
  Event,
  KeyValue,
  LeaseGrantResponse,
  LeaseId,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeResponse,
  ResponseHeader,
  TxnResponse,
} from './store/messages.ts';

// ------------------------------------------------------------------ client

/**
 * The etcd client (KV, Lease with clientv3's keepalive loop, Watch) over any Transport.
 * @defaultValue callTimeoutMs 5000
 * @throws ClientClosedError from any call after close()
 */
export { Client, defaultCallTimeoutMs } from './client/client.ts';
export type { ClientOptions } from './client/client.ts';
/** Txn builders and range options: `compare.createRevision(k, '=', 0)`, `op.put(k, v, { lease })`. */
export { compare, firstCreate, lastCreate, op } from './client/kv.ts';
export type { CallOptions, DeleteOptions, GetOptions, PutOptions } from './client/kv.ts';
/** A running keepalive and why it ended (`expired`, `deadline`, `revoked`, `closed`). */
export type { KeepAliveHandle, LeaseLostReason } from './client/lease.ts';
export type { WatchHandler, WatchOptions, WatchUpdate, Watcher } from './client/watch.ts';
/** Client-side errors; CallTimeoutError means "maybe applied". */
export {
  CallTimeoutError,
  ClientClosedError,
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  isCallTimeoutError,
  LeaseKeepAliveHaltedError,
  MutexLockedError,
  SessionExpiredError,
} from './client/errors.ts';
/** A transport straight onto a store in this process, and the wall-clock runtime. */
export { InProcessTransport } from './client/in-process-transport.ts';
export { GrpcTransport } from './client/grpc-transport.ts';
export { realRuntime } from './client/runtime.ts';
export type { ClientRuntime } from './client/runtime.ts';
export type { Transport } from './client/transport.ts';
/** What a client reports: calls and outcomes, keepalives, lock beliefs. */
export type { CallOutcome, ClientEvent, ClientObserver } from './client/events.ts';
/**
 * etcd's concurrency recipes as 3.4 writes them: Session (a kept-alive lease),
 * Mutex (no post-wait check), Election.
 * @defaultValue Session ttlSeconds 60
 */
export { defaultSessionTtlSeconds, Session } from './client/concurrency/session.ts';
export type { SessionOptions } from './client/concurrency/session.ts';
export { leaseHex, Mutex } from './client/concurrency/mutex.ts';
export { Election } from './client/concurrency/election.ts';
export type { Observation } from './client/concurrency/election.ts';
/** The naive lease lock: put-if-absent with a lease. */
export { NaiveLock } from './client/naive-lock.ts';
export type { NaiveLockOptions } from './client/naive-lock.ts';
/**
 * Lock algorithms as the simulator explores them; each reports its beliefs
 * (lock-acquired, lock-released, lock-lost) to the client's observer.
 */
export { builtinLockAlgorithms, etcdMutex, etcdMutexFenced, naiveLock } from './client/lock-algorithm.ts';
export type { Acquired, Lock, LockAlgorithm, LockOptions } from './client/lock-algorithm.ts';
/** Fencing: the token is the lock key's create revision. */
export { fenceAccepts, fencingTokenOf, readFencingToken } from './client/fencing.ts';
export type { FencingToken } from './client/fencing.ts';

// ------------------------------------------------------------------ simulator

/**
 * The deterministic simulator: `new Sim({ seed })`, `.process()`, `.resource()`,
 * `.at()`, `.faults()`, `await .run()`.
 * @defaultValue msMax 60_000, eventsMax 10_000_000, latency 1–5 ms
 * @throws from run() when an invariant breaks (an assert in the store or simulator)
 */
export { defaultEventsMax, defaultMsMax, Sim } from './sim/sim.ts';
export type { SimOptions, SimResult, SimStats, SimStoreOptions } from './sim/sim.ts';
/** The world a run holds, with the fault verbs (`crash`, `pause`, `partition`, `serverRestart`, …). */
export { World } from './sim/world.ts';
export type { PartitionOptions } from './sim/world.ts';
/** Faults as data, a random schedule of them, and their one-line description. */
export { describeFault, randomFaultSchedule, serverNode } from './sim/faults.ts';
export type { Fault, FaultKind, FaultSchedule, FaultScheduleOptions, ScheduledFault } from './sim/faults.ts';
/** What a process's main gets: client, sleep, now, log, random, resource(name). */
export type { ProcessContext, ProcessMain, ProcessOptions, ResourceHandle, WriteOutcome } from './sim/process.ts';
/** The storage service that judges writes by fencing token. @defaultValue fenced true */
export { FencedResource } from './sim/fenced-resource.ts';
export type { ResourceOptions, ResourceWriteAttempt } from './sim/fenced-resource.ts';
export type { LatencyDistribution, NetworkOptions } from './sim/network.ts';
export type { Seed } from './sim/random.ts';
export type { RunEnd } from './sim/scheduler.ts';
/** The trace: typed events with virtual times, and its plain one-line-per-event rendering. */
export { formatTimeMs, showLeaseId, Trace } from './sim/trace.ts';
export type { DropReason, TraceEvent, TraceEventKind } from './sim/trace.ts';

// ------------------------------------------------------------------ reports

/**
 * Who believed they held which lock when, lease lifetimes and fault windows,
 * read from a trace: what the timelines draw and what scenarios assert.
 */
export { faultWindows, leaseLifetimes, lockBeliefs, overlappingBeliefs, traceToJson } from './report/trace-facts.ts';
export type { BeliefEnd, FaultWindow, LeaseLifetime, LockBelief, BeliefOverlap } from './report/trace-facts.ts';
/**
 * A readable timeline for the terminal.
 * @defaultValue verbose false (keepalives and dropped messages hidden), color by picocolors' detection
 */
export { renderTextTimeline } from './report/text-timeline.ts';
export type { TextTimelineOptions } from './report/text-timeline.ts';
/** A self-contained HTML page with an SVG swimlane picture of a run. */
export { renderHtmlTimeline } from './report/html-timeline.ts';
export type { HtmlTimelineOptions } from './report/html-timeline.ts';

// ------------------------------------------------------------------ checkers

/**
 * Pure history checkers (src/check): mutual exclusion of belief, fenced
 * safety, liveness, and linearizability (porcupine's algorithm) with models
 * of etcd's KV and of the kv-append histories. Each returns a verdict naming
 * the processes, times and tokens or revisions involved; none throws on a bad
 * history.
 */
export {
  beliefIntervals,
  beliefOverlap,
  checkFencedSafety,
  checkLinearizability,
  checkLiveness,
  checkMutualExclusion,
  ednOperations,
  etcdKvFromMessages,
  etcdKvKeys,
  etcdKvModel,
  etcdStoreFromMessages,
  etcdStoreModel,
  kvAppendModel,
  kvAppendUnpartitionedModel,
  parseEdnLine,
  readKvAppendHistory,
} from './check/index.ts';
export type {
  BeliefInterval,
  FencedHistory,
  FencedSafetyViolation,
  FencedWrite,
  HistoryProblem,
  HolderInterval,
  LivenessHistory,
  LivenessViolation,
  LockEvent,
  LockWaitStart,
  MutualExclusionViolation,
  Operation,
  PropertyVerdict,
} from './check/index.ts';
export type { LinearizabilityOptions, LinearizabilityVerdict, Model } from './check/linearizability.ts';

// ------------------------------------------------------------------ exploring lock algorithms

/**
 * Lock safety as a fast-check property: `fc.assert(lockSafety(myLock, options))`
 * draws fault plans, runs `options.clients` processes contending for the lock
 * in the simulator, judges belief / fenced / liveness, and shrinks a failure
 * to the fewest, shortest faults; its message carries the replay line.
 * `exploreCaseArbitrary` + `checkLockCase` are the same for `@fast-check/vitest`'s `test.prop`.
 */
export { checkLockCase, exploreCaseArbitrary, lockSafety } from './explore/property.ts';
export type { ExploreCase, LockSafetyOptions, ReplayCase } from './explore/property.ts';
/** Fault-plan and workload arbitraries, for building your own properties. */
export { defaultFaultKinds, describeSchedule, faultKinds, faultPlanArbitrary, planSchedule, workloadArbitrary } from './explore/arbitraries.ts';
export type { FaultPlan, FaultPlanKind, FaultPlanOptions, FaultSpec, WorkloadArbitraryOptions } from './explore/arbitraries.ts';
/** Run one lock workload under a fault schedule and get its trace and judged history. */
export { runLockWorkload } from './explore/workload.ts';
export type { LockRun, WorkloadOptions } from './explore/workload.ts';
export type { LockProperty, Violation } from './explore/judge.ts';

// ------------------------------------------------------------------ server

/**
 * etcd v3's gRPC services (KV, Lease, Watch, and enough Maintenance/Cluster
 * for etcdctl) over an EtcdStore on a clock that follows the wall clock and
 * can be fast-forwarded: point the `etcd3` npm client or etcdctl at
 * `server.address`, and call `server.advance(ms)` instead of sleeping.
 * @defaultValue host 127.0.0.1, port 2379 (0 picks a free port)
 */
export { GrpcEtcdServer, startGrpcServer } from './server/grpc-server.ts';
export type { GrpcServerOptions } from './server/grpc-server.ts';
