import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { InvalidRequestError, TooManyOpsError } from '../../src/store/errors.ts';
import { txnNestingDepthMax } from '../../src/store/limits.ts';
import { type FieldType, fieldsOf, type MessageName } from '../../src/store/message-schemas.ts';
import type { TxnRequest } from '../../src/store/messages.ts';
import { decodePut, decodeRequest, encodedSize, raftRequestBytes } from '../../src/store/validate.ts';
import { sampleMessages } from './message-samples.ts';

/** What decodeRequest throws, as its message (or 'ok'). */
function answer(name: MessageName, request: unknown): string {
  try {
    decodeRequest(name, request);
    return 'ok';
  } catch (error) {
    if (!(error instanceof InvalidRequestError || error instanceof TooManyOpsError)) throw error;
    return error.message;
  }
}

/** A value of the wrong type for each kind, and the problem the store names. */
function wrongValue(type: FieldType): [unknown, string] {
  switch (type.kind) {
    case 'bytes':
      return ['a', 'expected bytes (Uint8Array)'];
    case 'int64':
    case 'uint64':
      return type.as === 'number' ? ['5', `expected an int64 number`] : [5, `expected an int64 bigint`];
    case 'bool':
      return [1, 'expected a boolean'];
    case 'enum':
      return ['SIDEWAYS', 'unknown enum value SIDEWAYS'];
    default:
      throw new Error(`no wrong value for ${type.kind}`);
  }
}

/** The messages the store decodes, and how a request carries each one. */
const carriers: [MessageName, (message: unknown) => [MessageName, unknown]][] = [
  ['RangeRequest', (m) => ['RangeRequest', m]],
  ['PutRequest', (m) => ['PutRequest', m]],
  ['DeleteRangeRequest', (m) => ['DeleteRangeRequest', m]],
  ['CompactionRequest', (m) => ['CompactionRequest', m]],
  ['Compare', (m) => ['TxnRequest', { compare: [m] }]],
  ['RangeRequest', (m) => ['TxnRequest', { failure: [{}, { request_txn: { success: [{ request_range: m }] } }] }]],
];

describe('validate: the schema table drives the store’s checks', () => {
  it.each(carriers)('refuses a wrong value in every field of %s, naming the message and field', (name, carry) => {
    for (const field of fieldsOf(name)) {
      if (field.type.kind === 'message' || field.repeated) continue;
      const [value, problem] = wrongValue(field.type);
      expect(answer(...carry({ [field.name]: value })), field.name).toBe(`invalid request: ${name}.${field.name}: ${problem}`);
    }
  });

  it('accepts every request message of the table with each field set', () => {
    for (const name of ['RangeRequest', 'PutRequest', 'DeleteRangeRequest', 'CompactionRequest', 'TxnRequest', 'RequestOp', 'Compare'] as const) {
      for (const sample of sampleMessages(name)) {
        expect(answer(name, sample), name).toBe('ok');
        expect(decodeRequest(name, sample)).toBe(sample);
      }
    }
  });

  it('holds each integer to its kind’s limits', () => {
    expect(answer('RangeRequest', { revision: 2 ** 63 })).toBe('ok'); // 2^63-1 as the nearest double
    expect(answer('RangeRequest', { revision: 2 ** 64 })).toBe('invalid request: RangeRequest.revision: expected an int64 number');
    expect(answer('RangeRequest', { limit: 1.5 })).toBe('invalid request: RangeRequest.limit: expected an int64 number');
    expect(answer('PutRequest', { lease: -(2n ** 63n) })).toBe('ok');
    expect(answer('PutRequest', { lease: 2n ** 63n })).toBe('invalid request: PutRequest.lease: out of int64 range');
  });

  it('keeps unnamed int32 numbers of open enums, refuses them for closed ones', () => {
    expect(answer('RangeRequest', { sort_order: 7 })).toBe('ok');
    expect(answer('RangeRequest', { sort_order: 2 ** 31 })).toBe(`invalid request: RangeRequest.sort_order: unknown enum value ${2 ** 31}`);
    expect(answer('RangeRequest', { sort_target: 2 })).toBe('invalid request: RangeRequest.sort_target: unknown enum value 2');
    expect(answer('Compare', { result: -1, target: 12 })).toBe('ok');
  });

  it('refuses non-messages, non-lists and a RequestOp setting two requests', () => {
    expect(answer('PutRequest', new Uint8Array(1))).toBe('invalid request: PutRequest: expected a message object');
    expect(answer('TxnRequest', { success: {} })).toBe('invalid request: TxnRequest.success: expected a list');
    expect(answer('TxnRequest', { compare: [null] })).toBe('invalid request: Compare: expected a message object');
    expect(answer('TxnRequest', { success: [{ request_put: { key: utf8('a') }, request_range: { key: utf8('a') } }] })).toBe(
      'invalid request: RequestOp: more than one request of the oneof set',
    );
  });

  it('checks fields in table order, a message before those inside it, lists in order', () => {
    expect(answer('TxnRequest', { compare: [{ key: 'a' }], success: 'x' })).toBe('invalid request: Compare.key: expected bytes (Uint8Array)');
    expect(answer('TxnRequest', { success: [{ request_put: { key: 1 } }], failure: [{ request_range: { key: 2 } }] })).toBe(
      'invalid request: PutRequest.key: expected bytes (Uint8Array)',
    );
  });

  it('walks txns nested to the depth bound without running out of stack, refusing deeper ones as etcd’s ops budget does', () => {
    const nested = (depth: number): TxnRequest => {
      let txn: TxnRequest = { success: [{ request_put: { key: utf8('k') } }] };
      for (let i = 1; i < depth; i++) txn = { success: [{ request_txn: txn }] };
      return txn;
    };
    expect(answer('TxnRequest', nested(txnNestingDepthMax + 1))).toBe('ok');
    expect(answer('TxnRequest', nested(txnNestingDepthMax + 2))).toBe('etcdserver: too many operations in txn request');
  });

  it('finds a wrong field at any depth, above and below where the quick check hands over to the walk', () => {
    for (const depth of [1, 2, 7, 8, 9, 10, 30]) {
      let txn: TxnRequest = { success: [{ request_put: { key: 'k' as never } }] };
      let good: TxnRequest = { success: [{ request_put: { key: utf8('k'), lease: 5n } }] };
      for (let i = 1; i < depth; i++) {
        txn = { compare: [{ key: utf8('c'), target: 'MOD' }], success: [{ request_range: { key: utf8('r'), limit: 1 } }, { request_txn: txn }] };
        good = { compare: [{ key: utf8('c'), target: 'MOD' }], success: [{ request_range: { key: utf8('r'), limit: 1 } }, { request_txn: good }] };
      }
      expect(answer('TxnRequest', txn), `depth ${depth}`).toBe('invalid request: PutRequest.key: expected bytes (Uint8Array)');
      expect(answer('TxnRequest', good), `depth ${depth}`).toBe('ok');
    }
  });

  it('takes the common put by its fast path and any other through the table', () => {
    const put = { key: utf8('a'), value: utf8('b') };
    expect(decodePut(put)).toBe(put);
    expect(() => decodePut({ key: utf8('a'), prev_kv: 'yes' })).toThrow('invalid request: PutRequest.prev_kv: expected a boolean');
  });
});

describe('validate: protobuf sizes from the schema table', () => {
  it('counts each field as protobuf encodes it, defaults left out', () => {
    expect(encodedSize('PutRequest', { key: utf8('a'), value: utf8('b') })).toBe(6);
    expect(encodedSize('PutRequest', { key: utf8('a'), value: new Uint8Array(0), lease: 7n, prev_kv: true, ignore_value: false })).toBe(3 + 2 + 2);
    expect(encodedSize('PutRequest', { key: utf8('a'), lease: -1n })).toBe(3 + 11);
    expect(encodedSize('PutRequest', { key: new Uint8Array(200) })).toBe(1 + 2 + 200);
    // a lease ID's varint at each size, on both sides of every 7-bit step (2^7k - 1 and 2^7k), up to int64's largest
    for (let k = 1; k <= 9; k++) {
      const step = 1n << BigInt(7 * k);
      expect(encodedSize('PutRequest', { key: utf8('a'), lease: step - 1n }), `2^${7 * k} - 1`).toBe(3 + 1 + k);
      if (k < 9) expect(encodedSize('PutRequest', { key: utf8('a'), lease: step }), `2^${7 * k}`).toBe(3 + 1 + k + 1);
    }
    expect(encodedSize('RangeRequest', { key: utf8('a'), sort_order: 'NONE', sort_target: 'MOD', limit: 300 })).toBe(3 + 2 + 3);
  });

  it('counts nested messages with their tag and length', () => {
    const compare = { key: utf8('a'), target: 'MOD', result: 'EQUAL', mod_revision: 5 } as const;
    expect(encodedSize('TxnRequest', { compare: [compare] })).toBe(2 + 7);
    const txn: TxnRequest = { success: [{ request_put: { key: utf8('a') } }], failure: [{ request_txn: { compare: [compare] } }] };
    expect(encodedSize('TxnRequest', txn)).toBe(2 + (2 + 3) + (2 + (2 + 9)));
    expect(raftRequestBytes(encodedSize('TxnRequest', txn))).toBe(2 + 1 + 1 + 9 + 1 + 1 + 20);
  });
});
