// Which txns a member serves as reads, as etcd 3.4.23 decides (etcdserver/v3_server.go Txn): read-only
// when every op of both branches is a range (a nested txn is not a range: it goes through raft, even
// when it only reads), serializable when every op is a range that asks to be.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isTxnReadOnly, isTxnSerializable } from '../../../src/sim/cluster/txn-kind.ts';
import { utf8 } from '../../../src/store/bytes.ts';
import type { RequestOp, TxnRequest } from '../../../src/store/messages.ts';

const range = (serializable = false): RequestOp => ({ request_range: { key: utf8('k'), serializable } });
const put: RequestOp = { request_put: { key: utf8('k'), value: utf8('v') } };
const del: RequestOp = { request_delete_range: { key: utf8('k') } };
const nested = (txn: TxnRequest): RequestOp => ({ request_txn: txn });

describe('txn kinds', () => {
  it('read-only: ranges only, in both branches; an empty txn is too', () => {
    expect(isTxnReadOnly({})).toBe(true);
    expect(isTxnReadOnly({ success: [range(), range(true)], failure: [range()] })).toBe(true);
    expect(isTxnReadOnly({ success: [range()], failure: [put] })).toBe(false);
    expect(isTxnReadOnly({ success: [del] })).toBe(false);
  });

  it('a nested txn, even one that only reads, and an op with no request make it a write (raft)', () => {
    expect(isTxnReadOnly({ success: [nested({ success: [range()] })] })).toBe(false);
    expect(isTxnReadOnly({ failure: [range(), {}] })).toBe(false);
  });

  it('serializable: every op a range asking to be', () => {
    expect(isTxnSerializable({})).toBe(true);
    expect(isTxnSerializable({ success: [range(true)], failure: [range(true)] })).toBe(true);
    expect(isTxnSerializable({ success: [range(true)], failure: [range(false)] })).toBe(false);
    expect(isTxnSerializable({ success: [nested({ success: [range(true)] })] })).toBe(false);
  });

  const v3Server = '/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/v3_server.go';
  it.skipIf(!existsSync(v3Server))(`is etcd's rule (${v3Server})`, () => {
    const source = readFileSync(v3Server, 'utf8');
    // isTxnReadonly: each op of each branch must be a RequestRange
    expect(source).toMatch(
      /func isTxnReadonly\(r \*pb\.TxnRequest\) bool \{\n\tfor _, u := range r\.Success \{\n\t\tif r := u\.GetRequestRange\(\); r == nil \{\n\t\t\treturn false/,
    );
    expect(source).toMatch(
      /func isTxnSerializable\(r \*pb\.TxnRequest\) bool \{\n\tfor _, u := range r\.Success \{\n\t\tif r := u\.GetRequestRange\(\); r == nil \|\| !r\.Serializable \{/,
    );
    // and Txn proposes through raft whatever is not read-only
    expect(source).toContain('\tif isTxnReadonly(r) {\n\t\tif !isTxnSerializable(r) {\n\t\t\terr := s.linearizableReadNotify(ctx)');
  });
});
