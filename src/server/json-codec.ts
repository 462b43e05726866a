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
 * encode, decode and `mapLeaseIds` walk the schema table of
 * src/store/message-schemas.ts. Anything that does not decode throws
 * InvalidRequestError naming the field path (`success[0].request_put.key`),
 * never a TypeError.
 */
import { Buffer } from 'node:buffer';
import type { EtcdApi } from '../store/etcd-api.ts';
import { InvalidRequestError } from '../store/errors.ts';
import {
  defaultValue,
  enumFromWire,
  type FieldType,
  fieldByJsonName,
  fieldsOf,
  type IntegerKind,
  integerAs,
  integerLimits,
  type MessageName,
  type MessageSchema,
  type Messages,
  messageSchemas,
} from '../store/message-schemas.ts';
import type * as M from '../store/messages.ts';

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
  for (const schema of fieldsOf(name)) {
    const fieldName = schema.name;
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

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const base64UrlPattern = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2}(?:==)?|[A-Za-z0-9_-]{3}=?)?$/;

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
  const out: Record<string, unknown> = {};
  const oneofSeen = new Map<string, string>();
  for (const [jsonName, fieldJson] of Object.entries(json)) {
    const fieldName = fieldByJsonName(name, jsonName);
    const fieldPath = path === '' ? jsonName : `${path}.${jsonName}`;
    if (fieldName === undefined) throw new InvalidRequestError(fieldPath, `unknown field in ${name}`);
    if (fieldJson === null) continue; // proto3 JSON: null means the default
    if (Object.hasOwn(out, fieldName)) throw new InvalidRequestError(fieldPath, 'field given twice');
    const schema = (messageSchemas[name] as MessageSchema)[fieldName]!;
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
  for (const schema of fieldsOf(name)) {
    if (Object.hasOwn(out, schema.name) || schema.presence) continue;
    out[schema.name] = schema.repeated ? [] : defaultValue(schema.type);
  }
  return out;
}

function decodeInteger(json: unknown, path: string, typeName: IntegerKind): bigint {
  const { min, max } = integerLimits[typeName];
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

function decodeValue(type: FieldType, json: unknown, path: string): unknown {
  switch (type.kind) {
    // A `number` int64 beyond 2^53 rounds to the nearest double, which keeps
    // its order (a revision of 2^63-1 is still a future revision, a limit of
    // 2^63-1 still no limit).
    case 'int64':
    case 'uint64':
      return integerAs(type.as, decodeInteger(json, path, type.kind));
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
    case 'enum':
      return enumFromWire(type, json, path, describeJson);
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
  for (const schema of fieldsOf(name)) {
    const fieldName = schema.name;
    const fieldValue = value[fieldName];
    if (fieldValue === undefined || fieldValue === null) continue;
    const type = schema.type;
    const one = (item: unknown): unknown => {
      if (type.kind === 'int64' && type.as === 'bigint' && typeof item === 'bigint') return map(item);
      if (schema.type.kind === 'message' && typeof item === 'object' && item !== null) {
        return mapMessage(schema.type.message, item as Record<string, unknown>, map);
      }
      return item;
    };
    out[fieldName] = schema.repeated && Array.isArray(fieldValue) ? fieldValue.map(one) : one(fieldValue);
  }
  return out;
}
