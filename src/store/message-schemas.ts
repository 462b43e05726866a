/**
 * etcd's messages (src/store/messages.ts), field by field: each field's
 * protobuf kind, how leaselab holds it in JavaScript, and its limits. The
 * one place a new etcd RPC or field is described; everything that reads or
 * checks a message walks this table:
 *
 * - src/store/validate.ts: the store's type checks and protobuf sizes;
 * - src/server/json-codec.ts: the proto3-JSON of etcd's HTTP gateway;
 * - src/server/grpc-codec.ts: the objects @grpc/proto-loader hands over.
 *
 *   messageSchemas.PutRequest.lease → { type: { kind: 'int64', as: 'bigint' }, repeated: false, presence: false }
 *   integerLimits.int64             → { min: -(2n ** 63n), max: 2n ** 63n - 1n }
 */
import { InvalidRequestError } from './errors.ts';
import type * as M from './messages.ts';

// ---------------------------------------------------------------- field types

/**
 * How an integer is held: a `number` (revisions, counts and TTLs stay far
 * below 2^53; beyond it a value rounds to the nearest double, which keeps its
 * order), a `bigint` exact over all 64 bits (lease, cluster and member IDs),
 * or `exact`: a number when it fits in 2^53, else a bigint (watch IDs, echoed back).
 */
export type IntegerRepresentation = 'number' | 'bigint' | 'exact';

/** How one field is represented. */
export type FieldType =
  | { kind: 'int64'; as: IntegerRepresentation }
  | { kind: 'uint64'; as: IntegerRepresentation }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'bytes' }
  /** `open`: an unknown number (an int32) is kept as a number rather than refused; etcd ignores it. */
  | { kind: 'enum'; values: readonly string[]; open?: boolean }
  | { kind: 'message'; message: MessageName };

export type IntegerKind = 'int64' | 'uint64';
export type EnumType = FieldType & { kind: 'enum' };
export type MessageType = FieldType & { kind: 'message' };

/** The range of each integer kind, exact and as the doubles a `number` field may hold. */
export const integerLimits: { readonly [K in IntegerKind]: { min: bigint; max: bigint; minNumber: number; maxNumber: number } } = {
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n, minNumber: -(2 ** 63), maxNumber: 2 ** 63 },
  uint64: { min: 0n, max: 2n ** 64n - 1n, minNumber: 0, maxNumber: 2 ** 64 },
};

export interface FieldSchema {
  type: FieldType;
  repeated: boolean;
  /** Absent rather than defaulted when missing: optional messages and oneof members. */
  presence: boolean;
  /** The proto oneof this field belongs to. */
  oneof?: string;
  /** Bytes of the field's protobuf tag when more than one (field numbers above 15, e.g. Compare.range_end = 64). */
  tagBytes?: number;
}

/** Every message described here, by proto name. */
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

export type MessageSchema = Record<string, FieldSchema>;
/** A schema must describe exactly the fields of its TypeScript type. */
type SchemaOf<T> = { [K in keyof Required<T>]: FieldSchema };

const field = (type: FieldType): FieldSchema => ({ type, repeated: false, presence: false });
const int64 = field({ kind: 'int64', as: 'number' });
const uint64 = field({ kind: 'uint64', as: 'number' });
const leaseId = field({ kind: 'int64', as: 'bigint' });
const uint64Id = field({ kind: 'uint64', as: 'bigint' });
const watchId = field({ kind: 'int64', as: 'exact' });
const bool = field({ kind: 'bool' });
const string = field({ kind: 'string' });
const bytes = field({ kind: 'bytes' });
const enumOf = (...values: string[]): FieldSchema => field({ kind: 'enum', values });
const openEnumOf = (...values: string[]): FieldSchema => field({ kind: 'enum', values, open: true });
const message = (name: MessageName): FieldSchema => field({ kind: 'message', message: name });
const repeated = (of: FieldSchema): FieldSchema => Object.assign({}, of, { repeated: true });
const optional = (of: FieldSchema): FieldSchema => Object.assign({}, of, { presence: true });
const oneof = (name: string, of: FieldSchema): FieldSchema => Object.assign({}, of, { presence: true, oneof: name });
/** A field whose proto number needs a longer tag than fields 1-15: ((number << 3) | wire type) as a varint. */
const numbered = (fieldNumber: number, of: FieldSchema): FieldSchema => Object.assign({}, of, { tagBytes: fieldNumber < 16 ? 1 : fieldNumber < 2048 ? 2 : 3 });

const compareUnion = 'target_union';
/** RequestOp's oneof: the store applies one request per op. */
export const requestUnion = 'request';
const responseUnion = 'response';
const watchUnion = 'request_union';

/**
 * etcd's rpc.proto and kv.proto, field by field, in the order etcd's Go
 * structs hold them (the order its JSON gateway writes them in).
 */
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
    range_end: numbered(64, bytes),
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

// ---------------------------------------------------------------- walking the table

/** A field, its name and its message, as the walkers loop over them. */
export interface NamedField {
  name: string;
  /** The message the field belongs to. */
  message: MessageName;
  type: FieldType;
  repeated: boolean;
  presence: boolean;
  oneof: string | undefined;
  /** Bytes of the protobuf tag (1 for field numbers 1-15). */
  tagBytes: number;
}

/** Every message's fields, built once at load: the walkers run on every request. */
const fieldLists = {} as Record<MessageName, NamedField[]>;
for (const name of Object.keys(messageSchemas) as MessageName[]) {
  // One shape for every entry, so the walkers' property reads stay monomorphic.
  fieldLists[name] = Object.entries(messageSchemas[name] as MessageSchema).map(([fieldName, schema]) => ({
    name: fieldName,
    message: name,
    type: schema.type,
    repeated: schema.repeated,
    presence: schema.presence,
    oneof: schema.oneof,
    tagBytes: schema.tagBytes ?? 1,
  }));
}

/** A message's fields in table order. */
export function fieldsOf(name: MessageName): readonly NamedField[] {
  return fieldLists[name];
}

/** Called on each field a message sets (not undefined or null) with its value; a walker sums what it returns. */
export type FieldVisitor<C> = (field: NamedField, value: unknown, context: C) => number;
/** A visitor per field kind, and `repeated` for a repeated field's whole list. */
export type FieldVisitors<C> = { readonly [K in FieldType['kind'] | 'repeated']: FieldVisitor<C> };
export type MessageWalker<C> = (message: object, context: C) => number;

/** The same visitor for every kind of field. */
export function everyKind<C>(visit: FieldVisitor<C>): FieldVisitors<C> {
  return { int64: visit, uint64: visit, bool: visit, string: visit, bytes: visit, enum: visit, message: visit, repeated: visit };
}

/**
 * For each message, a function calling the visitor of each field's kind on
 * every field the message sets, in table order, summing the results. Each
 * is generated from the table with the field names and kinds written out
 * (`visit.bytes(fields[0], message.key, context)`): a loop reading
 * `message[field.name]` and switching on the kind makes V8 look every name
 * up the slow way, and these walks run on every request the store gets.
 * Where code cannot be generated (a runtime that forbids `new Function`),
 * or with `generate: false`, the walkers are that loop.
 */
export function messageWalkers<C>(visit: FieldVisitors<C>, { generate = true } = {}): { readonly [N in MessageName]: MessageWalker<C> } {
  const walkers = {} as Record<MessageName, MessageWalker<C>>;
  for (const [name, fields] of Object.entries(fieldLists) as [MessageName, NamedField[]][]) {
    // Each is made on its first walk, and then takes its own place: making every message's at once cost
    // ~2 ms of start-up per set (a process that validates runs three sets), most of them never walked.
    let made: MessageWalker<C> | undefined;
    walkers[name] = (message, context) => {
      made ??= walkers[name] = (generate && generatedWalker(name, fields, visit)) || loopWalker(fields, visit);
      return made(message, context);
    };
  }
  return walkers;
}

function generatedWalker<C>(name: MessageName, fields: readonly NamedField[], visit: FieldVisitors<C>): MessageWalker<C> | undefined {
  const body = fields.map((field, i) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field.name)) throw new Error(`${name}.${field.name} is not a field name`);
    const visitor = field.repeated ? 'repeated' : field.type.kind;
    return `value = message.${field.name}; if (value !== undefined && value !== null) total += visit.${visitor}(fields[${i}], value, context);`;
  });
  const source = `return function walk${name}(message, context) { let total = 0; let value; ${body.join(' ')} return total; };`;
  try {
    return new Function('fields', 'visit', source)(fields, visit) as MessageWalker<C>;
  } catch (error) {
    if (error instanceof EvalError) return undefined;
    throw error;
  }
}

function loopWalker<C>(fields: readonly NamedField[], visit: FieldVisitors<C>): MessageWalker<C> {
  return (message, context) => {
    let total = 0;
    for (const field of fields) {
      const value = (message as Record<string, unknown>)[field.name];
      if (value !== undefined && value !== null) total += visit[field.repeated ? 'repeated' : field.type.kind](field, value, context);
    }
    return total;
  };
}

const jsonNames = new Map<MessageName, Map<string, string>>();

/** The proto field a JSON name stands for: the proto name (`range_end`) or its lowerCamelCase JSON name (`rangeEnd`). */
export function fieldByJsonName(name: MessageName, jsonName: string): string | undefined {
  let aliases = jsonNames.get(name);
  if (aliases === undefined) {
    aliases = new Map();
    for (const fieldName of Object.keys(messageSchemas[name])) {
      aliases.set(fieldName, fieldName);
      aliases.set(
        fieldName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
        fieldName,
      );
    }
    jsonNames.set(name, aliases);
  }
  return aliases.get(jsonName);
}

// ---------------------------------------------------------------- values

/** A proto3 default, which etcd (gogoproto) leaves off the wire where protobufjs would write a set false/0/''. */
export function isProto3Default(value: unknown): boolean {
  return (
    value === 0 ||
    value === 0n ||
    value === false ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (value instanceof Uint8Array && value.length === 0)
  );
}

/** An int64 as a number when that is exact, else as a bigint (WatchId). */
export function exactInteger(value: bigint): number | bigint {
  return value >= -(2n ** 53n) && value <= 2n ** 53n ? Number(value) : value;
}

/** A decoded integer as its field holds it. */
export function integerAs(as: IntegerRepresentation, value: bigint): number | bigint {
  if (as === 'number') return Number(value);
  return as === 'bigint' ? value : exactInteger(value);
}

/** An enum number an open enum keeps: any int32. */
export function isOpenEnumNumber(type: EnumType, value: unknown): value is number {
  return type.open === true && typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
}

/**
 * An enum value as a codec receives it (a name or a number) as the field
 * holds it: the name, or the number itself for an open enum.
 * @throws InvalidRequestError naming `path` when the enum neither names nor keeps it (`describe` shows the value).
 */
export function enumFromWire(type: EnumType, value: unknown, path: string, describe: (value: unknown) => string): string | number {
  if (typeof value === 'string' && type.values.includes(value)) return value;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < type.values.length) return type.values[value]!;
  if (isOpenEnumNumber(type, value)) return value;
  throw new InvalidRequestError(path, `expected one of ${type.values.join(', ')}, got ${describe(value)}`);
}

/** The value a field holds when the message leaves it out (proto3 defaults; a message field: its default message). */
export function defaultValue(type: FieldType): unknown {
  switch (type.kind) {
    case 'int64':
    case 'uint64':
      return type.as === 'bigint' ? 0n : 0;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'enum':
      return type.values[0];
    case 'message':
      return defaultMessage(type.message);
  }
}

/** A message with every field that has a default holding it (optional messages and oneof members left out). */
export function defaultMessage(name: MessageName): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fieldsOf(name)) {
    if (!field.presence) out[field.name] = field.repeated ? [] : defaultValue(field.type);
  }
  return out;
}
