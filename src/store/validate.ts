/**
 * What happens to a KV request before the store applies it, in etcd's order:
 *
 * 1. Decoding (`decode*`): every field has its protobuf type — bytes are
 *    Uint8Array, int64 counters are safe integers, lease IDs are int64
 *    bigints, enums are known names, a RequestOp sets one request. A request
 *    that fails here never reached etcd: InvalidRequestError naming the field.
 *
 *      decodePut({ key: 'a' })        → InvalidRequestError "invalid request: PutRequest.key: expected bytes (Uint8Array)"
 *      decodeRange({ limit: '5', … }) → InvalidRequestError "invalid request: RangeRequest.limit: expected an int64 number"
 *
 * 2. etcd's v3rpc checks (`check*`, v3rpc/key.go): empty keys, ignore_value
 *    with a value, ignore_lease with a lease (src/store/txn.ts has the txn ones).
 *
 * 3. The raft size limit (`encodedSize*`): writes whose protobuf encoding
 *    exceeds --max-request-bytes fail with "etcdserver: request is too large".
 */
import { InvalidRequestError, KeyNotProvidedError, LeaseProvidedError, TooManyOpsError, ValueProvidedError } from './errors.ts';
import { raftRequestIdBytes, txnNestingDepthMax } from './limits.ts';
import type { Compare, CompactionRequest, DeleteRangeRequest, PutRequest, RangeRequest, RequestOp, TxnRequest } from './messages.ts';

type Fields = Record<string, unknown>;

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

function fail(message: string, field: string, problem: string): never {
  throw new InvalidRequestError(`${message}.${field}`, problem);
}

function fieldsOf(value: unknown, message: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new InvalidRequestError(message, 'expected a message object');
  }
  return value as Fields;
}

function bytesField(fields: Fields, name: string, message: string): void {
  const value = fields[name];
  if (value !== undefined && value !== null && !(value instanceof Uint8Array)) fail(message, name, 'expected bytes (Uint8Array)');
}

/**
 * An int64 as a number: beyond 2^53 it arrives rounded to the nearest
 * double (codecs do that), which keeps its order against every revision a
 * store can reach, so etcd's answers (future revision, no limit, …) hold.
 */
function int64Field(fields: Fields, name: string, message: string): void {
  const value = fields[name];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -(2 ** 63) || value > 2 ** 63) fail(message, name, 'expected an int64 number');
}

function boolField(fields: Fields, name: string, message: string): void {
  const value = fields[name];
  if (value !== undefined && value !== null && typeof value !== 'boolean') fail(message, name, 'expected a boolean');
}

function leaseField(fields: Fields, name: string, message: string): void {
  const value = fields[name];
  if (value === undefined || value === null) return;
  if (typeof value !== 'bigint') fail(message, name, 'expected an int64 bigint');
  if (value < int64Min || value > int64Max) fail(message, name, 'out of int64 range');
}

/** `open`: an enum number the proto does not name is kept (etcd ignores it) rather than refused. */
function enumField(fields: Fields, name: string, message: string, names: readonly string[], open = false): void {
  const value = fields[name];
  if (value === undefined || value === null) return;
  if (open && typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31) return;
  if (typeof value !== 'string' || !names.includes(value)) fail(message, name, `unknown enum value ${String(value)}`);
}

function listField(fields: Fields, name: string, message: string): unknown[] {
  const value = fields[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(message, name, 'expected a list');
  return value;
}

const sortOrders = ['NONE', 'ASCEND', 'DESCEND'] as const;
const sortTargets = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;
const compareResults = ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'] as const;
const compareTargets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'] as const;

export function decodeRange(request: unknown): RangeRequest {
  const m = 'RangeRequest';
  const f = fieldsOf(request, m);
  bytesField(f, 'key', m);
  bytesField(f, 'range_end', m);
  int64Field(f, 'limit', m);
  int64Field(f, 'revision', m);
  enumField(f, 'sort_order', m, sortOrders, true);
  enumField(f, 'sort_target', m, sortTargets);
  boolField(f, 'serializable', m);
  boolField(f, 'keys_only', m);
  boolField(f, 'count_only', m);
  int64Field(f, 'min_mod_revision', m);
  int64Field(f, 'max_mod_revision', m);
  int64Field(f, 'min_create_revision', m);
  int64Field(f, 'max_create_revision', m);
  return f as RangeRequest;
}

export function decodePut(request: unknown): PutRequest {
  // Fast path: the common well-typed put, checked without generic field lookups.
  if (typeof request === 'object' && request !== null) {
    const r = request as Fields;
    const { key, value, lease, prev_kv, ignore_value, ignore_lease } = r;
    if (
      key instanceof Uint8Array &&
      (value === undefined || value instanceof Uint8Array) &&
      lease === undefined &&
      prev_kv === undefined &&
      ignore_value === undefined &&
      ignore_lease === undefined &&
      !(request instanceof Uint8Array) &&
      !Array.isArray(request)
    ) {
      return r as PutRequest;
    }
  }
  const m = 'PutRequest';
  const f = fieldsOf(request, m);
  bytesField(f, 'key', m);
  bytesField(f, 'value', m);
  leaseField(f, 'lease', m);
  boolField(f, 'prev_kv', m);
  boolField(f, 'ignore_value', m);
  boolField(f, 'ignore_lease', m);
  return f as PutRequest;
}

export function decodeDeleteRange(request: unknown): DeleteRangeRequest {
  const m = 'DeleteRangeRequest';
  const f = fieldsOf(request, m);
  bytesField(f, 'key', m);
  bytesField(f, 'range_end', m);
  boolField(f, 'prev_kv', m);
  return f as DeleteRangeRequest;
}

export function decodeCompaction(request: unknown): CompactionRequest {
  const m = 'CompactionRequest';
  const f = fieldsOf(request, m);
  int64Field(f, 'revision', m);
  boolField(f, 'physical', m);
  return f as CompactionRequest;
}

function decodeCompare(compare: unknown): Compare {
  const m = 'Compare';
  const f = fieldsOf(compare, m);
  enumField(f, 'result', m, compareResults, true);
  enumField(f, 'target', m, compareTargets, true);
  bytesField(f, 'key', m);
  bytesField(f, 'range_end', m);
  int64Field(f, 'version', m);
  int64Field(f, 'create_revision', m);
  int64Field(f, 'mod_revision', m);
  bytesField(f, 'value', m);
  leaseField(f, 'lease', m);
  return f as Compare;
}

const requestOpFields = ['request_range', 'request_put', 'request_delete_range', 'request_txn'] as const;

function decodeRequestOp(op: unknown, depth: number): RequestOp {
  const m = 'RequestOp';
  const f = fieldsOf(op, m);
  let set = 0;
  for (const name of requestOpFields) if (f[name] !== undefined && f[name] !== null) set++;
  if (set > 1) throw new InvalidRequestError(m, 'more than one request of the oneof set');
  if (f.request_range != null) decodeRange(f.request_range);
  else if (f.request_put != null) decodePut(f.request_put);
  else if (f.request_delete_range != null) decodeDeleteRange(f.request_delete_range);
  else if (f.request_txn != null) decodeTxnAt(f.request_txn, depth + 1);
  return f as RequestOp;
}

function decodeTxnAt(request: unknown, depth: number): TxnRequest {
  const m = 'TxnRequest';
  // Deeper than any txn the ops budget lets through: etcd's answer, without walking on.
  if (depth > txnNestingDepthMax) throw new TooManyOpsError();
  const f = fieldsOf(request, m);
  for (const compare of listField(f, 'compare', m)) decodeCompare(compare);
  for (const op of listField(f, 'success', m)) decodeRequestOp(op, depth);
  for (const op of listField(f, 'failure', m)) decodeRequestOp(op, depth);
  return f as TxnRequest;
}

export function decodeTxn(request: unknown): TxnRequest {
  return decodeTxnAt(request, 0);
}

// ---------------------------------------------------------------- etcd's v3rpc checks

export function checkRange(request: RangeRequest): void {
  if (request.key == null || request.key.length === 0) throw new KeyNotProvidedError();
}

export function checkPut(request: PutRequest): void {
  if (request.key == null || request.key.length === 0) throw new KeyNotProvidedError();
  if (request.ignore_value === true && request.value != null && request.value.length !== 0) throw new ValueProvidedError();
  if (request.ignore_lease === true && request.lease != null && request.lease !== 0n) throw new LeaseProvidedError();
}

export function checkDeleteRange(request: DeleteRangeRequest): void {
  if (request.key == null || request.key.length === 0) throw new KeyNotProvidedError();
}

// ---------------------------------------------------------------- protobuf sizes

/** Bytes of a varint holding this int64 (negative numbers take 10). */
function varintSize(value: number | bigint): number {
  if (value < 0) return 10;
  let size = 1;
  let n = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  while (n >= 128n) {
    n >>= 7n;
    size++;
  }
  return size;
}

function smallVarintSize(value: number): number {
  if (value < 0) return 10;
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value < 268435456) return 4;
  return varintSize(value);
}

function bytesSize(value: Uint8Array | undefined | null): number {
  if (value == null || value.length === 0) return 0;
  return 1 + smallVarintSize(value.length) + value.length;
}

function intSize(value: number | bigint | undefined | null): number {
  if (value == null || value === 0 || value === 0n) return 0;
  return 1 + (typeof value === 'number' ? smallVarintSize(value) : varintSize(value));
}

function boolSize(value: boolean | undefined | null): number {
  return value === true ? 2 : 0;
}

function enumSize(value: string | number | undefined | null, names: readonly string[]): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value === 0 ? 0 : 1 + varintSize(value);
  const index = names.indexOf(value);
  return index <= 0 ? 0 : 2;
}

function messageSize(size: number): number {
  return 1 + smallVarintSize(size) + size;
}

export function encodedSizeRange(r: RangeRequest): number {
  return (
    bytesSize(r.key) +
    bytesSize(r.range_end) +
    intSize(r.limit) +
    intSize(r.revision) +
    enumSize(r.sort_order, sortOrders) +
    enumSize(r.sort_target, sortTargets) +
    boolSize(r.serializable) +
    boolSize(r.keys_only) +
    boolSize(r.count_only) +
    intSize(r.min_mod_revision) +
    intSize(r.max_mod_revision) +
    intSize(r.min_create_revision) +
    intSize(r.max_create_revision)
  );
}

export function encodedSizePut(r: PutRequest): number {
  return bytesSize(r.key) + bytesSize(r.value) + intSize(r.lease) + boolSize(r.prev_kv) + boolSize(r.ignore_value) + boolSize(r.ignore_lease);
}

export function encodedSizeDeleteRange(r: DeleteRangeRequest): number {
  return bytesSize(r.key) + bytesSize(r.range_end) + boolSize(r.prev_kv);
}

function encodedSizeCompare(c: Compare): number {
  return (
    enumSize(c.result, compareResults) +
    enumSize(c.target, compareTargets) +
    bytesSize(c.key) +
    bytesSize(c.range_end) +
    intSize(c.version) +
    intSize(c.create_revision) +
    intSize(c.mod_revision) +
    bytesSize(c.value) +
    intSize(c.lease)
  );
}

function encodedSizeRequestOp(op: RequestOp): number {
  if (op.request_range != null) return messageSize(encodedSizeRange(op.request_range));
  if (op.request_put != null) return messageSize(encodedSizePut(op.request_put));
  if (op.request_delete_range != null) return messageSize(encodedSizeDeleteRange(op.request_delete_range));
  if (op.request_txn != null) return messageSize(encodedSizeTxn(op.request_txn));
  return 0;
}

export function encodedSizeTxn(r: TxnRequest): number {
  let size = 0;
  for (const c of r.compare ?? []) size += messageSize(encodedSizeCompare(c));
  for (const op of r.success ?? []) size += messageSize(encodedSizeRequestOp(op));
  for (const op of r.failure ?? []) size += messageSize(encodedSizeRequestOp(op));
  return size;
}

/**
 * The size of the InternalRaftRequest etcd proposes for a write whose own
 * encoding is `requestBytes`: a RequestHeader {ID} under field 100 (a
 * two-byte tag, a length byte, the ID's tag and varint) plus the request's
 * field tag and length. etcd refuses it above --max-request-bytes.
 */
export function raftRequestBytes(requestBytes: number): number {
  return 2 + 1 + 1 + raftRequestIdBytes + 1 + smallVarintSize(requestBytes) + requestBytes;
}
