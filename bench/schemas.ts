/**
 * The schema table's walkers (src/store/message-schemas.ts) against the same
 * work written out by hand for one message shape, in the same process: what
 * driving validation, sizes and the JSON codec from one table costs on the
 * hot path of every request.
 *
 * The hand-written code knows the shape and checks only the fields it
 * sets; the walks check every field of every message the table names. No
 * goal, a guard: a ratio that grows is a walk that got slower.
 */
import { Buffer } from 'node:buffer';
import { encode } from '../src/server/json-codec.ts';
import type { KeyValue, RangeResponse, TxnRequest } from '../src/store/messages.ts';
import { decodeRequest, encodedSize } from '../src/store/validate.ts';
import { type BenchOptions, type BenchTable, compareOpsPerSecond } from './table.ts';

const encoder = new TextEncoder();
const key = encoder.encode('/locks/mutex/0a1b2c3d4e5f');
const value = encoder.encode('holder-7');

/** What a lock's acquire sends: create the key if absent, else read its owner. */
const lockTxn: TxnRequest = {
  compare: [{ key, target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
  success: [{ request_put: { key, value, lease: 7_587_868_447_224_391_685n } }],
  failure: [{ request_range: { key } }],
};

const kv: KeyValue = { key, value, create_revision: 5, mod_revision: 9, version: 2, lease: 7_587_868_447_224_391_685n };
const rangeResponse: RangeResponse = { header: { revision: 12 }, kvs: Array.from({ length: 10 }, () => kv), more: false, count: 10 };

// ---------------------------------------------------------------- by hand, for this one shape

function fail(): never {
  throw new Error('malformed');
}

function handCheckTxn(txn: TxnRequest): void {
  for (const c of txn.compare ?? []) {
    if (!(c.key instanceof Uint8Array) || typeof c.target !== 'string' || typeof c.result !== 'string') fail();
    if (c.create_revision !== undefined && !Number.isInteger(c.create_revision)) fail();
  }
  for (const op of [...(txn.success ?? []), ...(txn.failure ?? [])]) {
    const put = op.request_put;
    if (put !== undefined && (!(put.key instanceof Uint8Array) || !(put.value instanceof Uint8Array) || typeof put.lease !== 'bigint')) fail();
    const range = op.request_range;
    if (range !== undefined && !(range.key instanceof Uint8Array)) fail();
  }
}

const varint = (n: number): number => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
const varint64 = (n: bigint): number => {
  let size = 1;
  for (let v = n; v >= 128n; v >>= 7n) size++;
  return size;
};
const bytesField = (b: Uint8Array): number => 1 + varint(b.length) + b.length;
const nested = (size: number): number => 1 + varint(size) + size;

function handSizeTxn(txn: TxnRequest): number {
  const c = txn.compare![0]!;
  const put = txn.success![0]!.request_put!;
  const range = txn.failure![0]!.request_range!;
  const compare = bytesField(c.key!) + 2; // target CREATE; result EQUAL and create_revision 0 are defaults
  const putSize = bytesField(put.key!) + bytesField(put.value!) + 1 + varint64(put.lease!);
  return nested(compare) + nested(nested(putSize)) + nested(nested(bytesField(range.key!)));
}

const base64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');

function handEncodeRange(r: RangeResponse): object {
  return {
    header: { revision: String(r.header.revision) },
    kvs: r.kvs.map((k) => ({
      key: base64(k.key),
      create_revision: String(k.create_revision),
      mod_revision: String(k.mod_revision),
      version: String(k.version),
      value: base64(k.value),
      lease: String(k.lease),
    })),
    count: String(r.count),
  };
}

// ---------------------------------------------------------------- measured

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const targetMs = quick ? 100 : 400;
  const rows: (string | number)[][] = [];
  const batch = 1000; // per timed call, so the clock's cost does not count
  const measure = (name: string, subject: () => void, baseline: () => void) => {
    const times = (fn: () => void) => () => {
      for (let i = 0; i < batch; i++) fn();
    };
    const { subject: table, baseline: hand } = compareOpsPerSecond(times(subject), times(baseline), batch, { targetMs });
    rows.push([name, 1e6 / table, 1e6 / hand, hand / table]);
  };
  if (encodedSize('TxnRequest', lockTxn) !== handSizeTxn(lockTxn)) throw new Error('the hand-written size disagrees with the table');
  measure(
    'check a lock txn (decodeRequest)',
    () => decodeRequest('TxnRequest', lockTxn),
    () => handCheckTxn(lockTxn),
  );
  measure(
    'size a lock txn (encodedSize)',
    () => encodedSize('TxnRequest', lockTxn),
    () => handSizeTxn(lockTxn),
  );
  measure(
    'JSON-encode a RangeResponse of 10 kvs',
    () => encode('RangeResponse', rangeResponse),
    () => handEncodeRange(rangeResponse),
  );
  return [
    {
      title: 'Message schemas: table-driven walks vs the same work written out by hand (µs per message)',
      columns: ['walk', 'table µs', 'by hand µs', 'ratio'],
      rows,
      notes: ['ratio: table time ÷ hand-written time, measured alternately in one process.'],
    },
  ];
}
