// runJumpingStoreLoops: the same loops as runStoreLoops, but a jump of any
// length costs the work due in it, not one timer per skipped tick.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import type { WatchSink } from '../../src/store/etcd-api.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { WatchResponse } from '../../src/store/messages.ts';
import { runJumpingStoreLoops, runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

/** A store whose loop calls are counted, and a watcher on everything that records (virtual ms, response). */
function world(jumping: boolean, progressNotifyIntervalMs = 10 * 60 * 1000) {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const calls = { sweep: 0, resync: 0, progress: 0 };
  const sweep = store.sweepExpiredLeases.bind(store);
  const resync = store.syncWatchers.bind(store);
  const progress = store.notifyWatchProgress.bind(store);
  store.sweepExpiredLeases = () => (calls.sweep++, sweep());
  store.syncWatchers = () => (calls.resync++, resync());
  store.notifyWatchProgress = () => (calls.progress++, progress());
  const seen: { atMs: number; revision: number; events: string[] }[] = [];
  const sink: WatchSink = {
    send: (response: WatchResponse) => {
      if (response.created !== true)
        seen.push({
          atMs: clock.nowMs(),
          revision: response.header.revision,
          events: (response.events ?? []).map((e) => `${e.type ?? 'PUT'} ${Buffer.from(e.kv.key).toString()}`),
        });
      return true;
    },
  };
  store.openWatchStream(sink).request({ create_request: { key: utf8('\0'), range_end: utf8('\0'), progress_notify: true } });
  const options = { progressNotifyIntervalMs };
  const loops = jumping ? runJumpingStoreLoops(store, clock, options) : undefined;
  if (!jumping) runStoreLoops(store, clock, options);
  const advanceTo = (ms: number) => (loops === undefined ? clock.advanceTo(ms) : loops.advanceTo(ms));
  return { clock, store, calls, seen, advanceTo };
}

/** Leases with keys, granted along the way: what happens to them must not depend on how time is moved. */
function grantSome(w: ReturnType<typeof world>): void {
  const grants: [atMs: number, ttl: number][] = [
    [0, 2],
    [10, 2],
    [730, 5],
    [731, 3],
    [1999, 7],
    [2000, 2],
    [9000, 60],
  ];
  for (const [index, [atMs, ttl]] of grants.entries()) {
    if (w.clock.nowMs() < atMs) w.advanceTo(atMs);
    const id = BigInt(index + 1);
    w.store.leaseGrant({ ID: id, TTL: ttl });
    w.store.put({ key: utf8(`k${index}`), lease: id });
  }
}

describe('runJumpingStoreLoops', () => {
  it('revokes every lease at the same tick, in the same order, as runStoreLoops does', () => {
    const stepped = world(false);
    grantSome(stepped);
    stepped.advanceTo(200_000);
    const jumped = world(true);
    grantSome(jumped);
    jumped.advanceTo(200_000);
    const deletes = (w: ReturnType<typeof world>) => w.seen.filter((s) => s.events.some((e) => e.startsWith('DELETE')));
    expect(deletes(jumped)).toEqual(deletes(stepped));
    expect(deletes(jumped).map((s) => s.atMs)).toEqual([2000, 2500, 4000, 4000, 6000, 9000, 69000]);
    expect(jumped.calls.sweep).toBeLessThan(20);
    expect(stepped.calls.sweep).toBe(400);
  });

  it('jumps 1e12 ms with a handful of loop calls', () => {
    const w = world(true);
    w.store.leaseGrant({ ID: 1n, TTL: 5 });
    w.store.put({ key: utf8('a'), lease: 1n });
    w.advanceTo(1e12);
    expect(w.clock.nowMs()).toBe(1e12);
    expect(w.store.range({ key: utf8('a') }).count).toBe(0);
    expect(w.calls.sweep + w.calls.resync + w.calls.progress).toBeLessThan(10);
    expect(w.clock.pendingTimers).toBe(3); // each loop waits for its next tick again
  });

  it('drains a backlog at 500 leases a sweep, as runStoreLoops does', () => {
    const w = world(true);
    for (let id = 1n; id <= 1200n; id++) w.store.leaseGrant({ ID: id, TTL: 2 });
    w.advanceTo(2000);
    expect(w.store.lessor.size).toBe(700);
    w.advanceTo(1e9);
    expect(w.store.lessor.size).toBe(0);
    expect(w.calls.sweep).toBeLessThan(10);
  });

  it('between jumps every loop fires at every tick', () => {
    const w = world(true);
    for (let ms = 10; ms <= 1000; ms += 10) w.advanceTo(ms);
    expect(w.calls).toEqual({ sweep: 2, resync: 10, progress: 0 });
  });

  it('sends what runStoreLoops sends, less the repeats of an idle stretch (same revision, nothing in between)', () => {
    const story = (w: ReturnType<typeof world>) => {
      w.advanceTo(3_600_000);
      w.store.leaseGrant({ ID: 1n, TTL: 600 });
      w.store.put({ key: utf8('a'), lease: 1n }); // revision 2 at 3_600_000; the lease expires at 4_200_000 (revision 3)
      w.advanceTo(10_000_000);
    };
    const stepped = world(false, 60_000);
    story(stepped);
    const jumped = world(true, 60_000);
    story(jumped);
    const withoutRepeats = stepped.seen.filter((s, i) => {
      const previous = stepped.seen[i - 1];
      return !(s.events.length === 0 && previous !== undefined && previous.events.length === 0 && previous.revision === s.revision);
    });
    expect(stepped.seen.length).toBeGreaterThan(150);
    expect(jumped.seen).toEqual(withoutRepeats);
    expect(jumped.seen).toEqual([
      { atMs: 60_000, revision: 1, events: [] },
      { atMs: 3_600_000, revision: 2, events: ['PUT a'] },
      { atMs: 3_720_000, revision: 2, events: [] }, // the tick at 3_660_000 saw the put
      { atMs: 4_200_000, revision: 3, events: ['DELETE a'] },
      { atMs: 4_320_000, revision: 3, events: [] }, // the tick at 4_200_000 came just before the sweep
    ]);
  });
  it('keeps resyncing through a jump while an unsynced watcher has history to catch up on, then stops', () => {
    const w = world(true);
    for (let i = 0; i < 2_500; i++) w.store.put({ key: utf8(`h${i % 7}`) });
    const revisions: number[] = [];
    w.store
      .openWatchStream({ send: (response) => (revisions.push(...(response.events ?? []).map((e) => e.kv.mod_revision)), true) })
      .request({ create_request: { key: utf8('h'), range_end: utf8('i'), start_revision: 2 } });
    expect(revisions.length).toBe(0); // nothing at creation: etcd catches up on its 100 ms resync, in batches of 1000
    w.calls.resync = 0;
    w.advanceTo(1e12);
    expect(revisions).toEqual(Array.from({ length: 2_500 }, (_, i) => i + 2));
    expect(w.calls.resync).toBeLessThanOrEqual(3);
  });
});

describe('runJumpingStoreLoops: the cost of a long jump', () => {
  it('advances 10 hours with one lease in a handful of loop calls, where stepping ticks 72,000 sweeps', () => {
    const tenHoursMs = 10 * 3_600_000;
    const cost = (jumping: boolean) => {
      const w = world(jumping);
      w.store.leaseGrant({ ID: 1n, TTL: 60 });
      w.store.put({ key: utf8('a'), lease: 1n });
      w.advanceTo(tenHoursMs);
      expect(w.store.range({ key: utf8('a') }).count).toBe(0);
      return w.calls;
    };
    expect(cost(false)).toEqual({ sweep: 72_000, resync: 360_000, progress: 60 });
    // As store-loops.ts's own jumping loops counted before etcd-loops.ts took them over: two calls of each.
    expect(cost(true)).toEqual({ sweep: 2, resync: 2, progress: 2 });
  });
});
