/**
 * leaselab's history checkers: pure functions over plain data, each returning
 * a verdict (never throwing on a bad history) that names the processes, times
 * and tokens or revisions involved, so a report can draw it.
 *
 * - {@link checkMutualExclusion}: no two processes believe they hold a lock at once.
 * - {@link checkFencedSafety}: the fenced resource never accepts a stale holder's write.
 * - {@link checkLiveness}: once faults stop, a free lock someone waits for is acquired within a bound.
 * - {@link checkLinearizability}: a KV history is linearizable (porcupine's algorithm), with
 *   models for etcd's KV ({@link etcdKvModel}) and the shared kv-append histories ({@link kvAppendModel}).
 */

// ---------------------------------------------------------------- input and verdict types

/** Input records: lock events, waits, holder intervals, fenced writes, operations. */
export type {
  CallOutcome,
  FencedWrite,
  HolderInterval,
  LockEvent,
  LockEventKind,
  LockWaitStart,
  Operation,
  ProcessName,
} from './history.ts';

/** A property's verdict (`ok` / `violated`) and the input records a checker skipped. */
export type { HistoryProblem, PropertyVerdict } from './verdict.ts';

// ---------------------------------------------------------------- locks

/**
 * Mutual exclusion of belief, the belief intervals it is built on, and the
 * endpoint rule (touching is not overlapping; a zero-length belief strictly
 * inside another is).
 */
export { checkMutualExclusion } from './mutual-exclusion.ts';
/** Types of {@link checkMutualExclusion}. */
export type { MutualExclusionOptions, MutualExclusionViolation } from './mutual-exclusion.ts';
/**
 * Beliefs in one place: from lock events (the checkers' form) and from a
 * trace (a tracker; `lockBeliefs` and `overlappingBeliefs` are exported by
 * the reports), with the one rule for when two beliefs share an instant.
 */
export { beliefIntervals, beliefOverlap, LockBeliefTracker, lockEventsOf } from './beliefs.ts';
/** Types of the belief helpers. */
export type { BeliefChange, BeliefEnd, BeliefInterval, BeliefSpan } from './beliefs.ts';

/** Fenced safety: token regressions (any mode) and stale writes (unfenced mode, judged by the server's holders). */
export { checkFencedSafety } from './fenced-safety.ts';
/** Types of {@link checkFencedSafety}. */
export type { FencedHistory, FencedSafetyOptions, FencedSafetyViolation, FencingMode, IndexedWrite } from './fenced-safety.ts';

/** Lock ownership by the server's record: epochs, claims, and writes judged by them (what the explorer's fenced verdict uses). */
export { checkWritesByOwnership, epochAt, isLockKey, latestClaim, lockOwnership } from './lock-ownership.ts';
/** Types of {@link lockOwnership} and {@link checkWritesByOwnership}. */
export type { KeyEnd, LockClaim, LockKeyChange, LockOwnership, OwnedWrite, OwnershipEpoch, OwnershipVerdict, OwnershipViolation } from './lock-ownership.ts';

/** Liveness: stalls (lock free, someone waiting, faults over) longer than a bound. */
export { checkLiveness } from './liveness.ts';
/** Types of {@link checkLiveness}. */
export type { LivenessHistory, LivenessOptions, LivenessViolation, StalledWaiter } from './liveness.ts';

// ---------------------------------------------------------------- linearizability

/** The Wing–Gong/Lowe linearizability checker (porcupine's search), per partition, with a failing window. */
export { checkLinearizability } from './linearizability.ts';
/** Types of {@link checkLinearizability}: the model interface, options and verdict. */
export type {
  IndexedOperation,
  LinearizabilityFailure,
  LinearizabilityOptions,
  LinearizabilityVerdict,
  LinearizationStep,
  Model,
  StuckCandidate,
} from './linearizability.ts';

/**
 * etcd's KV as clients see it, with exact revisions: multi-key ranges with sort/limit/filters, past and serializable
 * reads, puts with leases, deletes over ranges, txns with every compare and nested txns, lease revokes and expiries;
 * one partition (every write of the store is in the history).
 */
export { etcdKvModel } from './models/kv-etcd.ts';
/** etcd's request and response messages (KV calls, lease grants and revokes) in the model's form. */
export { etcdKvFromMessages } from './models/kv-etcd.ts';
/** Ops and responses of {@link etcdKvModel}. */
export type {
  EtcdKv,
  EtcdKvCall,
  EtcdKvCompare,
  EtcdKvConversion,
  EtcdKvDelete,
  EtcdKvModelOptions,
  EtcdKvOperation,
  EtcdKvPut,
  EtcdKvRange,
  EtcdKvRequest,
  EtcdKvResponse,
  EtcdKvState,
  EtcdKvTxn,
  EtcdKvTxnRequest,
  EtcdKvTxnResponse,
  EtcdSortOrder,
  EtcdSortTarget,
} from './models/kv-etcd.ts';

/** The get/put/append string store of the shared kv-append histories, and a reader for them. */
export { kvAppendModel, kvAppendUnpartitionedModel, readKvAppendHistory } from './models/kv-append.ts';
/** Ops of {@link kvAppendModel}. */
export type { KvAppendInput, KvAppendOperation, KvAppendOutput, KvAppendValue } from './models/kv-append.ts';

/** Jepsen-style EDN histories: one flat map per line; `:invoke` paired with `:ok` / `:fail` / `:info`. */
export { ednOperations, parseEdnLine } from './edn-history.ts';
/** Types of {@link ednOperations}. */
export type { EdnHistory, EdnInput, EdnOutput, EdnParse, EdnValue } from './edn-history.ts';
