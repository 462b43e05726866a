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
 * etcd's apply.go Range over mvcc rangeKeys: `curRev` is the revision of the
 * view read (the store's, or a write txn's own view), `compactRev` the
 * compaction revision.
 *
 * Long on purpose: it is the hot path of every read, and it runs etcd's
 * eight steps (docs/etcd-semantics.md §2.3) in one pass over parallel arrays,
 * with no closure or intermediate KeyValue per match.
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
  const kis: KeyIndex[] = [];
  const ats: number[] = [];
  let count = 0;
  if (end === undefined) {
    // one key: no visitor closure on the hot path
    const ki = index.get(key);
    const i = ki === undefined ? -1 : ki.indexAt(rev);
    if (i >= 0 && ki!.valueAt(i) !== null) {
      count = 1;
      if (!countOnly) {
        kis.push(ki!);
        ats.push(i);
      }
    }
  } else
    index.visit(key, end, (ki) => {
      const i = ki.indexAt(rev);
      if (i < 0 || ki.valueAt(i) === null) return;
      count++;
      if (countOnly) return;
      if (fetchLimit <= 0 || kis.length < fetchLimit) {
        kis.push(ki);
        ats.push(i);
      }
    });

  let n = kis.length;
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
    n = kis.length = ats.length = kept;
  }

  let sortOrder = sortOrder0;
  if (sortTarget !== 'KEY' && sortOrder === 'NONE') sortOrder = 'ASCEND';
  let order: number[] | undefined;
  // An unknown sort_order (a number) sorts nothing, as etcd's switch does.
  if ((sortOrder === 'ASCEND' || sortOrder === 'DESCEND') && n > 1) order = sortedOrder(kis, ats, sortTarget, sortOrder === 'DESCEND');

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

/**
 * The order (indices into the matches) sorted by the target, ascending or
 * descending, as etcd sorts: Go 1.19's sort.Sort (not stable) over the
 * matches in key order, with sort.Reverse for DESCEND, so ties come out in
 * etcd's order. Binary strings compare as their bytes do.
 */
function sortedOrder(kis: KeyIndex[], ats: number[], target: NonNullable<RangeRequest['sort_target']>, descend: boolean): number[] {
  const order = new Array<number>(kis.length);
  for (let j = 0; j < order.length; j++) order[j] = j;
  const byTarget = (a: number, b: number): number => {
    const ka = kis[a]!;
    const kb = kis[b]!;
    const ia = ats[a]!;
    const ib = ats[b]!;
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
  };
  const less = descend ? (i: number, j: number) => byTarget(order[j]!, order[i]!) < 0 : (i: number, j: number) => byTarget(order[i]!, order[j]!) < 0;
  goSort(order.length, less, (i, j) => {
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  });
  return order;
}
