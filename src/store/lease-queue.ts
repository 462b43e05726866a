/**
 * Leases ordered by deadline: the one deadline heap (./deadline-heap.ts) on
 * (queuedDeadlineMs, sequence). Each entry remembers its slot, so it can be
 * removed or re-keyed in O(log n) without leaving a stale copy behind.
 *
 *   push(a: 5000/1); push(b: 3000/2); push(c: 5000/3) → peek() = b
 *   b.queuedDeadlineMs = 8000; update(b)               → peek() = a (ties: lower sequence first)
 *   remove(a)                                          → peek() = c
 */
import { DeadlineHeap, type HeapEntry } from './deadline-heap.ts';

/** What the queue needs of an entry; `queueIndex` belongs to the queue (-1 when not queued). */
export interface DeadlineEntry extends HeapEntry {
  /** The key the entry is ordered by. */
  queuedDeadlineMs: number;
  /** Unique tie-breaker: equal deadlines come out in ascending sequence. */
  readonly sequence: number;
}

/** Does `a` come before `b`: earlier deadline, then lower sequence. */
export function deadlineBefore(a: DeadlineEntry, b: DeadlineEntry): boolean {
  return a.queuedDeadlineMs < b.queuedDeadlineMs || (a.queuedDeadlineMs === b.queuedDeadlineMs && a.sequence < b.sequence);
}

export class LeaseQueue<T extends DeadlineEntry> extends DeadlineHeap<T> {
  constructor() {
    super(deadlineBefore);
  }

  /** Every entry, earliest deadline first: O(n log n). */
  sorted(): T[] {
    return this.entries()
      .slice()
      .sort((a, b) => a.queuedDeadlineMs - b.queuedDeadlineMs || a.sequence - b.sequence);
  }
}
