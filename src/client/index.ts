/**
 * `leaselab/client`: leaselab's etcd client: KV, Lease (with clientv3's keepalive loop) and
 * Watch over any Transport, the concurrency recipes (Session, Mutex,
 * Election) as etcd 3.4 writes them, a naive lease lock to contrast them
 * with, and the lock-algorithm interface the simulator explores.
 *
 *   import { Client, InProcessTransport, Session, Mutex, realRuntime } from 'leaselab/client';
 *   const client = new Client({ transport: new InProcessTransport(store), runtime: realRuntime });
 *   const session = await Session.create(client, { ttlSeconds: 10 });
 *   const mutex = new Mutex(session, '/my-lock');
 *   await mutex.lock();
 *   // … guard writes with mutex.isOwner() in a txn, or fence them with mutex.fencingToken
 *   await mutex.unlock();
 *   await session.close();
 *   client.close();
 */

/**
 * The client: `get`, `put`, `delete`, `txn`, `compact`, `grant`, `revoke`,
 * `timeToLive`, `leases`, `keepAliveOnce`, `keepAlive`, `watch`, `close`.
 * Every unary call has a deadline; see {@link ClientOptions}.
 * @throws ClientClosedError from any call after close().
 */
export { Client, defaultCallTimeoutMs } from './client.ts';
/**
 * Constructor options (`transport`, `runtime`, `callTimeoutMs`, `observer`)
 * and per-method options.
 * @defaultValue callTimeoutMs 5000
 */
export type { ClientOptions, CompactOptions, TimeToLiveOptions } from './client.ts';

/** KV request options and txn builders: `compare.createRevision(k, '=', 0)`, `op.put(k, v, { lease })`, `firstCreate`, `lastCreate`. */
export { compare, firstCreate, lastCreate, op, TxnBuilder } from './kv.ts';
/** Options of get / put / delete (clientv3's WithPrefix, WithRev, WithLease, …) and the `{ timeoutMs }` every call takes. */
export type { CallOptions, CompareOperator, DeleteOptions, GetOptions, KeyLike, PutOptions, RangeOptions } from './kv.ts';

/** The keepalive loop's timings (Go's retryConnWait, deadlineLoop period, defaultTTL). */
export { firstKeepAliveTimeoutMs, keepAliveDeadlineCheckIntervalMs, keepAliveRetryIntervalMs } from './lease.ts';
/** A running keepalive (`done` resolves with a {@link LeaseLostReason}; `stop()`). */
export type { KeepAliveHandle, LeaseLostReason } from './lease.ts';

/** Raised when the server cancels a watch with a reason. */
export { WatchCanceledByServerError, watchRetryIntervalMs } from './watch.ts';
/** Watch options, the updates a handler gets, and the watcher handle (`cancel()`, `created`, `done`). */
export type { WatchHandler, WatchOptions, WatchUpdate, Watcher } from './watch.ts';

/**
 * Client-side errors. CallTimeoutError is the outcome-unknown one; etcd's own
 * errors (EtcdError and subclasses) are exported by `leaselab/store` and `leaselab`.
 */
export {
  CallTimeoutError,
  ClientClosedError,
  ClientError,
  ClientUsageError,
  ElectionNoLeaderError,
  ElectionNotLeaderError,
  isCallTimeoutError,
  LeaseKeepAliveHaltedError,
  MutexLockedError,
  SessionExpiredError,
  StreamEndedError,
} from './errors.ts';

/** How the client reaches etcd, and its clock; `realRuntime` is the wall clock. */
export { realRuntime } from './runtime.ts';
export type { ClientRuntime, TimerHandle } from './runtime.ts';
export type { BidiStream, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from './transport.ts';
/** A transport straight onto a store in the same process (answers on a microtask). */
export { InProcessTransport } from './in-process-transport.ts';

/** What the client reports to its observer: calls and outcomes, keepalives, lock beliefs. */
export type { CallOutcome, ClientEvent, ClientObserver } from './events.ts';

/**
 * Session: a kept-alive lease (default TTL 60 s); `done`, `orphan()`, `close()`.
 * @defaultValue ttlSeconds 60
 */
export { defaultSessionTtlSeconds, Session } from './concurrency/session.ts';
export type { SessionOptions } from './concurrency/session.ts';
/**
 * etcd 3.4's Mutex (`lock`, `tryLock`, `unlock`, `isOwner`, `key`, `header`, `fencingToken`)
 * and the waits it is built on.
 * @throws MutexLockedError from tryLock when another session holds it.
 */
export { Mutex, waitDelete, waitDeletes } from './concurrency/mutex.ts';
/**
 * etcd's Election (`campaign`, `proclaim`, `resign`, `leader`, `observe`, `key`, `rev`, `header`).
 * @throws ElectionNotLeaderError, ElectionNoLeaderError
 */
export { Election } from './concurrency/election.ts';
export type { Observation } from './concurrency/election.ts';

/** The naive lease lock: put-if-absent with a lease, delete to release. */
export { NaiveLock } from './naive-lock.ts';
export type { NaiveLockOptions } from './naive-lock.ts';

/** The interface lock algorithms implement to be explored, and the three built-ins. */
export { builtinLockAlgorithms, etcdMutex, etcdMutexFenced, lockContextFor, naiveLock } from './lock-algorithm.ts';
export type { Acquired, Lock, LockAlgorithm, LockContext, LockOptions } from './lock-algorithm.ts';

/** Fencing: the token is the lock key's create revision; FencedWriter is what a fenced resource implements. */
export { fenceAccepts, fencingTokenOf, readFencingToken } from './fencing.ts';
export type { FencedWriteOutcome, FencedWriter, FencingToken } from './fencing.ts';
