import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/store/errors.ts';
import {
  defaultMessage,
  enumFromWire,
  everyKind,
  fieldByJsonName,
  fieldsOf,
  integerAs,
  integerLimits,
  type MessageName,
  messageSchemas,
  messageWalkers,
} from '../../src/store/message-schemas.ts';
import { sampleMessage, sampleMessages } from './message-samples.ts';

const messageNames = Object.keys(messageSchemas) as MessageName[];

describe('message schemas', () => {
  it('lists each message its fields in table order, each naming its message', () => {
    for (const name of messageNames) {
      expect(fieldsOf(name).map((field) => field.name)).toEqual(Object.keys(messageSchemas[name]));
      for (const field of fieldsOf(name)) expect(field.message).toBe(name);
    }
    expect(fieldsOf('Compare').map((field) => field.name)).toEqual([
      'result',
      'target',
      'key',
      'version',
      'create_revision',
      'mod_revision',
      'value',
      'range_end',
      'lease',
    ]);
  });

  it('walks the fields a message sets, in table order, with the visitor of each kind, summing what they return', () => {
    const seen: string[] = [];
    const walkers = messageWalkers({
      ...everyKind((field) => {
        seen.push(`${field.type.kind} ${field.name}`);
        return 1;
      }),
      repeated: (field, value) => {
        seen.push(`repeated ${field.name}`);
        return (value as unknown[]).length;
      },
    });
    const request = { value: new Uint8Array(1), key: new Uint8Array(1), lease: 7n, prev_kv: null, ignore_value: undefined };
    expect(walkers.PutRequest(request, undefined)).toBe(3);
    expect(seen).toEqual(['bytes key', 'bytes value', 'int64 lease']);
    seen.length = 0;
    expect(walkers.TxnRequest({ success: [{}, {}], failure: [] }, undefined)).toBe(2);
    expect(seen).toEqual(['repeated success', 'repeated failure']);
  });

  it('walks every message of the table, every field set, with generated walkers and with the plain loop alike', () => {
    const names: string[] = [];
    const visitor = everyKind((field) => {
      names.push(field.name);
      return 1;
    });
    for (const generate of [true, false]) {
      const count = messageWalkers(visitor, { generate });
      for (const name of messageNames) {
        names.length = 0;
        expect(count[name](sampleMessage(name), undefined), name).toBe(Object.keys(sampleMessage(name)).length);
        expect(names, name).toEqual(Object.keys(sampleMessage(name)));
      }
    }
  });

  it('makes a walker on its first walk, which then takes its place; one held from before keeps walking alike', () => {
    const walkers = messageWalkers(everyKind(() => 1));
    const held = walkers.PutRequest;
    const request = { key: new Uint8Array(1), value: new Uint8Array(1) };
    expect(held(request, undefined)).toBe(2);
    const made = walkers.PutRequest;
    expect(made).not.toBe(held);
    expect(made(request, undefined)).toBe(2);
    expect(held({ key: new Uint8Array(1) }, undefined)).toBe(1);
    expect(walkers.PutRequest).toBe(made);
  });

  it('builds default messages: every field at its proto3 default, optional messages and oneof members absent', () => {
    expect(defaultMessage('RangeResponse')).toEqual({
      header: { cluster_id: 0n, member_id: 0n, revision: 0, raft_term: 0 },
      kvs: [],
      more: false,
      count: 0,
    });
    expect(defaultMessage('PutResponse')).not.toHaveProperty('prev_kv');
    expect(defaultMessage('RequestOp')).toEqual({});
    expect(defaultMessage('RangeRequest')).toMatchObject({ key: new Uint8Array(0), sort_order: 'NONE', sort_target: 'KEY', limit: 0 });
  });

  it('reads enums by name or number; open enums keep unnamed int32 numbers, others refuse them naming the path', () => {
    const sortOrder = messageSchemas.RangeRequest.sort_order.type;
    const sortTarget = messageSchemas.RangeRequest.sort_target.type;
    if (sortOrder.kind !== 'enum' || sortTarget.kind !== 'enum') throw new Error('sort_order and sort_target are enums');
    expect(enumFromWire(sortOrder, 'DESCEND', 'p', String)).toBe('DESCEND');
    expect(enumFromWire(sortOrder, 1, 'p', String)).toBe('ASCEND');
    expect(enumFromWire(sortOrder, 9, 'p', String)).toBe(9);
    expect(() => enumFromWire(sortOrder, 2 ** 31, 'p', String)).toThrow(InvalidRequestError);
    expect(() => enumFromWire(sortTarget, 9, 'range.sort_target', (value) => `<${String(value)}>`)).toThrow(
      'invalid request: range.sort_target: expected one of KEY, VERSION, CREATE, MOD, VALUE, got <9>',
    );
  });

  it('holds integers as the field says: numbers, exact bigints, or numbers when exact', () => {
    expect(integerAs('number', 5n)).toBe(5);
    expect(integerAs('bigint', 5n)).toBe(5n);
    expect(integerAs('exact', 5n)).toBe(5);
    expect(integerAs('exact', 2n ** 60n)).toBe(2n ** 60n);
    expect(integerLimits.int64).toMatchObject({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    expect(integerLimits.uint64).toMatchObject({ min: 0n, max: 2n ** 64n - 1n });
  });

  it('maps proto and lowerCamelCase JSON names to proto fields', () => {
    expect(fieldByJsonName('RangeRequest', 'range_end')).toBe('range_end');
    expect(fieldByJsonName('RangeRequest', 'rangeEnd')).toBe('range_end');
    expect(fieldByJsonName('LeaseTimeToLiveResponse', 'grantedTTL')).toBe('grantedTTL');
    expect(fieldByJsonName('RangeRequest', 'rangeend')).toBeUndefined();
  });

  it('samples every oneof member of a message in turn', () => {
    expect(sampleMessages('RequestOp').map((op) => Object.keys(op))).toEqual([['request_range'], ['request_put'], ['request_delete_range'], ['request_txn']]);
    expect(Object.keys(sampleMessage('Compare', 'lease'))).toEqual(['result', 'target', 'key', 'range_end', 'lease']);
  });
});
