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
 * values, leases), allocated only once a key has two entries: a key's only
 * entry lives in fields, read through revAt/valueAt either way. A tombstone is
 * a `null` value, and a generation starts at
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

export class KeyIndex {
  readonly key: BinaryKey;
  /** Number of entries. */
  count = 0;
  /**
   * The only entry's revision while count <= 1 (most keys never get a second one).
   * Starts as -0, a double, never read while count is 0: packed revisions pass a
   * small integer's range (2^31) at main revision 512, and a field that started
   * as one would change representation mid-run, deoptimizing every function
   * that reads a KeyIndex in a process's first run.
   */
  private rev0: PackedRevision = -0;
  /** The only entry's value while count <= 1; null marks a tombstone. */
  private value0: string | null = null;
  /** Packed revisions, strictly ascending; allocated only once there are two entries. */
  private revs: PackedRevision[] | undefined = undefined;
  /** The value each revision wrote (null marks a tombstone); allocated with `revs`. */
  private values: (string | null)[] | undefined = undefined;
  /** The lease each revision wrote; undefined while every lease is 0. */
  leases: LeaseId[] | undefined = undefined;
  /** Create revision (main) of the generation holding entry 0. */
  headCreate = 0;
  /** Version of entry 0. */
  headVersion = 0;
  /** Indices > 0 where a generation starts (right after a tombstone); undefined while there is none. */
  generationStarts: number[] | undefined = undefined;

  constructor(key: BinaryKey) {
    this.key = key;
  }

  /**
   * Rebuild a key's history from a dump (a snapshot): entries ascending, the
   * first one possibly a tombstone (compaction keeps one at its revision),
   * with the create revision and version of entry 0 as dumped.
   */
  static restore(
    key: BinaryKey,
    entries: readonly { revision: PackedRevision; value: string | null; lease: LeaseId }[],
    headCreate: number,
    headVersion: number,
  ): KeyIndex {
    const ki = new KeyIndex(key);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (i === 0) {
        ki.rev0 = entry.revision;
        ki.value0 = entry.value;
        ki.count = 1;
      } else {
        assert(entry.revision > ki.revAt(i - 1), 'key index: revisions must grow');
        ki.append(entry.revision, entry.value);
      }
      if (ki.leases !== undefined) ki.leases.push(entry.lease);
      else if (entry.lease !== noLease) {
        ki.leases = new Array<LeaseId>(i).fill(noLease);
        ki.leases.push(entry.lease);
      }
    }
    ki.headCreate = headCreate;
    ki.headVersion = headVersion;
    return ki;
  }

  get length(): number {
    return this.count;
  }

  revAt(i: number): PackedRevision {
    const revs = this.revs;
    return revs === undefined ? this.rev0 : revs[i]!;
  }

  /** The value entry `i` wrote; null for a tombstone. */
  valueAt(i: number): string | null {
    const values = this.values;
    return values === undefined ? this.value0 : values[i]!;
  }

  /** Every revision, ascending (a copy, for dumps and tests). */
  revisions(): PackedRevision[] {
    return this.revs !== undefined ? this.revs.slice() : this.count === 0 ? [] : [this.rev0];
  }

  /** Does the key exist after its latest revision? */
  isLive(): boolean {
    const n = this.count;
    return n > 0 && this.valueAt(n - 1) !== null;
  }

  put(revision: PackedRevision, value: string, lease: LeaseId): void {
    const n = this.count;
    assert(n === 0 || revision > this.revAt(n - 1), 'key index: revisions must grow');
    if (n === 0) {
      this.headCreate = mainOf(revision);
      this.headVersion = 1;
      // No arrays: most keys keep one revision.
      this.rev0 = revision;
      this.value0 = value;
      this.count = 1;
      if (lease !== noLease) this.leases = [lease];
      return;
    }
    this.append(revision, value);
    if (this.leases !== undefined) this.leases.push(lease);
    else if (lease !== noLease) {
      this.leases = new Array<LeaseId>(n).fill(noLease);
      this.leases.push(lease);
    }
  }

  private append(revision: PackedRevision, value: string | null): void {
    const n = this.count;
    if (this.valueAt(n - 1) === null) (this.generationStarts ??= []).push(n);
    if (n === 1) {
      // Exactly sized (a key put twice, or put and deleted, is common).
      this.revs = [this.rev0, revision];
      this.values = [this.value0, value];
      this.rev0 = 0;
      this.value0 = null;
    } else {
      this.revs!.push(revision);
      this.values!.push(value);
    }
    this.count = n + 1;
  }

  tombstone(revision: PackedRevision): void {
    const n = this.count;
    assert(this.isLive(), 'key index: tombstone of a key that does not exist');
    assert(revision > this.revAt(n - 1), 'key index: revisions must grow');
    this.append(revision, null);
    if (this.leases !== undefined) this.leases.push(noLease);
  }

  /** Index of the latest revision with main <= `main`, or -1. */
  indexAt(main: number): number {
    const limit = lastOfMain(main);
    const revs = this.revs;
    if (revs === undefined) return this.count === 0 || this.rev0 > limit ? -1 : 0;
    let hi = revs.length - 1;
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
    if (revs === undefined) return this.count !== 0 && this.rev0 === revision ? 0 : -1;
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
    return start === 0 ? this.headCreate : mainOf(this.revAt(start));
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
    if (j < 0) return this.count === 0;
    let drop: number;
    if (mainOf(this.revAt(j)) === atMain) {
      drop = this.indexAt(atMain - 1) + 1;
    } else {
      drop = this.valueAt(j) === null ? j + 1 : j;
    }
    if (drop === 0) return false;
    if (drop === this.count) {
      this.count = 0;
      this.rev0 = 0;
      this.value0 = null;
      this.revs = undefined;
      this.values = undefined;
      this.leases = undefined;
      this.generationStarts = undefined;
      return true;
    }
    const create = this.createAt(drop);
    const version = this.versionAt(drop);
    const left = this.count - drop;
    if (left === 1) {
      // Back to no arrays.
      this.rev0 = this.revs![drop]!;
      this.value0 = this.values![drop]!;
      this.revs = undefined;
      this.values = undefined;
    } else {
      // Fresh, exactly sized arrays: splice would keep the old backing store's capacity.
      this.revs = this.revs!.slice(drop);
      this.values = this.values!.slice(drop);
    }
    this.count = left;
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

  /**
   * Check the representation (for tests): revisions strictly ascending, the
   * arrays exactly as long as the entries (none while there is one), no two
   * tombstones in a row (entry 0 may be one, kept by compaction), a
   * generation start right after every tombstone and nowhere else, tombstones
   * with no lease, and a create revision and version for entry 0.
   */
  checkValid(): void {
    const n = this.count;
    assert(n >= 0, `key index ${this.key}: negative count`);
    if (n <= 1) assert(this.revs === undefined && this.values === undefined, `key index ${this.key}: arrays with ${n} entries`);
    else
      assert(
        this.revs?.length === n && this.values?.length === n,
        `key index ${this.key}: arrays of ${this.revs?.length}/${this.values?.length} for ${n} entries`,
      );
    assert(this.leases === undefined || this.leases.length === n, `key index ${this.key}: ${this.leases?.length} leases for ${n} entries`);
    const starts = this.generationStarts ?? [];
    assert(this.generationStarts === undefined || starts.length > 0, `key index ${this.key}: empty generation starts`);
    let expectedStarts = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0) assert(this.revAt(i) > this.revAt(i - 1), `key index ${this.key}: revision ${i} does not grow`);
      const tombstone = this.valueAt(i) === null;
      if (tombstone) {
        assert(i === 0 || this.valueAt(i - 1) !== null, `key index ${this.key}: two tombstones in a row at ${i}`);
        assert(this.leaseAt(i) === noLease, `key index ${this.key}: tombstone ${i} with a lease`);
      }
      if (i > 0 && this.valueAt(i - 1) === null) {
        assert(starts[expectedStarts] === i, `key index ${this.key}: no generation start after the tombstone at ${i - 1}`);
        expectedStarts++;
      }
    }
    assert(expectedStarts === starts.length, `key index ${this.key}: ${starts.length} generation starts, ${expectedStarts} tombstones before a put`);
    if (n > 0) {
      assert(this.headVersion >= 1 && this.headCreate >= 1, `key index ${this.key}: entry 0 has version ${this.headVersion}, create ${this.headCreate}`);
      assert(this.headCreate <= mainOf(this.revAt(0)), `key index ${this.key}: created at ${this.headCreate} after its first entry`);
    }
  }
}
