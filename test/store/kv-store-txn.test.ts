// The txn engine (src/store/kv-store-txn.ts, with the request checks of src/store/txn.ts) against the etcd semantics (docs/etcd-semantics.md) §4 and §11 items 13–21, 59–62, 67.
import { describe, expect, it } from 'vitest';
import {
  CompactedError,
  DuplicateKeyError,
  FutureRevisionError,
  KeyNotFoundError,
  KeyNotProvidedError,
  LeaseNotFoundError,
  TooManyOpsError,
} from '../../src/store/errors.ts';
import type { RequestOp, TxnRequest } from '../../src/store/messages.ts';
import { b, cmp, del, get, keysOf, kv, newStore, put, s } from './kv-fixtures.ts';

const txn = (request: TxnRequest): RequestOp => ({ request_txn: request });

describe('txn revisions', () => {
  it('#13 read-only and no-op txns make no revision', () => {
    const { store } = newStore();
    store.put({ key: b('abc'), value: b('def') });
    expect(store.txn({ success: [get('abc')] }).header.revision).toBe(2);
    expect(store.txn({ success: [del('def')] }).header.revision).toBe(2);
    expect(store.txn({ success: [put('abc', '123')] }).header.revision).toBe(3);
  });

  it('one revision per txn, sub-revisions in op order, one observer call', () => {
    const { store, commits } = newStore();
    store.txn({ success: [put('foo0'), put('foo2'), put('foo1')] });
    expect(commits).toHaveLength(1);
    expect(commits[0]!.events.map((e) => [s(e.kv.key), e.kv.create_revision, e.kv.mod_revision, e.kv.version])).toEqual([
      ['foo0', 2, 2, 1],
      ['foo2', 2, 2, 1],
      ['foo1', 2, 2, 1],
    ]);
    expect(store.eventsBetween(2, 2, 'foo', 'fop', 10).map((e) => s(e.kv.key))).toEqual(['foo0', 'foo2', 'foo1']);
    // the observer hears each event's key as the store holds it, in the same order; a write of one change, that key alone
    expect(commits[0]!.keys).toEqual(['foo0', 'foo2', 'foo1']);
    store.txn({ success: [del('foo2')] });
    expect(commits[1]!.keys).toBe('foo2');
  });

  it('#60 ranges inside a write txn see its earlier writes', () => {
    const { store } = newStore();
    store.put({ key: b('a'), value: b('1') });
    const r = store.txn({ success: [get('a'), put('a', '2'), get('a')] });
    expect(r.header.revision).toBe(3);
    const [r1, p, r2] = r.responses;
    expect([r1!.response_range!.header.revision, s(r1!.response_range!.kvs[0]!.value)]).toEqual([2, '1']);
    expect(p!.response_put!.header.revision).toBe(3);
    expect([r2!.response_range!.header.revision, s(r2!.response_range!.kvs[0]!.value)]).toEqual([3, '2']);
  });

  it('deletes inside a txn: header is R once anything changed', () => {
    const { store } = newStore();
    store.put({ key: b('a'), value: b('1') });
    const r = store.txn({ success: [del('zz'), put('b'), del('zz'), del('a', undefined, { prev_kv: true })] });
    expect(r.responses.map((x) => x.response_delete_range?.header.revision ?? x.response_put?.header.revision)).toEqual([2, 3, 3, 3]);
    expect(r.responses[3]!.response_delete_range!.prev_kvs.map(kv)).toEqual([{ key: 'a', value: '1', create: 2, mod: 2, version: 1, lease: 0n }]);
  });
});

describe('txn compares', () => {
  it('compare targets and results', () => {
    const { store } = newStore(5n);
    store.put({ key: b('a'), value: b('m'), lease: 5n });
    const ok = (c: ReturnType<typeof cmp>) => store.txn({ compare: [c] }).succeeded;
    expect(ok(cmp('a', 'VALUE', 'EQUAL', { value: b('m') }))).toBe(true);
    expect(ok(cmp('a', 'VALUE', 'GREATER', { value: b('a') }))).toBe(true);
    expect(ok(cmp('a', 'VALUE', 'LESS', { value: b('z') }))).toBe(true);
    expect(ok(cmp('a', 'VALUE', 'NOT_EQUAL', { value: b('m') }))).toBe(false);
    expect(ok(cmp('a', 'VERSION', 'EQUAL', { version: 1 }))).toBe(true);
    expect(ok(cmp('a', 'CREATE', 'EQUAL', { create_revision: 2 }))).toBe(true);
    expect(ok(cmp('a', 'MOD', 'LESS', { mod_revision: 3 }))).toBe(true);
    expect(ok(cmp('a', 'LEASE', 'EQUAL', { lease: 5n }))).toBe(true);
    expect(ok(cmp('a', 'LEASE', 'GREATER', { lease: 4n }))).toBe(true);
    // the operand is the oneof field of the target: others are ignored
    expect(ok(cmp('a', 'VERSION', 'EQUAL', { mod_revision: 1 }))).toBe(false);
    expect(ok(cmp('a', 'VERSION', 'GREATER', {}))).toBe(true);
    // defaults: VERSION EQUAL 0
    expect(store.txn({ compare: [{ key: b('missing') }] }).succeeded).toBe(true);
  });

  it('#62 VALUE on a missing key is false for every operator', () => {
    const { store } = newStore();
    for (const result of ['EQUAL', 'NOT_EQUAL', 'LESS', 'GREATER'] as const) {
      expect(store.txn({ compare: [cmp('missing', 'VALUE', result, { value: b('x') })] }).succeeded).toBe(false);
    }
    expect(store.txn({ compare: [cmp('missing', 'MOD', 'LESS', { mod_revision: 1 })] }).succeeded).toBe(true);
  });

  it('#16 compares over ranges', () => {
    const { store } = newStore();
    for (const k of ['/a/2', '/a/3', '/a/4', '/f/5']) store.put({ key: b(k), value: b('v') });
    const ok = (c: ReturnType<typeof cmp>) => store.txn({ compare: [c] }).succeeded;
    expect(ok(cmp('/a/', 'CREATE', 'LESS', { create_revision: 6 }, '\0'))).toBe(true);
    expect(ok(cmp('/a/', 'CREATE', 'LESS', { create_revision: 5 }, '\0'))).toBe(false);
    expect(ok(cmp('/a/', 'CREATE', 'LESS', { create_revision: 5 }, '/a0'))).toBe(true);
    expect(ok(cmp('/a/', 'CREATE', 'LESS', { create_revision: 4 }, '/a0'))).toBe(false);
    expect(ok(cmp('/b/', 'VALUE', 'EQUAL', { value: b('x') }, '/b0'))).toBe(false);
    expect(ok(cmp('/a/', 'LEASE', 'GREATER', { lease: 0n }, '/a0'))).toBe(false);
    expect(ok(cmp('/a/', 'LEASE', 'EQUAL', { lease: 0n }, '/a0'))).toBe(true);
    expect(ok(cmp('/b/', 'VERSION', 'EQUAL', { version: 0 }, '/b0'))).toBe(true);
  });

  it('#17 prefix compare is every key', () => {
    const { store } = newStore();
    store.put({ key: b('foo/'), value: b('v') });
    store.put({ key: b('foo/a'), value: b('v') });
    expect(store.txn({ compare: [cmp('foo/', 'CREATE', 'EQUAL', { create_revision: 2 }, 'foo0')] }).succeeded).toBe(false);
  });
});

describe('txn nesting', () => {
  it('#59 nested txn', () => {
    const { store } = newStore();
    const r = store.txn({
      compare: [cmp('foo', 'VERSION', 'EQUAL', { version: 0 })],
      success: [put('foo', 'bar'), txn({ success: [put('abc', '123')] })],
      failure: [put('foo', 'baz')],
    });
    expect(r.responses).toHaveLength(2);
    expect(r.responses[1]).toEqual({ response_txn: { header: { revision: 0 }, succeeded: true, responses: [{ response_put: { header: { revision: 2 } } }] } });
    expect(s(store.range({ key: b('foo') }).kvs[0]!.value)).toBe('bar');
    expect(s(store.range({ key: b('abc') }).kvs[0]!.value)).toBe('123');
  });

  it('#61 nested compares see the pre-txn state', () => {
    const { store } = newStore();
    store.txn({
      success: [put('k', '1'), txn({ compare: [cmp('k', 'VERSION', 'EQUAL', { version: 0 })], success: [put('x', '1')], failure: [put('x', '2')] })],
    });
    expect(s(store.range({ key: b('x') }).kvs[0]!.value)).toBe('1');
  });

  it('nested txns on the failure branch decide on their own compares', () => {
    const { store } = newStore();
    const r = store.txn({
      compare: [cmp('nope', 'VERSION', 'GREATER', { version: 0 })], // false
      success: [txn({ compare: [cmp('nope', 'VERSION', 'GREATER', { version: 0 })] })],
      failure: [
        txn({ success: [put('then')], failure: [put('else')] }),
        txn({ compare: [cmp('nope', 'VALUE', 'EQUAL', {})], success: [put('then2')], failure: [put('else2')] }),
      ],
    });
    expect(r.succeeded).toBe(false);
    expect(r.responses.map((x) => x.response_txn!.succeeded)).toEqual([true, false]);
    expect(keysOf(store.range({ key: b('\0'), range_end: b('\0') }).kvs)).toEqual(['else2', 'then']);
  });
});

describe('txn checks', () => {
  it('#14 duplicate keys', () => {
    const { store } = newStore();
    const dup = (success: RequestOp[]) => () => store.txn({ success });
    expect(dup([put('abc'), put('abc')])).toThrow(DuplicateKeyError);
    expect(dup([put('abc'), del('abc')])).toThrow(DuplicateKeyError);
    expect(dup([put('abc'), del('a', 'b')])).toThrow(DuplicateKeyError);
    expect(dup([put('abc'), txn({ success: [del('a', 'b')] })])).toThrow(DuplicateKeyError);
    expect(dup([del('a', 'b'), txn({ success: [put('abc')] })])).toThrow(DuplicateKeyError);
    expect(dup([txn({ success: [put('abc')], failure: [put('abc')] }), txn({ success: [put('abc')], failure: [put('abc')] })])).toThrow(DuplicateKeyError);
    expect(store.currentRevision()).toBe(1);
    expect(dup([del('abb', 'abc'), txn({ success: [put('abc')], failure: [put('abc')] })])()).toMatchObject({ succeeded: true });
    expect(dup([txn({ success: [del('a', 'b')] }), txn({ success: [del('a', 'b')], failure: [del('a', 'b')] })])()).toMatchObject({ succeeded: true });
    expect(dup([del('abc'), del('a', 'b'), del('abc'), del('a', 'b')])()).toMatchObject({ succeeded: true });
    expect(dup([put('abc'), del('abb', 'abc')])()).toMatchObject({ succeeded: true });
    // checked per branch: success and failure may each put the same key
    expect(store.txn({ success: [put('q')], failure: [put('q')] }).succeeded).toBe(true);
    expect(() => store.txn({ failure: [put('q'), put('q')] })).toThrow(DuplicateKeyError);
  });

  it('from-key delete quirk: put and covering from-key delete land in one revision', () => {
    const { store } = newStore();
    store.put({ key: b('b'), value: b('old') });
    const r = store.txn({ success: [put('b', 'new'), del('a', '\0')] });
    expect(r.header.revision).toBe(3);
    expect(r.responses[1]!.response_delete_range!.deleted).toBe(1);
    expect(store.range({ key: b('b') }).kvs).toEqual([]);
    expect(kv(store.range({ key: b('b'), revision: 2 }).kvs[0]!).value).toBe('old');
    expect(store.eventsBetween(3, 3, 'b', undefined, 10).map((e) => e.type)).toEqual(['PUT', 'DELETE']);
    // an ignore_value put after a from-key delete of its key would make etcd panic; here it fails cleanly
    store.put({ key: b('c'), value: b('v') });
    expect(() => store.txn({ success: [del('a', '\0'), put('c', '', { ignore_value: true })] })).toThrow(KeyNotFoundError);
    expect(store.currentRevision()).toBe(4);
  });

  it('#15 too many ops', () => {
    const { store } = newStore();
    const many = <T>(make: (i: number) => T, n = 129): T[] => Array.from({ length: n }, (_, i) => make(i));
    expect(() => store.txn({ compare: many((i) => cmp(`k${i}`, 'VERSION', 'EQUAL', {})) })).toThrow(TooManyOpsError);
    expect(() => store.txn({ success: many((i) => put(`k${i}`)) })).toThrow(TooManyOpsError);
    expect(() => store.txn({ failure: many((i) => put(`k${i}`)) })).toThrow(TooManyOpsError);
    expect(() => store.txn({ success: many(() => txn({})) })).toThrow(TooManyOpsError);
    expect(store.txn({ success: many((i) => put(`k${i}`), 128) }).responses).toHaveLength(128);
    // a nested txn gets the budget its parent left: 100 + 29 > 128
    expect(() => store.txn({ success: [...many((i) => get(`k${i}`), 99), txn({ success: many((i) => get(`k${i}`), 29) })] })).toThrow(TooManyOpsError);
    expect(store.txn({ success: [...many((i) => get(`k${i}`), 99), txn({ success: many((i) => get(`k${i}`), 28) })] }).succeeded).toBe(true);
  });

  it('#67 empty RequestOp and empty keys', () => {
    const { store } = newStore();
    expect(() => store.txn({ success: [{}] })).toThrow(KeyNotFoundError);
    expect(() => store.txn({ success: [{}] })).toThrow('etcdserver: key not found');
    expect(() => store.txn({ compare: [{ key: b('') }] })).toThrow(KeyNotProvidedError);
    expect(() => store.txn({ failure: [put('')] })).toThrow(KeyNotProvidedError);
  });

  it('#18 invalid range revisions fail the whole txn', () => {
    const { store } = newStore();
    for (let i = 0; i < 3; i++) store.put({ key: b('foo'), value: b('bar') });
    store.compact({ revision: 2 });
    expect(() => store.txn({ success: [put('foo'), get('foo', { revision: 100 })] })).toThrow(FutureRevisionError);
    expect(() => store.txn({ success: [put('foo'), get('foo', { revision: 1 })] })).toThrow(CompactedError);
    expect(store.currentRevision()).toBe(4);
    expect(store.range({ key: b('foo') }).kvs[0]!.version).toBe(3);
    // a range at the pre-txn revision is fine; a negative one is checked against the compaction revision
    expect(store.txn({ success: [put('foo'), get('foo', { revision: 4 })] }).header.revision).toBe(5);
    expect(() => store.txn({ success: [get('foo', { revision: -1 })] })).toThrow(CompactedError);
  });

  it('#19 #20 #21 lease and ignore checks on the taken path only', () => {
    const { store } = newStore(7n);
    expect(() => store.txn({ success: [put('foo', '', { ignore_value: true })] })).toThrow(KeyNotFoundError);
    store.put({ key: b('foo'), value: b('bar') });
    store.txn({ success: [put('foo', '', { lease: 7n, ignore_value: true })] });
    expect(kv(store.range({ key: b('foo') }).kvs[0]!)).toMatchObject({ value: 'bar', lease: 7n });
    const bad = put('nolease', 'v', { lease: 123456n });
    expect(() => store.txn({ success: [bad] })).toThrow(LeaseNotFoundError);
    expect(() => store.txn({ compare: [cmp('x', 'VERSION', 'GREATER', { version: 0 })], failure: [bad] })).toThrow(LeaseNotFoundError);
    expect(store.txn({ success: [get('bar')], failure: [bad] }).succeeded).toBe(true);
    expect(store.range({ key: b('nolease') }).kvs).toEqual([]);
    // a failing check anywhere on the path changes nothing
    expect(() => store.txn({ success: [put('z1'), txn({ success: [bad] })] })).toThrow(LeaseNotFoundError);
    expect(store.range({ key: b('z1') }).kvs).toEqual([]);
  });
});
