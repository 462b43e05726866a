/**
 * A request body as etcd 3.4.23's HTTP gateway reads it: json.Decoder takes
 * the body's first value (anything after it is never read; an empty body is
 * an empty request), then golang/protobuf 1.3's jsonpb.Unmarshaler (unknown
 * fields allowed) fills the Go struct, field by field in the struct's order,
 * passing each value to encoding/json. The first error is the answer, in
 * Go's words (src/server/go-json.ts):
 *
 *   readRequestBody('RangeRequest', utf8('{"key":"YQ==","limit":"x"} tail'))
 *     → { ok: false, message: "invalid character 'x' looking for beginning of value" }
 *   readRequestBody('RangeRequest', utf8('null'))
 *     → { ok: true, json: {} }   (the server then says the key is not provided)
 *   readRequestBody('RangeRequest', utf8('{"key":[97],"sortOrder":"DESCEND"}'))
 *     → { ok: true, json: { key: 'YQ==', sort_order: 'DESCEND' } }
 *
 * What it accepts comes out as plain proto3 JSON (proto field names, bytes as
 * standard base64, int64s as decimal strings, enums by name): json-codec's
 * decode builds the KV and lease messages from it (their shapes come from the
 * schema table); the maintenance, cluster and auth handlers take it as it is
 * (their shapes from rpc.proto, readProtoBody).
 */
import type protobuf from 'protobufjs';
import type { Json, JsonObject } from './json-codec.ts';
import { txnLevelsExaminedMax } from '../store/limits.ts';
import { fieldsOf, type MessageName } from '../store/message-schemas.ts';
import { arrayItems, base64Std, firstValue, goQuote, type JsonKind, kindOf, objectMembers, type Span, syntaxError, typeError, unquote } from './go-json.ts';

export type RequestBody = { ok: true; json: JsonObject } | { ok: false; message: string };

/** The Go error ending jsonpb's walk. */
class GoError extends Error {}

type ScalarKind = 'bytes' | 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string';

/** A field of a Go struct as jsonpb sees it. */
interface FieldShape {
  /** The proto name; its lowerCamelCase JSON name is taken too. */
  name: string;
  kind: ScalarKind | 'enum' | 'message';
  repeated: boolean;
  oneof: string | undefined;
  /** An enum's value names by number, and its Go type (also its registered name: `etcdserverpb.RangeRequest_SortOrder`). */
  enumNames?: readonly string[];
  goEnum?: string;
  message?: () => MessageShape;
}

/** A message as jsonpb sees its Go struct: the fields in the struct's order (a oneof where its first member is declared). */
interface MessageShape {
  /** `etcdserverpb.RequestOp`: names the interface types of its oneofs. */
  goName: string;
  fields: readonly FieldShape[];
}

/** etcd's Go names of the enums the schema table's requests hold. */
const goEnumNames: Record<string, string> = {
  'RangeRequest.sort_order': 'etcdserverpb.RangeRequest_SortOrder',
  'RangeRequest.sort_target': 'etcdserverpb.RangeRequest_SortTarget',
  'Compare.result': 'etcdserverpb.Compare_CompareResult',
  'Compare.target': 'etcdserverpb.Compare_CompareTarget',
  'WatchCreateRequest.filters': 'etcdserverpb.WatchCreateRequest_FilterType',
  'Event.type': 'mvccpb.Event_EventType',
};

const schemaShapes = new Map<MessageName, MessageShape>();

/** A message of the schema table (src/store/message-schemas.ts) as a shape. */
function schemaShape(name: MessageName): MessageShape {
  let shape = schemaShapes.get(name);
  if (shape !== undefined) return shape;
  const fields = fieldsOf(name).map((field): FieldShape => {
    const type = field.type;
    const shapeOf: FieldShape = { name: field.name, kind: type.kind, repeated: field.repeated, oneof: field.oneof };
    if (type.kind === 'enum') {
      shapeOf.enumNames = type.values;
      shapeOf.goEnum = goEnumNames[`${name}.${field.name}`] ?? `etcdserverpb.${name}_${field.name}`;
    }
    if (type.kind === 'message') shapeOf.message = () => schemaShape(type.message);
    return shapeOf;
  });
  shape = { goName: `etcdserverpb.${name}`, fields };
  schemaShapes.set(name, shape);
  return shape;
}

/** Fields leaselab's rpc.proto has (from etcd 3.5) that etcd 3.4.23's Go structs do not: jsonpb ignores them there. */
const notInEtcd34 = new Set(['etcdserverpb.MemberListRequest.linearizable']);

const protoShapes = new WeakMap<protobuf.Type, MessageShape>();

/** A Go type's name from a protobuf full name: `.etcdserverpb.AlarmRequest.AlarmAction` → `etcdserverpb.AlarmRequest_AlarmAction`. */
function goTypeName(fullName: string): string {
  const [pkg, ...names] = fullName.slice(1).split('.');
  return `${pkg}.${names.join('_')}`;
}

/** A message of rpc.proto (protobufjs, resolved) as a shape. */
function protoShape(type: protobuf.Type): MessageShape {
  let shape = protoShapes.get(type);
  if (shape !== undefined) return shape;
  const goName = goTypeName(type.fullName);
  const fields: FieldShape[] = [];
  for (const field of type.fieldsArray) {
    if (notInEtcd34.has(`${goName}.${field.name}`)) continue;
    const resolved = field.resolvedType;
    const shapeOf: FieldShape = { name: field.name, kind: 'string', repeated: field.repeated, oneof: field.partOf?.name };
    if (resolved === null) {
      shapeOf.kind = field.type as ScalarKind;
    } else if ('fieldsArray' in resolved) {
      shapeOf.kind = 'message';
      shapeOf.message = () => protoShape(resolved as protobuf.Type);
    } else {
      shapeOf.kind = 'enum';
      const names: string[] = [];
      for (const [valueName, number] of Object.entries((resolved as protobuf.Enum).values)) names[number] = valueName;
      shapeOf.enumNames = names;
      shapeOf.goEnum = goTypeName(resolved.fullName);
    }
    fields.push(shapeOf);
  }
  shape = { goName, fields };
  protoShapes.set(type, shape);
  return shape;
}

/** The body of a gateway request for message `name` of the schema table: proto3 JSON, or the error etcd's gateway answers (400, INVALID_ARGUMENT). */
export function readRequestBody(name: MessageName, body: Uint8Array): RequestBody {
  return readBody(schemaShape(name), body);
}

/** The body of a gateway request for a message of rpc.proto (maintenance, cluster and auth requests), as readRequestBody. */
export function readProtoBody(type: protobuf.Type, body: Uint8Array): RequestBody {
  return readBody(protoShape(type), body);
}

function readBody(shape: MessageShape, body: Uint8Array): RequestBody {
  const first = firstValue(body);
  if (first.kind === 'eof') return { ok: true, json: {} };
  if (first.kind === 'error') return { ok: false, message: first.message };
  try {
    return { ok: true, json: new Walk(body).run(shape, first) };
  } catch (error) {
    if (error instanceof GoError) return { ok: false, message: error.message };
    throw error;
  }
}

/** A field's JSON names: the proto name and protoc's lowerCamelCase one. */
function camelName(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The Go interface type holding a oneof (`etcdserverpb.isRequestOp_Request`). */
function goOneofType(goName: string, oneof: string): string {
  const [pkg, struct] = goName.split('.');
  const camel = camelName(oneof);
  return `${pkg}.is${struct}_${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
}

const integerRanges: Record<'int64' | 'uint64' | 'int32' | 'uint32', { min: bigint; max: bigint }> = {
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
  int32: { min: -(2n ** 31n), max: 2n ** 31n - 1n },
  uint32: { min: 0n, max: 2n ** 32n - 1n },
};
type IntegerKind = keyof typeof integerRanges;

/**
 * jsonpb's walk over one value, without recursion (a txn may nest a
 * thousand levels, as Go's stack allows): the steps wait on a stack, last
 * in first out, so each message is read whole, field by field, before the
 * next field of the one holding it, as Go's recursion reads them.
 */
class Walk {
  readonly #body: Uint8Array;
  readonly #steps: (() => void)[] = [];

  constructor(body: Uint8Array) {
    this.#body = body;
  }

  /** The message at `span`, as proto3 JSON. @throws GoError with the first error in Go's order */
  run(shape: MessageShape, span: Span): JsonObject {
    const out: JsonObject = {};
    this.#message(shape, span, out, 0);
    for (let step = this.#steps.pop(); step !== undefined; step = this.#steps.pop()) step();
    return out;
  }

  /**
   * jsonpb's struct case: json.Unmarshal into map[string]json.RawMessage, then
   * each field in the Go struct's order, oneof members last; queues a step
   * per field, filling `out`. `txnLevel`: how many TxnRequests hold this one.
   */
  #message(shape: MessageShape, span: Span, out: JsonObject, txnLevel: number): void {
    const kind = kindOf(this.#body, span);
    if (kind === 'null') return;
    if (kind !== 'object') throw new GoError(typeError(kind, 'map[string]json.RawMessage'));
    const level = shape === schemaShape('TxnRequest') ? txnLevel + 1 : txnLevel;
    // A txn below the levels etcd examines is still read (a value there is still refused) but left empty: the ops budget refuses it.
    const into = level > txnLevelsExaminedMax ? {} : out;
    const members = objectMembers(this.#body, span);
    const consume = (protoName: string): Span | undefined => {
      const camel = camelName(protoName);
      const [orig, camelValue] = [members.get(protoName), members.get(camel)];
      members.delete(protoName);
      members.delete(camel);
      return camelValue ?? orig;
    };
    const steps: (() => void)[] = [];
    const oneofMembers: FieldShape[] = [];
    const oneofsSeen = new Set<string>();
    for (const field of shape.fields) {
      if (field.oneof === undefined) {
        const value = consume(field.name);
        if (value !== undefined) steps.push(() => this.#field(into, field, value, level));
        continue;
      }
      oneofMembers.push(field);
      if (oneofsSeen.has(field.oneof)) continue;
      oneofsSeen.add(field.oneof);
      // The struct's interface field, named after the oneof: no JSON value fits it but null.
      const oneof = field.oneof;
      const value = members.get(oneof);
      members.delete(oneof);
      const valueKind = value === undefined ? 'null' : kindOf(this.#body, value);
      if (valueKind !== 'null') {
        steps.push(() => {
          throw new GoError(typeError(valueKind, goOneofType(shape.goName, oneof)));
        });
      }
    }
    for (const field of oneofMembers) {
      if (members.size === 0) break;
      const value = consume(field.name);
      if (value !== undefined) steps.push(() => this.#field(into, field, value, level));
    }
    for (let i = steps.length - 1; i >= 0; i--) this.#steps.push(steps[i]!);
  }

  #field(out: JsonObject, field: FieldShape, span: Span, txnLevel: number): void {
    const kind = kindOf(this.#body, span);
    if (!field.repeated) {
      if (field.kind === 'message') {
        if (kind === 'null') return;
        const child: JsonObject = {};
        out[field.name] = child;
        this.#message(field.message!(), span, child, txnLevel);
        return;
      }
      const value = this.#value(field, span);
      if (value !== undefined) out[field.name] = value;
      return;
    }
    if (kind === 'null') return;
    if (kind === 'string' && field.kind === 'enum') {
      // jsonpb looks a quoted name up before it looks at the field: a name it knows then fits no slice.
      this.#value(field, span);
      throw new GoError(`invalid target "slice" for enum ${field.goEnum}`);
    }
    if (kind !== 'array') throw new GoError(typeError(kind, '[]json.RawMessage'));
    const items = arrayItems(this.#body, span);
    if (field.kind !== 'message') {
      // A null element of a repeated scalar is its zero.
      out[field.name] = items.map((item) => this.#value(field, item) ?? zeroOf(field));
      return;
    }
    // A null element of a repeated message is a nil pointer: an empty message on the wire.
    const children = items.map((): JsonObject => ({}));
    out[field.name] = children;
    const shape = field.message!();
    for (let i = items.length - 1; i >= 0; i--) this.#steps.push(() => this.#message(shape, items[i]!, children[i]!, txnLevel));
  }

  /** One value as jsonpb and encoding/json take it for this field; undefined where the field stays unset. */
  #value(field: FieldShape, span: Span): Json | undefined {
    const body = this.#body;
    const kind = kindOf(body, span);
    switch (field.kind) {
      case 'message':
        throw new Error('a message field is read by #field');
      case 'bytes':
        return this.#bytes(span, kind);
      case 'int64':
      case 'uint64':
      case 'int32':
      case 'uint32': {
        // jsonpb strips the quotes of a quoted integer (without unescaping) and hands the rest to json.Unmarshal.
        const value = kind === 'string' ? this.#quotedInteger(span, field.kind) : this.#integer(span, kind, field.kind, field.kind);
        if (value === undefined) return undefined;
        return field.kind === 'int64' || field.kind === 'uint64' ? value.toString() : Number(value);
      }
      case 'enum': {
        const names = field.enumNames!;
        if (kind === 'string') {
          const inner = body.subarray(span.start + 1, span.end - 1);
          const name = Buffer.from(inner).toString('latin1');
          if (!names.includes(name)) throw new GoError(`unknown value ${goQuote(inner)} for enum ${field.goEnum}`);
          return name;
        }
        const number = this.#integer(span, kind, field.goEnum!, 'int32');
        if (number === undefined) return undefined;
        return names[Number(number)] ?? Number(number);
      }
      case 'bool':
        if (kind === 'null') return undefined;
        if (kind !== 'bool') throw new GoError(typeError(kind, 'bool'));
        return body[span.start] === 0x74;
      case 'string':
        if (kind === 'null') return undefined;
        if (kind !== 'string') throw new GoError(typeError(kind, 'string'));
        return new TextDecoder().decode(unquote(body.subarray(span.start, span.end)));
    }
  }

  /** encoding/json into []byte: a base64 string, or an array of numbers each a uint8. */
  #bytes(span: Span, kind: JsonKind): string | undefined {
    const body = this.#body;
    if (kind === 'null') return undefined;
    if (kind === 'string') {
      const decoded = base64Std(unquote(body.subarray(span.start, span.end)));
      if ('error' in decoded) throw new GoError(decoded.error);
      return Buffer.from(decoded.bytes).toString('base64');
    }
    if (kind !== 'array') throw new GoError(typeError(kind, '[]uint8'));
    const bytes = arrayItems(body, span).map((item) => {
      const itemKind = kindOf(body, item);
      if (itemKind === 'null') return 0;
      if (itemKind !== 'number') throw new GoError(typeError(itemKind, 'uint8'));
      const text = Buffer.from(body.subarray(item.start, item.end)).toString('latin1');
      if (!/^\d+$/.test(text) || Number(text) > 255) throw new GoError(typeError('number', 'uint8', text));
      return Number(text);
    });
    return Buffer.from(bytes).toString('base64');
  }

  /** A quoted integer: json.Unmarshal of what is between the quotes. */
  #quotedInteger(span: Span, kind: IntegerKind): bigint | undefined {
    const inner = this.#body.subarray(span.start + 1, span.end - 1);
    const syntax = syntaxError(inner);
    if (syntax !== undefined) throw new GoError(syntax);
    const first = firstValue(inner);
    const value = first.kind === 'value' ? first : { start: 0, end: inner.length };
    return new Walk(inner).#integer(value, kindOf(inner, value), kind, kind);
  }

  /** encoding/json's literalStore of a number into a Go integer type. */
  #integer(span: Span, kind: JsonKind, goType: string, range: IntegerKind): bigint | undefined {
    if (kind === 'null') return undefined;
    if (kind !== 'number') throw new GoError(typeError(kind, goType));
    const text = Buffer.from(this.#body.subarray(span.start, span.end)).toString('latin1');
    const { min, max } = integerRanges[range];
    const value = /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    // ParseUint takes no sign, not even on a zero.
    if (value === undefined || value < min || value > max || (min === 0n && text.startsWith('-'))) {
      throw new GoError(typeError('number', goType, text));
    }
    return value;
  }
}

function zeroOf(field: FieldShape): Json {
  switch (field.kind) {
    case 'message':
      return {};
    case 'bytes':
    case 'string':
      return '';
    case 'int64':
    case 'uint64':
      return '0';
    case 'int32':
    case 'uint32':
      return 0;
    case 'enum':
      return field.enumNames![0]!;
    case 'bool':
      return false;
  }
}
