import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/store/key-index.ts';
import { packRevision } from '../../src/store/revision.ts';
import { TreeIndex } from '../../src/store/tree-index.ts';

function indexOf(...keys: string[]): TreeIndex {
  const index = new TreeIndex();
  keys.forEach((key, i) => {
    const ki = new KeyIndex(key);
    ki.put(packRevision(i + 2, 0), 'v', 0n);
    index.set(key, ki);
  });
  return index;
}

const visited = (index: TreeIndex, key: string, end: string | undefined, stopAfter = Infinity) => {
  const keys: string[] = [];
  index.visit(key, end, (ki) => {
    keys.push(ki.key);
    return keys.length < stopAfter;
  });
  return keys;
};

describe('TreeIndex', () => {
  it('answers the worked example: visits in key order, range_end exclusive, "" for every key from key on', () => {
    const index = indexOf('a', 'c', 'b');
    expect(visited(index, 'a', 'c')).toEqual(['a', 'b']);
    expect(visited(index, 'b', '')).toEqual(['b', 'c']);
    expect(visited(index, 'b', undefined)).toEqual(['b']);
    expect(visited(index, 'c', 'a')).toEqual([]);
    expect(visited(index, 'd', '')).toEqual([]);
    expect(visited(index, '\0', '', 2)).toEqual(['a', 'b']);
    index.checkValid();
  });

  it('deletes from both the tree and the point lookup', () => {
    const index = indexOf('a', 'b', 'c');
    index.delete('b');
    expect([index.size, index.get('b'), visited(index, 'a', '')]).toEqual([2, undefined, ['a', 'c']]);
    expect([...index.all()].map((ki) => ki.key)).toEqual(['a', 'c']);
    index.checkValid();
  });
});

/** The key's index, made and added when the key is new (as the store's put does). */
function getOrCreate(index: TreeIndex, key: string): KeyIndex {
  let ki = index.get(key);
  if (ki === undefined) index.set(key, (ki = new KeyIndex(key)));
  return ki;
}

// The ordered index takes new keys lazily (hash map at once, tree on the next
// ordered read): ranges and scans still see every key once, in byte order,
// whatever mix of new, replaced, deleted and re-created keys came before.
const keysOf = (index: TreeIndex, from: string, end: string | undefined) => {
  const seen: string[] = [];
  index.visit(from, end, (ki) => void seen.push(ki.key));
  return seen;
};

describe('TreeIndex with lazily ordered new keys', () => {
  it('matches a sorted model through random puts, deletes, re-creates and ranges', () => {
    const index = new TreeIndex();
    const model = new Map<string, KeyIndex>();
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const key = () => String.fromCharCode(97 + random(6), random(3) === 0 ? 0xff : 97 + random(6));
    for (let step = 0; step < 4000; step++) {
      const roll = random(10);
      const k = key();
      if (roll < 5) {
        const ki = getOrCreate(index, k);
        if (!model.has(k)) model.set(k, ki);
        expect(model.get(k)).toBe(ki);
      } else if (roll < 6) {
        const ki = new KeyIndex(k);
        index.set(k, ki);
        model.set(k, ki);
      } else if (roll < 8) {
        index.delete(k);
        model.delete(k);
      } else {
        const from = key();
        const end = random(4) === 0 ? '' : key();
        const expected = [...model.keys()].sort().filter((x) => x >= from && (end === '' || x < end));
        expect(keysOf(index, from, end)).toEqual(end !== '' && end <= from ? [] : expected);
        for (const ki of index.all()) expect(model.get(ki.key)).toBe(ki);
      }
      expect(index.size).toBe(model.size);
    }
    expect([...index.all()].map((ki) => ki.key)).toEqual([...model.keys()].sort());
  });

  it('keys created and deleted with no range in between do not pile up in the pending list', () => {
    const index = new TreeIndex();
    for (let i = 0; i < 50_000; i++) {
      getOrCreate(index, `k${i}`);
      index.delete(`k${i}`);
    }
    const pending = (index as unknown as { pending: string[] }).pending;
    expect(pending.length).toBeLessThanOrEqual(4097);
    getOrCreate(index, 'a');
    expect([...index.all()].map((ki) => ki.key)).toEqual(['a']);
  });
});
