/**
 * etcd's checks of a TxnRequest before it reaches raft (v3rpc/key.go), and
 * the shape of its execution path (apply.go), kept apart from the store.
 *
 * - `checkTxn`: at most txnOpsMax compares / success ops / failure ops; a
 *   nested txn gets the budget its parent left (128 - parent's largest list);
 *   empty keys; a RequestOp with nothing set is "etcdserver: key not found".
 * - `checkDuplicateKeys` (etcd's checkIntervals), for success and failure
 *   separately: a key put twice, or put and covered by a delete, in one branch
 *   (nested txns included) is "duplicate key given in txn request":
 *
 *     [put abc, put abc]                               → duplicate
 *     [put abc, delete [a,b)]                          → duplicate
 *     [txn{then put abc else put abc}, delete [abb,abc)] → ok
 *     [delete a "\0" (from-key), put b]                → ok (etcd's quirk:
 *         a from-key range_end "\0" is compared raw, so it overlaps nothing)
 *
 * - `isReadOnly` (etcd's isTxnReadonly): a txn whose branches only hold
 *   ranges; a nested txn, even one that only reads, makes it a write (so it
 *   goes through raft and its request size limit).
 */
import { type BinaryKey, toBinary } from './bytes.ts';
import { DuplicateKeyError, KeyNotFoundError, KeyNotProvidedError, TooManyOpsError } from './errors.ts';
import { txnOpsMax } from './limits.ts';
import type { RequestOp, TxnRequest } from './messages.ts';
import { checkDeleteRange, checkPut, checkRange } from './validate.ts';

export function checkTxn(request: TxnRequest, opsMax: number = txnOpsMax): void {
  const compare = request.compare ?? [];
  const success = request.success ?? [];
  const failure = request.failure ?? [];
  const opc = Math.max(compare.length, success.length, failure.length);
  if (opc > opsMax) throw new TooManyOpsError();
  for (const c of compare) if (c.key == null || c.key.length === 0) throw new KeyNotProvidedError();
  for (const op of success) checkRequestOp(op, opsMax - opc);
  for (const op of failure) checkRequestOp(op, opsMax - opc);
}

function checkRequestOp(op: RequestOp, opsMax: number): void {
  if (op.request_range != null) checkRange(op.request_range);
  else if (op.request_put != null) checkPut(op.request_put);
  else if (op.request_delete_range != null) checkDeleteRange(op.request_delete_range);
  else if (op.request_txn != null) checkTxn(op.request_txn, opsMax);
  else throw new KeyNotFoundError();
}

/**
 * A key interval as etcd's adt.StringAffineInterval: [begin, end) where an
 * empty end is +infinity; a single key is [k, k + "\0").
 */
interface Interval {
  begin: BinaryKey;
  end: BinaryKey;
}

/** adt.StringAffineComparable: '' sorts after everything. */
function compareAffine(a: BinaryKey, b: BinaryKey): number {
  if (a.length === 0) return b.length === 0 ? 0 : 1;
  if (b.length === 0) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** adt.Interval.Compare === 0: do the intervals overlap (by etcd's definition)? */
function overlaps(a: Interval, b: Interval): boolean {
  if (compareAffine(a.begin, b.begin) < 0 && compareAffine(a.end, b.begin) <= 0) return false;
  if (compareAffine(a.begin, b.end) >= 0) return false;
  return true;
}

function pointOf(key: BinaryKey): Interval {
  return { begin: key, end: `${key}\0` };
}

function hitsDelete(deletes: Interval[], key: BinaryKey): boolean {
  if (deletes.length === 0) return false;
  const point = pointOf(key);
  for (const d of deletes) if (overlaps(point, d)) return true;
  return false;
}

interface BranchKeys {
  puts: Set<BinaryKey>;
  deletes: Interval[];
}

function checkIntervals(ops: RequestOp[]): BranchKeys {
  const deletes: Interval[] = [];
  for (const op of ops) {
    const d = op.request_delete_range;
    if (d == null) continue;
    const key = toBinary(d.key!);
    const end = d.range_end;
    deletes.push(end != null && end.length !== 0 ? { begin: key, end: toBinary(end) } : pointOf(key));
  }
  const puts = new Set<BinaryKey>();
  for (const op of ops) {
    const t = op.request_txn;
    if (t == null) continue;
    const then = checkIntervals(t.success ?? []);
    const otherwise = checkIntervals(t.failure ?? []);
    for (const key of then.puts) {
      if (puts.has(key) || hitsDelete(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if (puts.has(key) && !then.puts.has(key)) throw new DuplicateKeyError();
      if (hitsDelete(deletes, key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    deletes.push(...then.deletes, ...otherwise.deletes);
  }
  for (const op of ops) {
    const p = op.request_put;
    if (p == null) continue;
    const key = toBinary(p.key!);
    if (puts.has(key) || hitsDelete(deletes, key)) throw new DuplicateKeyError();
    puts.add(key);
  }
  return { puts, deletes };
}

export function checkDuplicateKeys(request: TxnRequest): void {
  if (mayRepeatKeys(request.success)) checkIntervals(request.success ?? []);
  if (mayRepeatKeys(request.failure)) checkIntervals(request.failure ?? []);
}

/** A branch of at most one put and no delete or nested txn (the usual one) cannot repeat a key: nothing to check. */
function mayRepeatKeys(ops: RequestOp[] | undefined): boolean {
  if (ops == null) return false;
  let puts = 0;
  for (const op of ops) {
    if (op.request_delete_range != null || op.request_txn != null) return true;
    if (op.request_put != null && ++puts > 1) return true;
  }
  return false;
}

export function isReadOnly(request: TxnRequest): boolean {
  const only = (ops: RequestOp[] | undefined): boolean => (ops ?? []).every((op) => op.request_range != null);
  return only(request.success) && only(request.failure);
}
