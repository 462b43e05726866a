import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { InvalidRequestError } from '../../src/store/errors.ts';
import type { TxnRequest, WatchResponse } from '../../src/store/messages.ts';
import { decode, encode, mapLeaseIds } from '../../src/server/json-codec.ts';
import { type MessageName, messageSchemas } from '../../src/store/message-schemas.ts';
import { sampleMessages } from '../store/message-samples.ts';

const header = (revision: number) => ({ revision });

function invalid(name: MessageName, json: unknown): InvalidRequestError {
  try {
    decode(name, json);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`decode(${name}, ${JSON.stringify(json)}) did not throw`);
}

describe('json codec: encode', () => {
  it('writes bytes as base64, int64 as decimal strings and omits defaults', () => {
    expect(encode('PutRequest', { key: utf8('a'), value: utf8(''), lease: 0n, prev_kv: false })).toEqual({ key: 'YQ==' });
    expect(
      encode('RangeResponse', {
        header: header(5),
        kvs: [{ key: utf8('a'), create_revision: 2, mod_revision: 3, version: 2, value: utf8('2'), lease: 7n }],
        more: false,
        count: 1,
      }),
    ).toEqual({
      header: { revision: '5' },
      kvs: [{ key: 'YQ==', create_revision: '2', mod_revision: '3', version: '2', value: 'Mg==', lease: '7' }],
      count: '1',
    });
  });

  it('keeps present messages even when empty, and omits absent optional ones', () => {
    expect(encode('PutResponse', { header: header(0) })).toEqual({ header: {} });
    expect(
      encode('TxnResponse', { header: header(3), succeeded: false, responses: [{ response_txn: { header: header(0), succeeded: true, responses: [] } }] }),
    ).toEqual({
      header: { revision: '3' },
      responses: [{ response_txn: { header: {}, succeeded: true } }],
    });
  });

  it('writes enums by name and omits the zero value', () => {
    const response: WatchResponse = {
      header: header(6),
      watch_id: 0,
      created: false,
      canceled: false,
      compact_revision: 0,
      cancel_reason: '',
      fragment: false,
      events: [
        { type: 'PUT', kv: { key: utf8('k'), create_revision: 2, mod_revision: 6, version: 3, value: utf8('v'), lease: 0n } },
        { type: 'DELETE', kv: { key: utf8('k'), create_revision: 0, mod_revision: 6, version: 0, value: utf8(''), lease: 0n } },
      ],
    };
    expect(encode('WatchResponse', response)).toEqual({
      header: { revision: '6' },
      events: [
        { kv: { key: 'aw==', create_revision: '2', mod_revision: '6', version: '3', value: 'dg==' } },
        { type: 'DELETE', kv: { key: 'aw==', mod_revision: '6' } },
      ],
    });
  });

  it('keeps a set oneof member even when it holds the default', () => {
    const request: TxnRequest = { compare: [{ key: utf8('m'), target: 'VERSION', result: 'EQUAL', version: 0 }] };
    expect(encode('TxnRequest', request)).toEqual({ compare: [{ key: 'bQ==', version: '0' }] });
  });
});

describe('json codec: every message of the schema table', () => {
  it.each(Object.keys(messageSchemas) as MessageName[])('round-trips %s with every field set, each oneof member in turn', (name) => {
    for (const message of sampleMessages(name)) {
      const json = encode(name, message);
      expect(JSON.parse(JSON.stringify(json))).toEqual(json);
      expect(decode(name, json)).toEqual(message);
    }
  });
});

describe('json codec: decode', () => {
  it('fills every missing field with its default and leaves optional messages absent', () => {
    expect(decode('PutRequest', { key: 'YQ==' })).toEqual({
      key: utf8('a'),
      value: new Uint8Array(0),
      lease: 0n,
      prev_kv: false,
      ignore_value: false,
      ignore_lease: false,
    });
    const response = decode('PutResponse', {});
    expect(response.header.revision).toBe(0);
    expect('prev_kv' in response).toBe(false);
  });

  it('accepts numbers for int64, numeric enum values, camelCase names and URL-safe or unpadded base64', () => {
    const request = decode('RangeRequest', { key: 'YQ', rangeEnd: '_-8=', limit: 3, revision: '4', sort_order: 2, sort_target: 'MOD' });
    expect(request.key).toEqual(utf8('a'));
    expect([...request.range_end!]).toEqual([0xff, 0xef]);
    expect(request).toMatchObject({ limit: 3, revision: 4, sort_order: 'DESCEND', sort_target: 'MOD' });
  });

  it('decodes oneofs: only the member that is set', () => {
    const txn = decode('TxnRequest', {
      compare: [{ key: 'YQ==', target: 'CREATE', create_revision: '0' }],
      success: [{ request_put: { key: 'YQ==' } }, { request_txn: { success: [{ request_range: { key: 'YQ==' } }] } }],
    });
    expect(txn.compare![0]!.create_revision).toBe(0);
    expect('version' in txn.compare![0]!).toBe(false);
    expect(Object.keys(txn.success![0]!)).toEqual(['request_put']);
    expect(Object.keys(txn.success![1]!.request_txn!.success![0]!)).toEqual(['request_range']);
    expect(decode('WatchRequest', { progress_request: {} })).toEqual({ progress_request: {} });
  });

  it.each([
    ['9007199254740993', 9007199254740993n], // 2^53 + 1
    ['9223372036854775807', 2n ** 63n - 1n],
    ['-1', -1n],
    ['-9223372036854775808', -(2n ** 63n)],
  ])('round-trips lease ID %s exactly', (text, id) => {
    const grant = decode('LeaseGrantResponse', { header: { revision: '1' }, ID: text, TTL: '5' });
    expect(grant.ID).toBe(id);
    expect(encode('LeaseGrantResponse', grant)).toEqual({ header: { revision: '1' }, ID: text, TTL: '5' });
    const put = { key: 'aw==', lease: text };
    expect(encode('PutRequest', decode('PutRequest', put))).toEqual(put);
    const kv = { key: 'aw==', create_revision: '2', mod_revision: '2', version: '1', lease: text };
    expect(encode('KeyValue', decode('KeyValue', kv))).toEqual(kv);
  });

  it('round-trips every kind of field through a full message', () => {
    const json = {
      compare: [
        { result: 'NOT_EQUAL', target: 'VALUE', key: 'YQ==', range_end: 'Yg==', value: 'eA==' },
        { result: 'GREATER', target: 'LEASE', key: 'YQ==', lease: '-5' },
      ],
      success: [
        { request_range: { key: 'YQ==', limit: '2', sort_order: 'ASCEND', sort_target: 'VALUE', keys_only: true, min_create_revision: '3' } },
        { request_delete_range: { key: 'YQ==', range_end: 'AA==', prev_kv: true } },
      ],
      failure: [{ request_put: { key: 'YQ==', value: 'MQ==', lease: '18446744073709551', ignore_lease: true } }],
    };
    expect(encode('TxnRequest', decode('TxnRequest', json))).toEqual(json);
    const watch = { create_request: { key: 'YQ==', start_revision: '2', filters: ['NOPUT', 'NODELETE'], prev_kv: true, watch_id: '3' } };
    expect(encode('WatchRequest', decode('WatchRequest', watch))).toEqual(watch);
  });

  it.each([
    ['PutRequest', [], 'PutRequest', /expected a JSON object/],
    ['PutRequest', { key: 5 }, 'key', /base64/],
    ['PutRequest', { key: 'not base64!' }, 'key', /base64/],
    ['PutRequest', { key: 'YQ==', lease: 'seven' }, 'lease', /decimal string/],
    ['PutRequest', { key: 'YQ==', lease: 2 ** 60 }, 'lease', /2\^53/],
    ['PutRequest', { key: 'YQ==', lease: '9223372036854775808' }, 'lease', /out of range/],
    ['PutRequest', { key: 'YQ==', prev_kv: 'yes' }, 'prev_kv', /true or false/],
    ['PutRequest', { key: 'YQ==', colour: 'red' }, 'colour', /unknown field/],
    ['RangeRequest', { key: 'YQ==', limit: 1.5 }, 'limit', /integer/],
    ['RangeRequest', { key: 'YQ==', sort_order: 'SIDEWAYS' }, 'sort_order', /NONE, ASCEND, DESCEND/],
    ['RangeRequest', { key: 'YQ==', sort_target: 7 }, 'sort_target', /KEY, VERSION/],
    ['TxnRequest', { success: {} }, 'success', /array/],
    ['TxnRequest', { success: [{ request_put: { key: 'YQ==' }, request_range: { key: 'YQ==' } }] }, 'success[0].request_range', /oneof request/],
    ['TxnRequest', { failure: [{ request_txn: { compare: [{ key: 'YQ==', target: 'MAYBE' }] } }] }, 'failure[0].request_txn.compare[0].target', /VERSION/],
    ['WatchRequest', { create_request: { key: 'YQ==', filters: ['NOPUT', 'NOTHING'] } }, 'create_request.filters[1]', /NOPUT, NODELETE/],
    ['LeaseGrantRequest', { TTL: null, ID: {} }, 'ID', /decimal string/],
  ] as const)('rejects malformed %s %j naming the field', (name, json, fieldPath, problem) => {
    const error = invalid(name, json);
    expect(error.field).toBe(fieldPath);
    expect(error.code).toBe(3);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(fieldPath);
  });

  it('keeps enum numbers the proto does not name where etcd ignores them (sort_order, compare result/target, watch filters)', () => {
    expect(decode('RangeRequest', { key: 'YQ==', sort_order: 7 }).sort_order).toBe(7);
    const compare = decode('TxnRequest', { compare: [{ key: 'YQ==', result: 9, target: 12 }] }).compare![0]!;
    expect([compare.result, compare.target]).toEqual([9, 12]);
    expect(decode('WatchRequest', { create_request: { filters: [5, 'NOPUT'] } }).create_request!.filters).toEqual([5, 'NOPUT']);
    expect(encode('RangeRequest', { key: new Uint8Array([0x61]), sort_order: 7 })).toEqual({ key: 'YQ==', sort_order: 7 });
  });

  it('watch IDs are exact over all of int64; other int64s beyond 2^53 round but keep their order', () => {
    expect(decode('WatchCancelRequest', { watch_id: '9223372036854775807' }).watch_id).toBe(2n ** 63n - 1n);
    expect(decode('WatchCancelRequest', { watch_id: '12' }).watch_id).toBe(12);
    expect(
      encode('WatchResponse', {
        header: { revision: 1 },
        watch_id: 2n ** 63n - 1n,
        created: true,
        canceled: false,
        compact_revision: 0,
        cancel_reason: '',
        fragment: false,
        events: [],
      }).watch_id,
    ).toBe('9223372036854775807');
    expect(decode('RangeRequest', { revision: '9223372036854775807' }).revision).toBe(2 ** 63);
  });

  it('never throws anything but InvalidRequestError, whatever the JSON', () => {
    const junk: unknown[] = [null, undefined, 0, 'x', true, [], [{}], { key: [] }, { key: {} }, { kvs: [null] }, { header: 'h' }, { header: { revision: [] } }];
    for (const name of Object.keys(messageSchemas) as MessageName[]) {
      for (const json of junk) {
        try {
          decode(name, json);
        } catch (error) {
          expect(error, `${name} ${JSON.stringify(json)}`).toBeInstanceOf(InvalidRequestError);
        }
      }
    }
  });
});

describe('json codec: mapLeaseIds', () => {
  it('maps lease IDs in requests, compares and nested key-values, and nothing else', () => {
    const txn = decode('TxnRequest', {
      compare: [{ key: 'YQ==', target: 'LEASE', lease: '7' }],
      success: [{ request_put: { key: 'YQ==', lease: '7' } }],
    });
    const mapped = mapLeaseIds('TxnRequest', txn, (id) => (id === 7n ? 123n : id));
    expect(mapped.compare![0]!.lease).toBe(123n);
    expect(mapped.success![0]!.request_put!.lease).toBe(123n);
    expect(txn.compare![0]!.lease).toBe(7n); // a copy
    const watch = decode('WatchResponse', { events: [{ type: 'DELETE', kv: { key: 'YQ==', mod_revision: '7' }, prev_kv: { key: 'YQ==', lease: '7' } }] });
    const mappedWatch = mapLeaseIds('WatchResponse', watch, () => 9n);
    expect(mappedWatch.events[0]!.prev_kv!.lease).toBe(9n);
    expect(mappedWatch.events[0]!.kv.mod_revision).toBe(7);
  });
});
