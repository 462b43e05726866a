/**
 * Errors the client itself raises, next to the server's EtcdErrors
 * (src/store/errors.ts). Messages are etcd clientv3's (and its concurrency
 * package's) where clientv3 has one; docs/etcd-semantics.md §9 lists them.
 *
 *   await client.put('k', 'v')          // the deadline passes unanswered
 *   → CallTimeoutError 'context deadline exceeded', outcome 'unknown': the put may have been applied
 *   await client.put('', 'v')
 *   → KeyNotProvidedError (an EtcdError), outcome 'error': nothing changed
 */
import type { CallOutcome } from './events.ts';

/** Base class of the errors raised by the client rather than by etcd. */
export class ClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A call's deadline passed before an answer came: the request may or may not
 * have been applied (outcome `unknown`). Go's clientv3 reports this as the
 * context error, hence the message.
 */
export class CallTimeoutError extends ClientError {
  readonly outcome: CallOutcome = 'unknown';
  readonly method: string;
  readonly timeoutMs: number;
  constructor(method: string, timeoutMs: number) {
    super('context deadline exceeded');
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The client was closed: new calls fail with this, and calls still in
 * flight end with it (outcome `unknown`: they may have been applied).
 * The message is grpc-go's for a closing connection.
 */
export class ClientClosedError extends ClientError {
  constructor() {
    super('grpc: the client connection is closing');
  }
}

/** A stream (keepalive, watch) ended before it gave the answer a call was waiting for. */
export class StreamEndedError extends ClientError {
  constructor(what: string) {
    super(`${what}: stream ended`);
  }
}

/** clientv3 ErrKeepAliveHalted: keepAlive() after the client's keepalive loop stopped (client closed). */
export class LeaseKeepAliveHaltedError extends ClientError {
  readonly reason: string;
  constructor(reason: string) {
    super(`etcdclient: leases keep alive halted: ${reason}`);
    this.reason = reason;
  }
}

/** concurrency.ErrLocked: tryLock found the mutex held by another session. */
export class MutexLockedError extends ClientError {
  constructor() {
    super('mutex: Locked by another session');
  }
}

/**
 * concurrency.ErrSessionExpired (etcd 3.5 only). leaselab's Mutex follows
 * 3.4 and never raises it; it is here for algorithms that add 3.5's
 * post-wait check themselves.
 */
export class SessionExpiredError extends ClientError {
  constructor() {
    super('mutex: session is expired');
  }
}

/** concurrency.ErrElectionNotLeader. */
export class ElectionNotLeaderError extends ClientError {
  constructor() {
    super('election: not leader');
  }
}

/** concurrency.ErrElectionNoLeader. */
export class ElectionNoLeaderError extends ClientError {
  constructor() {
    super('election: no leader');
  }
}

/**
 * Misuse caught before anything is sent: the txn builder called out of order
 * (clientv3 panics with these messages: `cannot call If twice!`, …), or
 * options that cannot go together (`prefix` with `fromKey`).
 */
export class ClientUsageError extends ClientError {}

/** Is this a timeout, i.e. an outcome-unknown call? */
export function isCallTimeoutError(value: unknown): value is CallTimeoutError {
  return value instanceof CallTimeoutError;
}

/**
 * etcd answers that leave a call's fate unknown: the server gave up waiting
 * for its proposal to commit (it may commit later), or it never proposed it
 * but says only that a deadline passed. A call failing so ends `unknown`, not
 * `error` (a cluster answers these; a lone server never does).
 */
const indeterminateMessages: ReadonlySet<string> = new Set([
  'etcdserver: request timed out',
  'etcdserver: request timed out, possibly due to previous leader failure',
  'etcdserver: request timed out, possibly due to connection lost',
  'context deadline exceeded',
]);

export function isIndeterminateEtcdError(error: { message: string }): boolean {
  return indeterminateMessages.has(error.message);
}
