/**
 * Compaction (etcd's kvstore_compaction.go with the index's compact): drop
 * every revision a read at or after `rev` can no longer see.
 *
 *   a: put@2 put@3 del@4 put@5   compact 4 → a: put@5 (del@4 was the newest
 *                                 at 4 and is a tombstone: gone with it)
 *   b: put@2                     compact 4 → b: put@2 (still the newest at 4)
 *
 * Only keys the change log names between the previous compaction and `rev`
 * can hold history `rev` makes useless (everything older was trimmed then),
 * so compaction walks that part of the log, not every key.
 */
import type { BinaryKey } from './bytes.ts';
import { CompactedError, FutureRevisionError } from './errors.ts';
import type { TreeIndex } from './tree-index.ts';

/** log[i]: the keys revision logStart + i changed, in sub-revision order (one key or several). */
export type ChangeLog = (BinaryKey | BinaryKey[])[];

/** etcd's compact checks: `rev` must be above the last compaction and not in the future. */
export function checkCompaction(rev: number, compactRev: number, currentRev: number): void {
  if (rev <= compactRev) throw new CompactedError();
  if (rev > currentRev) throw new FutureRevisionError();
}

/**
 * Trim every key the log names up to `rev` and drop keys left without
 * history; returns the log from `rev` on (with its first revision).
 */
export function compactHistory(index: TreeIndex, log: ChangeLog, logStart: number, rev: number): { log: ChangeLog; logStart: number } {
  for (let main = logStart; main <= rev; main++) {
    const entry = log[main - logStart]!;
    if (typeof entry === 'string') compactKey(index, entry, rev);
    else for (const key of entry) compactKey(index, key, rev);
  }
  if (rev <= logStart) return { log, logStart };
  return { log: log.slice(rev - logStart), logStart: rev };
}

function compactKey(index: TreeIndex, key: BinaryKey, rev: number): void {
  if (index.get(key)?.compact(rev)) index.delete(key);
}
