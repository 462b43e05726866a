/**
 * What happens to a KV request before the store applies it, in etcd's order:
 *
 * 1. Decoding (`decodeRequest`, `decodePut`): every field has the type
 *    src/store/message-schemas.ts gives it — bytes are Uint8Array, int64
 *    counters are safe integers, lease IDs are int64 bigints, enums are known
 *    names, a RequestOp sets one request. A request that fails here never
 *    reached etcd: InvalidRequestError naming the message and field.
 *
 *      decodePut({ key: 'a' })                         → InvalidRequestError "invalid request: PutRequest.key: expected bytes (Uint8Array)"
 *      decodeRequest('RangeRequest', { limit: '5', … }) → InvalidRequestError "invalid request: RangeRequest.limit: expected an int64 number"
 *
 * 2. etcd's v3rpc checks (`check*`, v3rpc/key.go): empty keys, ignore_value
 *    with a value, ignore_lease with a lease (src/store/txn.ts has the txn ones).
 *
 * 3. The raft size limit (`encodedSize`): writes whose protobuf encoding
 *    exceeds --max-request-bytes fail with "etcdserver: request is too large".
 */
import { InvalidRequestError, KeyNotProvidedError, LeaseProvidedError, TooManyOpsError, ValueProvidedError } from './errors.ts';
import { defaultRaftRequestIdBytes, txnNestingDepthMax } from './limits.ts';
import {
  type EnumType,
  everyKind,
  type FieldType,
  type FieldVisitor,
  type FieldVisitors,
  integerLimits,
  isOpenEnumNumber,
  type MessageName,
  type MessageType,
  type Messages,
  messageWalkers,
  type NamedField,
  requestUnion,
} from './message-schemas.ts';
import type { DeleteRangeRequest, PutRequest, RangeRequest } from './messages.ts';

type Fields = Record<string, unknown>;

function fail(message: string, field: string, problem: string): never {
  throw new InvalidRequestError(`${message}.${field}`, problem);
}

function messageObject(value: unknown, message: MessageName): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new InvalidRequestError(message, 'expected a message object');
  }
  return value as Fields;
}

/**
 * Why an integer does not fit its field, or undefined. A `number` int64
 * beyond 2^53 arrives rounded to the nearest double (codecs do that), which
 * keeps its order against every revision a store can reach, so etcd's
 * answers (future revision, no limit, …) hold.
 */
function integerProblem(type: FieldType & { kind: 'int64' | 'uint64' }, value: unknown): string | undefined {
  const limits = integerLimits[type.kind];
  const article = type.kind === 'int64' ? 'an' : 'a';
  const isNumber = typeof value === 'number' && Number.isInteger(value) && value >= limits.minNumber && value <= limits.maxNumber;
  if (type.as === 'number') return isNumber ? undefined : `expected ${article} ${type.kind} number`;
  if (typeof value !== 'bigint') return type.as === 'exact' && isNumber ? undefined : `expected ${article} ${type.kind} bigint`;
  return value < limits.min || value > limits.max ? `out of ${type.kind} range` : undefined;
}

/** Why a value does not fit a field of this (non-message) type, or undefined. */
function typeProblem(type: FieldType, value: unknown): string | undefined {
  switch (type.kind) {
    case 'bytes':
      return value instanceof Uint8Array ? undefined : 'expected bytes (Uint8Array)';
    case 'int64':
    case 'uint64':
      return integerProblem(type, value);
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'expected a boolean';
    case 'string':
      return typeof value === 'string' ? undefined : 'expected a string';
    case 'enum':
      // An open enum keeps a number the proto does not name (etcd ignores it) rather than refusing it.
      return (typeof value === 'string' && type.values.includes(value)) || isOpenEnumNumber(type, value) ? undefined : `unknown enum value ${String(value)}`;
    case 'message':
      return undefined; // walked by checkMessage
  }
}

function checkScalar(field: NamedField, value: unknown): void {
  const problem = typeProblem(field.type, value);
  if (problem !== undefined) fail(field.message, field.name, problem);
}

/*
 * The walk keeps its own stack rather than recursing, as a txn may nest a
 * thousand deep before its ops budget refuses it. A message's own scalar
 * fields are checked at once; its message and repeated fields go on the
 * stack, to be checked in field order after it. Both arrays are reused (a
 * walk calls out to nothing) and indexed by hand (setting `length` is a
 * slow call in V8). An entry of `pending` is four slots: the field, its
 * value, the TxnRequests around it and whether it is one item of a repeated field.
 */
const pending: unknown[] = [];
let pendingTop = 0;
/** The message and repeated fields one message sets: field, value. */
const found: unknown[] = [];
let foundTop = 0;

function push(field: unknown, value: unknown, txnDepth: number, item: boolean): void {
  pending[pendingTop] = field;
  pending[pendingTop + 1] = value;
  pending[pendingTop + 2] = txnDepth;
  pending[pendingTop + 3] = item;
  pendingTop += 4;
}

/** A message or repeated field waits on the stack, to be checked after its message. */
function defer(field: NamedField, value: unknown): number {
  found[foundTop] = field;
  found[foundTop + 1] = value;
  foundTop += 2;
  return 0;
}

function scalar(field: NamedField, value: unknown): number {
  checkScalar(field, value);
  return 0;
}

const checkFields = messageWalkers({
  int64: scalar,
  uint64: scalar,
  bool: scalar,
  string: scalar,
  bytes: scalar,
  enum: scalar,
  message: defer,
  repeated: defer,
});
const countRequests = messageWalkers(everyKind((field) => (field.oneof === requestUnion ? 1 : 0)));

/** `txnDepth`: the TxnRequests around this message. */
function checkMessage(name: MessageName, value: unknown, txnDepth: number): void {
  // Deeper than any txn the ops budget lets through: etcd's answer, without walking on.
  if (name === 'TxnRequest' && txnDepth > txnNestingDepthMax) throw new TooManyOpsError();
  const fields = messageObject(value, name);
  // A RequestOp sets one request: the store applies the one set.
  if (name === 'RequestOp' && countRequests.RequestOp(fields, undefined) > 1) {
    throw new InvalidRequestError(name, `more than one ${requestUnion} of the oneof set`);
  }
  foundTop = 0;
  checkFields[name](fields, undefined);
  const innerDepth = name === 'TxnRequest' ? txnDepth + 1 : txnDepth;
  for (let i = foundTop - 2; i >= 0; i -= 2) push(found[i], found[i + 1], innerDepth, false);
}

/*
 * The quick check: the same checks as the walk above, each field's type by a
 * visitor of its kind (no switch), recursing into messages, answering only
 * whether the request is well typed. A request it passes is returned as it
 * is; anything else (a problem, or nesting deeper than quickDepthMax, far
 * below txnNestingDepthMax) goes to the walk, which finds the error to throw.
 */
const quickDepthMax = 16;

const isInteger = (field: NamedField, value: unknown): number =>
  integerProblem(field.type as FieldType & { kind: 'int64' | 'uint64' }, value) === undefined ? 0 : 1;
const quickItem: FieldVisitor<number> = (field, value, depth) =>
  field.type.kind === 'message' ? quickMessageProblems(field.type.message, value, depth) : typeProblem(field.type, value) === undefined ? 0 : 1;

const quickFields = messageWalkers<number>({
  bytes: (_, value) => (value instanceof Uint8Array ? 0 : 1),
  bool: (_, value) => (typeof value === 'boolean' ? 0 : 1),
  string: (_, value) => (typeof value === 'string' ? 0 : 1),
  int64: isInteger,
  uint64: isInteger,
  enum: (field, value) => (typeProblem(field.type, value) === undefined ? 0 : 1),
  message: (field, value, depth) => quickMessageProblems((field.type as MessageType).message, value, depth),
  repeated: (field, value, depth) => {
    if (!Array.isArray(value)) return 1;
    let problems = 0;
    for (let i = 0; i < value.length; i++) problems += quickItem(field, value[i], depth);
    return problems;
  },
});

/** 0 when the value is a well-typed `name` message nested no deeper than quickDepthMax; otherwise more. */
function quickMessageProblems(name: MessageName, value: unknown, depth: number): number {
  if (depth > quickDepthMax) return 1;
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return 1;
  if (name === 'RequestOp' && countRequests.RequestOp(value, undefined) > 1) return 1;
  return quickFields[name](value, depth + 1);
}

/** A request whose every field has its schema's type, as that message. */
export function decodeRequest<N extends MessageName>(name: N, request: unknown): Messages[N] {
  if (quickMessageProblems(name, request, 0) === 0) return request as Messages[N];
  pendingTop = 0;
  checkMessage(name, request, 0);
  while (pendingTop > 0) {
    pendingTop -= 4;
    const field = pending[pendingTop] as NamedField;
    const value = pending[pendingTop + 1];
    const txnDepth = pending[pendingTop + 2] as number;
    const item = pending[pendingTop + 3] as boolean;
    pending[pendingTop + 1] = undefined; // hold no request after its walk
    if (field.repeated && !item) {
      if (!Array.isArray(value)) fail(field.message, field.name, 'expected a list');
      for (let i = value.length - 1; i >= 0; i--) push(field, value[i], txnDepth, true);
    } else if (field.type.kind === 'message') {
      checkMessage(field.type.message, value, txnDepth);
    } else {
      checkScalar(field, value);
    }
  }
  return request as Messages[N];
}

export function decodePut(request: unknown): PutRequest {
  // Fast path: the common well-typed put, checked without walking the schema.
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
  return decodeRequest('PutRequest', request);
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
  if (typeof value === 'bigint') {
    // Compared with 2^7, 2^14, …, 2^63 rather than shifted: a lease ID (63 bits) would make nine BigInts.
    while (size < 10 && value >= varintSizeSteps[size - 1]!) size++;
    return size;
  }
  let n = BigInt(Math.trunc(value));
  while (n >= 128n) {
    n >>= 7n;
    size++;
  }
  return size;
}

/** 2^(7k) for k = 1..9: a varint of a value at or above the k-th takes more than k bytes. */
const varintSizeSteps: readonly bigint[] = Array.from({ length: 9 }, (_, k) => 1n << BigInt(7 * (k + 1)));

function smallVarintSize(value: number): number {
  if (value < 0) return 10;
  if (value < 128) return 1;
  if (value < 16384) return 2;
  if (value < 2097152) return 3;
  if (value < 268435456) return 4;
  return varintSize(value);
}

function bytesSize(value: Uint8Array): number {
  if (value.length === 0) return 0;
  return 1 + smallVarintSize(value.length) + value.length;
}

function intSize(value: number | bigint): number {
  if (value === 0 || value === 0n) return 0;
  return 1 + (typeof value === 'number' ? smallVarintSize(value) : varintSize(value));
}

function enumSize(value: string | number, names: readonly string[]): number {
  if (typeof value === 'number') return value === 0 ? 0 : 1 + varintSize(value);
  const index = names.indexOf(value);
  return index <= 0 ? 0 : 2;
}

function messageSize(size: number): number {
  return 1 + smallVarintSize(size) + size;
}

/** Each field's bytes (tag included) holding a value, by kind; a field of a request that reaches raft has a one-byte tag unless its schema says more. */
const sizeOf: FieldVisitors<undefined> = {
  bytes: (field, value) => {
    const size = bytesSize(value as Uint8Array);
    return size === 0 ? 0 : size + field.tagBytes - 1;
  },
  int64: (_, value) => intSize(value as number | bigint),
  uint64: (_, value) => intSize(value as number | bigint),
  bool: (_, value) => (value === true ? 2 : 0),
  string: (_, value) => bytesSize(new TextEncoder().encode(value as string)),
  enum: (field, value) => enumSize(value as string | number, (field.type as EnumType).values),
  message: (field, value) => messageSize(fieldSizes[(field.type as MessageType).message](value as object, undefined)),
  repeated: (field, value) => {
    const itemSize = sizeOf[field.type.kind];
    let size = 0;
    for (const item of value as unknown[]) size += itemSize(field, item, undefined);
    return size;
  },
};

const fieldSizes = messageWalkers(sizeOf);

/** The bytes of a decoded request's protobuf encoding. */
export function encodedSize<N extends MessageName>(name: N, request: Messages[N]): number {
  return fieldSizes[name](request as object, undefined);
}

/**
 * The size of the InternalRaftRequest etcd proposes for a write whose own
 * encoding is `requestBytes`: a RequestHeader {ID} under field 100 (a
 * two-byte tag, a length byte, the ID's tag and varint) plus the request's
 * field tag and length. etcd refuses it above --max-request-bytes. The ID's
 * size depends on the member (limits.raftRequestIdBytes).
 */
export function raftRequestBytes(requestBytes: number, requestIdBytes: number = defaultRaftRequestIdBytes): number {
  return 2 + 1 + 1 + requestIdBytes + 1 + smallVarintSize(requestBytes) + requestBytes;
}
