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
