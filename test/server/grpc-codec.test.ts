import { describe, expect, it } from 'vitest';
import { fromGrpc, type GrpcObject, toGrpc } from '../../src/server/grpc-codec.ts';
import { InvalidRequestError } from '../../src/store/errors.ts';
import { type MessageName, messageSchemas } from '../../src/store/message-schemas.ts';
import { sampleMessages } from '../store/message-samples.ts';

describe('grpc codec: every message of the schema table', () => {
  it.each(Object.keys(messageSchemas) as MessageName[])('round-trips %s through proto-loader’s objects, each oneof member in turn', (name) => {
    for (const message of sampleMessages(name)) {
      const grpc = toGrpc(name, message);
      expect(fromGrpc(name, grpc)).toEqual(message);
    }
  });

  it('writes int64s as decimal strings and bytes as Buffers sharing the store’s bytes, and reads them back as copies', () => {
    const key = new Uint8Array([1, 2, 3]);
    const grpc = toGrpc('PutRequest', { key, lease: -(2n ** 63n), prev_kv: false });
    expect(grpc).toEqual({ key: Buffer.from([1, 2, 3]), lease: '-9223372036854775808' });
    expect((grpc.key as Buffer).buffer).toBe(key.buffer);
    const back = fromGrpc('PutRequest', grpc);
    expect(back.key).toEqual(key);
    expect(back.key!.buffer).not.toBe(key.buffer);
  });

  it('refuses an enum number a closed enum does not name, naming the field path', () => {
    expect(() => fromGrpc('RangeRequest', { sort_target: 9 })).toThrow(InvalidRequestError);
    expect(() => fromGrpc('RangeRequest', { sort_target: 9 })).toThrow('RangeRequest.sort_target: expected one of KEY, VERSION, CREATE, MOD, VALUE, got 9');
    expect(fromGrpc('RangeRequest', { sort_order: 9 }).sort_order).toBe(9);
  });

  it('names the path of a bad value deep in a txn, list indexes included (the path is built only for the error)', () => {
    const request = { failure: [{}, { request_txn: { success: [{ request_range: { revision: 'no' } }] } }] };
    expect(() => fromGrpc('TxnRequest', request)).toThrow('TxnRequest.failure[1].request_txn.success[0].request_range.revision: expected an integer, got no');
    expect(() => fromGrpc('TxnRequest', { success: [{ request_put: { key: 5 } }] })).toThrow('TxnRequest.success[0].request_put.key: expected bytes');
    expect(fromGrpc('PutRequest', { lease: '0' }).lease).toBe(0n);
  });
});

describe('fromGrpc on txns nested deeper than etcd examines', () => {
  it('keeps the first 130 levels and empties the txn below them (the ops budget refuses level 130 on every path)', () => {
    let request: GrpcObject = { success: [{ request_put: { key: Buffer.from('k'), value: Buffer.from('v') } }] };
    for (let level = 1; level < 1000; level++) request = { success: [{ request_txn: request }], failure: [{ request_txn: { compare: [] } }] };
    const decoded = fromGrpc('TxnRequest', request);
    let levels = 1;
    let at = decoded;
    while (at.success?.[0]?.request_txn !== undefined) {
      at = at.success[0].request_txn;
      levels++;
    }
    expect(levels).toBe(131);
    expect(at).toEqual(fromGrpc('TxnRequest', {}));
  });
});
