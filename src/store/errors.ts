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
export class KeyNotProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key is not provided') {}
export class KeyNotFoundError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key not found') {}
export class ValueProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: value is provided') {}
export class LeaseProvidedError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: lease is provided') {}
export class TooManyOpsError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request') {}
export class DuplicateKeyError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request') {}
export class RequestTooLargeError extends define(GrpcCode.INVALID_ARGUMENT, 'etcdserver: request is too large') {}
export class CompactedError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted') {}
export class FutureRevisionError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision') {}

// Lease
export class LeaseNotFoundError extends define(GrpcCode.NOT_FOUND, 'etcdserver: requested lease not found') {}
export class LeaseExistsError extends define(GrpcCode.FAILED_PRECONDITION, 'etcdserver: lease already exists') {}
export class LeaseTtlTooLargeError extends define(GrpcCode.OUT_OF_RANGE, 'etcdserver: too large lease TTL') {}

// Availability (what the simulator's server and network answer)
export class NoLeaderError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: no leader') {}
export class ServerStoppedError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: server stopped') {}
export class RequestTimedOutError extends define(GrpcCode.UNAVAILABLE, 'etcdserver: request timed out') {}
export class WatchCanceledError extends define(GrpcCode.CANCELLED, 'etcdserver: watch canceled') {}

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
