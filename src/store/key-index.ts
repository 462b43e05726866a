/**
 * The history of one key: every revision that changed it, with the value and
 * lease each put wrote, grouped in generations (etcd's keyIndex,
 * server/mvcc/key_index.go). A generation runs from the put that created the
 * key to the delete (tombstone) that ended it; a later put starts a new one
 * with version 1 and a new create revision.
 *
 * etcd's worked example, revisions written main.sub:
 *
 *   put(1.0); put(2.0); tombstone(3.0); put(4.0); tombstone(5.0)
 *   generations: {empty} {4.0, 5.0(t)} {1.0, 2.0, 3.0(t)}
 *
 *   compact(2): keeps 2.0 (the state at 2) and later → {empty} {4.0 5.0(t)} {2.0 3.0(t)}
 *   compact(4): the first generation ended before 4 → {empty} {4.0 5.0(t)}
 *   compact(5): a tombstone exactly at the compaction revision is kept (so a
 *               watch from 5 still sees the delete) → {empty} {5.0(t)}
 *   compact(6): → {} and the key leaves the index.
 *
 * Here the generations are flattened into parallel arrays (packed revisions,
 * values, leases); a tombstone is a `null` value, and a generation starts at
 * index 0 or right after a tombstone. `headCreate`/`headVersion` remember the
 * create revision and version of the entry at index 0, since compaction may
 * have dropped the start of its generation.
 *
 * Reads at the latest revision (the common case) only look at the last entry.
 */
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';
import type { LeaseId } from './messages.ts';
import { lastOfMain, mainOf, type PackedRevision } from './revision.ts';

const noLease: LeaseId = 0n;
// Shared by every KeyIndex without entries: never written to (put replaces
// them with exactly sized arrays; tombstone needs a live key).
const noRevs: PackedRevision[] = [];
const noValues: (string | null)[] = [];

export class KeyIndex {
  readonly key: BinaryKey;
  /** Packed revisions, strictly ascending. */
  revs: PackedRevision[] = noRevs;
  /** The value each revision wrote; null marks a tombstone. */
  values: (string | null)[] = noValues;
  /** The lease each revision wrote; undefined while every lease is 0. */
  leases: LeaseId[] | undefined = undefined;
  /** Create revision (main) of the generation holding revs[0]. */
  headCreate = 0;
  /** Version of revs[0]. */
  headVersion = 0;
  /** Indices > 0 where a generation starts (right after a tombstone); undefined while there is none. */
  generationStarts: number[] | undefined = undefined;

  constructor(key: BinaryKey) {
    this.key = key;
  }

  get length(): number {
    return this.revs.length;
  }

  /** Does the key exist after its latest revision? */
  isLive(): boolean {
    const n = this.revs.length;
    return n > 0 && this.values[n - 1] !== null;
  }

  lastRevision(): PackedRevision {
    const n = this.revs.length;
    return n === 0 ? 0 : this.revs[n - 1]!;
  }

  put(revision: PackedRevision, value: string, lease: LeaseId): void {
    const n = this.revs.length;
    assert(n === 0 || revision > this.revs[n - 1]!, 'key index: revisions must grow');
    if (n === 0) {
      this.headCreate = mainOf(revision);
      this.headVersion = 1;
      // Exactly sized: most keys keep one revision, and push onto an empty
      // array reserves room for 17.
      this.revs = [revision];
      this.values = [value];
      if (lease !== noLease) this.leases = [lease];
      return;
    }
    if (this.values[n - 1] === null) (this.generationStarts ??= []).push(n);
    if (n === 1) {
      // Still exactly sized (a key put twice, or put and deleted, is common).
      this.revs = [this.revs[0]!, revision];
      this.values = [this.values[0]!, value];
      if (this.leases !== undefined) this.leases = [this.leases[0]!, lease];
      else if (lease !== noLease) this.leases = [noLease, lease];
      return;
    }
    this.revs.push(revision);
    this.values.push(value);
    if (this.leases !== undefined) this.leases.push(lease);
    else if (lease !== noLease) {
      this.leases = new Array<LeaseId>(n).fill(noLease);
      this.leases.push(lease);
    }
  }

  tombstone(revision: PackedRevision): void {
    const n = this.revs.length;
    assert(this.isLive(), 'key index: tombstone of a key that does not exist');
    assert(revision > this.revs[n - 1]!, 'key index: revisions must grow');
    this.revs.push(revision);
    this.values.push(null);
    if (this.leases !== undefined) this.leases.push(noLease);
  }

  /** Index of the latest revision with main <= `main`, or -1. */
  indexAt(main: number): number {
    const revs = this.revs;
    const limit = lastOfMain(main);
    let hi = revs.length - 1;
    if (hi < 0) return -1;
    if (revs[hi]! <= limit) return hi;
    let lo = 0;
    if (revs[0]! > limit) return -1;
    // invariant: revs[lo] <= limit < revs[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (revs[mid]! <= limit) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  /** Index of exactly this revision, or -1. */
  indexOf(revision: PackedRevision): number {
    const revs = this.revs;
    let lo = 0;
    let hi = revs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = revs[mid]!;
      if (r === revision) return mid;
      if (r < revision) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Index where the generation holding entry `i` starts. */
  private generationStartOf(i: number): number {
    const starts = this.generationStarts;
    if (starts === undefined) return 0;
    for (let g = starts.length - 1; g >= 0; g--) if (starts[g]! <= i) return starts[g]!;
    return 0;
  }

  createAt(i: number): number {
    const start = this.generationStartOf(i);
    return start === 0 ? this.headCreate : mainOf(this.revs[start]!);
  }

  versionAt(i: number): number {
    const start = this.generationStartOf(i);
    return start === 0 ? this.headVersion + i : i - start + 1;
  }

  leaseAt(i: number): LeaseId {
    return this.leases === undefined ? noLease : this.leases[i]!;
  }

  /**
   * Drop what no read at `atMain` or later and no watch from `atMain` needs:
   * every entry below `atMain` except the latest one when it is a put (the
   * key's state at `atMain`). Entries at `atMain` itself stay, tombstones
   * included. Returns true when nothing is left.
   */
  compact(atMain: number): boolean {
    const j = this.indexAt(atMain);
    if (j < 0) return this.revs.length === 0;
    let drop: number;
    if (mainOf(this.revs[j]!) === atMain) {
      drop = this.indexAt(atMain - 1) + 1;
    } else {
      drop = this.values[j] === null ? j + 1 : j;
    }
    if (drop === 0) return false;
    if (drop === this.revs.length) {
      this.revs = noRevs;
      this.values = noValues;
      this.leases = undefined;
      this.generationStarts = undefined;
      return true;
    }
    const create = this.createAt(drop);
    const version = this.versionAt(drop);
    // Fresh, exactly sized arrays: splice would keep the old backing store's capacity.
    this.revs = this.revs.slice(drop);
    this.values = this.values.slice(drop);
    if (this.leases !== undefined) {
      this.leases = this.leases.slice(drop);
      if (this.leases.every((lease) => lease === noLease)) this.leases = undefined;
    }
    if (this.generationStarts !== undefined) {
      const starts = this.generationStarts.map((s) => s - drop).filter((s) => s > 0);
      this.generationStarts = starts.length === 0 ? undefined : starts;
    }
    this.headCreate = create;
    this.headVersion = version;
    return false;
  }
}
