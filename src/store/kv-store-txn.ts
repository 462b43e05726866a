/**
 * The txn engine (etcd's apply.go applyTxn over kvstore_txn.go): decide the
 * whole path of taken branches on the pre-txn snapshot, check every op on
 * it, then apply the branches in one write.
 *
 *   txn if version(a) = 0 then put a=1 else get a
 *     path [true]  → checks: the put's lease exists … → apply: put a=1
 *
 * A request that fails a check has changed nothing. The store owns the write
 * (revisions, leases, watchers) and hands its puts, deletes and in-write
 * reads over as a `TxnWriter`.
 */
import { assert } from './assert.ts';
import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseNotFoundError } from './errors.ts';
import type { KeyIndex } from './key-index.ts';
import { inRange, rangeEndOf } from './key-range.ts';
import type { LeaseDirectory } from './kv-contract.ts';
import { toBinary } from './bytes.ts';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseId,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './messages.ts';
import { mainOf } from './revision.ts';
import type { TreeIndex } from './tree-index.ts';
import { type CompareOperand, compareHolds, compareOperand } from './txn-compare.ts';

const noLease: LeaseId = 0n;

/** The store's side of a txn's write: each op applied inside the write in progress. */
export interface TxnWriter {
  /** A read that sees the write's own changes once it made one. */
  range(request: RangeRequest): RangeResponse;
  put(request: PutRequest): PutResponse;
  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse;
}

/**
 * Check a txn's ops on the path it will take, before anything changes: puts
 * (ignore_value/ignore_lease keys live, leases exist) unless read-only, then
 * ranges (revisions neither compacted nor in the future).
 */
export function checkTxnOps(
  index: TreeIndex,
  leases: LeaseDirectory,
  r: TxnRequest,
  path: boolean[],
  readOnly: boolean,
  currentRev: number,
  compactRev: number,
): void {
  if (!readOnly) {
    let ignores = false;
    checkRequests(r, path, 0, (op) => {
      if (checkTxnPut(index, leases, op)) ignores = true;
    });
    if (ignores) checkIgnoredKeysSurvive(r, path);
  }
  checkRequests(r, path, 0, (op) => checkTxnRange(op, currentRev, compactRev));
}

/** etcd's compareToPath: whether this txn succeeds, then the same for each nested txn of the taken branch, depth first. */
export function compareToPath(index: TreeIndex, r: TxnRequest, path: boolean[]): void {
  const compares = r.compare;
  let succeeded = true;
  if (compares != null) for (let i = 0; i < compares.length && succeeded; i++) succeeded = compare(index, compares[i]!);
  path.push(succeeded);
  for (const op of (succeeded ? r.success : r.failure) ?? []) if (op.request_txn != null) compareToPath(index, op.request_txn, path);
}

/**
 * etcd's checkRequests: visit the ops of the taken branches, consuming
 * `path` exactly as etcd slices it (txnPath[1:], then txnPath[txns+1:]).
 * Returns how many nested txns it went through.
 */
export function checkRequests(r: TxnRequest, path: boolean[], at: number, check: (op: RequestOp) => void): number {
  const taken = path[at];
  assert(taken !== undefined, 'txn path too short');
  let cursor = at;
  let txns = 0;
  for (const op of (taken ? r.success : r.failure) ?? []) {
    if (op.request_txn != null) {
      const nested = checkRequests(op.request_txn, path, cursor + 1, check);
      txns += nested + 1;
      cursor += nested + 1;
      continue;
    }
    check(op);
  }
  return txns;
}

/** Check a put of the path; returns whether it ignores its value or lease (then checkIgnoredKeysSurvive has work). */
function checkTxnPut(index: TreeIndex, leases: LeaseDirectory, op: RequestOp): boolean {
  const p = op.request_put;
  if (p == null) return false;
  const ignores = p.ignore_value === true || p.ignore_lease === true;
  if (ignores) {
    const ki = index.get(toBinary(p.key!));
    if (ki === undefined || !ki.isLive()) throw new KeyNotFoundError();
  }
  const lease = p.lease ?? noLease;
  if (lease !== noLease && !leases.exists(lease)) throw new LeaseNotFoundError();
  return ignores;
}

function checkTxnRange(op: RequestOp, currentRev: number, compactRev: number): void {
  const range = op.request_range;
  if (range == null) return;
  const rev = range.revision ?? 0;
  if (rev === 0) return;
  if (rev > currentRev) throw new FutureRevisionError();
  if (rev < compactRev) throw new CompactedError();
}

/**
 * An ignore_value/ignore_lease put whose key an earlier op of the same txn
 * deleted (possible only through etcd's from-key duplicate-check quirk)
 * makes etcd panic mid-apply. Here it fails up front with "key not found",
 * leaving the store unchanged.
 */
function checkIgnoredKeysSurvive(r: TxnRequest, path: boolean[]): void {
  const ops: RequestOp[] = [];
  checkRequests(r, path, 0, (op) => ops.push(op));
  for (let p = 0; p < ops.length; p++) {
    const put = ops[p]!.request_put;
    if (put == null || (put.ignore_value !== true && put.ignore_lease !== true)) continue;
    const key = toBinary(put.key!);
    let live = true; // checkTxnPut saw it live in the snapshot
    for (let q = 0; q < p; q++) {
      const op = ops[q]!;
      if (op.request_put != null && toBinary(op.request_put.key!) === key) live = true;
      const d = op.request_delete_range;
      if (d != null && inRange(key, toBinary(d.key!), rangeEndOf(d.range_end))) live = false;
    }
    if (!live) throw new KeyNotFoundError();
  }
}

/** etcd's applyTxn (with newTxnResponse): run the taken branch; nested headers carry revision 0. */
export function applyTxn(writer: TxnWriter, r: TxnRequest, path: boolean[], at: number): { response: TxnResponse; txns: number } {
  const succeeded = path[at]!;
  const responses: ResponseOp[] = [];
  let cursor = at;
  let txns = 0;
  for (const op of (succeeded ? r.success : r.failure) ?? []) {
    if (op.request_range != null) {
      responses.push({ response_range: writer.range(op.request_range) });
    } else if (op.request_put != null) {
      responses.push({ response_put: writer.put(op.request_put) });
    } else if (op.request_delete_range != null) {
      responses.push({ response_delete_range: writer.deleteRange(op.request_delete_range) });
    } else if (op.request_txn != null) {
      const nested = applyTxn(writer, op.request_txn, path, cursor + 1);
      responses.push({ response_txn: nested.response });
      txns += nested.txns + 1;
      cursor += nested.txns + 1;
    }
  }
  return { response: { header: { revision: 0 }, succeeded, responses }, txns };
}

/** etcd's applyCompare: every live key in the range must match; no key → the zero KV (VALUE: false). */
function compare(index: TreeIndex, c: Compare): boolean {
  const target = c.target ?? 'VERSION';
  const result = c.result ?? 'EQUAL';
  const operand = compareOperand(c);
  const key = toBinary(c.key!);
  const end = rangeEndOf(c.range_end);
  if (end === undefined) {
    // one key, as most compares: no visitor closure
    const ki = index.get(key);
    if (ki?.isLive()) return compareHolds(result, comparedField(target, ki, ki.count - 1), operand);
    return target === 'VALUE' ? false : compareHolds(result, comparedField(target, undefined, -1), operand);
  }
  let any = false;
  let all = true;
  index.visit(key, end, (ki) => {
    if (!ki.isLive()) return;
    any = true;
    if (!compareHolds(result, comparedField(target, ki, ki.count - 1), operand)) {
      all = false;
      return false;
    }
  });
  if (!any) return target === 'VALUE' ? false : compareHolds(result, comparedField(target, undefined, -1), operand);
  return all;
}

/** The key's field a compare reads (the zero KV's when `ki` is undefined; an unknown target's: 0, as its operand). */
function comparedField(target: NonNullable<Compare['target']>, ki: KeyIndex | undefined, i: number): CompareOperand {
  switch (target) {
    case 'VALUE':
      return ki === undefined ? '' : ki.valueAt(i)!;
    case 'CREATE':
      return ki === undefined ? 0 : ki.createAt(i);
    case 'MOD':
      return ki === undefined ? 0 : mainOf(ki.revAt(i));
    case 'VERSION':
      return ki === undefined ? 0 : ki.versionAt(i);
    case 'LEASE':
      return ki === undefined ? noLease : ki.leaseAt(i);
    default:
      return 0;
  }
}
