import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import {
  etcdStoreFromMessages,
  etcdStoreModel,
  type EtcdStoreKv,
  type EtcdStoreOperation,
  type EtcdStoreRange,
  type EtcdStoreRequest,
  type EtcdStoreResponse,
  type EtcdStoreTxnResponse,
} from '../../src/check/models/kv-etcd-store.ts';
import { utf8 } from '../../src/store/bytes.ts';

let process = 0;
function op(input: EtcdStoreRequest, output: EtcdStoreResponse | undefined, invokeMs: number, returnMs: number): EtcdStoreOperation {
  const operation: EtcdStoreOperation = {
    process: process++,
    invokeMs,
    returnMs: output === undefined ? Infinity : returnMs,
    input,
    outcome: output === undefined ? 'unknown' : 'ok',
  };
  if (output !== undefined) operation.output = output;
  return operation;
}
const get = (key: string, more: Partial<EtcdStoreRange> = {}): EtcdStoreRange => ({
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
const prefix = (key: string, more: Partial<EtcdStoreRange> = {}) =>
  get(key, { end: `${key.slice(0, -1)}${String.fromCharCode(key.charCodeAt(key.length - 1) + 1)}`, ...more });
const put = (key: string, value: string, lease = 0n) => ({ kind: 'put', key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false }) as const;
const kv = (key: string, value: string, version: number, createRevision: number, modRevision: number, lease = 0n): EtcdStoreKv => ({
  key,
  value,
  version,
  createRevision,
  modRevision,
  lease,
});
const ranged = (revision: number, kvs: EtcdStoreKv[], count = kvs.length, more = false): EtcdStoreResponse => ({
  revision,
  response: { kind: 'range', kvs, count, more },
});
const wrote = (revision: number, response: EtcdStoreTxnResponse = { kind: 'put', prevKv: undefined }): EtcdStoreResponse => ({ revision, response });
const lease = (revision: number): EtcdStoreResponse => ({ revision, response: { kind: 'lease' } });
const check = (history: EtcdStoreOperation[]) => checkLinearizability(history, etcdStoreModel()).result;

/** The Mutex's acquire txn for `key` under /l/ with lease `id`. */
const acquire = (key: string, id: bigint) =>
  ({
    kind: 'txn',
    compare: [{ key, end: undefined, target: 'CREATE', result: 'EQUAL', operand: 0 }],
    success: [put(key, '', id), prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 })],
    failure: [get(key), prefix('/l/', { sortTarget: 'CREATE', sortOrder: 'ASCEND', limit: 1 })],
  }) as const;

describe('etcdStoreModel', () => {
  const a = kv('/l/a', '', 1, 2, 2, 7n);
  const b = kv('/l/b', '', 1, 3, 3, 8n);
  const mutex = [
    op({ kind: 'leaseGrant' }, lease(1), 0, 1),
    op(
      acquire('/l/a', 7n),
      wrote(2, {
        kind: 'txn',
        succeeded: true,
        responses: [
          { kind: 'put', prevKv: undefined },
          { kind: 'range', kvs: [a], count: 1, more: false },
        ],
      }),
      2,
      3,
    ),
    op(
      acquire('/l/b', 8n),
      wrote(3, {
        kind: 'txn',
        succeeded: true,
        responses: [
          { kind: 'put', prevKv: undefined },
          { kind: 'range', kvs: [a], count: 2, more: true },
        ],
      }),
      4,
      5,
    ),
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
});

describe('etcdStoreFromMessages', () => {
  it('converts prefix ranges, lease puts in txns, nested txns, lease calls; ignores keepalives', () => {
    const converted = etcdStoreFromMessages({
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
    expect(etcdStoreFromMessages({ method: 'range', request: { key: utf8('/l/'), range_end: utf8('/l0'), sort_target: 'CREATE', limit: 1 } })).toMatchObject({
      ok: true,
      input: { end: '/l0', sortTarget: 'CREATE', limit: 1 },
      output: undefined,
    });
    expect(etcdStoreFromMessages({ method: 'leaseRevoke', request: { ID: 7n }, response: { header: { revision: 9 } } })).toEqual({
      ok: true,
      input: { kind: 'leaseRevoke', lease: 7n, expiry: false },
      output: lease(9),
    });
    expect(etcdStoreFromMessages({ method: 'leaseKeepAlive', request: { ID: 7n } })).toMatchObject({ ok: false, ignored: true });
  });
});
