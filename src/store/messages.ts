/**
 * etcd's v3 protobuf messages (etcdserverpb, mvccpb), as TypeScript types.
 *
 * Field names are the proto field names, snake_case, exactly as in etcd's
 * rpc.proto and kv.proto, so that the gRPC server (proto-loader keepCase),
 * the proto3-JSON codec of the HTTP gateway and the conformance replayer
 * map them one to one. Everything else in leaselab is camelCase.
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

export interface KeyValue {
  key: Bytes;
  create_revision: number;
  mod_revision: number;
  version: number;
  value: Bytes;
  lease: LeaseId;
}

// ---------------------------------------------------------------- KV

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

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

export interface RangeResponse {
  header: ResponseHeader;
  kvs: KeyValue[];
  more: boolean;
  count: number;
}

export interface PutRequest {
  key?: Bytes;
  value?: Bytes;
  lease?: LeaseId;
  prev_kv?: boolean;
  ignore_value?: boolean;
  ignore_lease?: boolean;
}

export interface PutResponse {
  header: ResponseHeader;
  prev_kv?: KeyValue;
}

export interface DeleteRangeRequest {
  key?: Bytes;
  range_end?: Bytes;
  prev_kv?: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader;
  deleted: number;
  prev_kvs: KeyValue[];
}

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
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

export interface ResponseOp {
  response_range?: RangeResponse;
  response_put?: PutResponse;
  response_delete_range?: DeleteRangeResponse;
  response_txn?: TxnResponse;
}

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision?: number;
  physical?: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader;
}

// ---------------------------------------------------------------- Lease

export interface LeaseGrantRequest {
  TTL?: number;
  ID?: LeaseId;
}

export interface LeaseGrantResponse {
  header: ResponseHeader;
  ID: LeaseId;
  TTL: number;
  error: string;
}

export interface LeaseRevokeRequest {
  ID?: LeaseId;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader;
}

export interface LeaseKeepAliveRequest {
  ID?: LeaseId;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader;
  ID: LeaseId;
  /** The granted TTL on success; 0 when the lease is unknown, revoked or expired. */
  TTL: number;
}

export interface LeaseTimeToLiveRequest {
  ID?: LeaseId;
  keys?: boolean;
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader;
  ID: LeaseId;
  /** Remaining seconds, truncated; -1 for an unknown lease. */
  TTL: number;
  grantedTTL: number;
  keys: Bytes[];
}

export interface LeaseLeasesRequest {}

export interface LeaseStatus {
  ID: LeaseId;
}

export interface LeaseLeasesResponse {
  header: ResponseHeader;
  leases: LeaseStatus[];
}

// ---------------------------------------------------------------- Watch

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  kv: KeyValue;
  prev_kv?: KeyValue;
}

export type WatchFilterType = 'NOPUT' | 'NODELETE';

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

export interface WatchCancelRequest {
  watch_id?: WatchId;
}

export interface WatchProgressRequest {}

/** Exactly one field set (proto oneof request_union). */
export interface WatchRequest {
  create_request?: WatchCreateRequest;
  cancel_request?: WatchCancelRequest;
  progress_request?: WatchProgressRequest;
}

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
