/**
 * Leases ordered by deadline: an indexed binary min-heap on
 * (queuedDeadlineMs, sequence). Each entry remembers its slot, so it can be
 * removed or re-keyed in O(log n) without leaving a stale copy behind.
 *
 *   push(a: 5000/1); push(b: 3000/2); push(c: 5000/3) → peek() = b
 *   b.queuedDeadlineMs = 8000; update(b)               → peek() = a (ties: lower sequence first)
 *   remove(a)                                          → peek() = c
 */
import { assert } from './assert.ts';

/** What the queue needs of an entry; `queueIndex` belongs to the queue (-1 when not queued). */
export interface DeadlineEntry {
  /** The key the entry is ordered by. */
  queuedDeadlineMs: number;
  /** Unique tie-breaker: equal deadlines come out in ascending sequence. */
  readonly sequence: number;
  queueIndex: number;
}

/** Does `a` come before `b`: earlier deadline, then lower sequence. */
export function deadlineBefore(a: DeadlineEntry, b: DeadlineEntry): boolean {
  return a.queuedDeadlineMs < b.queuedDeadlineMs || (a.queuedDeadlineMs === b.queuedDeadlineMs && a.sequence < b.sequence);
}

export class LeaseQueue<T extends DeadlineEntry> {
  #heap: T[] = [];

  get size(): number {
    return this.#heap.length;
  }

  /** The entry with the earliest deadline, or undefined when empty. */
  peek(): T | undefined {
    return this.#heap[0];
  }

  push(entry: T): void {
    assert(entry.queueIndex === -1, 'entry is already queued');
    entry.queueIndex = this.#heap.length;
    this.#heap.push(entry);
    this.#up(entry.queueIndex);
  }

  /** Remove and return the earliest entry. */
  pop(): T | undefined {
    const top = this.#heap[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  remove(entry: T): void {
    const index = entry.queueIndex;
    assert(this.#heap[index] === entry, 'entry is not in this queue');
    const last = this.#heap.pop()!;
    entry.queueIndex = -1;
    if (last === entry) return;
    this.#heap[index] = last;
    last.queueIndex = index;
    this.#fix(index);
  }

  /** Restore order after `entry.queuedDeadlineMs` changed. */
  update(entry: T): void {
    assert(this.#heap[entry.queueIndex] === entry, 'entry is not in this queue');
    this.#fix(entry.queueIndex);
  }

  /** Restore order after many deadlines changed at once: O(n). */
  rebuild(): void {
    for (let i = (this.#heap.length >> 1) - 1; i >= 0; i--) this.#down(i);
  }

  /** Every entry, in any order (do not mutate deadlines while iterating without rebuild()). */
  entries(): readonly T[] {
    return this.#heap;
  }

  /** Every entry, earliest deadline first: O(n log n). */
  sorted(): T[] {
    return this.#heap.slice().sort((a, b) => a.queuedDeadlineMs - b.queuedDeadlineMs || a.sequence - b.sequence);
  }

  /** Check the heap property and the slot indices (for tests). */
  checkValid(): void {
    this.#heap.forEach((entry, i) => {
      assert(entry.queueIndex === i, `entry at ${i} thinks it is at ${entry.queueIndex}`);
      if (i > 0) assert(!deadlineBefore(entry, this.#heap[(i - 1) >> 1]!), `heap order broken at ${i}`);
    });
  }

  #fix(index: number): void {
    if (!this.#up(index)) this.#down(index);
  }

  /** Sift up; returns whether the entry moved. */
  #up(index: number): boolean {
    const heap = this.#heap;
    const entry = heap[index]!;
    let i = index;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!deadlineBefore(entry, parent)) break;
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
    const length = heap.length;
    const entry = heap[index]!;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && deadlineBefore(heap[right]!, heap[left]!)) child = right;
      const smallest = heap[child]!;
      if (!deadlineBefore(smallest, entry)) break;
      heap[i] = smallest;
      smallest.queueIndex = i;
      i = child;
    }
    heap[i] = entry;
    entry.queueIndex = i;
  }
}
