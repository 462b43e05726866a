// Request bodies as etcd's gateway reads them (src/server/go-jsonpb.ts): json.Decoder's first value,
// then jsonpb field by field in the Go struct's order. The error texts are etcd 3.4.23's answers to the
// same bodies (test/server/gateway-bodies.test.ts sends these and many more to etcd itself).
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { readProtoBody, readRequestBody } from '../../src/server/go-jsonpb.ts';
import { loadProtoRoot } from '../../src/server/proto-services.ts';
import { txnLevelsExaminedMax } from '../../src/store/limits.ts';
import type { MessageName } from '../../src/store/message-schemas.ts';

const read = (name: MessageName, text: string) => readRequestBody(name, Buffer.from(text, 'utf8'));

describe('readRequestBody', () => {
  it.each([
    ['', {}],
    ['  \n', {}],
    ['null', {}],
    ['{} trailing', {}],
    ['{"key":"YQ=="}{"key":1}', { key: 'YQ==' }],
    ['{"key":[97],"sortOrder":"DESCEND","nope":{"x":[1,{"y":null}]}}', { key: 'YQ==', sort_order: 'DESCEND' }],
    ['{"key":"YQ==","sort_order":1,"sort_target":4}', { key: 'YQ==', sort_order: 'ASCEND', sort_target: 'VALUE' }],
    ['{"key":"YQ==","sort_order":7}', { key: 'YQ==', sort_order: 7 }],
    ['{"range_end":"!!","rangeEnd":"AA==","key":"YQ=="}', { key: 'YQ==', range_end: 'AA==' }],
    ['{"key":"!!","key":"YQ=="}', { key: 'YQ==' }],
    ['{"k\\u0065y":"YQ\\u003d="}', { key: 'YQ==' }],
    ['{"Key":"YQ=="}', {}],
    ['{"key":"YQ==","limit":"9223372036854775807","revision":-0}', { key: 'YQ==', limit: '9223372036854775807', revision: '0' }],
    ['{"key":"YQ==","limit":" 1 ","revision":"null","serializable":null}', { key: 'YQ==', limit: '1' }],
    ['{"key":"YW\\nJj","keys_only":true}', { key: 'YWJj', keys_only: true }],
  ])('RangeRequest %j → %j', (text, json) => {
    expect(read('RangeRequest', text)).toEqual({ ok: true, json });
  });

  it.each([
    ['{', 'unexpected EOF'],
    ['[]', 'json: cannot unmarshal array into Go value of type map[string]json.RawMessage'],
    ['"str"', 'json: cannot unmarshal string into Go value of type map[string]json.RawMessage'],
    ['{"key":"YQ==","limit":"x"} tail', "invalid character 'x' looking for beginning of value"],
    ['{"key":"YQ==","limit":""}', 'unexpected end of JSON input'],
    ['{"key":"YQ==","limit":"1e3"}', 'json: cannot unmarshal number 1e3 into Go value of type int64'],
    ['{"key":"YQ==","limit":1e400}', 'json: cannot unmarshal number 1e400 into Go value of type int64'],
    ['{"key":"YQ==","limit":"\\u0031"}', "invalid character '\\\\' looking for beginning of value"],
    ['{"limit":"x","key":1}', 'json: cannot unmarshal number into Go value of type []uint8'],
    ['{"key":"notbase64!"}', 'illegal base64 data at input byte 9'],
    ['{"key":[256]}', 'json: cannot unmarshal number 256 into Go value of type uint8'],
    ['{"key":"YQ==","sort_order":"\\u0041SCEND"}', 'unknown value "\\\\u0041SCEND" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['{"key":"YQ==","sort_target":2147483648}', 'json: cannot unmarshal number 2147483648 into Go value of type etcdserverpb.RangeRequest_SortTarget'],
    ['{"key":"YQ==","sort_target":"BAD","sort_order":"BAD"}', 'unknown value "BAD" for enum etcdserverpb.RangeRequest_SortOrder'],
    ['{"key":"YQ==","keys_only":"true"}', 'json: cannot unmarshal string into Go value of type bool'],
  ])('RangeRequest %j → %s', (text, message) => {
    expect(read('RangeRequest', text)).toEqual({ ok: false, message });
  });

  it('walks a txn: oneof members by either name, null members and elements left unset', () => {
    expect(read('TxnRequest', '{"success":[{"requestRange":{"key":"YQ=="}},{"request_put":null}],"compare":[{"key":"YQ==","version":"2"},null]}')).toEqual({
      ok: true,
      json: { compare: [{ key: 'YQ==', version: '2' }, {}], success: [{ request_range: { key: 'YQ==' } }, {}] },
    });
  });

  it.each([
    ['{"compare":{}}', 'json: cannot unmarshal object into Go value of type []json.RawMessage'],
    ['{"compare":[1]}', 'json: cannot unmarshal number into Go value of type map[string]json.RawMessage'],
    ['{"compare":[{"target_union":1}]}', 'json: cannot unmarshal number into Go value of type etcdserverpb.isCompare_TargetUnion'],
    ['{"success":[{"request":{}}]}', 'json: cannot unmarshal object into Go value of type etcdserverpb.isRequestOp_Request'],
    ['{"compare":[{"result":"equal"}]}', 'unknown value "equal" for enum etcdserverpb.Compare_CompareResult'],
    ['{"failure":[{"request_txn":{"success":[{"request_range":{"key":"!!"}}]}}]}', 'illegal base64 data at input byte 0'],
  ])('TxnRequest %j → %s', (text, message) => {
    expect(read('TxnRequest', text)).toEqual({ ok: false, message });
  });

  it('reads lease IDs and TTLs as int64s; a field named in another case is unknown', () => {
    expect(read('LeaseGrantRequest', '{"ttl":5,"ID":"-1"}')).toEqual({ ok: true, json: { ID: '-1' } });
    expect(read('LeaseGrantRequest', '{"TTL":1.5}')).toEqual({ ok: false, message: 'json: cannot unmarshal number 1.5 into Go value of type int64' });
  });
});

describe('a txn nested 3,000 levels (jsonpb reads them all, as Go’s growing stack lets it)', () => {
  const nested = (levels: number, innermost: string) => `${'{"success":[{"request_txn":'.repeat(levels)}${innermost}${'}]}'.repeat(levels)}`;
  const depth = (json: unknown): number => {
    let levels = 0;
    for (let txn = json as { success?: { request_txn?: unknown }[] } | undefined; txn !== undefined; levels++)
      txn = txn.success?.[0]?.request_txn as typeof txn;
    return levels;
  };

  it('reads every level without recursion, and finds a bad value at the bottom', () => {
    expect(read('TxnRequest', nested(3_000, '{"success":[{"request_range":{"key":"!!"}}]}'))).toEqual({
      ok: false,
      message: 'illegal base64 data at input byte 0',
    });
  });

  it('leaves the txns below the levels etcd examines empty (the ops budget refuses the request above them)', () => {
    const read3000 = read('TxnRequest', nested(3_000, '{}'));
    expect(read3000.ok).toBe(true);
    expect(depth(read3000.ok ? read3000.json : undefined)).toBe(txnLevelsExaminedMax + 1);
    const read10 = read('TxnRequest', nested(10, '{}'));
    expect(depth(read10.ok ? read10.json : undefined)).toBe(11);
  });
});

describe('repeated enums (a watch’s filters)', () => {
  it('takes names and numbers in an array; a lone name it knows fits no slice', () => {
    expect(read('WatchCreateRequest', '{"filters":["NODELETE",0]}')).toEqual({ ok: true, json: { filters: ['NODELETE', 'NOPUT'] } });
    expect(read('WatchCreateRequest', '{"filters":"NOPUT"}')).toEqual({
      ok: false,
      message: 'invalid target "slice" for enum etcdserverpb.WatchCreateRequest_FilterType',
    });
    expect(read('WatchCreateRequest', '{"filters":"BAD"}')).toEqual({
      ok: false,
      message: 'unknown value "BAD" for enum etcdserverpb.WatchCreateRequest_FilterType',
    });
  });
});

describe('readProtoBody (messages of rpc.proto: maintenance, cluster and auth requests)', () => {
  const root = loadProtoRoot(fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url)));
  const readProto = (type: string, text: string) => readProtoBody(root.lookupType(type), Buffer.from(text, 'utf8'));

  it('reads uint64s, enums of other packages, nested messages and repeated strings', () => {
    expect(readProto('etcdserverpb.AlarmRequest', '{"action":"GET","memberID":"7","alarm":1}')).toEqual({
      ok: true,
      json: { action: 'GET', memberID: '7', alarm: 'NOSPACE' },
    });
    expect(readProto('etcdserverpb.AuthRoleGrantPermissionRequest', '{"name":"r","perm":{"permType":"WRITE","key":"YQ==","rangeEnd":"Yg=="}}')).toEqual({
      ok: true,
      json: { name: 'r', perm: { permType: 'WRITE', key: 'YQ==', range_end: 'Yg==' } },
    });
    expect(readProto('etcdserverpb.MemberAddRequest', '{"peerURLs":["http://a"],"isLearner":true}')).toEqual({
      ok: true,
      json: { peerURLs: ['http://a'], isLearner: true },
    });
  });

  it('words errors with the Go names of etcd 3.4.23, and ignores a field its Go struct does not have', () => {
    expect(readProto('etcdserverpb.AlarmRequest', '{"alarm":"x"}')).toEqual({ ok: false, message: 'unknown value "x" for enum etcdserverpb.AlarmType' });
    expect(readProto('etcdserverpb.AlarmRequest', '{"action":1.5}')).toEqual({
      ok: false,
      message: 'json: cannot unmarshal number 1.5 into Go value of type etcdserverpb.AlarmRequest_AlarmAction',
    });
    expect(readProto('etcdserverpb.AlarmRequest', '{"memberID":"-0"}')).toEqual({
      ok: false,
      message: 'json: cannot unmarshal number -0 into Go value of type uint64',
    });
    expect(readProto('etcdserverpb.AuthRoleGrantPermissionRequest', '{"perm":{"permType":"BAD"}}')).toEqual({
      ok: false,
      message: 'unknown value "BAD" for enum authpb.Permission_Type',
    });
    expect(readProto('etcdserverpb.MemberAddRequest', '{"peerURLs":[1]}')).toEqual({
      ok: false,
      message: 'json: cannot unmarshal number into Go value of type string',
    });
    expect(readProto('etcdserverpb.MemberListRequest', '{"linearizable":"true"}')).toEqual({ ok: true, json: {} });
  });
});
