/**
 * Which txns etcd serves as reads (etcdserver/v3_server.go Txn): a txn with
 * no put or delete in any branch, however nested, is read-only and takes
 * the read path; it is serializable when every op in it is a range that asks to be.
 */
import type { RequestOp, TxnRequest } from '../../store/messages.ts';

function ops(txn: TxnRequest): RequestOp[] {
  return [...(txn.success ?? []), ...(txn.failure ?? [])];
}

export function isTxnReadOnly(txn: TxnRequest): boolean {
  return ops(txn).every(
    (op) => op.request_put === undefined && op.request_delete_range === undefined && (op.request_txn === undefined || isTxnReadOnly(op.request_txn)),
  );
}

export function isTxnSerializable(txn: TxnRequest): boolean {
  return ops(txn).every((op) => op.request_range?.serializable === true);
}
