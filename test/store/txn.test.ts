// etcd's pre-raft checks of a TxnRequest (src/store/txn.ts) on their own, against the Go sources
// of etcd 3.4.23: checkTxnRequest / checkRequestOp / checkIntervals in etcdserver/api/v3rpc/key.go,
// isTxnReadonly in etcdserver/v3_server.go, the messages in etcdserver/api/v3rpc/rpctypes/error.go.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { DuplicateKeyError, GrpcCode, KeyNotFoundError, KeyNotProvidedError, TooManyOpsError } from '../../src/store/errors.ts';
import { txnOpsMax } from '../../src/store/limits.ts';
import type { RequestOp, TxnRequest } from '../../src/store/messages.ts';
import { checkDuplicateKeys, checkTxn, isReadOnly } from '../../src/store/txn.ts';

const get = (key: string): RequestOp => ({ request_range: { key: utf8(key) } });
const put = (key: string): RequestOp => ({ request_put: { key: utf8(key), value: utf8('v') } });
const del = (key: string, end?: string): RequestOp => ({ request_delete_range: { key: utf8(key), ...(end === undefined ? {} : { range_end: utf8(end) }) } });
const txn = (success: RequestOp[], failure: RequestOp[] = []): RequestOp => ({ request_txn: { success, failure } });
const puts = (count: number, prefix = 'k'): RequestOp[] => Array.from({ length: count }, (_, i) => put(`${prefix}${i}`));
const compares = (count: number) => Array.from({ length: count }, (_, i) => ({ key: utf8(`c${i}`), version: 0 }));

/** The error a check throws, or 'ok'. */
function outcome(check: () => void): string {
  try {
    check();
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('checkTxn', () => {
  it("allows etcd's default --max-txn-ops (128) per list and refuses one more", () => {
    // embed/config.go: DefaultMaxTxnOps = 128; each of compare, success, failure counts on its own.
    expect(txnOpsMax).toBe(128);
    expect(outcome(() => checkTxn({ compare: compares(128), success: puts(128), failure: puts(128) }))).toBe('ok');
    for (const request of [{ compare: compares(129) }, { success: puts(129) }, { failure: puts(129) }] as TxnRequest[])
      expect(() => checkTxn(request)).toThrow(TooManyOpsError);
    expect(outcome(() => checkTxn({ success: puts(3) }, 2))).toBe('etcdserver: too many operations in txn request');
  });

  it('gives a nested txn the budget its parent left: max minus the longest of the parent lists', () => {
    // key.go: checkRequestOp(u, maxTxnOps-opc) for each op of both branches.
    const nested = (size: number): TxnRequest => ({ compare: compares(100), success: [txn(puts(size, 'n'))] });
    expect(outcome(() => checkTxn(nested(28)))).toBe('ok');
    expect(() => checkTxn(nested(29))).toThrow(TooManyOpsError);
    // Budgets shrink level by level: 10 - 2 leaves 8 for level two, 8 - 5 leaves 3 for level three.
    const threeLevels = (size: number): TxnRequest => ({ success: [txn([txn(puts(size, 'z')), ...puts(4, 'y')]), put('x')] });
    expect(outcome(() => checkTxn(threeLevels(3), 10))).toBe('ok');
    expect(() => checkTxn(threeLevels(4), 10)).toThrow(TooManyOpsError);
  });

  it('refuses a compare with an empty or missing key as etcd does (key is not provided)', () => {
    for (const compare of [{ key: new Uint8Array(0) }, {}]) {
      expect(() => checkTxn({ compare: [compare] })).toThrow(KeyNotProvidedError);
      expect(outcome(() => checkTxn({ compare: [compare] }))).toBe('etcdserver: key is not provided');
    }
    // The op count is checked before any key: too many empty compares is "too many operations".
    expect(() => checkTxn({ compare: Array.from({ length: 129 }, () => ({})) })).toThrow(TooManyOpsError);
  });

  it('checks each op as its own request would be, in either branch and inside nested txns', () => {
    const emptyKey = new Uint8Array(0);
    for (const op of [{ request_range: { key: emptyKey } }, { request_put: { key: emptyKey } }, { request_delete_range: { key: emptyKey } }] as RequestOp[]) {
      expect(() => checkTxn({ success: [op] })).toThrow(KeyNotProvidedError);
      expect(() => checkTxn({ failure: [get('a'), op] })).toThrow(KeyNotProvidedError);
      expect(() => checkTxn({ success: [txn([], [op])] })).toThrow(KeyNotProvidedError);
    }
  });

  it('calls an op with nothing set "key not found" (INVALID_ARGUMENT), at any depth', () => {
    // key.go checkRequestOp's default case: empty op / nil entry → ErrGRPCKeyNotFound.
    expect(() => checkTxn({ success: [{}] })).toThrow(KeyNotFoundError);
    expect(() => checkTxn({ failure: [txn([txn([{}])])] })).toThrow(KeyNotFoundError);
    const error = (() => {
      try {
        checkTxn({ success: [{}] });
      } catch (caught) {
        return caught as KeyNotFoundError;
      }
    })();
    expect([error?.code, error?.message]).toEqual([GrpcCode.INVALID_ARGUMENT, 'etcdserver: key not found']);
  });

  it('accepts an empty txn and one of plain valid ops', () => {
    expect(outcome(() => checkTxn({}))).toBe('ok');
    expect(outcome(() => checkTxn({ compare: compares(1), success: [get('a'), put('b'), del('c', 'd')], failure: [txn([get('x')])] }))).toBe('ok');
  });
});

describe('checkDuplicateKeys (etcd checkIntervals)', () => {
  const check = (success: RequestOp[], failure: RequestOp[] = []) => outcome(() => checkDuplicateKeys({ success, failure }));
  const duplicate = 'etcdserver: duplicate key given in txn request';

  it('refuses a key put twice in one branch, but not once in each branch', () => {
    expect(check([put('abc'), put('abc')])).toBe(duplicate);
    expect(check([], [put('abc'), get('x'), put('abc')])).toBe(duplicate);
    expect(check([put('abc')], [put('abc')])).toBe('ok');
    expect(check([put('abc'), put('abd'), get('abc'), get('abc')])).toBe('ok');
    expect(() => checkDuplicateKeys({ success: [put('a'), put('a')] })).toThrow(DuplicateKeyError);
  });

  it('refuses a put a delete of the same branch covers, the delete range being [key, range_end)', () => {
    expect(check([put('abc'), del('a', 'b')])).toBe(duplicate);
    expect(check([del('a', 'b'), put('abc')])).toBe(duplicate); // order does not matter: deletes are gathered first
    expect(check([put('b'), del('a', 'b')])).toBe('ok'); // range_end is exclusive
    expect(check([put('a'), del('a', 'b')])).toBe(duplicate); // the start is inclusive
    expect(check([put('abc'), del('abc')])).toBe(duplicate); // no range_end: the single key
    expect(check([put('abcd'), del('abc')])).toBe('ok');
    expect(check([del('a', 'z'), del('b', 'c')])).toBe('ok'); // deletes may overlap each other
  });

  it('compares a from-key range_end "\\0" raw, so such a delete overlaps no put (an etcd quirk)', () => {
    // adt.NewStringAffineInterval(key, "\x00"): its end sorts before its begin, so Intersects finds nothing.
    expect(check([del('a', '\0'), put('b')])).toBe('ok');
    expect(check([del('a', '\0'), put('a')])).toBe('ok');
    // An empty end in an interval is +infinity, but etcd never builds one from a request: an empty range_end is a point.
    expect(check([del('a', ''), put('b')])).toBe('ok');
  });

  it('lets the then and else of one nested txn put the same key (they exclude each other)', () => {
    expect(check([txn([put('abc')], [put('abc')])])).toBe('ok');
    expect(check([txn([put('abc')], [put('abc')]), del('abb', 'abc')])).toBe('ok');
  });

  it('refuses a nested put that clashes with a sibling put, a sibling nested txn, or a delete of this level', () => {
    expect(check([txn([put('k')]), put('k')])).toBe(duplicate);
    expect(check([txn([], [put('k')]), put('k')])).toBe(duplicate);
    expect(check([txn([put('k')]), txn([put('k')])])).toBe(duplicate);
    expect(check([txn([put('k')]), txn([], [put('k')])])).toBe(duplicate); // the else of another txn is not exclusive with it
    expect(check([txn([put('abc')]), del('a', 'b')])).toBe(duplicate);
    expect(check([txn([], [put('abc')]), del('abc')])).toBe(duplicate);
  });

  it("carries a nested txn's deletes up to its parent's puts", () => {
    expect(check([txn([del('a', 'b')]), put('abc')])).toBe(duplicate);
    expect(check([txn([], [del('abc')]), put('abc')])).toBe(duplicate);
    expect(check([txn([txn([del('a', 'b')])]), put('ab')])).toBe(duplicate);
    expect(check([txn([del('a', 'b')]), put('b')])).toBe('ok');
  });

  it('checks inside nested txns at any depth', () => {
    expect(check([txn([txn([put('x'), put('x')])])])).toBe(duplicate);
    expect(check([txn([], [txn([put('x'), del('x')])])])).toBe(duplicate);
  });

  it('compares keys as bytes, not as text', () => {
    const bytePut = (bytes: number[]): RequestOp => ({ request_put: { key: Uint8Array.from(bytes), value: utf8('v') } });
    expect(check([bytePut([0xc3, 0xa9]), put('é')])).toBe(duplicate); // é is c3 a9 in UTF-8
    expect(check([bytePut([0xff]), bytePut([0xfe])])).toBe('ok');
    const byteDel: RequestOp = { request_delete_range: { key: Uint8Array.from([0x80]), range_end: Uint8Array.from([0xff]) } };
    expect(check([byteDel, bytePut([0xc3, 0xa9])])).toBe(duplicate); // 0xc3 is between 0x80 and 0xff as a byte
    expect(check([byteDel, put('z')])).toBe('ok');
  });
});

describe('isReadOnly (etcd isTxnReadonly)', () => {
  it('is true when both branches hold only ranges, or nothing', () => {
    expect(isReadOnly({})).toBe(true);
    expect(isReadOnly({ compare: compares(2), success: [get('a'), get('b')], failure: [get('c')] })).toBe(true);
  });

  it('is false for a put or a delete in either branch', () => {
    expect(isReadOnly({ success: [get('a'), put('b')] })).toBe(false);
    expect(isReadOnly({ failure: [del('a')] })).toBe(false);
    expect(isReadOnly({ success: [get('a')], failure: [get('b'), put('c')] })).toBe(false);
  });

  it('is false for any nested txn, even one that only reads', () => {
    // v3_server.go isTxnReadonly: any op without GetRequestRange() makes the txn a write, nested txns included,
    // so such a txn goes through raft (and its size limit) as every write does.
    expect(isReadOnly({ success: [txn([get('a')])] })).toBe(false);
    expect(isReadOnly({ failure: [txn([])] })).toBe(false);
  });
});
