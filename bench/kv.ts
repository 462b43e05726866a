/**
 * KV store throughput against a bare sorted-btree doing the equivalent work
 * on the same keys in the same process, and memory per stored revision.
 *
 * Goal (issue "The MVCC key-value store"): a put costs at most 3× a bare
 * B-tree insert of the same key, and more than 1M puts/s.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import btree from 'sorted-btree';
import { KvStore } from '../src/store/kv-store.ts';
import type { LeaseDirectory } from '../src/store/kv-contract.ts';
import type { RequestOp } from '../src/store/messages.ts';
import { type BenchOptions, type BenchTable, compareOpsPerSecond } from './table.ts';

const loaded = btree as unknown as typeof btree.default | { default: typeof btree.default };
const BTree: typeof btree.default = typeof loaded === 'function' ? loaded : loaded.default;
const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const noLeases: LeaseDirectory = { exists: () => false, attach: () => {}, detach: () => {} };

function keyText(i: number): string {
  return `key/${String(i).padStart(8, '0')}`;
}

/** A deterministic permutation of 0..n-1 (xorshift, fixed seed). */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let x = 0x9e3779b9;
  for (let i = n - 1; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const j = (x >>> 0) % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

interface Row {
  op: string;
  keys: number;
  store: number;
  bare: number;
}

function measureSize(n: number, targetMs: number): Row[] {
  const encoder = new TextEncoder();
  const order = shuffled(n);
  const keyBytes = order.map((i) => encoder.encode(keyText(i)));
  const keyStrings = order.map((i) => keyText(i));
  const value = encoder.encode('value-0123456789');
  const valueString = 'value-0123456789';
  const batch = 1000;

  const rows: Row[] = [];

  // inserts: n new keys into an empty store / tree, in shuffled order (the "bare B-tree insert")
  const insert = compareOpsPerSecond(
    () => {
      const fresh = new KvStore({ leases: noLeases });
      for (let i = 0; i < n; i++) fresh.put({ key: keyBytes[i]!, value });
    },
    () => {
      const fresh = new BTree<string, string>(undefined, compareKeys);
      for (let i = 0; i < n; i++) fresh.set(keyStrings[i]!, valueString);
    },
    n,
    { targetMs: targetMs * 2, trials: 3 },
  );
  rows.push({ op: 'put, new key', keys: n, store: insert.subject, bare: insert.baseline });

  // The same, plus the first range after the load: new keys reach the ordered index lazily
  // (src/store/tree-index.ts), sorted, on the next ordered read, which this row pays for.
  const firstFrom = encoder.encode(keyText(0));
  const firstTo = encoder.encode(keyText(100));
  const insertThenRange = compareOpsPerSecond(
    () => {
      const fresh = new KvStore({ leases: noLeases });
      for (let i = 0; i < n; i++) fresh.put({ key: keyBytes[i]!, value });
      fresh.range({ key: firstFrom, range_end: firstTo });
    },
    () => {
      const fresh = new BTree<string, string>(undefined, compareKeys);
      for (let i = 0; i < n; i++) fresh.set(keyStrings[i]!, valueString);
    },
    n,
    { targetMs: targetMs * 2, trials: 3 },
  );
  rows.push({ op: 'put, new key, then a range', keys: n, store: insertThenRange.subject, bare: insertThenRange.baseline });

  // The ceiling: a put of a new key also inserts it into a hash map (key → history); the map alone, same keys.
  const mapOnly = compareOpsPerSecond(
    () => {
      const fresh = new KvStore({ leases: noLeases });
      for (let i = 0; i < n; i++) fresh.put({ key: keyBytes[i]!, value });
    },
    () => {
      const fresh = new Map<string, string>();
      for (let i = 0; i < n; i++) fresh.set(keyStrings[i]!, valueString);
    },
    n,
    { targetMs: targetMs * 2, trials: 3 },
  );
  rows.push({ op: 'put, new key (bare: a Map.set)', keys: n, store: mapOnly.subject, bare: mapOnly.baseline });

  const store = new KvStore({ leases: noLeases });
  const tree = new BTree<string, string>(undefined, compareKeys);
  for (let i = 0; i < n; i++) {
    store.put({ key: keyBytes[i]!, value });
    tree.set(keyStrings[i]!, valueString);
  }

  // puts of existing keys (each adds a revision to the key's history)
  let p = 0;
  let q = 0;
  const put = compareOpsPerSecond(
    () => {
      for (let k = 0; k < batch; k++) {
        store.put({ key: keyBytes[p]!, value });
        p = p + 1 === n ? 0 : p + 1;
      }
    },
    () => {
      for (let k = 0; k < batch; k++) {
        tree.set(keyStrings[q]!, valueString);
        q = q + 1 === n ? 0 : q + 1;
      }
    },
    batch,
    { targetMs },
  );
  rows.push({ op: 'put, existing key', keys: n, store: put.subject, bare: put.baseline });

  // point gets
  let g = 0;
  let h = 0;
  let sink = 0;
  const get = compareOpsPerSecond(
    () => {
      for (let k = 0; k < batch; k++) {
        store.range({ key: keyBytes[g]! });
        g = g + 1 === n ? 0 : g + 1;
      }
    },
    () => {
      for (let k = 0; k < batch; k++) {
        sink += tree.get(keyStrings[h]!)!.length;
        h = h + 1 === n ? 0 : h + 1;
      }
    },
    batch,
    { targetMs },
  );
  rows.push({ op: 'point get', keys: n, store: get.subject, bare: get.baseline });

  // 100-key ranges: [key/xxxxxx00, key/xxxxxx00 + 100)
  const blocks = Math.floor(n / 100);
  const rangeStarts = shuffled(blocks).map((blk) => [keyText(blk * 100), keyText(blk * 100 + 100)] as const);
  const rangeBytes = rangeStarts.map(([a, z]) => [encoder.encode(a), encoder.encode(z)] as const);
  let r = 0;
  let t = 0;
  const range = compareOpsPerSecond(
    () => {
      for (let k = 0; k < 10; k++) {
        const [a, z] = rangeBytes[r]!;
        store.range({ key: a, range_end: z });
        r = r + 1 === blocks ? 0 : r + 1;
      }
    },
    () => {
      for (let k = 0; k < 10; k++) {
        const [a, z] = rangeStarts[t]!;
        const out: string[] = [];
        tree.forRange(a, z, false, (_key: string, v: string) => {
          out.push(v);
        });
        sink += out.length;
        t = t + 1 === blocks ? 0 : t + 1;
      }
    },
    10,
    { targetMs },
  );
  rows.push({ op: '100-key range', keys: n, store: range.subject, bare: range.baseline });

  // 4-op txns: compare mod(k1) > 0; put k1, put k2, get k3, get k4
  let x = 0;
  let y = 0;
  const txn = compareOpsPerSecond(
    () => {
      for (let k = 0; k < 100; k++) {
        const k1 = keyBytes[x]!;
        const k2 = keyBytes[(x + 1) % n]!;
        const k3 = keyBytes[(x + 2) % n]!;
        const k4 = keyBytes[(x + 3) % n]!;
        const success: RequestOp[] = [
          { request_put: { key: k1, value } },
          { request_put: { key: k2, value } },
          { request_range: { key: k3 } },
          { request_range: { key: k4 } },
        ];
        store.txn({ compare: [{ key: k1, target: 'MOD', result: 'GREATER', mod_revision: 0 }], success });
        x = (x + 4) % n;
      }
    },
    () => {
      for (let k = 0; k < 100; k++) {
        if (tree.get(keyStrings[y]!) !== undefined) {
          tree.set(keyStrings[y]!, valueString);
          tree.set(keyStrings[(y + 1) % n]!, valueString);
          sink += tree.get(keyStrings[(y + 2) % n]!)!.length;
          sink += tree.get(keyStrings[(y + 3) % n]!)!.length;
        }
        y = (y + 4) % n;
      }
    },
    100,
    { targetMs },
  );
  rows.push({ op: '4-op txn', keys: n, store: txn.subject, bare: txn.baseline });
  if (sink < 0) throw new Error('unreachable');
  return rows;
}

function measureMemory(puts: number, keys: number, gc: () => void): { before: number; after: number } {
  const encoder = new TextEncoder();
  const keyBytes = Array.from({ length: keys }, (_, i) => encoder.encode(keyText(i)));
  const value = encoder.encode('value-0123456789');
  gc();
  const base = process.memoryUsage().heapUsed;
  const store = new KvStore({ leases: noLeases });
  for (let i = 0; i < puts; i++) store.put({ key: keyBytes[i % keys]!, value });
  gc();
  const full = process.memoryUsage().heapUsed - base;
  store.compact({ revision: store.currentRevision() });
  gc();
  const compacted = process.memoryUsage().heapUsed - base;
  if (store.currentRevision() !== puts + 1) throw new Error('bench store lost writes');
  return { before: full / puts, after: compacted / keys };
}

export async function runBench(options: BenchOptions): Promise<BenchTable[]> {
  const sizes = options.quick ? [10_000] : [100_000, 1_000_000];
  const targetMs = options.quick ? 300 : 1000;
  const rows: (string | number)[][] = [];
  for (const n of sizes) {
    for (const row of measureSize(n, targetMs)) rows.push([row.op, row.keys.toLocaleString('en-US'), row.store, row.bare, row.bare / row.store]);
  }
  const tables: BenchTable[] = [
    {
      title: 'KV store vs bare sorted-btree (ops/s)',
      columns: ['operation', 'keys', 'store ops/s', 'bare btree ops/s', 'store cost (× bare)'],
      rows,
      notes: [
        'Bare: sorted-btree set/get/forRange on the same binary-string keys. The store also validates, converts bytes, keeps history and builds etcd responses.',
        'put, new key: n puts of new keys into an empty store against n inserts into an empty sorted-btree (whole build timed); new keys reach the ordered index on the next ordered read, sorted, as one batch: "then a range" includes that. The Map.set row is the ceiling a put of a new key cannot pass (the store keeps the same map). put, existing key: one more revision of a key against replacing the value in the tree.',
        'Goal: put at most 3× a bare insert, and over 1,000,000 puts/s. Each measurement is warmed up, then the median of alternating trials.',
      ],
    },
  ];
  const gc = gcFunction();
  if (gc !== undefined) {
    const puts = options.quick ? 100_000 : 1_000_000;
    const keys = options.quick ? 1_000 : 10_000;
    const memory = measureMemory(puts, keys, gc);
    tables.push({
      title: 'KV store memory per stored revision',
      columns: ['state', 'revisions held', 'bytes per revision'],
      rows: [
        [`after ${puts.toLocaleString('en-US')} puts to ${keys.toLocaleString('en-US')} keys`, puts, memory.before],
        ['after compaction at the current revision', keys, memory.after],
      ],
      notes: ['16-byte values. After compaction each key keeps one revision (its KeyIndex, key and value included).'],
    });
  }
  return tables;
}
