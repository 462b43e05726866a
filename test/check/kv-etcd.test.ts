import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import { etcdKvFromMessages, etcdKvModel, type EtcdKvOperation, type EtcdKvRequest, type EtcdKvResponse } from '../../src/check/models/kv-etcd.ts';
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
const put = (key: string, value: string) => ({ kind: 'put', key, value }) as const;
const get = (key: string) => ({ kind: 'range', key }) as const;
const kv = (value: string, version: number, createRevision: number, modRevision: number) => ({ value, version, createRevision, modRevision });
const check = (history: EtcdKvOperation[]) => checkLinearizability(history, etcdKvModel()).result;

/** etcd's lock recipe step: create the key if it does not exist. */
const tryLock = (owner: string) =>
  ({ kind: 'txn', compare: [{ key: 'lock', target: 'create', result: 'EQUAL', operand: 0 }], success: [put('lock', owner)], failure: [get('lock')] }) as const;

describe('etcdKvModel', () => {
  it('accepts values, versions and revisions that follow from the writes', () => {
    expect(
      check([
        op(put('a', '1'), { kind: 'put', revision: 2 }, 0, 1),
        op(get('a'), { kind: 'range', revision: 3, kv: kv('1', 1, 2, 2) }, 2, 3), // rev 3: another key was written meanwhile
        op(put('a', '2'), { kind: 'put', revision: 4 }, 4, 5),
        op(get('a'), { kind: 'range', revision: 4, kv: kv('2', 2, 2, 4) }, 6, 7),
        op({ kind: 'delete', key: 'a' }, { kind: 'delete', revision: 5, deleted: 1 }, 8, 9),
        op(get('a'), { kind: 'range', revision: 5, kv: undefined }, 10, 11),
      ]),
    ).toBe('ok');
  });

  it('rejects a wrong mod revision, a write revision not above one seen, a wrong deleted count', () => {
    expect(check([op(put('a', '1'), { kind: 'put', revision: 2 }, 0, 1), op(get('a'), { kind: 'range', revision: 2, kv: kv('1', 1, 2, 3) }, 2, 3)])).toBe(
      'illegal',
    );
    expect(check([op(get('a'), { kind: 'range', revision: 5, kv: undefined }, 0, 1), op(put('a', '1'), { kind: 'put', revision: 4 }, 2, 3)])).toBe('illegal');
    expect(check([op({ kind: 'delete', key: 'a' }, { kind: 'delete', revision: 2, deleted: 1 }, 0, 1)])).toBe('illegal');
  });

  it('binds an unknown-outcome put when a read shows it, and leaves it out when reads do not', () => {
    expect(check([op(put('a', '1'), undefined, 0, 0), op(get('a'), { kind: 'range', revision: 7, kv: kv('1', 1, 7, 7) }, 5, 6)])).toBe('ok');
    expect(check([op(put('a', '1'), undefined, 0, 0), op(get('a'), { kind: 'range', revision: 7, kv: undefined }, 5, 6)])).toBe('ok');
    // once seen, it stays: its revisions are bound
    expect(
      check([
        op(put('a', '1'), undefined, 0, 0),
        op(get('a'), { kind: 'range', revision: 7, kv: kv('1', 1, 7, 7) }, 5, 6),
        op(get('a'), { kind: 'range', revision: 8, kv: kv('1', 1, 7, 6) }, 10, 11),
      ]),
    ).toBe('illegal');
  });

  it('lets only one of two sequential lock txns succeed', () => {
    const first = op(tryLock('p1'), { kind: 'txn', revision: 2, succeeded: true, responses: [{ kind: 'put', revision: 2 }] }, 0, 1);
    const loser = op(tryLock('p2'), { kind: 'txn', revision: 2, succeeded: false, responses: [{ kind: 'range', revision: 2, kv: kv('p1', 1, 2, 2) }] }, 2, 3);
    const alsoWinner = op(tryLock('p2'), { kind: 'txn', revision: 3, succeeded: true, responses: [{ kind: 'put', revision: 3 }] }, 2, 3);
    expect(check([first, loser])).toBe('ok');
    expect(check([first, alsoWinner])).toBe('illegal');
  });

  it('follows an unknown-outcome txn whose compare it can decide, and forgets keys when it cannot', () => {
    // decided: the key is absent, so the txn put p1 (or never ran)
    expect(check([op(tryLock('p1'), undefined, 0, 0), op(get('lock'), { kind: 'range', revision: 9, kv: kv('p2', 1, 9, 9) }, 5, 6)])).toBe('illegal');
    // undecidable: the mod revision of a key written with unknown outcome
    const modTxn = {
      kind: 'txn',
      compare: [{ key: 'k', target: 'mod', result: 'EQUAL', operand: 4 }],
      success: [put('k', 'yes')],
      failure: [put('k', 'no')],
    } as const;
    expect(
      check([op(put('k', 'x'), undefined, 0, 0), op(modTxn, undefined, 1, 1), op(get('k'), { kind: 'range', revision: 9, kv: kv('no', 2, 3, 8) }, 5, 6)]),
    ).toBe('ok');
  });

  it('puts the keys of a txn in one partition', () => {
    const txn = { kind: 'txn', compare: [{ key: 'a', target: 'version', result: 'EQUAL', operand: 0 }], success: [put('b', '1')], failure: [] } as const;
    const verdict = checkLinearizability(
      [op(put('a', '1'), { kind: 'put', revision: 2 }, 0, 1), op(txn, undefined, 2, 2), op(put('c', '1'), { kind: 'put', revision: 3 }, 0, 1)],
      etcdKvModel(),
    );
    expect(verdict).toMatchObject({ result: 'ok', partitions: 2 });
  });
});

describe('etcdKvFromMessages', () => {
  it("turns etcd's messages into the model's ops", () => {
    const header = (revision: number) => ({ revision });
    const txn = etcdKvFromMessages({
      method: 'txn',
      request: {
        compare: [{ key: utf8('lock'), target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
        success: [{ request_put: { key: utf8('lock'), value: utf8('p1') } }],
        failure: [{ request_range: { key: utf8('lock') } }],
      },
      response: { header: header(2), succeeded: true, responses: [{ response_put: { header: header(2) } }] },
    });
    expect(txn).toEqual({ ok: true, input: tryLock('p1'), output: { kind: 'txn', revision: 2, succeeded: true, responses: [{ kind: 'put', revision: 2 }] } });
    const range = etcdKvFromMessages({
      method: 'range',
      request: { key: utf8('lock') },
      response: {
        header: header(3),
        kvs: [{ key: utf8('lock'), value: utf8('p1'), version: 1, create_revision: 2, mod_revision: 2, lease: 0n }],
        more: false,
        count: 1,
      },
    });
    expect(range).toEqual({ ok: true, input: get('lock'), output: { kind: 'range', revision: 3, kv: kv('p1', 1, 2, 2) } });
    expect(etcdKvFromMessages({ method: 'put', request: { key: utf8('a'), value: utf8('1') } })).toEqual({ ok: true, input: put('a', '1'), output: undefined });
    expect(etcdKvFromMessages({ method: 'range', request: { key: utf8('a'), range_end: utf8('b') } })).toEqual({
      ok: false,
      reason: 'range over several keys',
    });
  });
});
