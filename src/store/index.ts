/**
 * `leaselab/store`: the in-memory etcd 3.4 store on its own — MVCC KV, txn,
 * compaction, lessor and watch, synchronous, with time injected. No network,
 * no simulator, no gRPC.
 *
 *   import { EtcdStore, VirtualClock, runStoreLoops, utf8 } from 'leaselab/store';
 *   const clock = new VirtualClock();
 *   const store = new EtcdStore({ clock });
 *   runStoreLoops(store, clock);
 *   store.put({ key: utf8('/a'), value: utf8('1') });
 */

/** The store, its options, and the seed of its lease-ID stream. */
export { EtcdStore, defaultLeaseIdSeed } from './etcd-store.ts';
export type { EtcdStoreOptions } from './etcd-store.ts';
/** A clock you advance by hand, and the loops (lease sweep every 500 ms, watch resync) that run on a clock. */
export { VirtualClock } from './virtual-clock.ts';
export type { RunUntilOptions, TimerId } from './virtual-clock.ts';
export { runStoreLoops } from './store-loops.ts';
export type { StoreLoopOptions } from './etcd-loops.ts';
/** What the store needs of time and randomness. */
export type { Clock, RandomSource } from './clock.ts';
/** etcd's API as the store serves it, and the calls only its owner makes. */
export type { EtcdApi, EtcdMaintenance, WatchSink, WatchStream } from './etcd-api.ts';
export type { ExpiredLease } from './lessor.ts';
/** Bytes helpers: keys and values are bytes and sort as bytes. */
export { fromUtf8, utf8 } from './bytes.ts';
/** etcd's limits, with units in their names. */
export {
  electionTimeoutMs,
  heartbeatIntervalMs,
  leaseSweepIntervalMs,
  leaseTtlSecondsMax,
  minLeaseTtlSeconds,
  requestBytesMax,
  txnOpsMax,
} from './limits.ts';
/** etcd's errors: typed classes with etcd's gRPC code and exact message; `isEtcdError` is the type guard. */
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
  NoLeaderError,
  RequestTooLargeError,
  ServerStoppedError,
  RequestTimedOutError,
  TooManyOpsError,
  ValueProvidedError,
  WatchCancelReason,
} from './errors.ts';
/** A broken invariant inside leaselab: a bug, never an outcome to handle. */
export { AssertionError } from './assert.ts';
/** etcd's messages, field for field (snake_case, bytes as Uint8Array, lease IDs as bigint). */
export type * from './messages.ts';
