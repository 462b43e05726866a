/**
 * The proto3-JSON mapping of etcd's messages (src/store/messages.ts), as
 * etcd's HTTP gateway speaks it (`POST /v3/kv/put`) and as the conformance
 * traces record it:
 *
 *   encode('PutRequest', { key: utf8('a'), lease: 7n, prev_kv: false })
 *     → { key: 'YQ==', lease: '7' }
 *   decode('LeaseGrantResponse', { ID: '-9223372036854775808', TTL: 5 })
 *     → { header: { revision: 0, … }, ID: -9223372036854775808n, TTL: 5, error: '' }
 *
 * - bytes ↔ base64 (standard or URL-safe alphabet, padding optional on decode);
 * - int64/uint64 ↔ decimal strings (JSON numbers accepted on decode); lease
 *   and cluster IDs are bigints and exact over all 64 bits, other int64s are
 *   numbers (revisions, counts and TTLs stay far below 2^53);
 * - enums by name (numeric values accepted on decode);
 * - fields holding their default are omitted on encode, except a set member
 *   of a oneof and a present message (`"header": {}`), as protobuf does;
 * - missing fields decode to their default; optional messages and oneof
 *   members stay absent. Field names are the proto names (`range_end`);
 *   decode also takes the lowerCamelCase JSON names (`rangeEnd`).
 *
 * One table (`messageSchemas`) describes every message; encode, decode and
 * `mapLeaseIds` walk it, and a gRPC server can reuse it. Anything that does
 * not decode throws InvalidRequestError naming the field path
 * (`success[0].request_put.key`), never a TypeError.
 */
import { Buffer } from 'node:buffer';
import type { EtcdApi } from '../store/etcd-api.ts';
import { InvalidRequestError } from '../store/errors.ts';
import type * as M from '../store/messages.ts';

// ---------------------------------------------------------------- schema

/** How one field is represented; `presence` fields (optional messages, oneof members) have no default. */
export type FieldType =
  | { kind: 'int64' } // number
  | { kind: 'uint64' } // number
  | { kind: 'int64Id' } // bigint (lease IDs)
  | { kind: 'uint64Id' } // bigint (cluster and member IDs)
  | { kind: 'int64Exact' } // number when it fits in 2^53, else bigint (watch IDs, echoed back)
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'bytes' }
  /** `open`: an unknown number is kept (as a number) rather than refused; etcd ignores it. */
  | { kind: 'enum'; values: readonly string[]; open?: boolean }
  | { kind: 'message'; message: MessageName };

export interface FieldSchema {
  type: FieldType;
  repeated: boolean;
  /** Absent rather than defaulted when missing: optional messages and oneof members. */
  presence: boolean;
  /** The proto oneof this field belongs to. */
  oneof?: string;
}

/** Every message the codec knows, by proto name. */
export interface Messages {
  ResponseHeader: M.ResponseHeader;
  KeyValue: M.KeyValue;
  RangeRequest: M.RangeRequest;
  RangeResponse: M.RangeResponse;
  PutRequest: M.PutRequest;
  PutResponse: M.PutResponse;
  DeleteRangeRequest: M.DeleteRangeRequest;
  DeleteRangeResponse: M.DeleteRangeResponse;
  Compare: M.Compare;
  RequestOp: M.RequestOp;
  ResponseOp: M.ResponseOp;
  TxnRequest: M.TxnRequest;
  TxnResponse: M.TxnResponse;
  CompactionRequest: M.CompactionRequest;
  CompactionResponse: M.CompactionResponse;
  LeaseGrantRequest: M.LeaseGrantRequest;
  LeaseGrantResponse: M.LeaseGrantResponse;
  LeaseRevokeRequest: M.LeaseRevokeRequest;
  LeaseRevokeResponse: M.LeaseRevokeResponse;
  LeaseKeepAliveRequest: M.LeaseKeepAliveRequest;
  LeaseKeepAliveResponse: M.LeaseKeepAliveResponse;
  LeaseTimeToLiveRequest: M.LeaseTimeToLiveRequest;
  LeaseTimeToLiveResponse: M.LeaseTimeToLiveResponse;
  LeaseLeasesRequest: M.LeaseLeasesRequest;
  LeaseStatus: M.LeaseStatus;
  LeaseLeasesResponse: M.LeaseLeasesResponse;
  Event: M.Event;
  WatchCreateRequest: M.WatchCreateRequest;
  WatchCancelRequest: M.WatchCancelRequest;
  WatchProgressRequest: M.WatchProgressRequest;
  WatchRequest: M.WatchRequest;
  WatchResponse: M.WatchResponse;
}
export type MessageName = keyof Messages;

type MessageSchema = Record<string, FieldSchema>;
/** A schema must describe exactly the fields of its TypeScript type. */
type SchemaOf<T> = { [K in keyof Required<T>]: FieldSchema };

const field = (type: FieldType): FieldSchema => ({ type, repeated: false, presence: false });
const int64 = field({ kind: 'int64' });
const uint64 = field({ kind: 'uint64' });
const leaseId = field({ kind: 'int64Id' });
const uint64Id = field({ kind: 'uint64Id' });
const bool = field({ kind: 'bool' });
const string = field({ kind: 'string' });
const bytes = field({ kind: 'bytes' });
const enumOf = (...values: string[]): FieldSchema => field({ kind: 'enum', values });
const openEnumOf = (...values: string[]): FieldSchema => field({ kind: 'enum', values, open: true });
const watchId = field({ kind: 'int64Exact' });
const message = (name: MessageName): FieldSchema => field({ kind: 'message', message: name });
const repeated = (of: FieldSchema): FieldSchema => Object.assign({}, of, { repeated: true });
const optional = (of: FieldSchema): FieldSchema => Object.assign({}, of, { presence: true });
const oneof = (name: string, of: FieldSchema): FieldSchema => Object.assign({}, of, { presence: true, oneof: name });

const compareUnion = 'target_union';
const requestUnion = 'request';
const responseUnion = 'response';
const watchUnion = 'request_union';

/** etcd's rpc.proto and kv.proto, field by field, in proto order. */
export const messageSchemas: { readonly [N in MessageName]: SchemaOf<Messages[N]> } = {
  ResponseHeader: { cluster_id: uint64Id, member_id: uint64Id, revision: int64, raft_term: uint64 },
  KeyValue: {
    key: bytes,
    create_revision: int64,
    mod_revision: int64,
    version: int64,
    value: bytes,
    lease: leaseId,
  },
  RangeRequest: {
    key: bytes,
    range_end: bytes,
    limit: int64,
    revision: int64,
    sort_order: openEnumOf('NONE', 'ASCEND', 'DESCEND'),
    sort_target: enumOf('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
    serializable: bool,
    keys_only: bool,
    count_only: bool,
    min_mod_revision: int64,
    max_mod_revision: int64,
    min_create_revision: int64,
    max_create_revision: int64,
  },
  RangeResponse: { header: message('ResponseHeader'), kvs: repeated(message('KeyValue')), more: bool, count: int64 },
  PutRequest: { key: bytes, value: bytes, lease: leaseId, prev_kv: bool, ignore_value: bool, ignore_lease: bool },
  PutResponse: { header: message('ResponseHeader'), prev_kv: optional(message('KeyValue')) },
  DeleteRangeRequest: { key: bytes, range_end: bytes, prev_kv: bool },
  DeleteRangeResponse: { header: message('ResponseHeader'), deleted: int64, prev_kvs: repeated(message('KeyValue')) },
  Compare: {
    result: openEnumOf('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'),
    target: openEnumOf('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'),
    key: bytes,
    version: oneof(compareUnion, int64),
    create_revision: oneof(compareUnion, int64),
    mod_revision: oneof(compareUnion, int64),
    value: oneof(compareUnion, bytes),
    range_end: bytes,
    lease: oneof(compareUnion, leaseId),
  },
  RequestOp: {
    request_range: oneof(requestUnion, message('RangeRequest')),
    request_put: oneof(requestUnion, message('PutRequest')),
    request_delete_range: oneof(requestUnion, message('DeleteRangeRequest')),
    request_txn: oneof(requestUnion, message('TxnRequest')),
  },
  ResponseOp: {
    response_range: oneof(responseUnion, message('RangeResponse')),
    response_put: oneof(responseUnion, message('PutResponse')),
    response_delete_range: oneof(responseUnion, message('DeleteRangeResponse')),
    response_txn: oneof(responseUnion, message('TxnResponse')),
  },
  TxnRequest: {
    compare: repeated(message('Compare')),
    success: repeated(message('RequestOp')),
    failure: repeated(message('RequestOp')),
  },
  TxnResponse: { header: message('ResponseHeader'), succeeded: bool, responses: repeated(message('ResponseOp')) },
  CompactionRequest: { revision: int64, physical: bool },
  CompactionResponse: { header: message('ResponseHeader') },
  LeaseGrantRequest: { TTL: int64, ID: leaseId },
  LeaseGrantResponse: { header: message('ResponseHeader'), ID: leaseId, TTL: int64, error: string },
  LeaseRevokeRequest: { ID: leaseId },
  LeaseRevokeResponse: { header: message('ResponseHeader') },
  LeaseKeepAliveRequest: { ID: leaseId },
  LeaseKeepAliveResponse: { header: message('ResponseHeader'), ID: leaseId, TTL: int64 },
  LeaseTimeToLiveRequest: { ID: leaseId, keys: bool },
  LeaseTimeToLiveResponse: {
    header: message('ResponseHeader'),
    ID: leaseId,
    TTL: int64,
    grantedTTL: int64,
    keys: repeated(bytes),
  },
  LeaseLeasesRequest: {},
  LeaseStatus: { ID: leaseId },
  LeaseLeasesResponse: { header: message('ResponseHeader'), leases: repeated(message('LeaseStatus')) },
  Event: { type: enumOf('PUT', 'DELETE'), kv: message('KeyValue'), prev_kv: optional(message('KeyValue')) },
  WatchCreateRequest: {
    key: bytes,
    range_end: bytes,
    start_revision: int64,
    progress_notify: bool,
    filters: repeated(openEnumOf('NOPUT', 'NODELETE')),
    prev_kv: bool,
    watch_id: watchId,
    fragment: bool,
  },
  WatchCancelRequest: { watch_id: watchId },
  WatchProgressRequest: {},
  WatchRequest: {
    create_request: oneof(watchUnion, message('WatchCreateRequest')),
    cancel_request: oneof(watchUnion, message('WatchCancelRequest')),
    progress_request: oneof(watchUnion, message('WatchProgressRequest')),
  },
  WatchResponse: {
    header: message('ResponseHeader'),
    watch_id: watchId,
    created: bool,
    canceled: bool,
    compact_revision: int64,
    cancel_reason: string,
    fragment: bool,
    events: repeated(message('Event')),
  },
};

/** The unary RPCs of etcd's HTTP gateway (`POST /v3/<path>`): messages and the EtcdApi method serving them. */
export const gatewayRpcs = {
  'kv/range': { request: 'RangeRequest', response: 'RangeResponse', method: 'range' },
  'kv/put': { request: 'PutRequest', response: 'PutResponse', method: 'put' },
  'kv/deleterange': { request: 'DeleteRangeRequest', response: 'DeleteRangeResponse', method: 'deleteRange' },
  'kv/txn': { request: 'TxnRequest', response: 'TxnResponse', method: 'txn' },
  'kv/compaction': { request: 'CompactionRequest', response: 'CompactionResponse', method: 'compact' },
  'lease/grant': { request: 'LeaseGrantRequest', response: 'LeaseGrantResponse', method: 'leaseGrant' },
  'lease/revoke': { request: 'LeaseRevokeRequest', response: 'LeaseRevokeResponse', method: 'leaseRevoke' },
  'kv/lease/revoke': { request: 'LeaseRevokeRequest', response: 'LeaseRevokeResponse', method: 'leaseRevoke' },
  'lease/keepalive': { request: 'LeaseKeepAliveRequest', response: 'LeaseKeepAliveResponse', method: 'leaseKeepAlive' },
  'lease/timetolive': { request: 'LeaseTimeToLiveRequest', response: 'LeaseTimeToLiveResponse', method: 'leaseTimeToLive' },
  'kv/lease/timetolive': {
    request: 'LeaseTimeToLiveRequest',
    response: 'LeaseTimeToLiveResponse',
    method: 'leaseTimeToLive',
  },
  'lease/leases': { request: 'LeaseLeasesRequest', response: 'LeaseLeasesResponse', method: 'leaseLeases' },
  'kv/lease/leases': { request: 'LeaseLeasesRequest', response: 'LeaseLeasesResponse', method: 'leaseLeases' },
} as const satisfies Record<string, { request: MessageName; response: MessageName; method: keyof EtcdApi }>;
export type GatewayRpc = keyof typeof gatewayRpcs;

export function isGatewayRpc(name: string): name is GatewayRpc {
  return Object.hasOwn(gatewayRpcs, name);
}

// ---------------------------------------------------------------- encode

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** A message as proto3 JSON, defaults omitted. */
export function encode<N extends MessageName>(name: N, value: Messages[N]): JsonObject {
  return encodeMessage(name, value as unknown as Record<string, unknown>, name);
}

function encodeMessage(name: MessageName, value: Record<string, unknown>, path: string): JsonObject {
  const out: JsonObject = {};
  for (const [fieldName, schema] of Object.entries(messageSchemas[name] as MessageSchema)) {
    const fieldValue = value[fieldName];
    if (fieldValue === undefined || fieldValue === null) continue;
    const fieldPath = `${path}.${fieldName}`;
    if (schema.repeated) {
      if (!Array.isArray(fieldValue)) throw new TypeError(`cannot encode ${fieldPath}: expected an array`);
      if (fieldValue.length === 0) continue;
      out[fieldName] = fieldValue.map((item, i) => encodeValue(schema.type, item, `${fieldPath}[${i}]`));
      continue;
    }
    const encoded = encodeValue(schema.type, fieldValue, fieldPath);
    if (schema.presence || schema.type.kind === 'message' || !isDefaultJson(schema.type, encoded)) out[fieldName] = encoded;
  }
  return out;
}

function encodeValue(type: FieldType, value: unknown, path: string): Json {
  switch (type.kind) {
    case 'int64':
    case 'uint64':
    case 'int64Id':
    case 'uint64Id':
    case 'int64Exact':
      if (typeof value !== 'number' && typeof value !== 'bigint') throw new TypeError(`cannot encode ${path}: expected an integer`);
      return BigInt(value).toString();
    case 'bool':
      return value === true;
    case 'string':
      return String(value);
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw new TypeError(`cannot encode ${path}: expected bytes`);
      return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    case 'enum':
      if (type.open === true && typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value !== 'string' || !type.values.includes(value))
        throw new TypeError(`cannot encode ${path}: ${String(value)} is not one of ${type.values.join(', ')}`);
      return value;
    case 'message':
      if (typeof value !== 'object' || value === null) throw new TypeError(`cannot encode ${path}: expected a message`);
      return encodeMessage(type.message, value as Record<string, unknown>, path);
  }
}

function isDefaultJson(type: FieldType, json: Json): boolean {
  if (type.kind === 'enum') return json === type.values[0];
  return json === '0' || json === false || json === '';
}

// ---------------------------------------------------------------- decode

/**
 * A message from proto3 JSON, every missing field holding its default.
 * @throws InvalidRequestError naming the field path when the JSON does not fit the message.
 */
export function decode<N extends MessageName>(name: N, json: unknown): Messages[N] {
  return decodeMessage(name, json, '') as unknown as Messages[N];
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const uint64Max = 2n ** 64n - 1n;
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const base64UrlPattern = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

const camelAliases = new Map<MessageName, Map<string, string>>();
function fieldByJsonName(name: MessageName, jsonName: string): string | undefined {
  let aliases = camelAliases.get(name);
  if (aliases === undefined) {
    aliases = new Map();
    for (const fieldName of Object.keys(messageSchemas[name])) {
      aliases.set(fieldName, fieldName);
      aliases.set(
        fieldName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
        fieldName,
      );
    }
    camelAliases.set(name, aliases);
  }
  return aliases.get(jsonName);
}

function describeJson(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'an array';
  if (typeof json === 'string') return `the string ${JSON.stringify(json.length > 40 ? `${json.slice(0, 40)}…` : json)}`;
  if (typeof json === 'object') return 'an object';
  return `${typeof json} ${String(json)}`;
}

function decodeMessage(name: MessageName, json: unknown, path: string): Record<string, unknown> {
  const where = path === '' ? name : path;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new InvalidRequestError(where, `expected a JSON object for ${name}, got ${describeJson(json)}`);
  }
  const schemas = messageSchemas[name] as MessageSchema;
  const out: Record<string, unknown> = {};
  const oneofSeen = new Map<string, string>();
  for (const [jsonName, fieldJson] of Object.entries(json)) {
    const fieldName = fieldByJsonName(name, jsonName);
    const fieldPath = path === '' ? jsonName : `${path}.${jsonName}`;
    if (fieldName === undefined) throw new InvalidRequestError(fieldPath, `unknown field in ${name}`);
    if (fieldJson === null) continue; // proto3 JSON: null means the default
    if (Object.hasOwn(out, fieldName)) throw new InvalidRequestError(fieldPath, 'field given twice');
    const schema = schemas[fieldName]!;
    if (schema.oneof !== undefined) {
      const other = oneofSeen.get(schema.oneof);
      if (other !== undefined) throw new InvalidRequestError(fieldPath, `only one of oneof ${schema.oneof} may be set, ${other} is set too`);
      oneofSeen.set(schema.oneof, fieldName);
    }
    if (schema.repeated) {
      if (!Array.isArray(fieldJson)) throw new InvalidRequestError(fieldPath, `expected an array, got ${describeJson(fieldJson)}`);
      out[fieldName] = fieldJson.map((item, i) => decodeValue(schema.type, item, `${fieldPath}[${i}]`));
    } else {
      out[fieldName] = decodeValue(schema.type, fieldJson, fieldPath);
    }
  }
  for (const [fieldName, schema] of Object.entries(schemas)) {
    if (Object.hasOwn(out, fieldName) || schema.presence) continue;
    out[fieldName] = schema.repeated ? [] : defaultValue(schema.type);
  }
  return out;
}

/** The value a field holds when the message leaves it out (proto3 defaults; a message field: its default message). */
export function defaultValue(type: FieldType): unknown {
  switch (type.kind) {
    case 'int64':
    case 'uint64':
      return 0;
    case 'int64Id':
    case 'uint64Id':
      return 0n;
    case 'int64Exact':
      return 0;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'enum':
      return type.values[0];
    case 'message':
      return decodeMessage(type.message, {}, '');
  }
}

function decodeInteger(json: unknown, path: string, min: bigint, max: bigint, typeName: string): bigint {
  let value: bigint;
  if (typeof json === 'number') {
    if (!Number.isInteger(json)) throw new InvalidRequestError(path, `expected an integer (${typeName}), got ${describeJson(json)}`);
    if (!Number.isSafeInteger(json)) {
      throw new InvalidRequestError(path, `${json} is beyond 2^53 and has lost precision; send ${typeName} as a decimal string`);
    }
    value = BigInt(json);
  } else if (typeof json === 'string' && /^-?\d+$/.test(json)) {
    value = BigInt(json);
  } else {
    throw new InvalidRequestError(path, `expected ${typeName} as a decimal string or number, got ${describeJson(json)}`);
  }
  if (value < min || value > max) throw new InvalidRequestError(path, `${value} is out of range for ${typeName}`);
  return value;
}

/** An int64 as a number when that is exact, else as a bigint (WatchId). */
export function exactInteger(value: bigint): number | bigint {
  return value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value;
}

function decodeValue(type: FieldType, json: unknown, path: string): unknown {
  switch (type.kind) {
    // Revisions, counts and TTLs are numbers; an int64 beyond 2^53 rounds to
    // the nearest double, which keeps its order (a revision of 2^63-1 is
    // still a future revision, a limit of 2^63-1 still no limit).
    case 'int64':
      return Number(decodeInteger(json, path, int64Min, int64Max, 'int64'));
    case 'uint64':
      return Number(decodeInteger(json, path, 0n, uint64Max, 'uint64'));
    case 'int64Id':
      return decodeInteger(json, path, int64Min, int64Max, 'int64');
    case 'uint64Id':
      return decodeInteger(json, path, 0n, uint64Max, 'uint64');
    case 'int64Exact':
      return exactInteger(decodeInteger(json, path, int64Min, int64Max, 'int64'));
    case 'bool':
      if (typeof json !== 'boolean') throw new InvalidRequestError(path, `expected true or false, got ${describeJson(json)}`);
      return json;
    case 'string':
      if (typeof json !== 'string') throw new InvalidRequestError(path, `expected a string, got ${describeJson(json)}`);
      return json;
    case 'bytes': {
      if (typeof json !== 'string') throw new InvalidRequestError(path, `expected base64 bytes, got ${describeJson(json)}`);
      const standard = base64Pattern.test(json);
      if (!standard && !base64UrlPattern.test(json)) throw new InvalidRequestError(path, `expected base64 bytes, got ${describeJson(json)}`);
      return new Uint8Array(Buffer.from(json, standard ? 'base64' : 'base64url'));
    }
    case 'enum': {
      if (typeof json === 'string' && type.values.includes(json)) return json;
      if (typeof json === 'number' && Number.isInteger(json) && json >= 0 && json < type.values.length) return type.values[json];
      if (type.open === true && typeof json === 'number' && Number.isInteger(json) && json >= -(2 ** 31) && json < 2 ** 31) return json;
      throw new InvalidRequestError(path, `expected one of ${type.values.join(', ')}, got ${describeJson(json)}`);
    }
    case 'message':
      return decodeMessage(type.message, json, path);
  }
}

// ---------------------------------------------------------------- walking

/**
 * A copy of a decoded message with every lease ID (int64 ID fields: lease
 * grants, `lease` of puts, compares and key-values) passed through `map`.
 * The conformance replayer uses it to swap recorded server-chosen lease IDs
 * for the ones its store chose.
 */
export function mapLeaseIds<N extends MessageName>(name: N, value: Messages[N], map: (id: M.LeaseId) => M.LeaseId): Messages[N] {
  return mapMessage(name, value as unknown as Record<string, unknown>, map) as unknown as Messages[N];
}

function mapMessage(name: MessageName, value: Record<string, unknown>, map: (id: bigint) => bigint): Record<string, unknown> {
  const out: Record<string, unknown> = { ...value };
  for (const [fieldName, schema] of Object.entries(messageSchemas[name] as MessageSchema)) {
    const fieldValue = value[fieldName];
    if (fieldValue === undefined || fieldValue === null) continue;
    const one = (item: unknown): unknown => {
      if (schema.type.kind === 'int64Id' && typeof item === 'bigint') return map(item);
      if (schema.type.kind === 'message' && typeof item === 'object' && item !== null) {
        return mapMessage(schema.type.message, item as Record<string, unknown>, map);
      }
      return item;
    };
    out[fieldName] = schema.repeated && Array.isArray(fieldValue) ? fieldValue.map(one) : one(fieldValue);
  }
  return out;
}
