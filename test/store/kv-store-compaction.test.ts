// Compaction (src/store/kv-store-compaction.ts) against the etcd semantics (docs/etcd-semantics.md), items 7, 9–11.
import { describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError } from '../../src/store/errors.ts';
import { checkCompaction, compactHistory } from '../../src/store/kv-store-compaction.ts';
import { TreeIndex } from '../../src/store/tree-index.ts';
import { KeyIndex } from '../../src/store/key-index.ts';
import { packRevision } from '../../src/store/revision.ts';
import { b, kv, newStore } from './kv-fixtures.ts';

describe('KvStore: compaction', () => {
  it('#7 bad revisions after compaction', () => {
    const { store } = newStore();
    for (const k of ['foo', 'foo1', 'foo2']) store.put({ key: b(k), value: b('bar') });
    store.compact({ revision: 4 });
    const at = (revision: number) => () => store.range({ key: b('foo'), range_end: b('foo3'), revision });
    expect(at(1)).toThrow(CompactedError);
    expect(at(2)).toThrow(CompactedError);
    expect(at(4)().kvs).toHaveLength(3);
    expect(at(5)).toThrow(FutureRevisionError);
    expect(at(100)).toThrow(FutureRevisionError);
    expect(at(0)().kvs).toHaveLength(3);
    expect(at(-1)().kvs).toHaveLength(3);
  });

  it('#9 compaction keeps the last value at the compaction revision', () => {
    const { store } = newStore(1n, 2n, 3n);
    store.put({ key: b('foo'), value: b('bar0'), lease: 1n });
    store.put({ key: b('foo'), value: b('bar1'), lease: 2n });
    store.deleteRange({ key: b('foo') });
    store.put({ key: b('foo'), value: b('bar2'), lease: 3n });
    store.compact({ revision: 1 });
    expect(kv(store.range({ key: b('foo'), revision: 2 }).kvs[0]!)).toEqual({ key: 'foo', value: 'bar0', create: 2, mod: 2, version: 1, lease: 1n });
    store.compact({ revision: 2 });
    expect(kv(store.range({ key: b('foo'), revision: 3 }).kvs[0]!)).toEqual({ key: 'foo', value: 'bar1', create: 2, mod: 3, version: 2, lease: 2n });
    store.compact({ revision: 3 });
    expect(store.range({ key: b('foo'), revision: 4 }).kvs).toEqual([]);
    store.compact({ revision: 4 });
    expect(kv(store.range({ key: b('foo'), revision: 5 }).kvs[0]!)).toEqual({ key: 'foo', value: 'bar2', create: 5, mod: 5, version: 1, lease: 3n });
  });

  it('#10 #11 compaction errors', () => {
    const { store } = newStore();
    for (let i = 0; i < 3; i++) store.put({ key: b('foo'), value: b('bar') });
    expect(store.compact({ revision: 0 })).toEqual({ header: { revision: 4 } });
    store.compact({ revision: 1 });
    expect(() => store.compact({ revision: 1 })).toThrow(CompactedError);
    store.compact({ revision: 4, physical: true });
    expect(() => store.compact({ revision: 5 })).toThrow(FutureRevisionError);
    expect(() => store.compact({ revision: 100 })).toThrow(FutureRevisionError);
    expect(() => store.compact({ revision: 4 })).toThrow('etcdserver: mvcc: required revision has been compacted');
    expect(() => store.compact({ revision: 100 })).toThrow('etcdserver: mvcc: required revision is a future revision');
  });

  it('compact(0) on a fresh store works; negative revisions are compacted', () => {
    const { store } = newStore();
    expect(() => store.compact({ revision: -1 })).toThrow(CompactedError);
    expect(store.compact({})).toEqual({ header: { revision: 1 } });
    expect(store.compactRevision()).toBe(0);
    expect(() => store.compact({ revision: 0 })).toThrow(CompactedError);
    expect(store.compact({ revision: 1 })).toEqual({ header: { revision: 1 } });
  });

  it('compaction frees history', () => {
    const { store } = newStore();
    for (let i = 0; i < 1000; i++) store.put({ key: b(`k${i % 10}`), value: b(`v${i}`) });
    store.deleteRange({ key: b('k5') });
    const before = store.dumpHistory();
    expect(before.keys.reduce((n, k) => n + k.revisions.length, 0)).toBe(1001);
    store.compact({ revision: store.currentRevision() - 1 });
    const after = store.dumpHistory();
    // nine keys keep their last put; k5's tombstone is at the current revision (> compaction): kept with its put
    expect(after.keys.reduce((n, k) => n + k.revisions.length, 0)).toBe(11);
    expect(after.log).toHaveLength(2);
    store.compact({ revision: store.currentRevision() });
    expect(store.dumpHistory().keys.reduce((n, k) => n + k.revisions.length, 0)).toBe(10);
    store.put({ key: b('x'), value: b('v') });
    store.compact({ revision: store.currentRevision() });
    expect(store.indexedKeyCount()).toBe(10);
    expect(store.range({ key: b('k5') }).kvs).toEqual([]);
    expect(kv(store.range({ key: b('k9') }).kvs[0]!)).toMatchObject({ value: 'v999', version: 100, create: 11 });
  });

  it('compactHistory walks only the logged keys and keeps the log from the compaction revision', () => {
    const index = new TreeIndex();
    const a = new KeyIndex('a');
    a.put(packRevision(2, 0), 'x', 0n);
    a.tombstone(packRevision(3, 0));
    const b2 = new KeyIndex('b');
    b2.put(packRevision(4, 0), 'y', 0n);
    index.set('a', a);
    index.set('b', b2);
    const kept = compactHistory(index, ['a', 'a', 'b'], 2, 3);
    // a's tombstone at 3 is kept for watchers (etcd keeps a tombstone exactly at the compaction revision)
    expect(index.get('a')?.revisions()).toEqual([packRevision(3, 0)]);
    expect(kept).toEqual({ log: ['a', 'b'], logStart: 3 });
    expect(compactHistory(index, kept.log, kept.logStart, 4)).toEqual({ log: ['b'], logStart: 4 });
    expect(index.get('a')).toBeUndefined();
    expect(() => checkCompaction(4, 4, 10)).toThrow('etcdserver: mvcc: required revision has been compacted');
    expect(() => checkCompaction(11, 4, 10)).toThrow('etcdserver: mvcc: required revision is a future revision');
    expect(() => checkCompaction(10, 4, 10)).not.toThrow();
  });
});
