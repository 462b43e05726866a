/**
 * etcd's messages (src/store/messages.ts) ↔ the plain objects @grpc/proto-loader
 * hands out and takes in, loaded with `keepCase: true, longs: String,
 * enums: String, defaults: true, oneofs: true`:
 *
 *   fromGrpc('PutRequest', { key: <Buffer 61>, lease: '7', prev_kv: false, … })
 *     → { key: Uint8Array [0x61], lease: 7n, prev_kv: false, … }
 *   toGrpc('LeaseGrantResponse', { header: { revision: 1 }, ID: 7n, TTL: 5, error: '' })
 *     → { header: { revision: '1' }, ID: '7', TTL: '5', error: '' }
 *
 * Both walk the schema table of src/store/message-schemas.ts, so field names,
 * which int64s are bigint lease IDs and which are numbers, enum names and
 * oneof members are described once. int64s arrive as decimal strings;
 * bytes arrive as Buffers (copied, so the store never keeps a view into a
 * whole gRPC frame) and leave as Buffers sharing the store's bytes.
 * Outgoing fields holding their proto3 default are left out, so the wire
 * carries what etcd's would (protobufjs writes a set `false` or `0`).
 * proto-loader's `oneofs: true` virtual fields (`request: 'request_put'`)
 * are ignored: only the schema's fields are read.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError } from '../store/errors.ts';
import { txnLevelsExaminedMax } from '../store/limits.ts';
import { defaultValue, enumFromWire, type FieldType, fieldsOf, integerAs, isProto3Default, type MessageName, type Messages } from '../store/message-schemas.ts';

/** What proto-loader produces and accepts: plain objects, strings for 64-bit integers, Buffers for bytes. */
export type GrpcObject = { [field: string]: unknown };

/**
 * A decoded gRPC request (or response) as etcd's message type.
 * @throws InvalidRequestError when a value does not fit (an enum number the proto does not name, a non-integer).
 */
export function fromGrpc<N extends MessageName>(name: N, value: unknown): Messages[N] {
  if (name === 'TxnRequest') dropTxnsBelowExamined(value);
  return fromMessage(name, value, name) as unknown as Messages[N];
}

/**
 * Replaces every nested txn deeper than etcd ever examines (limits.txnLevelsExaminedMax)
 * with an empty one, in place, walking without recursion: such a request is refused
 * for its ops budget above that level whatever lies below, and decoding 1,000 levels
 * recursively overflowed the stack in a cold process.
 */
function dropTxnsBelowExamined(request: unknown): void {
  const txns: { txn: unknown; level: number }[] = [{ txn: request, level: 1 }];
  for (let next = txns.pop(); next !== undefined; next = txns.pop()) {
    if (typeof next.txn !== 'object' || next.txn === null) continue;
    for (const branch of ['success', 'failure'] as const) {
      const ops = (next.txn as GrpcObject)[branch];
      if (!Array.isArray(ops)) continue;
      for (const op of ops as (GrpcObject | null)[]) {
        if (typeof op !== 'object' || op === null || typeof op.request_txn !== 'object' || op.request_txn === null) continue;
        if (next.level + 1 > txnLevelsExaminedMax) op.request_txn = {};
        else txns.push({ txn: op.request_txn, level: next.level + 1 });
      }
    }
  }
}

/** One of etcd's messages as the object proto-loader serializes. */
export function toGrpc<N extends MessageName>(name: N, value: Messages[N]): GrpcObject {
  return toMessage(name, value as unknown as Record<string, unknown>);
}

// ---------------------------------------------------------------- from gRPC

/**
 * Where a value sits in the request, for error messages only: built when an
 * error needs it (a template string per field cost microseconds per request).
 */
type Where = { readonly parent: Where | string; readonly field: string; readonly index: number };

function pathOf(where: Where | string): string {
  if (typeof where === 'string') return where;
  const field = `${pathOf(where.parent)}.${where.field}`;
  return where.index < 0 ? field : `${field}[${where.index}]`;
}

function fromMessage(name: MessageName, value: unknown, path: Where | string): Record<string, unknown> {
  const object = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const fields = fieldsOf(name);
  for (let f = 0; f < fields.length; f++) {
    const schema = fields[f]!;
    const fieldName = schema.name;
    const fieldValue = object[fieldName];
    if (schema.repeated) {
      if (!Array.isArray(fieldValue)) {
        out[fieldName] = [];
        continue;
      }
      const items = new Array<unknown>(fieldValue.length);
      for (let i = 0; i < fieldValue.length; i++) items[i] = fromValue(schema.type, fieldValue[i], { parent: path, field: fieldName, index: i });
      out[fieldName] = items;
    } else if (fieldValue === undefined || fieldValue === null) {
      if (!schema.presence) out[fieldName] = defaultValue(schema.type);
    } else {
      out[fieldName] = fromValue(
        schema.type,
        fieldValue,
        schema.type.kind === 'message' || schema.type.kind === 'enum' ? { parent: path, field: fieldName, index: -1 } : undefined,
        path,
        fieldName,
      );
    }
  }
  return out;
}

function integer(value: unknown, where: Where | undefined, parent: Where | string, field: string): bigint {
  if (value === '0') return 0n; // the usual: an unset lease or revision
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'bigint') return value;
  throw new InvalidRequestError(pathOf(where ?? { parent, field, index: -1 }), `expected an integer, got ${String(value)}`);
}

/** At `where`, or (a scalar outside a list, not to allocate a Where) `field` of `parent`. */
function fromValue(type: FieldType, value: unknown, where: Where | undefined, parent: Where | string = '', field = ''): unknown {
  switch (type.kind) {
    case 'int64':
    case 'uint64':
      return type.as === 'number' && typeof value === 'number' ? value : integerAs(type.as, integer(value, where, parent, field));
    case 'bool':
      return value === true;
    case 'string':
      return typeof value === 'string' ? value : String(value);
    case 'bytes':
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (typeof value === 'string') return new Uint8Array(Buffer.from(value, 'base64'));
      throw new InvalidRequestError(pathOf(where ?? { parent, field, index: -1 }), 'expected bytes');
    case 'enum':
      // proto-loader hands an enum number its proto does not name over as the number; an open enum keeps it, as etcd does.
      return enumFromWire(type, value, pathOf(where!), String);
    case 'message':
      return fromMessage(type.message, value, where!);
  }
}

// ---------------------------------------------------------------- to gRPC

function toMessage(name: MessageName, value: Record<string, unknown>): GrpcObject {
  const out: GrpcObject = {};
  for (const schema of fieldsOf(name)) {
    const fieldName = schema.name;
    const fieldValue = value[fieldName];
    if (fieldValue === undefined || fieldValue === null) continue;
    if (!schema.presence && (schema.repeated || schema.type.kind !== 'message') && isProto3Default(fieldValue)) continue;
    if (!schema.presence && !schema.repeated && schema.type.kind === 'enum' && fieldValue === schema.type.values[0]) continue;
    out[fieldName] = schema.repeated && Array.isArray(fieldValue) ? fieldValue.map((item) => toValue(schema.type, item)) : toValue(schema.type, fieldValue);
  }
  return out;
}

function toValue(type: FieldType, value: unknown): unknown {
  switch (type.kind) {
    case 'int64':
    case 'uint64':
      return typeof value === 'number' || typeof value === 'bigint' ? BigInt(value).toString() : value;
    case 'bytes':
      return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value;
    case 'message':
      return typeof value === 'object' && value !== null ? toMessage(type.message, value as Record<string, unknown>) : value;
    default:
      return value;
  }
}
