/**
 * The one deadline heap: an indexed binary min-heap that the virtual clock
 * (timers), the simulator's scheduler (events) and the lessor (lease
 * deadlines) all keep their "what is due next" in. Entries are ordered by
 * `before(a, b)`, in practice (due time, sequence number), so two entries due
 * at the same instant come out in the order they were made. Each entry
 * remembers its slot (`queueIndex`, -1 when not queued), so removing or
 * re-keying one is O(log n) and leaves no stale copy behind.
 *
 *   push(a: 5/1); push(b: 3/2); push(c: 5/3) → peek() = b
 *   b's due time becomes 8; update(b)          → peek() = a (ties: lower sequence first)
 *   remove(a)                                  → peek() = c
 *
 * The order the entries come out in depends only on `before`, never on the
 * heap's shape, so any sequence of pushes, removals and updates pops the
 * same entries in the same order.
 */
import { assert } from './assert.ts';

/** What the heap needs of an entry: its slot, which belongs to the heap (-1 when not queued). */
export interface HeapEntry {
  queueIndex: number;
}

/** An entry ordered by due time, then by sequence number. */
export interface DueEntry extends HeapEntry {
  dueMs: number;
  readonly sequence: number;
}

/** Does `a` come before `b`: earlier due time, then lower sequence. */
export function dueBefore(a: DueEntry, b: DueEntry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
}

export class DeadlineHeap<T extends HeapEntry> {
  readonly #heap: T[] = [];
  readonly #before: (a: T, b: T) => boolean;

  /** @param before - the order: a total order, so that ties cannot depend on the heap's shape. */
  constructor(before: (a: T, b: T) => boolean) {
    this.#before = before;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** The first entry, or undefined when empty. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  push(entry: T): void {
    assert(entry.queueIndex === -1, 'entry is already queued');
    entry.queueIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.queueIndex);
  }

  /** Remove and return the first entry. */
  pop(): T | undefined {
    const top = this.#heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(entry: T): void {
    const index = entry.queueIndex;
    assert(this.#heap[index] === entry, 'entry is not in this heap');
    const last = this.#heap.pop()!;
    entry.queueIndex = -1;
    if (last === entry) return;
    this.#heap[index] = last;
    last.queueIndex = index;
    this.#fix(index);
  }

  /** Restore order after the entry's key changed. */
  update(entry: T): void {
    assert(this.#heap[entry.queueIndex] === entry, 'entry is not in this heap');
    this.#fix(entry.queueIndex);
  }

  /** Restore order after many keys changed at once: O(n). */
  rebuild(): void {
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  /** Every entry, in any order (do not change keys while iterating without rebuild()). */
  entries(): readonly T[] {
    return this.#heap;
  }

  /** Check the heap property and the slot indices (for tests). */
  checkValid(): void {
    const heap = this.#heap;
    for (let i = 0; i < heap.length; i++) {
      const entry = heap[i]!;
      assert(entry.queueIndex === i, `entry at ${i} thinks it is at ${entry.queueIndex}`);
      if (i > 0) assert(!this.#before(entry, heap[(i - 1) >> 1]!), `heap order broken at ${i}`);
    }
  }

  #fix(index: number): void {
    if (!this.#up(index)) this.#down(index);
  }

  /** Sift up; returns whether the entry moved. */
  #up(index: number): boolean {
    const heap = this.#heap;
    const before = this.#before;
    const entry = heap[index]!;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!before(entry, parent)) break;
      heap[i] = parent;
      parent.queueIndex = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.queueIndex = i;
    return i !== index;
  }

  #down(index: number): void {
    const heap = this.#heap;
    const before = this.#before;
    const length = heap.length;
    const entry = heap[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && before(heap[right]!, heap[left]!)) child = right;
      const smallest = heap[child]!;
      if (!before(smallest, entry)) break;
      heap[i] = smallest;
      smallest.queueIndex = i;
      i = child;
    }
    heap[i] = entry;
    entry.queueIndex = i;
  }
}
