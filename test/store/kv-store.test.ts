// The KV store's revisions, puts and deletes against the etcd semantics (docs/etcd-semantics.md) §11 items 1–6, 8, 67–68 and §1–3, 5; range, txn and compaction have their own files.
import { describe, expect, it } from 'vitest';
import {
  EtcdError,
  InvalidRequestError,
  KeyNotFoundError,
  KeyNotProvidedError,
  LeaseNotFoundError,
  LeaseProvidedError,
  RequestTooLargeError,
  ValueProvidedError,
} from '../../src/store/errors.ts';
import { requestBytesMax } from '../../src/store/limits.ts';
import { KvStore } from '../../src/store/kv-store.ts';
import { b, FakeLeases, keysOf, kv, newStore, s } from './kv-fixtures.ts';

describe('KvStore: revisions and data model', () => {
  it('starts at revision 1, empty, never compacted', () => {
    const { store } = newStore();
    expect(store.currentRevision()).toBe(1);
    expect(store.compactRevision()).toBe(-1);
    const r = store.range({ key: b('a') });
    expect(r).toEqual({ header: { revision: 1 }, kvs: [], more: false, count: 0 });
  });

  it('#1 put, delete, get', () => {
    const { store } = newStore();
    expect(store.put({ key: b('foo'), value: b('') }).header.revision).toBe(2);
    const d = store.deleteRange({ key: b('foo') });
    expect(d).toEqual({ header: { revision: 3 }, deleted: 1, prev_kvs: [] });
    expect(store.range({ key: b('foo') }).kvs).toEqual([]);
  });

  it('#2 ten puts: create 2, mod i+1, version i, lease i', () => {
    const { store } = newStore(...Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
    for (let i = 1; i <= 10; i++) {
      expect(store.put({ key: b('foo'), value: b('bar'), lease: BigInt(i) }).header.revision).toBe(i + 1);
      expect(kv(store.range({ key: b('foo') }).kvs[0]!)).toEqual({ key: 'foo', value: 'bar', create: 2, mod: i + 1, version: i, lease: BigInt(i) });
    }
  });

  it('#3 a recreated key starts again at version 1', () => {
    const { store } = newStore();
    for (let round = 0; round < 3; round++) {
      const r = store.put({ key: b('foo'), value: b('bar') }).header.revision;
      expect(kv(store.range({ key: b('foo'), revision: r }).kvs[0]!)).toMatchObject({ create: r, mod: r, version: 1 });
      expect(store.deleteRange({ key: b('foo') })).toMatchObject({ deleted: 1, header: { revision: r + 1 } });
      expect(store.range({ key: b('foo'), revision: r + 1 }).kvs).toEqual([]);
    }
  });

  it('#4 deleting a missing key makes no revision', () => {
    const { store, commits } = newStore();
    store.put({ key: b('foo'), value: b('bar') });
    expect(store.deleteRange({ key: b('foo') })).toMatchObject({ deleted: 1, header: { revision: 3 } });
    for (let i = 0; i < 10; i++) expect(store.deleteRange({ key: b('foo') })).toMatchObject({ deleted: 0, header: { revision: 3 } });
    expect(commits.map((c) => c.revision)).toEqual([2, 3]);
  });

  it('#5 delete ranges', () => {
    const cases: [string, string | undefined, number, number][] = [
      ['foo', undefined, 1, 5],
      ['foo', 'foo1', 1, 5],
      ['foo', 'foo2', 2, 5],
      ['foo', 'foo3', 3, 5],
      ['foo3', 'foo8', 0, 4],
      ['foo3', undefined, 0, 4],
    ];
    for (const [key, end, deleted, rev] of cases) {
      const { store } = newStore();
      for (const k of ['foo', 'foo1', 'foo2']) store.put({ key: b(k), value: b('bar') });
      const d = store.deleteRange({ key: b(key), ...(end === undefined ? {} : { range_end: b(end) }) });
      expect([d.deleted, d.header.revision]).toEqual([deleted, rev]);
    }
  });

  it('#6 range at a revision; header is the current revision', () => {
    const { store } = newStore();
    for (const k of ['foo', 'foo1', 'foo2']) store.put({ key: b(k), value: b('bar') });
    const at = (revision: number) => store.range({ key: b('foo'), range_end: b('foo3'), revision });
    expect(keysOf(at(2).kvs)).toEqual(['foo']);
    expect(at(2).header.revision).toBe(4);
    expect(keysOf(at(3).kvs)).toEqual(['foo', 'foo1']);
    expect(keysOf(at(0).kvs)).toEqual(['foo', 'foo1', 'foo2']);
    expect(keysOf(at(-1).kvs)).toEqual(['foo', 'foo1', 'foo2']);
  });

  it('#8 limit', () => {
    const { store } = newStore();
    for (const k of ['foo', 'foo1', 'foo2']) store.put({ key: b(k), value: b('bar') });
    const lim = (limit: number) => store.range({ key: b('foo'), range_end: b('foo3'), limit });
    expect([lim(1).kvs.length, lim(1).count, lim(1).more]).toEqual([1, 3, true]);
    expect([lim(2).kvs.length, lim(2).count, lim(2).more]).toEqual([2, 3, true]);
    for (const limit of [0, -1, 3, 100]) expect([lim(limit).kvs.length, lim(limit).count, lim(limit).more]).toEqual([3, 3, false]);
  });

  it('#68 no dedupe of identical puts', () => {
    const { store } = newStore();
    store.put({ key: b('a'), value: b('x') });
    store.put({ key: b('a'), value: b('x') });
    expect(kv(store.range({ key: b('a') }).kvs[0]!)).toMatchObject({ version: 2, mod: 3, create: 2 });
  });
});

describe('KvStore: put options and errors', () => {
  it('prev_kv', () => {
    const { store } = newStore();
    expect(store.put({ key: b('a'), value: b('1'), prev_kv: true })).toEqual({ header: { revision: 2 } });
    const r = store.put({ key: b('a'), value: b('2'), prev_kv: true });
    expect(kv(r.prev_kv!)).toEqual({ key: 'a', value: '1', create: 2, mod: 2, version: 1, lease: 0n });
  });

  it('#19 ignore_value', () => {
    const { store, leases } = newStore(7n);
    expect(() => store.put({ key: b('foo'), ignore_value: true })).toThrow(KeyNotFoundError);
    store.put({ key: b('foo'), value: b('bar') });
    store.put({ key: b('foo'), lease: 7n, ignore_value: true });
    expect(kv(store.range({ key: b('foo') }).kvs[0]!)).toMatchObject({ value: 'bar', lease: 7n });
    expect(leases.keysOf(7n)).toEqual(['foo']);
    expect(() => store.put({ key: b('foo'), value: b('bar'), ignore_value: true })).toThrow(ValueProvidedError);
    const r = store.put({ key: b('foo'), ignore_value: true });
    expect(r.prev_kv).toBeUndefined();
    expect(kv(store.range({ key: b('foo') }).kvs[0]!)).toMatchObject({ value: 'bar', lease: 0n });
    expect(leases.keysOf(7n)).toEqual([]);
  });

  it('#20 ignore_lease', () => {
    const { store, leases } = newStore(7n);
    expect(() => store.put({ key: b('zoo'), ignore_lease: true })).toThrow(KeyNotFoundError);
    store.put({ key: b('zoo'), value: b('bar'), lease: 7n });
    store.put({ key: b('zoo'), value: b('bar1'), ignore_lease: true });
    expect(kv(store.range({ key: b('zoo') }).kvs[0]!)).toMatchObject({ value: 'bar1', lease: 7n });
    expect(leases.keysOf(7n)).toEqual(['zoo']);
    expect(() => store.put({ key: b('zoo'), lease: 7n, ignore_lease: true })).toThrow(LeaseProvidedError);
    store.put({ key: b('zoo'), value: b('bar') });
    expect(kv(store.range({ key: b('zoo') }).kvs[0]!).lease).toBe(0n);
    expect(leases.keysOf(7n)).toEqual([]);
  });

  it('#43 put on a missing lease; lease switch moves the key; delete detaches', () => {
    const { store, leases } = newStore(1n, 2n);
    expect(() => store.put({ key: b('foo'), value: b('x'), lease: 0x12345678n })).toThrow(LeaseNotFoundError);
    expect(store.currentRevision()).toBe(1);
    store.put({ key: b('foo'), value: b('x'), lease: 1n });
    store.put({ key: b('foo'), value: b('x'), lease: 2n });
    expect([leases.keysOf(1n), leases.keysOf(2n)]).toEqual([[], ['foo']]);
    store.deleteRange({ key: b('foo') });
    expect(leases.keysOf(2n)).toEqual([]);
  });

  it('int64 lease IDs beyond 2^53 round-trip', () => {
    const big = 2n ** 62n + 12345n;
    const { store } = newStore(big, -1n);
    store.put({ key: b('k'), value: b('v'), lease: big });
    expect(store.range({ key: b('k') }).kvs[0]!.lease).toBe(big);
    store.put({ key: b('k'), value: b('v'), lease: -1n });
    expect(store.range({ key: b('k') }).kvs[0]!.lease).toBe(-1n);
  });

  it('error order: value provided before lease not found before key not found', () => {
    const { store } = newStore();
    expect(() => store.put({ key: b('k'), value: b('v'), ignore_value: true, lease: 5n })).toThrow(ValueProvidedError);
    expect(() => store.put({ key: b('k'), ignore_value: true, lease: 5n })).toThrow(LeaseNotFoundError);
  });

  it('#67 empty keys', () => {
    const { store } = newStore();
    expect(() => store.put({ key: b(''), value: b('v') })).toThrow(KeyNotProvidedError);
    expect(() => store.put({ value: b('v') })).toThrow(KeyNotProvidedError);
    expect(() => store.range({ key: b('') })).toThrow('etcdserver: key is not provided');
    expect(() => store.deleteRange({})).toThrow(KeyNotProvidedError);
  });

  it('requests over 1.5 MiB are too large, exactly at the limit they pass', () => {
    const { store } = newStore();
    expect(() => store.put({ key: b('k'), value: new Uint8Array(requestBytesMax) })).toThrow(RequestTooLargeError);
    expect(() => store.txn({ success: [{ request_put: { key: b('k'), value: new Uint8Array(requestBytesMax) } }] })).toThrow(RequestTooLargeError);
    expect(store.put({ key: b('k'), value: new Uint8Array(requestBytesMax - 100) }).header.revision).toBe(2);
  });

  it('a delete is too large by its exact raft request size, key and range_end alike', () => {
    // 100 bytes allowed: a raft request holds 2 + 1 + 1 + 9 (ID) + 1 + 1 = 15 + the request (key: 1 + 1 + length)
    const store = new KvStore({ leases: new FakeLeases(), requestBytesMax: 100 });
    expect(store.deleteRange({ key: new Uint8Array(83).fill(0x61) }).deleted).toBe(0); // 15 + 85
    expect(() => store.deleteRange({ key: new Uint8Array(84).fill(0x61) })).toThrow(RequestTooLargeError);
    expect(store.deleteRange({ key: b('a'), range_end: new Uint8Array(78).fill(0x62), prev_kv: true }).deleted).toBe(0); // 15 + (3 + 80 + 2)
    expect(() => store.deleteRange({ key: b('a'), range_end: new Uint8Array(79).fill(0x62), prev_kv: true })).toThrow(RequestTooLargeError);
  });

  it('malformed requests raise InvalidRequestError and change nothing', () => {
    const { store } = newStore();
    const bad: unknown[] = [
      undefined,
      null,
      'put',
      { key: 'a' },
      { key: 5 },
      { key: b('a'), value: 'x' },
      { key: b('a'), lease: 5 },
      { key: b('a'), lease: 2n ** 63n },
      { key: b('a'), prev_kv: 'yes' },
    ];
    for (const request of bad) {
      expect(() => store.put(request as never)).toThrow(InvalidRequestError);
    }
    expect(() => store.range({ key: b('a'), limit: '5' } as never)).toThrow(InvalidRequestError);
    expect(() => store.range({ key: b('a'), sort_order: 'UP' } as never)).toThrow(InvalidRequestError);
    expect(() => store.range({ key: b('a'), revision: 1.5 } as never)).toThrow(InvalidRequestError);
    expect(() => store.txn({ compare: [{ key: b('a'), target: 'SIZE' }] } as never)).toThrow(InvalidRequestError);
    expect(() => store.txn({ success: [{ request_put: { key: b('a') }, request_range: { key: b('a') } }] } as never)).toThrow(InvalidRequestError);
    expect(() => store.txn({ success: 'x' } as never)).toThrow(InvalidRequestError);
    expect(() => store.compact({ revision: '1' } as never)).toThrow(EtcdError);
    expect(store.currentRevision()).toBe(1);
  });
});

describe('KvStore: observer, history, deleteKeys, memory', () => {
  it('tells the observer each write once, after it is applied', () => {
    const { store, commits } = newStore(9n);
    store.put({ key: b('a'), value: b('1'), lease: 9n });
    store.deleteRange({ key: b('a') });
    store.deleteRange({ key: b('a') });
    store.range({ key: b('a') });
    expect(commits).toHaveLength(2);
    expect(commits[0]!.revision).toBe(2);
    expect(commits[0]!.events.map((e) => [e.type, kv(e.kv)])).toEqual([['PUT', { key: 'a', value: '1', create: 2, mod: 2, version: 1, lease: 9n }]]);
    expect(commits[1]!.events.map((e) => [e.type, kv(e.kv)])).toEqual([['DELETE', { key: 'a', value: '', create: 0, mod: 3, version: 0, lease: 0n }]]);
  });

  it('deleteKeys: one revision, ascending keys, only live keys', () => {
    const { store, commits } = newStore();
    for (const k of ['b', 'a', 'c']) store.put({ key: b(k), value: b('v') });
    expect(store.deleteKeys(['c', 'a', 'zz', 'b'])).toBe(5);
    expect(commits.at(-1)!.events.map((e) => [e.type, s(e.kv.key), e.kv.mod_revision])).toEqual([
      ['DELETE', 'a', 5],
      ['DELETE', 'b', 5],
      ['DELETE', 'c', 5],
    ]);
    expect(store.deleteKeys(['a'])).toBe(5);
    expect(commits).toHaveLength(4);
  });

  it('eventsBetween and getAt read history', () => {
    const { store } = newStore();
    store.put({ key: b('a'), value: b('1') });
    store.put({ key: b('b'), value: b('1') });
    store.txn({ success: [{ request_put: { key: b('a'), value: b('2') } }, { request_delete_range: { key: b('b') } }] });
    store.put({ key: b('c'), value: b('1') });
    const ev = store.eventsBetween(2, 10, 'a', '', 100);
    expect(ev.map((e) => [e.type, s(e.kv.key), e.kv.mod_revision])).toEqual([
      ['PUT', 'a', 2],
      ['PUT', 'b', 3],
      ['PUT', 'a', 4],
      ['DELETE', 'b', 4],
      ['PUT', 'c', 5],
    ]);
    expect(store.eventsBetween(2, 10, 'a', '', 2).map((e) => e.kv.mod_revision)).toEqual([2, 3]);
    expect(store.eventsBetween(3, 4, 'b', undefined, 100).map((e) => e.type)).toEqual(['PUT', 'DELETE']);
    expect(kv(store.getAt('a', 3)!)).toMatchObject({ value: '1', version: 1 });
    expect(store.getAt('b', 4)).toBeUndefined();
    store.compact({ revision: 4 });
    expect(store.getAt('a', 3)).toBeUndefined();
    // the tombstone exactly at the compaction revision stays for watchers
    expect(store.eventsBetween(4, 10, 'b', undefined, 100).map((e) => e.type)).toEqual(['DELETE']);
  });
});
