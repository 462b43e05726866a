/**
 * etcd's errors, as typed classes carrying the gRPC status code and etcd's
 * exact message (etcd 3.4 `etcdserver/api/v3rpc/rpctypes/error.go`).
 *
 * Expected outcomes are these errors, which callers handle; a broken
 * invariant is an `assert()` failure (src/store/assert.ts), which nothing
 * catches. A request that fails with an EtcdError has changed nothing.
 */

/** gRPC status codes (google.golang.org/grpc/codes). */
export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/** Base class of every error a client of etcd can observe. */
export class EtcdError extends Error {
  readonly code: GrpcCode;
  constructor(code: GrpcCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True for any of etcd's typed errors (an {@link EtcdError}). */
export function isEtcdError(value: unknown): value is EtcdError {
  return value instanceof EtcdError;
}

/** What each error class below extends: etcd's code and exact message, fixed (declared so its .d.ts names EtcdError). */
interface EtcdErrorClass {
  new (): EtcdError;
  readonly code: GrpcCode;
  readonly text: string;
}

const define = (code: GrpcCode, message: string): EtcdErrorClass =>
  class extends EtcdError {
    static readonly code = code;
    static readonly text = message;
    constructor() {
      super(code, message);
    }
  };

// KV and txn
/** `etcdserver: key is not provided` (INVALID_ARGUMENT): a request with an empty key. */
export class KeyNotProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key is not provided') {}
/** `etcdserver: key not found` (INVALID_ARGUMENT): a txn request op with nothing set. */
export class KeyNotFoundError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key not found') {}
/** `etcdserver: value is provided` (INVALID_ARGUMENT): a put with `ignore_value` and a value. */
export class ValueProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: value is provided') {}
/** `etcdserver: lease is provided` (INVALID_ARGUMENT): a put with `ignore_lease` and a lease. */
export class LeaseProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: lease is provided') {}
/** `etcdserver: too many operations in txn request` (INVALID_ARGUMENT): more than 128 ops in a branch. */
export class TooManyOpsError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request') {}
/** `etcdserver: duplicate key given in txn request` (INVALID_ARGUMENT): two writes to one key in a txn. */
export class DuplicateKeyError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request') {}
/** `etcdserver: request is too large` (INVALID_ARGUMENT): a request over etcd's 1.5 MiB limit. */
export class RequestTooLargeError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: request is too large') {}
/** `etcdserver: mvcc: required revision has been compacted` (OUT_OF_RANGE): a read or watch below the compacted revision. */
export class CompactedError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted') {}
/** `etcdserver: mvcc: required revision is a future revision` (OUT_OF_RANGE): a read above the current revision. */
export class FutureRevisionError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision') {}

// Lease
/** `etcdserver: requested lease not found` (NOT_FOUND): the lease expired, was revoked or never existed. */
export class LeaseNotFoundError extends define(GrpcCode.NOT_FOUND, 'etcdserver: requested lease not found') {}
/** `etcdserver: lease already exists` (FAILED_PRECONDITION): a grant with an ID in use. */
export class LeaseExistsError extends define(GrpcCode.FAILED_PRECONDITION, 'etcdserver: lease already exists') {}
/** `etcdserver: too large lease TTL` (OUT_OF_RANGE): a TTL above {@link leaseTtlSecondsMax}. */
export class LeaseTtlTooLargeError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: too large lease TTL') {}

// Availability (what the simulator's server and network answer)
/** `etcdserver: no leader` (UNAVAILABLE): the server is between leaders (in the simulator: restarting). */
export class NoLeaderError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: no leader') {}
/** `etcdserver: server stopped` (UNAVAILABLE): the server is shutting down. */
export class ServerStoppedError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: server stopped') {}
/** `etcdserver: request timed out` (UNAVAILABLE): the server gave up waiting for the request to commit (no quorum). */
export class RequestTimedOutError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: request timed out') {}

/**
 * A request that does not decode: a field of the wrong type, an unknown enum
 * name, a value outside its protobuf type. etcd never sees such a request;
 * its gRPC layer (or HTTP gateway) rejects it with InvalidArgument and a
 * decoder message, so the message here names the field.
 */
export class InvalidRequestError extends EtcdError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super(GrpcCode.INVALID_ARGUMENT, `invalid request: ${field}: ${problem}`);
    this.field = field;
  }
}

/** Watch cancel reasons: not gRPC errors, but strings in a canceled WatchResponse. */
export const WatchCancelReason = {
  compacted: 'etcdserver: mvcc: required revision has been compacted',
  emptyRange: 'mvcc: watcher range is empty',
  duplicateId: 'mvcc: duplicate watch ID provided on the WatchStream',
} as const;
