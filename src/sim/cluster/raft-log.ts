/**
 * What a member keeps on disk for raft (etcd's WAL): its term, its vote and
 * its log. A crashed member keeps all of it; everything else it rebuilds.
 *
 *   log.append(term 2, cmd)        → index 4
 *   log.matches(3, 1)              → true when entry 3 has term 1
 *   log.appendFrom(3, [e4', e5'])  → a conflicting entry 4 and all after it are replaced
 */
import { assert } from '../../store/assert.ts';
import type { ClusterCommand, LogEntry } from './raft-messages.ts';

export class RaftLog {
  term = 0;
  votedFor: string | undefined;
  /** entries[i] has index i + 1. */
  readonly #entries: LogEntry[] = [];

  get lastIndex(): number {
    return this.#entries.length;
  }

  get lastTerm(): number {
    return this.termAt(this.#entries.length);
  }

  /** The term of entry `index` (0 for index 0, the empty start). */
  termAt(index: number): number {
    if (index === 0) return 0;
    const entry = this.#entries[index - 1];
    assert(entry !== undefined, `no log entry ${index}`);
    return entry.term;
  }

  entry(index: number): LogEntry {
    const entry = this.#entries[index - 1];
    assert(entry !== undefined, `no log entry ${index}`);
    return entry;
  }

  /** Entries from `fromIndex` to the end (at most `max`). */
  slice(fromIndex: number, max: number): LogEntry[] {
    return this.#entries.slice(fromIndex - 1, fromIndex - 1 + max);
  }

  /** Does the log hold entry `index` with term `term`? */
  matches(index: number, term: number): boolean {
    return index <= this.#entries.length && this.termAt(index) === term;
  }

  /** Is a log ending (lastIndex, lastTerm) at least as up to date as this one (raft's vote rule)? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    return lastTerm > this.lastTerm || (lastTerm === this.lastTerm && lastIndex >= this.lastIndex);
  }

  /** The leader appends a new entry in its term. */
  append(term: number, command: ClusterCommand): LogEntry {
    const entry: LogEntry = { term, index: this.#entries.length + 1, command };
    this.#entries.push(entry);
    return entry;
  }

  /** A follower takes the leader's entries after `prevIndex`: the first conflicting entry and all after it go. */
  appendFrom(prevIndex: number, entries: readonly LogEntry[], committedIndex: number): void {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const index = entry.index;
      assert(index === prevIndex + 1 + i, 'entries must be contiguous');
      const existing = this.#entries[index - 1];
      if (existing !== undefined && existing.term === entry.term) continue;
      assert(index > committedIndex, `raft: would overwrite committed entry ${index}`);
      this.#entries.length = index - 1;
      this.#entries.push(entry);
    }
  }
}
