/**
 * Watch fan-out: the cost of one write seen by many watchers, against the
 * cost of the same write with nobody watching (the baseline, same process).
 *
 * - prefix: N watchers on one prefix (each on its own stream), one put under
 *   it: every write is delivered N times.
 * - prefix + prev_kv: the same, every watcher asking for prev_kv.
 * - single keys: N watchers on N distinct keys, one put to one of them:
 *   one delivery per write, found by map lookup whatever N is.
 * - ranges: N watchers on N distinct narrow ranges, one put: one delivery,
 *   found through the interval tree.
 */
import { utf8 } from '../src/store/bytes.ts';
import type { WatchSink } from '../src/store/etcd-api.ts';
import type { LeaseDirectory } from '../src/store/kv-contract.ts';
import { KvStore } from '../src/store/kv-store.ts';
import { WatchHub } from '../src/store/watch-hub.ts';
import { type BenchOptions, type BenchTable, opsPerSecond } from './table.ts';

const noLeases: LeaseDirectory = { exists: () => true, attach: () => {}, detach: () => {} };

class CountingSink implements WatchSink {
  events = 0;
  send(response: { events: unknown[] }): boolean {
    this.events += response.events.length;
    return true;
  }
}

type Shape = 'prefix' | 'prefix + prev_kv' | 'single keys' | 'ranges';

function setup(shape: Shape, watchers: number) {
  const kv = new KvStore({ leases: noLeases });
  const hub = new WatchHub(kv);
  kv.setObserver(hub);
  const sink = new CountingSink();
  const pad = (i: number) => String(i).padStart(7, '0');
  for (let i = 0; i < watchers; i++) {
    const stream = hub.openStream(sink);
    if (shape === 'prefix' || shape === 'prefix + prev_kv') {
      stream.request({ create_request: { key: utf8('p/'), range_end: utf8('p0'), prev_kv: shape === 'prefix + prev_kv' } });
    } else if (shape === 'single keys') {
      stream.request({ create_request: { key: utf8(`k/${pad(i)}`) } });
    } else {
      stream.request({ create_request: { key: utf8(`r/${pad(i)}/`), range_end: utf8(`r/${pad(i)}0`) } });
    }
  }
  let n = 0;
  const value = utf8('v'.repeat(64));
  const key =
    shape === 'single keys'
      ? () => utf8(`k/${pad(n++ % Math.max(1, watchers))}`)
      : shape === 'ranges'
        ? () => utf8(`r/${pad(n++ % Math.max(1, watchers))}/x`)
        : () => utf8(`p/${n++ % 100}`);
  kv.put({ key: key(), value }); // warm the keys' histories
  return { write: () => kv.put({ key: key(), value }), sink };
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const sizes = quick ? [1_000, 10_000] : [1_000, 10_000, 100_000];
  const targetMs = quick ? 150 : 400;
  const baseline = setup('prefix', 0);
  opsPerSecond(baseline.write, 1, targetMs); // warm up the KV store's code paths first
  const baselineWritesPerSecond = opsPerSecond(baseline.write, 1, targetMs);
  const baselineUs = 1e6 / baselineWritesPerSecond;

  const rows: (string | number)[][] = [['no watchers (baseline)', '0', baselineUs, '0', '—', 1]];
  for (const shape of ['prefix', 'prefix + prev_kv', 'single keys', 'ranges'] as Shape[]) {
    for (const watchers of sizes) {
      const { write, sink } = setup(shape, watchers);
      const before = sink.events;
      let writes = 0;
      const writesPerSecond = opsPerSecond(
        () => {
          write();
          writes++;
        },
        1,
        targetMs,
      );
      const delivered = (sink.events - before) / writes;
      const usPerWrite = 1e6 / writesPerSecond;
      rows.push([shape, watchers.toLocaleString('en-US'), usPerWrite, delivered, delivered > 0 ? usPerWrite / delivered : '—', usPerWrite / baselineUs]);
    }
  }
  return [
    {
      title: 'Watch fan-out: one put, N watchers',
      columns: ['watchers on', 'watchers', 'µs / write', 'events delivered / write', 'µs / delivered event', 'write cost vs baseline'],
      rows,
      notes: [
        'Each watcher on its own stream with a sink that accepts everything; KvStore + WatchHub in process, 64-byte values.',
        '"single keys" and "ranges": each write hits one of N watchers, found by map lookup or interval-tree stab.',
      ],
    },
  ];
}
