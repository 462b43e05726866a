/**
 * Range: the read side of the KV store (etcd's kvstore_txn.go rangeKeys with
 * apply.go's Range: revision checks, limit, filters, sort, keys_only and
 * count_only), over a TreeIndex at one revision.
 *
 *   range a..c @5 limit 1  → the first live key at revision 5, more: true,
 *                            count: every live key in [a, c) at 5
 *
 * It builds KeyValues only for what it returns; `kvAt` and `tombstoneKv`
 * are the one way the store turns an index entry into a KeyValue.
 */
import { type BinaryKey, emptyBytes, fromBinary, toBinary } from './bytes.ts';
import { CompactedError, FutureRevisionError } from './errors.ts';
import { goSort } from './go-sort.ts';
import type { KeyIndex } from './key-index.ts';
import { rangeEndOf } from './key-range.ts';
import type { KeyValue, LeaseId, RangeRequest, RangeResponse } from './messages.ts';
import { mainOf } from './revision.ts';
import type { TreeIndex } from './tree-index.ts';

const noLease: LeaseId = 0n;

/**
 * The live entries a range matched, as parallel arrays, kept from call to
 * call: ranges run one at a time and to the end, so one set of arrays and
 * one bound visitor serve them all, and a small read (the Mutex's "owner"
 * and "waiter ahead", a handful of keys) allocates nothing until its
 * response. `clear` drops the references once the response is built.
 */
class RangeMatches {
  readonly kis: (KeyIndex | undefined)[] = [];
  readonly ats: number[] = [];
  length = 0;
  /** Every live key in the range, the limit aside (the response's count). */
  count = 0;
  #rev = 0;
  #fetchLimit = 0;
  #countOnly = false;

  start(rev: number, fetchLimit: number, countOnly: boolean): void {
    this.length = 0;
    this.count = 0;
    this.#rev = rev;
    this.#fetchLimit = fetchLimit;
    this.#countOnly = countOnly;
  }

  /** Count the key if it is live at the revision, and keep it while under the fetch limit. */
  readonly consider = (_key: BinaryKey, ki: KeyIndex): void => {
    const i = ki.indexAt(this.#rev);
    if (i < 0 || ki.valueAt(i) === null) return;
    this.count++;
    if (this.#countOnly) return;
    const n = this.length;
    if (this.#fetchLimit <= 0 || n < this.#fetchLimit) {
      this.kis[n] = ki;
      this.ats[n] = i;
      this.length = n + 1;
    }
  };

  /** Each match's numeric sort target while sorting (filled by insertionSortMatches). */
  readonly sortValues: number[] = [];

  /** Exchange matches i and j (with their sort values). */
  swap(i: number, j: number): void {
    const { kis, ats, sortValues } = this;
    const ki = kis[i];
    kis[i] = kis[j];
    kis[j] = ki;
    const at = ats[i]!;
    ats[i] = ats[j]!;
    ats[j] = at;
    const value = sortValues[i]!;
    sortValues[i] = sortValues[j]!;
    sortValues[j] = value;
  }

  clear(): void {
    const kis = this.kis;
    // A big range's arrays go (they would hold their size forever); a small one's stay for the next call.
    if (kis.length > keptMatchesMax) {
      kis.length = 0;
      this.ats.length = 0;
      this.sortValues.length = 0;
    } else for (let j = 0; j < this.length; j++) kis[j] = undefined;
    this.length = 0;
  }
}

/** Matches arrays longer than this are dropped after the call instead of kept for the next. */
const keptMatchesMax = 64;
const scratch = new RangeMatches();

/**
 * etcd's apply.go Range over mvcc rangeKeys: `curRev` is the revision of the
 * view read (the store's, or a write txn's own view), `compactRev` the
 * compaction revision.
 *
 * The hot path of every read: it runs etcd's eight steps
 * (docs/etcd-semantics.md §2.3) in one pass over the reused parallel arrays
 * of RangeMatches, with no closure or intermediate KeyValue per match.
 */
export function rangeAt(index: TreeIndex, r: RangeRequest, curRev: number, compactRev: number): RangeResponse {
  const requested = r.revision ?? 0;
  if (requested > curRev) throw new FutureRevisionError();
  const rev = requested <= 0 ? curRev : requested;
  if (rev < compactRev) throw new CompactedError();

  const key = toBinary(r.key!);
  const end = rangeEndOf(r.range_end);
  const requestLimit = r.limit ?? 0;
  const sortOrder0 = r.sort_order ?? 'NONE';
  const sortTarget = r.sort_target ?? 'KEY';
  const minMod = r.min_mod_revision ?? 0;
  const maxMod = r.max_mod_revision ?? 0;
  const minCreate = r.min_create_revision ?? 0;
  const maxCreate = r.max_create_revision ?? 0;
  const countOnly = r.count_only === true;
  const keysOnly = r.keys_only === true;

  let fetchLimit = requestLimit;
  if (sortOrder0 !== 'NONE' || minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0) fetchLimit = 0;
  if (fetchLimit > 0) fetchLimit += 1;

  // Matches are (key index, entry) pairs until the end: filtering, sorting
  // and the limit work on them, and only the KeyValues returned are built
  // (each holds two fresh byte arrays).
  const matches = scratch;
  matches.start(rev, fetchLimit, countOnly);
  if (end === undefined) {
    // one key: no tree walk
    const ki = index.get(key);
    if (ki !== undefined) matches.consider(key, ki);
  } else index.scan(key, end, matches.consider);
  const { kis, ats, count } = matches;

  let n = matches.length;
  if (maxMod !== 0 || minMod !== 0 || maxCreate !== 0 || minCreate !== 0) {
    let kept = 0;
    for (let j = 0; j < n; j++) {
      const ki = kis[j]!;
      const i = ats[j]!;
      const mod = mainOf(ki.revAt(i));
      const create = ki.createAt(i);
      if (maxMod !== 0 && mod > maxMod) continue;
      if (minMod !== 0 && mod < minMod) continue;
      if (maxCreate !== 0 && create > maxCreate) continue;
      if (minCreate !== 0 && create < minCreate) continue;
      kis[kept] = ki;
      ats[kept] = i;
      kept++;
    }
    n = kept;
  }

  let sortOrder = sortOrder0;
  if (sortTarget !== 'KEY' && sortOrder === 'NONE') sortOrder = 'ASCEND';
  let order: number[] | undefined;
  // An unknown sort_order (a number) sorts nothing, as etcd's switch does.
  if ((sortOrder === 'ASCEND' || sortOrder === 'DESCEND') && n > 1) {
    if (n <= goInsertionSortMax) insertionSortMatches(matches, n, sortTarget, sortOrder === 'DESCEND');
    else order = sortedOrder(kis, ats, n, sortTarget, sortOrder === 'DESCEND');
  }

  let more = false;
  if (requestLimit > 0 && n > requestLimit) {
    n = requestLimit;
    more = true;
  }
  // keys_only sorted by value sorts by the real values, then empties them: the same as building them empty.
  const kvs: KeyValue[] = new Array<KeyValue>(n);
  for (let j = 0; j < n; j++) {
    const at = order === undefined ? j : order[j]!;
    kvs[j] = kvAt(kis[at]!, ats[at]!, keysOnly);
  }
  matches.clear();
  return { header: { revision: curRev }, kvs, more, count };
}

export function kvAt(ki: KeyIndex, i: number, emptyValue: boolean): KeyValue {
  return {
    key: fromBinary(ki.key),
    create_revision: ki.createAt(i),
    mod_revision: mainOf(ki.revAt(i)),
    version: ki.versionAt(i),
    value: emptyValue ? emptyBytes : fromBinary(ki.valueAt(i)!),
    lease: ki.leaseAt(i),
  };
}

export function tombstoneKv(key: BinaryKey, main: number): KeyValue {
  return { key: fromBinary(key), create_revision: 0, mod_revision: main, version: 0, value: emptyBytes, lease: noLease };
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Go's sort.Sort orders this many elements or fewer by insertion sort alone (pdqsort's maxInsertion). */
const goInsertionSortMax = 12;

/** Match a against match b by the sort target: negative, zero or positive. */
function compareMatches(target: NonNullable<RangeRequest['sort_target']>, ka: KeyIndex, ia: number, kb: KeyIndex, ib: number): number {
  switch (target) {
    case 'KEY':
      return compareStrings(ka.key, kb.key);
    case 'VERSION':
      return ka.versionAt(ia) - kb.versionAt(ib);
    case 'CREATE':
      return ka.createAt(ia) - kb.createAt(ib);
    case 'MOD':
      return mainOf(ka.revAt(ia)) - mainOf(kb.revAt(ib));
    case 'VALUE':
      return compareStrings(ka.valueAt(ia)!, kb.valueAt(ib)!);
  }
}

/**
 * Sort the first n matches in place, as Go's sort.Sort sorts up to
 * goInsertionSortMax elements: its insertion sort, the same comparisons and
 * swaps (so the same order of ties), on the arrays themselves, with no
 * closure or permutation array. A numeric target is read once per match
 * (a create revision is a search in the key's generations), not per comparison.
 */
function insertionSortMatches(matches: RangeMatches, n: number, target: NonNullable<RangeRequest['sort_target']>, descend: boolean): void {
  const { kis, ats } = matches;
  const values = matches.sortValues;
  if (target === 'KEY' || target === 'VALUE') {
    for (let j = 0; j < n; j++) values[j] = 0; // swapped along, unread
    for (let i = 1; i < n; i++) {
      for (let j = i; j > 0; j--) {
        const c = compareMatches(target, kis[j]!, ats[j]!, kis[j - 1]!, ats[j - 1]!);
        if (!(descend ? c > 0 : c < 0)) break;
        matches.swap(j, j - 1);
      }
    }
    return;
  }
  for (let j = 0; j < n; j++) values[j] = numericTarget(target, kis[j]!, ats[j]!);
  for (let i = 1; i < n; i++) {
    for (let j = i; j > 0; j--) {
      const c = values[j]! - values[j - 1]!;
      if (!(descend ? c > 0 : c < 0)) break;
      matches.swap(j, j - 1);
    }
  }
}

/** A match's numeric sort target (an unknown target: 0 for all, so nothing moves, as compareMatches). */
function numericTarget(target: NonNullable<RangeRequest['sort_target']>, ki: KeyIndex, i: number): number {
  switch (target) {
    case 'VERSION':
      return ki.versionAt(i);
    case 'CREATE':
      return ki.createAt(i);
    case 'MOD':
      return mainOf(ki.revAt(i));
    default:
      return 0;
  }
}

/**
 * The order (indices into the first n matches) sorted by the target, ascending or
 * descending, as etcd sorts: Go 1.19's sort.Sort (not stable) over the
 * matches in key order, with sort.Reverse for DESCEND, so ties come out in
 * etcd's order. Binary strings compare as their bytes do.
 */
function sortedOrder(kis: (KeyIndex | undefined)[], ats: number[], n: number, target: NonNullable<RangeRequest['sort_target']>, descend: boolean): number[] {
  const order = new Array<number>(n);
  for (let j = 0; j < n; j++) order[j] = j;
  const byTarget = (a: number, b: number): number => compareMatches(target, kis[a]!, ats[a]!, kis[b]!, ats[b]!);
  const less = descend ? (i: number, j: number) => byTarget(order[j]!, order[i]!) < 0 : (i: number, j: number) => byTarget(order[i]!, order[j]!) < 0;
  goSort(n, less, (i, j) => {
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  });
  return order;
}
