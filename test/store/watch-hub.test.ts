// The watch hub against a small fake history: docs/etcd-semantics.md §6 and §11 items 30–40, 51, 63, 66.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { WatchCancelReason } from '../../src/store/errors.ts';
import { watchBatchRevisionsMax, watchersPerSyncMax, watchFragmentBytesMax } from '../../src/store/limits.ts';
import type { WatchCreateRequest, WatchFilterType } from '../../src/store/messages.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { WatchHub } from '../../src/store/watch-hub.ts';
import { FakeHistory, RecordingSink, show } from './watch-fake-history.ts';

interface CreateOptions {
  end?: string;
  start?: number;
  id?: number;
  prevKv?: boolean;
  filters?: WatchFilterType[];
  progress?: boolean;
  fragment?: boolean;
}

function createRequest(key: string, o: CreateOptions = {}): WatchCreateRequest {
  const create: WatchCreateRequest = { key: utf8(key) };
  if (o.end !== undefined) create.range_end = utf8(o.end);
  if (o.start !== undefined) create.start_revision = o.start;
  if (o.id !== undefined) create.watch_id = o.id;
  if (o.prevKv !== undefined) create.prev_kv = o.prevKv;
  if (o.filters !== undefined) create.filters = o.filters;
  if (o.progress !== undefined) create.progress_notify = o.progress;
  if (o.fragment !== undefined) create.fragment = o.fragment;
  return create;
}

function setup() {
  const kv = new FakeHistory();
  const hub = new WatchHub(kv);
  kv.observer = hub;
  const open = () => {
    const sink = new RecordingSink();
    const stream = hub.openStream(sink);
    const watch = (key: string, o: CreateOptions = {}) => stream.request({ create_request: createRequest(key, o) });
    const seen = () => sink.drain().map(show);
    return { sink, stream, watch, seen };
  };
  return { kv, hub, open };
}

describe('create', () => {
  it('30: from the current revision, one response per write; other keys unseen; ["", "\\0") sees everything', () => {
    const { kv, open } = setup();
    const foo = open();
    foo.watch('foo');
    const other = open();
    other.watch('helloworld');
    const all = open();
    all.watch('', { end: '\0' });
    expect(foo.seen()).toEqual([{ rev: 1, id: 0, created: true }]);
    kv.put('foo');
    kv.put('foo');
    kv.put('foo');
    kv.put('fooLong');
    expect(foo.seen()).toEqual([
      { rev: 2, id: 0, events: ['PUT foo=bar c2 m2 v1'] },
      { rev: 3, id: 0, events: ['PUT foo=bar c2 m3 v2'] },
      { rev: 4, id: 0, events: ['PUT foo=bar c2 m4 v3'] },
    ]);
    expect(other.seen()).toEqual([{ rev: 1, id: 0, created: true }]);
    expect(all.seen().at(-1)).toEqual({ rev: 5, id: 0, events: ['PUT fooLong=bar c5 m5 v1'] });
  });

  it('31: a future start revision waits; the first event delivered is at that revision', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('foo', { start: 10 });
    expect(w.seen()).toEqual([{ rev: 1, id: 0, created: true }]);
    for (let r = 2; r <= 10; r++) kv.put('foo');
    expect(w.seen()).toEqual([{ rev: 10, id: 0, events: ['PUT foo=bar c2 m10 v9'] }]);
  });

  it('32: an empty range is refused with watch_id -1; (foo, "\\0") is fine', () => {
    const { open } = setup();
    const w = open();
    w.watch('a', { end: 'a' });
    w.watch('b', { end: 'a' });
    w.watch('foo', { end: '\0' });
    expect(w.seen()).toEqual([
      { rev: 1, id: -1, created: true, canceled: true, reason: WatchCancelReason.emptyRange },
      { rev: 1, id: -1, created: true, canceled: true, reason: WatchCancelReason.emptyRange },
      { rev: 1, id: 0, created: true },
    ]);
  });

  it('66: a negative start revision is created; the resync cancels it below the compaction revision (-1 before any), else replays all (etcd 3.4.23)', () => {
    const { kv, hub, open } = setup();
    kv.put('foo');
    const w = open();
    w.watch('foo', { start: -1 });
    w.watch('foo', { start: -5 });
    w.watch('bar');
    expect(w.seen()).toEqual([
      { rev: 2, id: 0, created: true },
      { rev: 2, id: 1, created: true },
      { rev: 2, id: 2, created: true },
    ]);
    hub.syncWatchers();
    // -1 is not below the compaction revision (-1): created, but etcd's history read from a negative
    // revision is empty, so it replays nothing and goes on from the present.
    expect(w.seen()).toEqual([{ rev: 0, id: 1, canceled: true, compact: -1 }]);
    kv.put('foo');
    expect(w.seen()).toEqual([{ rev: 3, id: 0, events: ['PUT foo=bar c2 m3 v2'] }]);
    kv.compact(2);
    w.watch('foo', { start: -1 });
    hub.syncWatchers();
    expect(w.seen()).toEqual([
      { rev: 3, id: 3, created: true },
      { rev: 0, id: 3, canceled: true, compact: 2 },
    ]);
  });

  it('a negative start in the same resync pass empties the history read of every watcher caught up with it (etcd 3.4.23)', () => {
    const { kv, hub, open } = setup();
    kv.put('foo');
    kv.put('foo');
    const a = open();
    a.watch('foo', { start: 2 });
    const b = open();
    b.watch('bar', { start: -1 });
    hub.syncWatchers();
    expect(a.seen()).toEqual([{ rev: 3, id: 0, created: true }]);
    kv.put('foo');
    expect(a.seen()).toEqual([{ rev: 4, id: 0, events: ['PUT foo=bar c2 m4 v3'] }]);
  });

  it('after a compaction at revision 0 a negative start gets an empty response, not canceled, and hears nothing (etcd 3.4.23, found by the differential test)', () => {
    const { kv, hub, open } = setup();
    kv.compact(0);
    const w = open();
    w.watch('foo', { start: -1 });
    hub.syncWatchers();
    expect(w.seen()).toEqual([
      { rev: 1, id: 0, created: true },
      { rev: 0, id: 0 },
    ]);
    kv.put('foo');
    expect(w.seen()).toEqual([]);
  });

  it('38: requested IDs, duplicates, auto IDs from 0 skipping IDs in use', () => {
    const { open } = setup();
    const w = open();
    w.watch('foo', { id: 1 });
    w.watch('foo', { id: 1 });
    w.watch('foo');
    w.watch('foo');
    expect(w.seen().map((r) => [r.id, r.canceled ?? false, r.reason ?? ''])).toEqual([
      [1, false, ''],
      [-1, true, WatchCancelReason.duplicateId],
      [0, false, ''],
      [2, false, ''],
    ]);
  });

  it('IDs are per stream', () => {
    const { open } = setup();
    const a = open();
    const b = open();
    a.watch('x');
    b.watch('y');
    expect(a.seen()[0]!.id).toBe(0);
    expect(b.seen()[0]!.id).toBe(0);
  });
});

describe('events', () => {
  it('33: a txn’s events arrive together, in op order, once', () => {
    for (const start of [0, 1]) {
      const { kv, hub, open } = setup();
      const w = open();
      w.watch('foo', { end: 'fop', start });
      hub.syncWatchers();
      kv.write([{ put: 'foo0' }, { put: 'foo1' }, { put: 'foo2' }]);
      const got = w.seen();
      expect(got.at(-1)!.events).toEqual([
        `PUT foo0=bar c${kv.revision} m${kv.revision} v1`,
        `PUT foo1=bar c${kv.revision} m${kv.revision} v1`,
        `PUT foo2=bar c${kv.revision} m${kv.revision} v1`,
      ]);
      expect(got).toHaveLength(2);
    }
  });

  it('34: NOPUT drops puts; a response left empty is not sent', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('foo', { filters: ['NOPUT'] });
    kv.put('foo');
    kv.del('foo');
    expect(w.seen()).toEqual([
      { rev: 1, id: 0, created: true },
      { rev: 3, id: 0, events: ['DELETE foo@3'] },
    ]);
  });

  it('NODELETE drops deletes', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('foo', { filters: ['NODELETE'] });
    kv.put('foo');
    kv.del('foo');
    expect(w.seen().slice(1)).toEqual([{ rev: 2, id: 0, events: ['PUT foo=bar c2 m2 v1'] }]);
  });

  it('35: prev_kv for updates and deletes, never for creations', () => {
    const { kv, open } = setup();
    kv.put('foo', 'bar1');
    const w = open();
    w.watch('foo', { end: 'fop', prevKv: true });
    const plain = open();
    plain.watch('foo', { end: 'fop' });
    kv.put('foo', 'bar2');
    kv.put('foo2', 'new');
    kv.del('foo');
    expect(w.seen().slice(1)).toEqual([
      { rev: 3, id: 0, events: ['PUT foo=bar2 c2 m3 v2 prev=bar1@2'] },
      { rev: 4, id: 0, events: ['PUT foo2=new c4 m4 v1'] },
      { rev: 5, id: 0, events: ['DELETE foo@5 prev=bar2@3'] },
    ]);
    expect(plain.seen().slice(1)[0]).toEqual({ rev: 3, id: 0, events: ['PUT foo=bar2 c2 m3 v2'] });
  });

  it('prev_kv is left out when its revision was compacted', () => {
    const { kv, hub, open } = setup();
    kv.put('foo', 'a');
    kv.put('x');
    kv.put('foo', 'b');
    kv.compact(4);
    const w = open();
    w.watch('foo', { start: 4, prevKv: true });
    hub.syncWatchers();
    expect(w.seen()[1]).toEqual({ rev: 4, id: 0, events: ['PUT foo=b c2 m4 v2'] });
  });

  it('36: an empty value', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('foo');
    kv.write([{ put: 'foo', value: '' }]);
    expect(w.seen()[1]).toEqual({ rev: 2, id: 0, events: ['PUT foo= c2 m2 v1'] });
  });

  it('37: a range delete is one response', () => {
    const { kv, open } = setup();
    kv.put('foo_0');
    kv.put('foo_1');
    kv.put('foo_2');
    const w = open();
    w.watch('foo', { end: 'foo_99' });
    kv.del('foo', 'foo_99');
    expect(w.seen()[1]).toEqual({ rev: 5, id: 0, events: ['DELETE foo_0@5', 'DELETE foo_1@5', 'DELETE foo_2@5'] });
  });

  it('51/63: a lease revoke is one revision of DELETEs, keys ascending; watch from 1 replays the PUTs first', () => {
    const { kv, hub, open } = setup();
    kv.put('b');
    kv.put('a');
    kv.put('c');
    const w = open();
    w.watch('a', { end: 'd', start: 1 });
    hub.syncWatchers();
    kv.write([{ del: 'a' }, { del: 'b' }, { del: 'c' }]);
    expect(w.seen()).toEqual([
      { rev: 4, id: 0, created: true },
      { rev: 4, id: 0, events: ['PUT b=bar c2 m2 v1', 'PUT a=bar c3 m3 v1', 'PUT c=bar c4 m4 v1'] },
      { rev: 5, id: 0, events: ['DELETE a@5', 'DELETE b@5', 'DELETE c@5'] },
    ]);
  });

  it('single-key, range and open-ended watchers each get a write once', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('k');
    w.watch('a', { end: 'z' });
    w.watch('k', { end: '\0' });
    w.watch('l', { end: '\0' });
    kv.write([{ put: 'k' }, { put: 'm' }]);
    expect(w.seen().slice(4)).toEqual([
      { rev: 2, id: 0, events: ['PUT k=bar c2 m2 v1'] },
      { rev: 2, id: 1, events: ['PUT k=bar c2 m2 v1', 'PUT m=bar c2 m2 v1'] },
      { rev: 2, id: 2, events: ['PUT k=bar c2 m2 v1', 'PUT m=bar c2 m2 v1'] },
      { rev: 2, id: 3, events: ['PUT m=bar c2 m2 v1'] },
    ]);
  });
});

describe('history', () => {
  it('replays from a past revision in one response at the current revision, then live (watch-history trace)', () => {
    const { kv, hub, open } = setup();
    kv.put('h', '1');
    kv.put('h', '2');
    kv.del('h');
    kv.put('h', '3');
    const all = open();
    all.watch('h', { start: 2 });
    const noput = open();
    noput.watch('h', { start: 1, filters: ['NOPUT'] });
    hub.syncWatchers();
    kv.put('h', '4');
    expect(all.seen()).toEqual([
      { rev: 5, id: 0, created: true },
      { rev: 5, id: 0, events: ['PUT h=1 c2 m2 v1', 'PUT h=2 c2 m3 v2', 'DELETE h@4', 'PUT h=3 c5 m5 v1'] },
      { rev: 6, id: 0, events: ['PUT h=4 c5 m6 v2'] },
    ]);
    expect(noput.seen()).toEqual([
      { rev: 5, id: 0, created: true },
      { rev: 5, id: 0, events: ['DELETE h@4'] },
    ]);
  });

  it('catches up on the resync, not at creation: writes in between join the history; a compaction in between cancels (etcd 3.4.23)', () => {
    const { kv, hub, open } = setup();
    kv.put('h', '1');
    kv.put('h', '2');
    const w = open();
    w.watch('h', { start: 1 });
    kv.put('h', '3'); // the watcher is unsynced: nothing live
    expect(w.seen()).toEqual([{ rev: 3, id: 0, created: true }]);
    expect(hub.unsyncedWatchers).toBe(1);
    hub.syncWatchers();
    expect(w.seen()).toEqual([{ rev: 4, id: 0, events: ['PUT h=1 c2 m2 v1', 'PUT h=2 c2 m3 v2', 'PUT h=3 c2 m4 v3'] }]);
    const late = open();
    late.watch('h', { start: 2 });
    kv.compact(4);
    hub.syncWatchers();
    expect(late.seen()).toEqual([
      { rev: 4, id: 0, created: true },
      { rev: 0, id: 0, canceled: true, compact: 4 },
    ]);
  });

  it('39 / 12: a start below the compaction revision → created, then canceled with compact_revision; == is fine', () => {
    const { kv, hub, open } = setup();
    for (let i = 0; i < 10; i++) kv.put('foo');
    kv.compact(5);
    const w = open();
    w.watch('foo', { start: 4 });
    w.watch('foo', { start: 5 });
    hub.syncWatchers();
    const got = w.seen();
    expect(got.slice(0, 3)).toEqual([
      { rev: 11, id: 0, created: true },
      { rev: 11, id: 1, created: true },
      { rev: 0, id: 0, canceled: true, compact: 5 },
    ]);
    expect(got[3]!.events).toHaveLength(7);
    // The compacted watcher hears nothing more but keeps its ID until cancelled.
    kv.put('foo');
    expect(w.seen().map((r) => r.id)).toEqual([1]);
    w.watch('bar');
    expect(w.seen()[0]!.id).toBe(2);
    w.stream.request({ cancel_request: { watch_id: 0 } });
    expect(w.seen()).toEqual([{ rev: 12, id: 0, canceled: true }]);
  });

  it('a long history comes in batches of watchBatchRevisionsMax revisions, the rest from syncWatchers', () => {
    const { kv, hub, open } = setup();
    const total = watchBatchRevisionsMax + 500;
    for (let i = 0; i < total; i++) kv.put('k');
    const w = open();
    w.watch('k', { start: 1 });
    hub.syncWatchers();
    const first = w.seen();
    expect(first[1]!.events).toHaveLength(watchBatchRevisionsMax);
    expect(first[1]!.rev).toBe(total + 1);
    expect(hub.unsyncedWatchers).toBe(1);
    kv.put('k'); // not sent live: the watcher is behind
    expect(w.seen()).toEqual([]);
    hub.syncWatchers();
    const second = w.seen();
    expect(second).toHaveLength(1);
    expect(second[0]!.events).toHaveLength(501);
    expect(second[0]!.rev).toBe(total + 2);
    expect(hub.unsyncedWatchers).toBe(0);
    kv.put('k');
    expect(w.seen()).toEqual([{ rev: total + 3, id: 0, events: [`PUT k=bar c2 m${total + 3} v${total + 2}`] }]);
  });
});

describe('cancel, progress, close', () => {
  it('cancel answers {watch_id, canceled}; unknown IDs are ignored; a cancelled watcher hears nothing', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('foo');
    w.stream.request({ cancel_request: { watch_id: 7 } });
    w.stream.request({ cancel_request: { watch_id: 0 } });
    kv.put('foo');
    expect(w.seen()).toEqual([
      { rev: 1, id: 0, created: true },
      { rev: 1, id: 0, canceled: true },
    ]);
    w.watch('foo');
    expect(w.seen()[0]!.id).toBe(1); // auto IDs never go back
  });

  it('40: progress_notify: one empty response per idle tick, only to watchers that asked', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('foo', { start: 1, progress: true });
    w.watch('foo', { start: 1 });
    hub.syncWatchers();
    w.seen();
    hub.notifyProgress();
    expect(w.seen()).toEqual([{ rev: 1, id: 0 }]);
    kv.put('foo');
    w.seen();
    hub.notifyProgress(); // events were sent since the last tick
    expect(w.seen()).toEqual([]);
    hub.notifyProgress();
    expect(w.seen()).toEqual([{ rev: 2, id: 0 }]);
  });

  it('no progress notification before a future start revision is reached', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('foo', { start: 3, progress: true });
    w.seen();
    hub.notifyProgress();
    kv.put('x');
    hub.notifyProgress();
    expect(w.seen()).toEqual([]);
    kv.put('x');
    hub.notifyProgress();
    expect(w.seen()).toEqual([{ rev: 3, id: 0 }]);
  });

  it('a progress request is answered at once with watch_id -1 and the current revision, synced watchers or not (etcd 3.4.23)', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('foo');
    w.seen();
    w.stream.request({ progress_request: {} });
    expect(w.seen()).toEqual([{ rev: 1, id: -1 }]);
    for (let i = 0; i < watchBatchRevisionsMax + 10; i++) kv.put('k');
    w.watch('k', { start: 1 });
    w.watch('f', { start: 4000 });
    w.seen();
    const revision = kv.revision;
    w.stream.request({ progress_request: {} });
    w.stream.request({ progress_request: {} });
    expect(w.seen()).toEqual([
      { rev: revision, id: -1 },
      { rev: revision, id: -1 },
    ]);
    hub.syncWatchers();
    expect(w.seen()).toEqual([{ rev: revision, id: 1, events: expect.any(Array) }]);
  });

  it('closing a stream drops its watchers', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('foo');
    w.watch('a', { end: 'z' });
    w.stream.close();
    kv.put('foo');
    expect(hub.syncedWatchers).toBe(0);
    expect(w.seen()).toHaveLength(2);
    w.watch('foo'); // a closed stream ignores requests
    expect(w.seen()).toEqual([]);
  });
});

describe('slow readers', () => {
  it('a refused response waits; later writes are caught up from history by syncWatchers, in order, once', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('k');
    w.watch('k', { end: 'l' });
    w.seen();
    w.sink.full = true;
    kv.put('k', '1'); // refused for watcher 0: queued; watcher 1 not attempted, falls behind
    kv.put('k', '2');
    kv.put('k', '3');
    expect(hub.unsyncedWatchers).toBe(2);
    w.watch('k', { start: 1 }); // created queues behind
    hub.syncWatchers(); // still full
    w.sink.full = false;
    hub.syncWatchers();
    expect(w.seen()).toEqual([
      { rev: 2, id: 0, events: ['PUT k=1 c2 m2 v1'] },
      { rev: 4, id: 2, created: true },
      // Watcher 1 fell behind at revision 2 (not attempted), watcher 0 at 3 (its 2 was queued).
      { rev: 4, id: 1, events: ['PUT k=1 c2 m2 v1', 'PUT k=2 c2 m3 v2', 'PUT k=3 c2 m4 v3'] },
      { rev: 4, id: 0, events: ['PUT k=2 c2 m3 v2', 'PUT k=3 c2 m4 v3'] },
      { rev: 4, id: 2, events: ['PUT k=1 c2 m2 v1', 'PUT k=2 c2 m3 v2', 'PUT k=3 c2 m4 v3'] },
    ]);
    expect(hub.unsyncedWatchers).toBe(0);
    kv.put('k', '4');
    expect(
      w
        .seen()
        .map((r) => r.id)
        .sort(),
    ).toEqual([0, 1, 2]);
  });

  it('a watcher that falls below a compaction while behind is cancelled with compact_revision', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('k');
    w.watch('j');
    w.seen();
    w.sink.full = true;
    kv.put('k');
    kv.put('j');
    kv.put('j');
    kv.compact(4);
    w.sink.full = false;
    hub.syncWatchers();
    expect(w.seen()).toEqual([
      { rev: 2, id: 0, events: ['PUT k=bar c2 m2 v1'] },
      { rev: 0, id: 1, canceled: true, compact: 4 },
    ]);
  });

  it('serves at most watchersPerSyncMax watchers per pass', () => {
    const { kv, hub, open } = setup();
    const w = open();
    const n = watchersPerSyncMax + 10;
    for (let i = 0; i < n; i++) w.watch('k');
    w.seen();
    w.sink.full = true;
    kv.put('k');
    kv.put('k');
    w.sink.full = false;
    hub.syncWatchers();
    expect(w.seen()).toHaveLength(1 + watchersPerSyncMax);
    hub.syncWatchers();
    expect(w.seen()).toHaveLength(n - watchersPerSyncMax);
    expect(hub.unsyncedWatchers).toBe(0);
  });

  it('a fast stream is not held back by a slow one', () => {
    const { kv, open } = setup();
    const slow = open();
    const fast = open();
    slow.watch('k');
    fast.watch('k');
    slow.sink.full = true;
    kv.put('k');
    kv.put('k');
    expect(
      fast
        .seen()
        .slice(1)
        .map((r) => r.rev),
    ).toEqual([2, 3]);
  });
});

describe('fragment', () => {
  const mib = 'x'.repeat(1024 * 1024);

  it('splits a big response for watchers that asked, never a single event; others get one response', () => {
    const { kv, open } = setup();
    const w = open();
    w.watch('a', { end: 'z', fragment: true });
    w.watch('a', { end: 'z' });
    w.seen();
    kv.write([
      { put: 'a', value: mib },
      { put: 'b', value: mib },
      { put: 'c', value: 'small' },
    ]);
    kv.put('d', mib + mib + mib); // one event, bigger than the limit: never split
    const got = w.sink.drain();
    expect(got.map((r) => [r.watch_id, r.events.length, r.fragment])).toEqual([
      [0, 1, true],
      [0, 2, false],
      [1, 3, false],
      [0, 1, false],
      [1, 1, false],
    ]);
    expect(watchFragmentBytesMax).toBe(2 * 1024 * 1024);
  });

  it('a refused fragment and the rest wait in order; nothing is sent twice', () => {
    const { kv, hub, open } = setup();
    const w = open();
    w.watch('a', { end: 'z', fragment: true });
    w.seen();
    w.sink.capacity = 1;
    kv.write([
      { put: 'a', value: mib },
      { put: 'b', value: mib },
      { put: 'c', value: mib },
    ]);
    kv.put('a', 'after');
    expect(w.sink.drain().map((r) => r.events.length)).toEqual([1]);
    w.sink.capacity = Number.POSITIVE_INFINITY;
    hub.syncWatchers();
    expect(w.seen().map((r) => [r.rev, r.fragment ?? false, (r.events as string[]).map((e) => e.slice(0, 5))])).toEqual([
      [2, true, ['PUT b']],
      [2, false, ['PUT c']],
      [3, false, ['PUT a']],
    ]);
  });
});

describe('on the store and its loops (virtual clock)', () => {
  it('a slow reader is caught up by the 100 ms resync; a lease expiry is one DELETE response', () => {
    const clock = new VirtualClock(0);
    const store = new EtcdStore({ clock });
    const stop = runStoreLoops(store, clock);
    try {
      const sink = new RecordingSink();
      const stream = store.openWatchStream(sink);
      stream.request({ create_request: createRequest('s/', { end: 's0' }) });
      const { ID } = store.leaseGrant({ TTL: 2, ID: 44n });
      store.put({ key: utf8('s/a'), value: utf8('1'), lease: ID });
      sink.full = true;
      store.put({ key: utf8('s/b'), value: utf8('1'), lease: ID });
      store.put({ key: utf8('s/c'), value: utf8('1') });
      clock.advance(50);
      sink.full = false;
      expect(sink.drain().map(show)).toEqual([
        { rev: 1, id: 0, created: true },
        { rev: 2, id: 0, events: ['PUT s/a=1 c2 m2 v1'] },
      ]);
      clock.advance(100); // the resync: the queued response, then the rest from history
      expect(sink.drain().map(show)).toEqual([
        { rev: 3, id: 0, events: ['PUT s/b=1 c3 m3 v1'] },
        { rev: 4, id: 0, events: ['PUT s/c=1 c4 m4 v1'] },
      ]);
      clock.advance(3000);
      expect(sink.drain().map(show)).toEqual([{ rev: 5, id: 0, events: ['DELETE s/a@5', 'DELETE s/b@5'] }]);
    } finally {
      stop();
    }
  });
});
