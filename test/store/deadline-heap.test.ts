import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { DeadlineHeap, dueBefore, type DueEntry } from '../../src/store/deadline-heap.ts';

const entry = (dueMs: number, sequence: number): DueEntry => ({ dueMs, sequence, queueIndex: -1 });

describe('DeadlineHeap', () => {
  it('answers the worked example', () => {
    const heap = new DeadlineHeap<DueEntry>(dueBefore);
    const [a, b, c] = [entry(5, 1), entry(3, 2), entry(5, 3)];
    for (const e of [a, b, c]) heap.push(e);
    expect(heap.peek()).toBe(b);
    b.dueMs = 8;
    heap.update(b);
    expect(heap.peek()).toBe(a);
    heap.remove(a);
    expect([a.queueIndex, heap.peek()]).toEqual([-1, c]);
    expect(() => heap.push(c)).toThrow('entry is already queued');
    expect(() => heap.remove(a)).toThrow('entry is not in this heap');
  });

  it('pops in (due, sequence) order whatever the pushes, removals and updates before', () => {
    for (const seed of ['1', '2', '3']) {
      const random = seedrandom(seed);
      const heap = new DeadlineHeap<DueEntry>(dueBefore);
      const live: DueEntry[] = [];
      for (let step = 0; step < 3000; step++) {
        const choice = random.double();
        if (choice < 0.45 || live.length === 0) {
          const e = entry(Math.floor(random.double() * 100), step);
          heap.push(e);
          live.push(e);
        } else if (choice < 0.65) {
          const e = live[Math.floor(random.double() * live.length)]!;
          e.dueMs = Math.floor(random.double() * 100);
          heap.update(e);
        } else if (choice < 0.8) {
          const index = Math.floor(random.double() * live.length);
          heap.remove(live[index]!);
          live.splice(index, 1);
        } else {
          const want = [...live].sort((x, y) => x.dueMs - y.dueMs || x.sequence - y.sequence)[0];
          expect(heap.pop()).toBe(want);
          live.splice(live.indexOf(want!), 1);
        }
        heap.checkValid();
        expect(heap.size).toBe(live.length);
      }
      // rebuild after changing every key at once
      for (const e of live) e.dueMs = Math.floor(random.double() * 100);
      heap.rebuild();
      heap.checkValid();
      const order = [...live].sort((x, y) => x.dueMs - y.dueMs || x.sequence - y.sequence);
      expect(Array.from({ length: live.length }, () => heap.pop())).toEqual(order);
    }
  });
});
