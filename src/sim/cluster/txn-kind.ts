/**
 * Which txns etcd serves as reads (etcdserver/v3_server.go Txn): a txn whose
 * every op, in both branches, is a range is read-only and takes the read
 * path (isTxnReadonly: a nested txn is not a range, so a txn holding one goes
 * through raft even when it only reads); it is serializable when every op is
 * a range that asks to be.
 */
import type { RequestOp, TxnRequest } from '../../store/messages.ts';

function ops(txn: TxnRequest): RequestOp[] {
  return [...(txn.success ?? []), ...(txn.failure ?? [])];
}

export function isTxnReadOnly(txn: TxnRequest): boolean {
  return ops(txn).every((op) => op.request_range != null);
}

export function isTxnSerializable(txn: TxnRequest): boolean {
  return ops(txn).every((op) => op.request_range?.serializable === true);
}
