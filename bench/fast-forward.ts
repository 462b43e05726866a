/**
 * What a fast-forward costs as the jump grows: `RealTimeDriver.advance(ms)`
 * (serve's /advance) over a store with 100 leases, half of them kept alive
 * by a live keepalive stream, the other half due at spread-out deadlines,
 * and a watcher on everything. The loops jump from one deadline to the next
 * (runJumpingStoreLoops), so the cost should not grow with the jump. The
 * baseline is the old way: every 100 ms / 500 ms loop tick fired on the way
 * (runStoreLoops), measured up to 1e7 ms and extrapolated linearly.
 */
import { RealTimeDriver } from '../src/server/real-time-driver.ts';
import { utf8 } from '../src/store/bytes.ts';
import { EtcdStore } from '../src/store/etcd-store.ts';
import { runStoreLoops } from '../src/store/store-loops.ts';
import { VirtualClock } from '../src/store/virtual-clock.ts';
import type { BenchOptions, BenchTable } from './table.ts';

const leases = 100;

function populate(store: EtcdStore): bigint[] {
  const ids: bigint[] = [];
  for (let i = 0; i < leases; i++) {
    const { ID } = store.leaseGrant({ TTL: 5 + i * 7 });
    store.put({ key: utf8(`/ff/${i}`), lease: ID });
    ids.push(ID);
  }
  store.openWatchStream({ send: () => true }).request({ create_request: { key: utf8('\0'), range_end: utf8('\0') } });
  return ids;
}

/** CPU ms of one advance by `jumpMs` with the jumping loops and half the leases kept alive. */
function jumping(jumpMs: number): number {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const ids = populate(store);
  const driver = new RealTimeDriver(store, clock, { wallNowMs: () => 0, tickIntervalMs: 60_000 });
  const stream = driver.keepers.openStream();
  for (const [i, id] of ids.entries()) if (i % 2 === 0) driver.keepers.renewed(stream, id, store.leaseKeepAlive({ ID: id }).TTL);
  const start = process.cpuUsage();
  driver.advance(jumpMs);
  const used = process.cpuUsage(start);
  driver.stop();
  const keptSurvived = ids.every((id, i) => i % 2 === 1 || store.lessor.exists(id));
  const expected = jumpMs >= 1e6 ? leases / 2 : undefined; // by 1e6 ms every unkept deadline (at most 698 s) has passed
  if (!keptSurvived || (expected !== undefined && store.lessor.size !== expected))
    throw new Error(`fast-forward kept the wrong leases: ${store.lessor.size} left`);
  return (used.user + used.system) / 1000;
}

/** CPU ms of the same jump firing every loop tick (the cost before jumping loops). */
function everyTick(jumpMs: number): number {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  populate(store);
  const stop = runStoreLoops(store, clock);
  const start = process.cpuUsage();
  clock.advanceTo(jumpMs);
  const used = process.cpuUsage(start);
  stop();
  return (used.user + used.system) / 1000;
}

function medianOf(trials: number, measure: () => number): number {
  const values = Array.from({ length: trials }, measure).sort((a, b) => a - b);
  return values[Math.floor(trials / 2)]!;
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const trials = quick ? 3 : 7;
  const jumps = quick ? [1e3, 1e6, 1e9, 1e12] : [1e3, 1e6, 1e9, 1e12, 1e15];
  for (let i = 0; i < 5; i++) for (const jumpMs of jumps) jumping(jumpMs); // warm up the JIT
  everyTick(1e6);
  const measuredEveryTickMs = medianOf(trials, () => everyTick(1e7));
  const costs = jumps.map((jumpMs) => medianOf(trials, () => jumping(jumpMs)));
  return [
    {
      title: 'Fast-forward: cost of one advance as the jump grows',
      columns: ['advance (ms)', 'jumping loops (CPU ms)', 'ratio to 1e6 ms (same work due)', 'every tick (CPU ms)'],
      rows: jumps.map((jumpMs, i) => {
        const old = jumpMs <= 1e7 ? medianOf(trials, () => everyTick(jumpMs)) : (measuredEveryTickMs * jumpMs) / 1e7;
        const ratio = costs[i]! / Math.max(costs[1]!, 0.001);
        return [jumpMs.toExponential(0), costs[i]!, `×${ratio.toFixed(1)}`, jumpMs <= 1e7 ? old : `~${Math.round(old).toLocaleString('en-US')} (extrapolated)`];
      }),
      notes: [
        `${leases} leases with one key each (TTL 5 s + 7 s × i), half kept alive by a live keepalive stream (carried across), the rest`,
        'expiring on the way, and a watcher on every key. "every tick" fires each 100 ms resync and 500 ms sweep on the way, as',
        'advance did before the loops learned to jump (beyond 1e7 ms it is extrapolated from the 1e7 ms measurement). Medians of',
        'several trials; CPU time. From 1e6 ms on every unkept lease has expired: the work due is the same, so the cost should be too.',
      ],
    },
  ];
}
