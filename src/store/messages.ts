/**
 * etcd's v3 protobuf messages (etcdserverpb, mvccpb), as TypeScript types.
 *
 * Field names are the proto field names, snake_case, exactly as in etcd's
 * rpc.proto and kv.proto, so that the gRPC server (proto-loader keepCase),
 * the proto3-JSON codec of the HTTP gateway and the conformance replayer
 * map them one to one. Everything else in leaselab is camelCase. Each
 * field's protobuf kind, representation and limits are in one table,
 * src/store/message-schemas.ts, which the checks and codecs walk.
 *
 * Type mapping:
 * - `bytes` → `Uint8Array` (keys and values are bytes and sort as bytes).
 * - int64 revisions, versions, counts, TTLs → `number` (they stay far below
 *   2^53 in any run; a request's value beyond 2^53 is rounded to the
 *   nearest double, which keeps its order against every real revision);
 *   int64 lease IDs → `bigint` (they use all 63 bits); watch IDs → WatchId
 *   (echoed back, so exact).
 * - enums → string-literal unions of the proto enum names.
 * - Request fields are optional (proto3 defaults: 0, false, empty); response
 *   fields are always present, holding the default when etcd would omit them.
 */

export type Bytes = Uint8Array;
/** A lease's ID: etcd's int64, as a bigint (0n means no lease). */
export type LeaseId = bigint;
/**
 * An enum number the proto does not name. etcd keeps it and ignores it: an
 * unknown sort_order sorts nothing, an unknown compare target compares as
 * equal, an unknown compare result holds, an unknown watch filter filters nothing.
 */
export type UnknownEnum = number;
/**
 * A watch ID: a number, or a bigint when beyond 2^53 (clients may choose any
 * int64 and etcd echoes it exactly). Always the number form when it fits, so
 * Map keys compare equal (see watchIdOf).
 */
export type WatchId = number | bigint;

/** `cluster_id`, `member_id` and `raft_term` are filled only by the gRPC server. */
export interface ResponseHeader {
  revision: number;
  cluster_id?: bigint;
  member_id?: bigint;
  raft_term?: number;
}

/** etcd's mvccpb.KeyValue: a key's value and its create/mod revisions, version and lease. */
export interface KeyValue {
  key: Bytes;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Bytes;
  lease: LeaseId;
}

// ---------------------------------------------------------------- KV

/** RangeRequest's sort_order. */
export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
/** RangeRequest's sort_target. */
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

/** etcd's RangeRequest: one key, a range (`range_end`) or a prefix, at a revision, sorted, limited. */
export interface RangeRequest {
  key?: Bytes;
  range_end?: Bytes;
  limit?: number;
  revision?: number;
  sort_order?: SortOrder | UnknownEnum;
  sort_target?: SortTarget;
  serializable?: boolean;
  keys_only?: boolean;
  count_only?: boolean;
  min_mod_revision?: number;
  max_mod_revision?: number;
  min_create_revision?: number;
  max_create_revision?: number;
}

/** etcd's RangeResponse: the keys found (`kvs`), whether more exist, and their `count`. */
export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

/** etcd's PutRequest: a key, a value, a lease; `prev_kv` to get the old value back. */
export interface PutRequest {
  key?: Bytes;
  value?: Bytes;
  lease?: LeaseId;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

/** etcd's PutResponse: the header (with the new revision), and the previous value when asked. */
export interface PutResponse {
  header: ResponseHeader;
  prev_kv?: KeyValue;
}

/** etcd's DeleteRangeRequest: one key, a range or a prefix. */
export interface DeleteRangeRequest {
  key?: Bytes;
  range_end?: Bytes;
  prev_kv?: boolean;
}

/** etcd's DeleteRangeResponse: how many keys were deleted, and their values when asked. */
export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prev_kvs: KeyValue[];
}

/** A Compare's operator: EQUAL, GREATER, LESS, NOT_EQUAL. */
export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
/** What a Compare looks at: VERSION, CREATE (revision), MOD (revision), VALUE or LEASE. */
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

/** One of `version`, `create_revision`, `mod_revision`, `value`, `lease` (proto oneof target_union). */
export interface Compare {
  result?: CompareResult | UnknownEnum;
  target?: CompareTarget | UnknownEnum;
  key?: Bytes;
  range_end?: Bytes;
  version?: number;
  create_revision?: number;
  mod_revision?: number;
  value?: Bytes;
  lease?: LeaseId;
}

/** Exactly one field set (proto oneof request); none set is etcd's "key not found" error. */
export interface RequestOp {
  request_range?: RangeRequest;
  request_put?: PutRequest;
  request_delete_range?: DeleteRangeRequest;
  request_txn?: TxnRequest;
}

/** One response of a txn branch: exactly one field set, matching its RequestOp. */
export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
  response_txn?: TxnResponse;
}

/** etcd's TxnRequest: if every compare holds, run `success`, else `failure`. */
export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

/** etcd's TxnResponse: whether the compares held (`succeeded`) and the branch's responses. */
export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

/** etcd's CompactionRequest: drop history below `revision`. */
export interface CompactionRequest {
  revision?: number;
  physical?: boolean;
}

/** etcd's CompactionResponse: just the header. */
export interface CompactionResponse {
  header: ResponseHeader;
}

// ---------------------------------------------------------------- Lease

/** etcd's LeaseGrantRequest: a TTL in seconds and, optionally, the ID wanted. */
export interface LeaseGrantRequest {
  TTL?: number;
  ID?: LeaseId;
}

/** etcd's LeaseGrantResponse: the lease's ID and its TTL. */
export interface LeaseGrantResponse {
  header: ResponseHeader;
  ID: LeaseId;
  TTL: number;
  error: string;
}

/** etcd's LeaseRevokeRequest: the lease to revoke (its keys are deleted). */
export interface LeaseRevokeRequest {
  ID?: LeaseId;
}

/** etcd's LeaseRevokeResponse: just the header. */
export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

/** etcd's LeaseKeepAliveRequest: the lease to renew. */
export interface LeaseKeepAliveRequest {
  ID?: LeaseId;
}

/** etcd's LeaseKeepAliveResponse: the renewed TTL (0 when the lease is gone). */
export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  ID: LeaseId;
  /** The granted TTL on success; 0 when the lease is unknown, revoked or expired. */
  TTL: number;
}

/** etcd's LeaseTimeToLiveRequest: a lease, and whether to list its keys. */
export interface LeaseTimeToLiveRequest {
  ID?: LeaseId;
  keys?: boolean;
}

/** etcd's LeaseTimeToLiveResponse: remaining TTL (-1 when gone), granted TTL, and keys when asked. */
export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  ID: LeaseId;
  /** Remaining seconds, truncated; -1 for an unknown lease. */
  TTL: number;
  grantedTTL: number;
  keys: Bytes[];
}

/** etcd's LeaseLeasesRequest: no fields. */
export interface LeaseLeasesRequest {}

/** One lease in a {@link LeaseLeasesResponse}. */
export interface LeaseStatus {
  ID: LeaseId;
}

/** etcd's LeaseLeasesResponse: every live lease. */
export interface LeaseLeasesResponse {
  header: ResponseHeader;
  leases: LeaseStatus[];
}

// ---------------------------------------------------------------- Watch

/** A watch event's type. */
export type EventType = 'PUT' | 'DELETE';

/** etcd's mvccpb.Event: a PUT or DELETE of a key, with the previous value when asked. */
export interface Event {
  type: EventType;
  kv: KeyValue;
  prev_kv?: KeyValue;
}

/** Events a watch leaves out. */
export type WatchFilterType = 'NOPUT' | 'NODELETE';

/** etcd's WatchCreateRequest: a key, range or prefix, from a revision, with filters, prev_kv, progress notifications, fragments. */
export interface WatchCreateRequest {
  key?: Bytes;
  range_end?: Bytes;
  start_revision?: number;
  progress_notify?: boolean;
  filters?: (WatchFilterType | UnknownEnum)[];
  prev_kv?: boolean;
  watch_id?: WatchId;
  fragment?: boolean;
}

/** etcd's WatchCancelRequest: the watch to cancel. */
export interface WatchCancelRequest {
  watch_id?: WatchId;
}

/** etcd's WatchProgressRequest: ask for a progress notification now. */
export interface WatchProgressRequest {}

/** Exactly one field set (proto oneof request_union). */
export interface WatchRequest {
  create_request?: WatchCreateRequest;
  cancel_request?: WatchCancelRequest;
  progress_request?: WatchProgressRequest;
}

/** etcd's WatchResponse: created, canceled (with a reason), events, or a progress notification, for one watch. */
export interface WatchResponse {
  header: ResponseHeader;
  watch_id: WatchId;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: Event[];
}
