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
 * What it accepts comes out as the plain proto3 JSON json-codec's decode
 * takes (proto field names, bytes as standard base64, int64s as decimal
 * strings, enums by name), so the message itself is built in one place.
 */
import type { Json, JsonObject } from './json-codec.ts';
import { fieldsOf, type FieldType, type MessageName, type NamedField } from '../store/message-schemas.ts';
import { arrayItems, base64Std, firstValue, goQuote, type JsonKind, kindOf, objectMembers, type Span, syntaxError, typeError, unquote } from './go-json.ts';

export type RequestBody = { ok: true; json: JsonObject } | { ok: false; message: string };

/** The Go error ending jsonpb's walk. */
class GoError extends Error {}

/** etcd's Go names of the enums its requests hold (jsonpb's `unknown value … for enum <name>` and encoding/json's types). */
const goEnumNames: Record<string, string> = {
  'RangeRequest.sort_order': 'etcdserverpb.RangeRequest_SortOrder',
  'RangeRequest.sort_target': 'etcdserverpb.RangeRequest_SortTarget',
  'Compare.result': 'etcdserverpb.Compare_CompareResult',
  'Compare.target': 'etcdserverpb.Compare_CompareTarget',
  'WatchCreateRequest.filters': 'etcdserverpb.WatchCreateRequest_FilterType',
  'Event.type': 'mvccpb.Event_EventType',
};

const int32Min = -(2n ** 31n);
const int32Max = 2n ** 31n - 1n;
const integerRanges = {
  int64: { min: -(2n ** 63n), max: 2n ** 63n - 1n },
  uint64: { min: 0n, max: 2n ** 64n - 1n },
};

/** The body of a gateway request for message `name`: proto3 JSON, or the error etcd's gateway answers (400, INVALID_ARGUMENT). */
export function readRequestBody(name: MessageName, body: Uint8Array): RequestBody {
  const first = firstValue(body);
  if (first.kind === 'eof') return { ok: true, json: {} };
  if (first.kind === 'error') return { ok: false, message: first.message };
  try {
    return { ok: true, json: new Walk(body).message(name, first) };
  } catch (error) {
    if (error instanceof GoError) return { ok: false, message: error.message };
    throw error;
  }
}

/** A field's JSON names: the proto name and protoc's lowerCamelCase one. */
function camelName(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The Go name of an enum field's type. */
function goEnumName(field: NamedField): string {
  return goEnumNames[`${field.message}.${field.name}`] ?? `etcdserverpb.${field.message}_${field.name}`;
}

/** The Go interface type holding a oneof (`etcdserverpb.isRequestOp_Request`). */
function goOneofType(message: MessageName, oneof: string): string {
  const camel = camelName(oneof);
  return `etcdserverpb.is${message}_${camel.charAt(0).toUpperCase()}${camel.slice(1)}`;
}

class Walk {
  readonly #body: Uint8Array;

  constructor(body: Uint8Array) {
    this.#body = body;
  }

  /** jsonpb's struct case: json.Unmarshal into map[string]json.RawMessage, then each field in the Go struct's order, oneof members last. */
  message(name: MessageName, span: Span): JsonObject {
    const kind = kindOf(this.#body, span);
    if (kind === 'null') return {};
    if (kind !== 'object') throw new GoError(typeError(kind, 'map[string]json.RawMessage'));
    const members = objectMembers(this.#body, span);
    const consume = (protoName: string): Span | undefined => {
      const camel = camelName(protoName);
      const [orig, camelValue] = [members.get(protoName), members.get(camel)];
      members.delete(protoName);
      members.delete(camel);
      return camelValue ?? orig;
    };
    const out: JsonObject = {};
    const oneofMembers: NamedField[] = [];
    const oneofsSeen = new Set<string>();
    for (const field of fieldsOf(name)) {
      if (field.oneof === undefined) {
        const value = consume(field.name);
        if (value !== undefined) this.#field(out, field, value);
        continue;
      }
      oneofMembers.push(field);
      if (oneofsSeen.has(field.oneof)) continue;
      oneofsSeen.add(field.oneof);
      // The struct's interface field, named after the oneof: no JSON value fits it but null.
      const value = members.get(field.oneof);
      members.delete(field.oneof);
      if (value !== undefined && kindOf(this.#body, value) !== 'null') {
        throw new GoError(typeError(kindOf(this.#body, value) as Exclude<JsonKind, 'null'>, goOneofType(name, field.oneof)));
      }
    }
    for (const field of oneofMembers) {
      if (members.size === 0) break;
      const value = consume(field.name);
      if (value !== undefined) this.#field(out, field, value);
    }
    return out;
  }

  #field(out: JsonObject, field: NamedField, span: Span): void {
    const kind = kindOf(this.#body, span);
    if (!field.repeated) {
      const value = this.#value(field, field.type, span);
      if (value !== undefined) out[field.name] = value;
      return;
    }
    if (kind === 'null') return;
    if (kind === 'string' && field.type.kind === 'enum') {
      // jsonpb looks a quoted name up before it looks at the field: a name it knows then fits no slice.
      this.#value(field, field.type, span);
      throw new GoError(`invalid target "slice" for enum ${goEnumName(field)}`);
    }
    if (kind !== 'array') throw new GoError(typeError(kind, '[]json.RawMessage'));
    // A null element of a repeated message is a nil pointer; of a scalar, its zero.
    out[field.name] = arrayItems(this.#body, span).map((item) => this.#value(field, field.type, item) ?? zeroOf(field.type));
  }

  /** One value as jsonpb and encoding/json take it for a field of this type; undefined where the field stays unset. */
  #value(field: NamedField, type: FieldType, span: Span): Json | undefined {
    const body = this.#body;
    const kind = kindOf(body, span);
    switch (type.kind) {
      case 'message':
        return kind === 'null' ? undefined : this.message(type.message, span);
      case 'bytes':
        return this.#bytes(span, kind);
      case 'int64':
      case 'uint64': {
        // jsonpb strips the quotes of a quoted integer (without unescaping) and hands the rest to json.Unmarshal.
        const value = kind === 'string' ? this.#quotedInteger(span, type.kind) : this.#integer(span, kind, type.kind, type.kind);
        return value === undefined ? undefined : value.toString();
      }
      case 'enum': {
        const goName = goEnumName(field);
        if (kind === 'string') {
          const inner = body.subarray(span.start + 1, span.end - 1);
          const name = Buffer.from(inner).toString('latin1');
          if (!type.values.includes(name)) throw new GoError(`unknown value ${goQuote(inner)} for enum ${goName}`);
          return name;
        }
        const number = this.#integer(span, kind, goName, 'int32');
        if (number === undefined) return undefined;
        return type.values[Number(number)] ?? Number(number);
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
  #quotedInteger(span: Span, kind: 'int64' | 'uint64'): bigint | undefined {
    const inner = this.#body.subarray(span.start + 1, span.end - 1);
    const syntax = syntaxError(inner);
    if (syntax !== undefined) throw new GoError(syntax);
    const first = firstValue(inner);
    const value = first.kind === 'value' ? first : { start: 0, end: inner.length };
    return new Walk(inner).#integer(value, kindOf(inner, value), kind, kind);
  }

  /** encoding/json's literalStore of a number into a Go integer type. */
  #integer(span: Span, kind: JsonKind, goType: string, range: 'int64' | 'uint64' | 'int32'): bigint | undefined {
    if (kind === 'null') return undefined;
    if (kind !== 'number') throw new GoError(typeError(kind, goType));
    const text = Buffer.from(this.#body.subarray(span.start, span.end)).toString('latin1');
    const { min, max } = range === 'int32' ? { min: int32Min, max: int32Max } : integerRanges[range];
    const value = /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    if (value === undefined || value < min || value > max || (range === 'uint64' && text.startsWith('-'))) {
      throw new GoError(typeError('number', goType, text));
    }
    return value;
  }
}

function zeroOf(type: FieldType): Json {
  switch (type.kind) {
    case 'message':
      return {};
    case 'bytes':
      return '';
    case 'int64':
    case 'uint64':
      return '0';
    case 'enum':
      return type.values[0]!;
    case 'bool':
      return false;
    case 'string':
      return '';
  }
}

/**
 * A body for a message the schema table does not describe (maintenance,
 * cluster and auth requests): json.Decoder's first value and the check that
 * it is an object (or null), as jsonpb starts; its fields are taken as they are.
 */
export function readUntypedBody(body: Uint8Array): { ok: true; json: Record<string, unknown> } | { ok: false; message: string } {
  const first = firstValue(body);
  if (first.kind === 'eof') return { ok: true, json: {} };
  if (first.kind === 'error') return { ok: false, message: first.message };
  const kind = kindOf(body, first);
  if (kind === 'null') return { ok: true, json: {} };
  if (kind !== 'object') return { ok: false, message: typeError(kind, 'map[string]json.RawMessage') };
  return { ok: true, json: JSON.parse(Buffer.from(body.subarray(first.start, first.end)).toString('utf8')) as Record<string, unknown> };
}
