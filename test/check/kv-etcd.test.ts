import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import {
  etcdKvFromMessages,
  etcdKvModel,
  type EtcdKv,
  type EtcdKvOperation,
  type EtcdKvRange,
  type EtcdKvRequest,
  type EtcdKvResponse,
  type EtcdKvTxnResponse,
} from '../../src/check/models/kv-etcd.ts';
import { utf8 } from '../../src/store/bytes.ts';

let process = 0;
function op(input: EtcdKvRequest, output: EtcdKvResponse | undefined, invokeMs: number, returnMs: number): EtcdKvOperation {
  const operation: EtcdKvOperation = {
    process: process++,
    invokeMs,
    returnMs: output === undefined ? Infinity : returnMs,
    input,
    outcome: output === undefined ? 'unknown' : 'ok',
  };
  if (output !== undefined) operation.output = output;
  return operation;
}
const get = (key: string, more: Partial<EtcdKvRange> = {}): EtcdKvRange => ({
  kind: 'range',
  key,
  end: undefined,
  revision: 0,
  serializable: false,
  limit: 0,
  sortOrder: 'NONE',
  sortTarget: 'KEY',
  minModRevision: 0,
  maxModRevision: 0,
  minCreateRevision: 0,
  maxCreateRevision: 0,
  keysOnly: false,
  countOnly: false,
  ...more,
});
const prefix = (key: string, more: Partial<EtcdKvRange> = {}) =>
  get(key, { end: `${key.slice(0, -1)}${String.fromCharCode(key.charCodeAt(key.length - 1) + 1)}`, ...more });
const put = (key: string, value: string, lease = 0n) => ({ kind: 'put', key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false }) as const;
const kv = (key: string, value: string, version: number, createRevision: number, modRevision: number, lease = 0n): EtcdKv => ({
  key,
  value,
  version,
  createRevision,
  modRevision,
  lease,
});
const ranged = (revision: number, kvs: EtcdKv[], count = kvs.length, more = false): EtcdKvResponse => ({
  revision,
  response: { kind: 'range', kvs, count, more },
});
const wrote = (revision: number, response: EtcdKvTxnResponse = { kind: 'put', prevKv: undefined }): EtcdKvResponse => ({ revision, response });
const lease = (revision: number): EtcdKvResponse => ({ revision, response: { kind: 'lease' } });
const check = (history: EtcdKvOperation[]) => checkLinearizability(history, etcdKvModel()).result;

/** The Mutex's acquire txn for `key` under /l/ with lease `id`. */
const acquire = (key: string, id: bigint) =>
  ({
    kind: 'txn',
    compare: [{ key, end: undefined, target: 'CREATE', result: 'EQUAL', operand: 0 }],
    success: [put(key, '', id), prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 })],
    failure: [get(key), prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 })],
  }) as const;

/** The acquire txn's answer: it put the key, and the range shows the oldest key(s) under /l/. */
const acquired = (revision: number, kvs: EtcdKv[], count: number, more: boolean) =>
  wrote(revision, {
    kind: 'txn',
    succeeded: true,
    responses: [
      { kind: 'put', prevKv: undefined },
      { kind: 'range', kvs, count, more },
    ],
  });

describe('etcdKvModel', () => {
  const a = kv('/l/a', '', 1, 2, 2, 7n);
  const b = kv('/l/b', '', 1, 3, 3, 8n);
  const mutex = [
    op({ kind: 'leaseGrant' }, lease(1), 0, 1),
    op(acquire('/l/a', 7n), acquired(2, [a], 1, false), 2, 3),
    op(acquire('/l/b', 8n), acquired(3, [a], 2, true), 4, 5),
    // waitDeletes: the newest key created before b's
    op(prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'DESCEND', limit: 1, maxCreateRevision: 2 }), ranged(3, [a], 2), 6, 7),
  ];

  it("follows the Mutex: prefix ranges sorted by create revision with a limit, lease puts, the holder's lease expiring", () => {
    expect(check([...mutex, op({ kind: 'leaseRevoke', lease: 7n, expiry: true }, lease(4), 8, 8), op(prefix('/l/'), ranged(4, [b]), 9, 10)])).toBe('ok');
    // the expiry deletes a, not b
    expect(check([...mutex, op({ kind: 'leaseRevoke', lease: 7n, expiry: true }, lease(4), 8, 8), op(prefix('/l/'), ranged(4, [a], 1), 9, 10)])).toBe(
      'illegal',
    );
    // a wrong order under the limit, a wrong count, a wrong revision
    expect(check([...mutex, op(prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'DESCEND', limit: 1 }), ranged(3, [a], 2, true), 8, 9)])).toBe('illegal');
    expect(check([...mutex, op(prefix('/l/'), ranged(3, [a, b], 3), 8, 9)])).toBe('illegal');
    expect(check([...mutex, op(prefix('/l/'), ranged(4, [a, b]), 8, 9)])).toBe('illegal');
    // a grant does not move the revision
    expect(check([...mutex, op({ kind: 'leaseGrant' }, lease(4), 8, 9)])).toBe('illegal');
  });

  it('reads the past: at a revision, and serializable at its header revision', () => {
    expect(check([...mutex, op(prefix('/l/', { revision: 2 }), ranged(3, [a]), 8, 9)])).toBe('ok');
    expect(check([...mutex, op(prefix('/l/', { revision: 2 }), ranged(3, [a, b]), 8, 9)])).toBe('illegal');
    expect(check([...mutex, op(prefix('/l/', { serializable: true }), ranged(2, [a]), 8, 9)])).toBe('ok');
    expect(check([...mutex, op(prefix('/l/', { serializable: true }), ranged(2, [a, b]), 8, 9)])).toBe('illegal');
  });

  it('evaluates lease compares and nested txns on the state before the txn', () => {
    const nested = {
      kind: 'txn',
      compare: [{ key: '/l/a', end: undefined, target: 'LEASE', result: 'EQUAL', operand: 7n }],
      success: [
        { kind: 'delete', key: '/l/a', end: undefined, prevKv: false },
        { kind: 'txn', compare: [{ key: '/l/a', end: undefined, target: 'VERSION', result: 'EQUAL', operand: 1 }], success: [put('/l/c', 'x')], failure: [] },
      ],
      failure: [],
    } as const;
    const response = wrote(4, {
      kind: 'txn',
      succeeded: true,
      responses: [
        { kind: 'delete', deleted: 1, prevKvs: [] },
        { kind: 'txn', succeeded: true, responses: [{ kind: 'put', prevKv: undefined }] },
      ],
    });
    expect(check([...mutex, op(nested, response, 8, 9), op(prefix('/l/'), ranged(4, [b, kv('/l/c', 'x', 1, 4, 4)]), 10, 11)])).toBe('ok');
    expect(check([...mutex, op(nested, response, 8, 9), op(prefix('/l/'), ranged(4, [a, b, kv('/l/c', 'x', 1, 4, 4)]), 10, 11)])).toBe('illegal');
  });

  it('lets an unknown-outcome write that changes nothing now take effect later', () => {
    // the delete changes nothing before the put, but deletes it after: rev 3 is the delete's
    const history = [
      op({ kind: 'delete', key: 'k', end: undefined, prevKv: false }, undefined, 0, 0),
      op(put('k', '1'), wrote(2), 1, 2),
      op(get('k'), ranged(3, []), 5, 6),
    ];
    expect(check(history)).toBe('ok');
    expect(check(history.slice(1))).toBe('illegal');
  });

  // Single keys, one write per revision: values, versions, create and mod revisions, deleted counts.
  const del = (key: string) => ({ kind: 'delete', key, end: undefined, prevKv: false }) as const;
  const deleted = (revision: number, count: number) => wrote(revision, { kind: 'delete', deleted: count, prevKvs: [] });

  it('accepts values, versions and revisions that follow from the writes', () => {
    expect(
      check([
        op(put('a', '1'), wrote(2), 0, 1),
        op(put('b', 'x'), wrote(3), 0, 1),
        op(get('a'), ranged(3, [kv('a', '1', 1, 2, 2)]), 2, 3),
        op(put('a', '2'), wrote(4), 4, 5),
        op(get('a'), ranged(4, [kv('a', '2', 2, 2, 4)]), 6, 7),
        op(del('a'), deleted(5, 1), 8, 9),
        op(get('a'), ranged(5, []), 10, 11),
      ]),
    ).toBe('ok');
  });

  it('rejects a wrong mod revision, a write revision not above one seen, a wrong deleted count', () => {
    expect(check([op(put('a', '1'), wrote(2), 0, 1), op(get('a'), ranged(2, [kv('a', '1', 1, 2, 3)]), 2, 3)])).toBe('illegal');
    expect(check([op(put('a', '1'), wrote(2), 0, 1), op(get('a'), ranged(2, []), 2, 3), op(put('a', '2'), wrote(2), 4, 5)])).toBe('illegal');
    expect(check([op(del('a'), deleted(2, 1), 0, 1)])).toBe('illegal');
  });

  it('binds an unknown-outcome put when a read shows it, and leaves it out when reads do not', () => {
    expect(check([op(put('a', '1'), undefined, 0, 0), op(get('a'), ranged(2, [kv('a', '1', 1, 2, 2)]), 5, 6)])).toBe('ok');
    expect(check([op(put('a', '1'), undefined, 0, 0), op(get('a'), ranged(1, []), 5, 6)])).toBe('ok');
    // once seen, it stays: its revisions are bound
    expect(
      check([
        op(put('a', '1'), undefined, 0, 0),
        op(get('a'), ranged(2, [kv('a', '1', 1, 2, 2)]), 5, 6),
        op(get('a'), ranged(2, [kv('a', '1', 1, 2, 1)]), 10, 11),
      ]),
    ).toBe('illegal');
  });

  /** etcd's lock recipe step: create the key if it does not exist. */
  const tryLock = (owner: string) =>
    ({
      kind: 'txn',
      compare: [{ key: 'lock', end: undefined, target: 'CREATE', result: 'EQUAL', operand: 0 }],
      success: [put('lock', owner)],
      failure: [get('lock')],
    }) as const;
  const txnAnswer = (revision: number, succeeded: boolean, responses: EtcdKvTxnResponse[]) => wrote(revision, { kind: 'txn', succeeded, responses });

  it('lets only one of two sequential lock txns succeed', () => {
    const first = op(tryLock('p1'), txnAnswer(2, true, [{ kind: 'put', prevKv: undefined }]), 0, 1);
    const loser = op(tryLock('p2'), txnAnswer(2, false, [{ kind: 'range', kvs: [kv('lock', 'p1', 1, 2, 2)], count: 1, more: false }]), 2, 3);
    const alsoWinner = op(tryLock('p2'), txnAnswer(3, true, [{ kind: 'put', prevKv: undefined }]), 2, 3);
    expect(check([first, loser])).toBe('ok');
    expect(check([first, alsoWinner])).toBe('illegal');
  });

  it('tries unknown-outcome txns both applied and not, each on the state it would have met', () => {
    // the lock txn either put p1 or never ran: nobody wrote p2
    expect(check([op(tryLock('p1'), undefined, 0, 0), op(get('lock'), ranged(2, [kv('lock', 'p2', 1, 2, 2)]), 5, 6)])).toBe('illegal');
    // a compare on the mod revision of a key written with unknown outcome: the branch follows the order
    const modTxn = {
      kind: 'txn',
      compare: [{ key: 'k', end: undefined, target: 'MOD', result: 'EQUAL', operand: 2 }],
      success: [put('k', 'yes')],
      failure: [put('k', 'no')],
    } as const;
    const history = (seen: EtcdKv) => check([op(put('k', 'x'), undefined, 0, 0), op(modTxn, undefined, 1, 1), op(get('k'), ranged(3, [seen]), 5, 6)]);
    expect(history(kv('k', 'yes', 2, 2, 3))).toBe('ok'); // put x at 2, then the txn's success branch
    expect(history(kv('k', 'x', 2, 2, 3))).toBe('ok'); // the txn first (failure: no at 2), then put x
    expect(history(kv('k', 'no', 2, 2, 3))).toBe('illegal'); // put x at 2 makes the compare hold
  });

  it('checks the history as one partition: the revision is global', () => {
    const verdict = checkLinearizability([op(put('a', '1'), wrote(2), 0, 1), op(put('c', '1'), wrote(3), 0, 1)], etcdKvModel());
    expect(verdict).toMatchObject({ result: 'ok', partitions: 1 });
    // a write to another key moves the revision each key's reads see
    expect(check([op(put('a', '1'), wrote(2), 0, 1), op(put('c', '1'), wrote(3), 2, 3), op(get('a'), ranged(2, [kv('a', '1', 1, 2, 2)]), 4, 5)])).toBe(
      'illegal',
    );
  });
});

describe('etcdKvFromMessages', () => {
  it('converts prefix ranges, lease puts in txns, nested txns, lease calls; ignores keepalives', () => {
    const converted = etcdKvFromMessages({
      method: 'txn',
      request: {
        compare: [{ key: utf8('/l/a'), target: 'LEASE', result: 'EQUAL', lease: 7n }],
        success: [{ request_txn: { success: [{ request_put: { key: utf8('/l/a'), value: utf8('v'), lease: 7n } }] } }],
      },
      response: {
        header: { revision: 5 },
        succeeded: true,
        responses: [{ response_txn: { header: { revision: 5 }, succeeded: true, responses: [{ response_put: { header: { revision: 5 } } }] } }],
      },
    });
    expect(converted).toMatchObject({
      ok: true,
      input: { kind: 'txn', compare: [{ target: 'LEASE', operand: 7n }], success: [{ kind: 'txn', success: [{ kind: 'put', lease: 7n }] }] },
      output: { revision: 5, response: { succeeded: true } },
    });
    expect(etcdKvFromMessages({ method: 'range', request: { key: utf8('/l/'), range_end: utf8('/l0'), sort_target: 'CREATE', limit: 1 } })).toMatchObject({
      ok: true,
      input: { end: '/l0', sortTarget: 'CREATE', limit: 1 },
      output: undefined,
    });
    expect(etcdKvFromMessages({ method: 'leaseRevoke', request: { ID: 7n }, response: { header: { revision: 9 } } })).toEqual({
      ok: true,
      input: { kind: 'leaseRevoke', lease: 7n, expiry: false },
      output: lease(9),
    });
    expect(etcdKvFromMessages({ method: 'leaseKeepAlive', request: { ID: 7n } })).toMatchObject({ ok: false, ignored: true });
    const range = etcdKvFromMessages({
      method: 'range',
      request: { key: utf8('lock') },
      response: {
        header: { revision: 3 },
        kvs: [{ key: utf8('lock'), value: utf8('p1'), version: 1, create_revision: 2, mod_revision: 2, lease: 0n }],
        more: false,
        count: 1,
      },
    });
    expect(range).toEqual({ ok: true, input: get('lock'), output: ranged(3, [kv('lock', 'p1', 1, 2, 2)]) });
    expect(etcdKvFromMessages({ method: 'put', request: { key: utf8('a'), value: utf8('1') } })).toEqual({ ok: true, input: put('a', '1'), output: undefined });
    expect(etcdKvFromMessages({ method: 'txn', request: { compare: [{ key: utf8('a'), target: 9 }] } })).toEqual({
      ok: false,
      ignored: false,
      reason: 'compare with an unknown target or result number',
    });
  });
});
