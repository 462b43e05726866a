import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { type Linked, LinkedList } from '../../src/store/linked-list.ts';

interface Node extends Linked<Node> {
  id: number;
}

const node = (id: number): Node => ({ id, prev: undefined, next: undefined, linked: false });
const ids = (list: LinkedList<Node>): number[] => list.toArray().map((n) => n.id);

describe('LinkedList', () => {
  it('answers the worked example', () => {
    const list = new LinkedList<Node>();
    const [a, b] = [node(1), node(2)];
    list.add(a);
    list.add(b);
    expect(list.remove(a)).toBe(true);
    expect([ids(list), list.size, list.has(a), list.has(b)]).toEqual([[2], 1, false, true]);
    expect(list.remove(a)).toBe(false);
    list.add(a); // a removed node can come back, at the end
    expect(ids(list)).toEqual([2, 1]);
    list.clear();
    expect([ids(list), list.size, a.linked, b.linked]).toEqual([[], 0, false, false]);
  });

  it('keeps insertion order as a Set does, over random adds and removes', () => {
    const random = seedrandom('linked-list');
    const nodes = Array.from({ length: 20 }, (_, i) => node(i));
    const list = new LinkedList<Node>();
    const set = new Set<Node>();
    for (let step = 0; step < 2000; step++) {
      const n = nodes[Math.floor(random() * nodes.length)]!;
      if (set.has(n)) expect(list.remove(n)).toBe(set.delete(n));
      else {
        list.add(n);
        set.add(n);
      }
      expect(list.size).toBe(set.size);
    }
    expect(ids(list)).toEqual([...set].map((n) => n.id));
  });
});
