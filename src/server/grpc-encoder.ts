/**
 * etcd's responses straight to protobuf bytes, for the hot calls (KV, Lease,
 * Watch): the same bytes as `toGrpc` (grpc-codec.ts) then protobufjs'
 * `fromObject` + `encode`, without the two intermediate objects per message
 * (int64s as decimal strings, then parsed back into Longs):
 *
 *   const encode = responseEncoder(root.lookupType('etcdserverpb.PutResponse'));
 *   encode({ header: { revision: 7 } }, header) → <Buffer 0a 11 08 … 18 07 20 02>
 *
 * Fields go out in field-number order, as protobufjs writes them; a field
 * holding its proto3 default (0, false, '', empty bytes or list, an enum's
 * first value) is left out as etcd leaves it out, unless it is a oneof
 * member; a message field is written whenever it is set. int64s may be
 * numbers or bigints, enums names or numbers. test/server/grpc-encoder.test.ts
 * checks the bytes against the toGrpc path over real store responses.
 */
import { Buffer } from 'node:buffer';
import protobuf from 'protobufjs';
import { isProto3Default } from '../store/message-schemas.ts';

type Message = { readonly [field: string]: unknown };
/** Writes `value`; `header`, when given, stands in for the value's own `header` field. */
type Encode = (value: Message, writer: protobuf.Writer, header?: Message) => void;

/** protobuf wire types. */
const varint = 0;
const lengthDelimited = 2;

const varintTypes = new Set(['int64', 'uint64', 'int32', 'uint32', 'bool', 'enum']);

/** An int64 as protobufjs' writer takes it: a number, or a bigint's two 32-bit halves. */
function int64Value(value: unknown): number | { low: number; high: number; unsigned: boolean } {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') {
    return { low: Number(BigInt.asUintN(32, value)) | 0, high: Number(BigInt.asUintN(32, value >> 32n)) | 0, unsigned: false };
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new TypeError(`expected an integer, got ${String(value)}`);
}

function asBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError('expected bytes');
}

interface FieldWriter {
  name: string;
  /** Written even when it holds the default (a oneof member, a message). */
  always: boolean;
  /** The enum's values by name, for an enum field. */
  enumValues: { readonly [name: string]: number } | undefined;
  write: (value: unknown, writer: protobuf.Writer) => void;
}

const encoders = new Map<protobuf.Type, Encode>();

/** The encoder of one message type (built once per type, nested types too). */
function messageEncoder(type: protobuf.Type): Encode {
  const known = encoders.get(type);
  if (known !== undefined) return known;
  const fields: FieldWriter[] = [];
  // Registered before the fields are built: messages nest (a Txn's ResponseOp holds a TxnResponse).
  const encode: Encode = (value, writer, header) => {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      const fieldValue = header !== undefined && field.name === 'header' ? header : value[field.name];
      if (fieldValue === undefined || fieldValue === null) continue;
      if (!field.always) {
        if (isProto3Default(fieldValue)) continue;
        if (field.enumValues !== undefined && field.enumValues[fieldValue as string] === 0) continue;
      }
      field.write(fieldValue, writer);
    }
  };
  encoders.set(type, encode);
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) fields.push(fieldWriter(field));
  return encode;
}

function fieldWriter(field: protobuf.Field): FieldWriter {
  field.resolve();
  const resolved = field.resolvedType;
  const enumValues = resolved instanceof protobuf.Enum ? resolved.values : undefined;
  const isMessage = resolved instanceof protobuf.Type;
  const scalar = isMessage ? undefined : scalarWriter(field.type, enumValues);
  let write: FieldWriter['write'];
  if (isMessage) {
    const encode = messageEncoder(resolved);
    const tag = (field.id << 3) | lengthDelimited;
    const one =
      resolved.fullName === '.mvccpb.Event'
        ? eventWriter(tag, encode)
        : (item: unknown, writer: protobuf.Writer) => {
            writer.uint32(tag).fork();
            encode(item as Message, writer);
            writer.ldelim();
          };
    write = field.repeated ? (value, writer) => each(value, (item) => one(item, writer)) : one;
  } else if (field.repeated && field.packed && varintTypes.has(enumValues === undefined ? field.type : 'enum')) {
    const tag = (field.id << 3) | lengthDelimited;
    write = (value, writer) => {
      writer.uint32(tag).fork();
      each(value, (item) => scalar!.value(item, writer));
      writer.ldelim();
    };
  } else {
    const tag = (field.id << 3) | scalar!.wireType;
    const one = (item: unknown, writer: protobuf.Writer) => scalar!.value(item, writer.uint32(tag));
    write = field.repeated ? (value, writer) => each(value, (item) => one(item, writer)) : one;
  }
  return { name: field.name, always: isMessage || field.partOf !== null, enumValues, write };
}

/**
 * Events are encoded once each: a put watched by 10,000 watchers hands the
 * same event objects to every one of them (the store shares them between
 * watchers with the same view), so each response reuses the event's bytes.
 * Held only while the event object lives.
 */
function eventWriter(tag: number, encode: Encode): (item: unknown, writer: protobuf.Writer) => void {
  const encoded = new WeakMap<object, Uint8Array>();
  return (item, writer) => {
    let bytes = encoded.get(item as object);
    if (bytes === undefined) {
      const own = protobuf.Writer.create();
      encode(item as Message, own);
      bytes = own.finish();
      encoded.set(item as object, bytes);
    }
    writer.uint32(tag).bytes(bytes);
  };
}

function each(value: unknown, visit: (item: unknown) => void): void {
  if (!Array.isArray(value)) throw new TypeError('expected a list');
  for (const item of value) if (item !== undefined && item !== null) visit(item);
}

/** How a scalar field's value is written after its tag. */
function scalarWriter(
  type: string,
  enumValues: { readonly [name: string]: number } | undefined,
): { wireType: number; value: (value: unknown, writer: protobuf.Writer) => void } {
  if (enumValues !== undefined) {
    return {
      wireType: varint,
      value: (value, writer) => {
        const number = typeof value === 'number' ? value : enumValues[value as string];
        if (number === undefined) throw new TypeError(`not a value of the enum: ${String(value)}`);
        writer.int32(number);
      },
    };
  }
  switch (type) {
    case 'int64':
    case 'uint64':
      return { wireType: varint, value: (value, writer) => writer.int64(int64Value(value) as number) };
    case 'int32':
      return { wireType: varint, value: (value, writer) => writer.int32(value as number) };
    case 'uint32':
      return { wireType: varint, value: (value, writer) => writer.uint32(value as number) };
    case 'bool':
      return { wireType: varint, value: (value, writer) => writer.bool(value === true) };
    case 'string':
      return { wireType: lengthDelimited, value: (value, writer) => writer.string(typeof value === 'string' ? value : String(value)) };
    case 'bytes':
      return { wireType: lengthDelimited, value: (value, writer) => writer.bytes(asBuffer(value)) };
    default:
      throw new Error(`grpc-encoder: field type ${type} is not supported`);
  }
}

/**
 * The encoder of a response type whose `header` is filled as a cluster
 * member fills it: `memberHeader` (cluster, member, term) with the
 * response's own revision; nested headers (a Txn's) stay as they are.
 */
export function responseEncoder(type: protobuf.Type): (response: object, memberHeader: ResponseHeaderFields) => Buffer {
  const encode = messageEncoder(type);
  return (response, memberHeader) => {
    const own = (response as Message)['header'] as { revision?: number } | undefined;
    const header =
      own === undefined
        ? undefined
        : { cluster_id: memberHeader.cluster_id, member_id: memberHeader.member_id, revision: own.revision ?? 0, raft_term: memberHeader.raft_term };
    const writer = protobuf.Writer.create();
    encode(response as Message, writer, header);
    return writer.finish() as Buffer;
  };
}

export interface ResponseHeaderFields {
  cluster_id: bigint;
  member_id: bigint;
  raft_term: number;
}
