// Range (src/store/kv-store-range.ts) against the etcd semantics (docs/etcd-semantics.md), items 22–29.
import { describe, expect, it } from 'vitest';
import { goSort } from '../../src/store/go-sort.ts';
import type { RangeRequest } from '../../src/store/messages.ts';
import { b, keysOf, kv, newStore, s } from './kv-fixtures.ts';

describe('KvStore: range', () => {
  it('#22 delete ranges over foo, foo/abc, fop', () => {
    const fresh = () => {
      const { store } = newStore();
      for (const k of ['foo', 'foo/abc', 'fop']) store.put({ key: b(k), value: b('bar') });
      return store;
    };
    const left = (store: ReturnType<typeof fresh>) => keysOf(store.range({ key: b('\0'), range_end: b('\0') }).kvs);
    let store = fresh();
    expect(store.deleteRange({ key: b('foo/'), range_end: b('fop') }).deleted).toBe(1);
    expect(left(store)).toEqual(['foo', 'fop']);
    expect(store.deleteRange({ key: b('foo/'), range_end: b('foo/') }).deleted).toBe(0);
    store = fresh();
    expect(store.deleteRange({ key: b('fo'), range_end: b('fop') }).deleted).toBe(2);
    expect(left(store)).toEqual(['fop']);
    store = fresh();
    expect(store.deleteRange({ key: b('foo/'), range_end: b('fos') }).deleted).toBe(2);
    expect(left(store)).toEqual(['foo']);
    store = fresh();
    const d = store.deleteRange({ key: b('foo/abc'), prev_kv: true });
    expect(d.deleted).toBe(1);
    expect(d.prev_kvs.map(kv)).toEqual([{ key: 'foo/abc', value: 'bar', create: 3, mod: 3, version: 1, lease: 0n }]);
    expect(d.header.revision).toBe(store.range({ key: b('foo') }).header.revision);
  });

  it('#23 single and multiple keys', () => {
    let { store } = newStore();
    store.put({ key: b('foo'), value: b('bar') });
    store.put({ key: b('bar'), value: b('bar') });
    expect(keysOf(store.range({ key: b('foo') }).kvs)).toEqual(['foo']);
    expect(store.range({ key: b('foo') }).count).toBe(1);
    expect(store.range({ key: b('baz') })).toEqual({ header: { revision: 3 }, kvs: [], more: false, count: 0 });
    ({ store } = newStore());
    for (const k of 'abcde') store.put({ key: b(k), value: b('bar') });
    const r = (key: string, end: string) => store.range({ key: b(key), range_end: b(end) });
    expect(keysOf(r('a', 'z').kvs)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(keysOf(r('b', 'd').kvs)).toEqual(['b', 'c']);
    expect(r('f', 'z').kvs).toEqual([]);
    expect(r('c', 'c')).toEqual({ header: { revision: 6 }, kvs: [], more: false, count: 0 });
    expect(r('d', 'b').kvs).toEqual([]);
    expect(keysOf(r('\0', '\0').kvs)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('#24 revisions', () => {
    const { store } = newStore();
    for (const k of 'abcde') store.put({ key: b(k), value: b('bar') });
    const at = (revision: number) => store.range({ key: b('a'), range_end: b('z'), revision });
    expect(at(0).kvs).toHaveLength(5);
    expect(at(1)).toEqual({ header: { revision: 6 }, kvs: [], more: false, count: 0 });
    expect(keysOf(at(2).kvs)).toEqual(['a']);
    expect(keysOf(at(3).kvs)).toEqual(['a', 'b']);
  });

  it('#25 limit and more', () => {
    const { store } = newStore();
    for (const k of 'abc') store.put({ key: b(k), value: b('bar') });
    const lim = (limit: number) => store.range({ key: b('a'), range_end: b('z'), limit });
    expect([keysOf(lim(1).kvs), lim(1).more, lim(1).count]).toEqual([['a'], true, 3]);
    expect([keysOf(lim(2).kvs), lim(2).more]).toEqual([['a', 'b'], true]);
    expect(lim(3).more).toBe(false);
    expect(lim(4).more).toBe(false);
  });

  it('#26 sorting, including NONE with another target', () => {
    const { store } = newStore();
    for (const k of ['b', 'a', 'c', 'd', 'c']) store.put({ key: b(k), value: b('bar') });
    const all = (extra: Partial<RangeRequest>) => store.range({ key: b('a'), range_end: b('z'), ...extra });
    let r = all({ sort_order: 'ASCEND', sort_target: 'KEY', limit: 1 });
    expect([keysOf(r.kvs), r.more, r.count]).toEqual([['a'], true, 4]);
    expect(keysOf(all({ sort_order: 'DESCEND', sort_target: 'KEY', limit: 1 }).kvs)).toEqual(['d']);
    expect(keysOf(all({ sort_order: 'ASCEND', sort_target: 'CREATE', limit: 1 }).kvs)).toEqual(['b']);
    expect(keysOf(all({ sort_order: 'DESCEND', sort_target: 'MOD', limit: 1 }).kvs)).toEqual(['c']);
    r = store.range({ key: b('z'), range_end: b('z'), sort_order: 'DESCEND', sort_target: 'CREATE' });
    expect([r.kvs, r.more, r.count]).toEqual([[], false, 0]);
    r = all({ sort_order: 'NONE', sort_target: 'CREATE', limit: 10 });
    expect([keysOf(r.kvs), r.more]).toEqual([['b', 'a', 'c', 'd'], false]);
  });

  it('NONE with a target sorts only the first limit+1 keys (etcd quirk)', () => {
    const { store } = newStore();
    for (const k of ['d', 'c', 'b', 'a']) store.put({ key: b(k), value: b('v') });
    // create: d=2 c=3 b=4 a=5; key order a b c d; first 3 keys a,b,c sorted by create → c,b,a; cut to 2
    const r = store.range({ key: b('a'), range_end: b('z'), sort_target: 'CREATE', limit: 2 });
    expect([keysOf(r.kvs), r.more, r.count]).toEqual([['c', 'b'], true, 4]);
    // a true top-2 by create would be d, c
    expect(keysOf(store.range({ key: b('a'), range_end: b('z'), sort_order: 'ASCEND', sort_target: 'CREATE', limit: 2 }).kvs)).toEqual(['d', 'c']);
  });

  it('ties sort by ascending key, ascending and descending', () => {
    const { store } = newStore();
    for (const k of ['c', 'a', 'b']) store.put({ key: b(k), value: b('same') });
    for (const order of ['ASCEND', 'DESCEND'] as const) {
      expect(keysOf(store.range({ key: b('a'), range_end: b('z'), sort_order: order, sort_target: 'VALUE' }).kvs)).toEqual(['a', 'b', 'c']);
      expect(keysOf(store.range({ key: b('a'), range_end: b('z'), sort_order: order, sort_target: 'VERSION' }).kvs)).toEqual(['a', 'b', 'c']);
    }
  });

  it('sorted ties come back in Go sort.Sort order, for small ranges (insertion sort) and large ones (pdqsort)', () => {
    // Values from a small alphabet and versions 1-3 tie often; goSort (checked against Go in go-sort.slow.test.ts)
    // on the matches in key order is the reference, for sizes either side of Go's insertion-sort threshold (12).
    let x = 7;
    const next = (below: number) => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x % below;
    };
    for (const size of [2, 3, 5, 11, 12, 13, 20, 40]) {
      const { store } = newStore();
      const keys = Array.from({ length: size }, (_, i) => `k${String(i).padStart(3, '0')}`);
      const values = keys.map(() => `v${next(3)}`);
      const versions = keys.map(() => 1 + next(3));
      // puts in a shuffled order, so create and mod revisions differ from key order
      const order = keys.map((_, i) => i).sort(() => next(3) - 1);
      for (const i of order) for (let v = 0; v < versions[i]!; v++) store.put({ key: b(keys[i]!), value: b(values[i]!) });
      for (const [target, field] of [
        ['VALUE', values],
        ['VERSION', versions],
      ] as const) {
        for (const descend of [false, true]) {
          const reference = keys.map((_, i) => i);
          const at = (i: number) => field[reference[i]!]!;
          goSort(
            size,
            (i, j) => (descend ? at(j) < at(i) : at(i) < at(j)),
            (i, j) => {
              [reference[i], reference[j]] = [reference[j]!, reference[i]!];
            },
          );
          const sort_order = descend ? 'DESCEND' : 'ASCEND';
          const r = store.range({ key: b('k'), range_end: b('l'), sort_order, sort_target: target });
          expect(keysOf(r.kvs), `size ${size} ${target} ${sort_order}`).toEqual(reference.map((i) => keys[i]));
          const top = store.range({ key: b('k'), range_end: b('l'), sort_order, sort_target: target, limit: 1 });
          expect([keysOf(top.kvs), top.more, top.count]).toEqual([[keys[reference[0]!]], true, size]);
        }
      }
    }
  });

  it('#27 min/max mod revision; count ignores the filters', () => {
    const { store } = newStore();
    for (let i = 2; i <= 6; i++) store.put({ key: b(`rev${i}`), value: b('bar') });
    const all = (extra: Partial<RangeRequest>) => store.range({ key: b('\0'), range_end: b('\0'), ...extra });
    expect(keysOf(all({ min_mod_revision: 3 }).kvs)).toEqual(['rev3', 'rev4', 'rev5', 'rev6']);
    expect(keysOf(all({ max_mod_revision: 3 }).kvs)).toEqual(['rev2', 'rev3']);
    expect(keysOf(all({ min_mod_revision: 3, max_mod_revision: 5 }).kvs)).toEqual(['rev3', 'rev4', 'rev5']);
    expect(all({ max_mod_revision: 10 }).kvs).toHaveLength(5);
    for (const extra of [{ min_mod_revision: 3 }, { max_mod_revision: 3 }]) expect(all(extra).count).toBe(5);
  });

  it('#28 min/max create revision', () => {
    const { store } = newStore();
    for (const k of ['rev2', 'rev3', 'rev2', 'rev2', 'rev6', 'rev3']) store.put({ key: b(k), value: b('bar') });
    const all = (extra: Partial<RangeRequest>) => store.range({ key: b('\0'), range_end: b('\0'), ...extra });
    expect(keysOf(all({ min_create_revision: 3 }).kvs)).toEqual(['rev3', 'rev6']);
    expect(keysOf(all({ max_create_revision: 3 }).kvs)).toEqual(['rev2', 'rev3']);
    expect(keysOf(all({ min_create_revision: 3, max_create_revision: 5 }).kvs)).toEqual(['rev3']);
    expect(all({ max_create_revision: 10 }).kvs).toHaveLength(3);
    expect(all({ min_create_revision: 3 }).count).toBe(3);
  });

  it('#29 delete with ranges, from-key and prefix', () => {
    const fresh = () => {
      const { store } = newStore();
      for (const k of ['a', 'b', 'c', 'c/abc', 'd']) store.put({ key: b(k), value: b('bar') });
      return store;
    };
    const left = (store: ReturnType<typeof fresh>) => keysOf(store.range({ key: b('\0'), range_end: b('\0') }).kvs);
    let store = fresh();
    store.deleteRange({ key: b('a'), range_end: b('c') });
    expect(left(store)).toEqual(['c', 'c/abc', 'd']);
    store = fresh();
    store.deleteRange({ key: b('c'), range_end: b('\0') });
    expect(left(store)).toEqual(['a', 'b']);
    store = fresh();
    store.deleteRange({ key: b('c'), range_end: b('d') });
    expect(left(store)).toEqual(['a', 'b', 'd']);
    store = fresh();
    store.deleteRange({ key: b('\0'), range_end: b('\0') });
    expect(left(store)).toEqual([]);
  });

  it('keys_only, count_only, bytes order', () => {
    const { store } = newStore();
    store.put({ key: b('z'), value: b('1') });
    store.put({ key: b('é'), value: b('2') });
    const r = store.range({ key: b('a'), range_end: b('\0'), keys_only: true });
    expect(r.kvs.map(kv)).toEqual([
      { key: 'z', value: '', create: 2, mod: 2, version: 1, lease: 0n },
      { key: 'é', value: '', create: 3, mod: 3, version: 1, lease: 0n },
    ]);
    expect(store.range({ key: b('a'), range_end: b('\0'), count_only: true })).toEqual({ header: { revision: 3 }, kvs: [], more: false, count: 2 });
    expect(store.range({ key: b('a'), range_end: b('\0'), serializable: true }).count).toBe(2);
  });

  it('responses never share bytes with the store', () => {
    const { store } = newStore();
    const value = b('abc');
    store.put({ key: b('k'), value });
    value[0] = 0x7a;
    const got = store.range({ key: b('k') }).kvs[0]!;
    expect(s(got.value)).toBe('abc');
    got.value[0] = 0x79;
    expect(s(store.range({ key: b('k') }).kvs[0]!.value)).toBe('abc');
  });
});
