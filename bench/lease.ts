/**
 * Lease costs as the number of leases grows: grant N leases with one key
 * each, keep half alive, let the other half expire through the store loops
 * on a virtual clock (500 revoked per 500 ms sweep, each deleting its key in
 * its own revision). Every per-lease operation should be O(log n), so the
 * cost per operation should grow only slowly from 10k to 100k to 1M.
 *
 * Timeline (virtual): t=0 grant all (TTL 3600 s) and put one key each;
 * t=1800, 1900, 2000 s keepalive the even half (deadline 5600 s); t=3600 s the odd half
 * expires and is drained by t≈3600 + N/1000 s.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { utf8 } from '../src/store/bytes.ts';
import { EtcdStore } from '../src/store/etcd-store.ts';
import { runStoreLoops } from '../src/store/store-loops.ts';
import { VirtualClock } from '../src/store/virtual-clock.ts';
import type { BenchOptions, BenchTable } from './table.ts';

const ttlSeconds = 3600;
const keepAliveRounds = 3;

interface Costs {
  leases: number;
  grantUs: number;
  putUs: number;
  keepAliveUs: number;
  expiryUs: number;
  /** Virtual seconds from the first deadline until every expired lease was revoked. */
  drainSeconds: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * CPU ms (user + system) of `fn`, starting from a collected heap so earlier
 * garbage is not billed to it. CPU time, not wall time: other processes on a
 * shared machine would otherwise inflate whichever size ran while they did.
 */
function time(fn: () => void): number {
  gc();
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function measure(leases: number): Costs {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const stop = runStoreLoops(store, clock);
  const ids: bigint[] = [];
  const keys = Array.from({ length: leases }, (_, i) => utf8(`/bench/lease/${i}`));

  const grantMs = time(() => {
    for (let i = 0; i < leases; i++) ids.push(store.leaseGrant({ TTL: ttlSeconds }).ID);
  });
  const putMs = time(() => {
    for (let i = 0; i < leases; i++) store.put({ key: keys[i]!, lease: ids[i]! });
  });

  // Three keepalive rounds on every other lease, 100 s apart; the last sets their deadline to 5600 s.
  let keepAliveMs = 0;
  let kept = 0;
  for (let round = 0; round < keepAliveRounds; round++) {
    clock.advanceTo((ttlSeconds / 2 + 100 * round) * 1000);
    kept = 0;
    keepAliveMs += time(() => {
      for (let i = 0; i < leases; i += 2) kept += store.leaseKeepAlive({ ID: ids[i]! }).TTL > 0 ? 1 : 0;
    });
  }
  if (kept !== Math.ceil(leases / 2)) throw new Error(`kept ${kept} leases alive, expected ${Math.ceil(leases / 2)}`);

  clock.advanceTo(ttlSeconds * 1000 - 1);
  const expiring = leases - kept;
  const revisionBefore = store.currentRevision();
  const expiryMs = time(() => {
    const drained = clock.runUntil(() => store.lessor.size === kept, { msMax: (expiring / 500 + 10) * 1000 });
    if (!drained) throw new Error('expired leases were not drained in time');
  });
  const drainSeconds = (clock.nowMs() - ttlSeconds * 1000) / 1000;
  if (store.currentRevision() !== revisionBefore + expiring) throw new Error('expected one revision per expired lease');
  stop();

  return {
    leases,
    grantUs: (grantMs * 1000) / leases,
    putUs: (putMs * 1000) / leases,
    keepAliveUs: (keepAliveMs * 1000) / (kept * keepAliveRounds),
    expiryUs: (expiryMs * 1000) / expiring,
    drainSeconds,
  };
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  measure(10_000); // warm up the JIT
  measure(10_000);
  const results = sizes.map(measure);
  const growth = (pick: (costs: Costs) => number, i: number) => (i === 0 ? '' : `×${(pick(results[i]!) / pick(results[i - 1]!)).toFixed(2)}`);
  return [
    {
      title: 'Leases: cost per operation (µs) as the number of leases grows',
      columns: ['leases', 'grant', 'put with lease', 'keepalive', 'expired lease', 'drain (virtual s)', 'growth grant', 'growth keepalive', 'growth expiry'],
      rows: results.map((r, i) => [
        r.leases.toLocaleString('en-US'),
        r.grantUs,
        r.putUs,
        r.keepAliveUs,
        r.expiryUs,
        r.drainSeconds,
        growth((c) => c.grantUs, i),
        growth((c) => c.keepAliveUs, i),
        growth((c) => c.expiryUs, i),
      ]),
      notes: [
        'Server-chosen IDs (grant ID 0), TTL 3600 s, one key per lease; three keepalive rounds on every other lease; the rest expire',
        'through runStoreLoops (500 per 500 ms sweep, one revision each, key deleted). "expired lease" includes the KV delete',
        'and the loop ticks during the drain. CPU time per operation. Growth is the ratio to the previous size (10× more leases):',
        'O(log n) work keeps it near 1; what remains is cache misses once the lease table no longer fits in cache.',
      ],
    },
  ];
}
