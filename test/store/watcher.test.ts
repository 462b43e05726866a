// A watcher's view of a write's events (NOPUT, NODELETE, prev_kv), a create event as etcd tells it,
// and whether the store has reached the revision it asked to start from.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import type { Event, KeyValue } from '../../src/store/messages.ts';
import type { WatchStreamSession } from '../../src/store/watch-stream.ts';
import { isCreateEvent, viewOf, Watcher, type WatcherOptions } from '../../src/store/watcher.ts';

const kv = (key: string, create: number, mod: number): KeyValue => ({
  key: utf8(key),
  create_revision: create,
  mod_revision: mod,
  version: mod - create + 1,
  value: utf8('v'),
  lease: 0n,
});
const put = (key: string, create: number, mod: number): Event => ({ type: 'PUT', kv: kv(key, create, mod) });
const del = (key: string, mod: number): Event => ({ type: 'DELETE', kv: { ...kv(key, 0, mod), create_revision: 0, version: 0 } });
const options = (set: Partial<WatcherOptions> = {}): WatcherOptions => ({
  noPut: false,
  noDelete: false,
  prevKv: false,
  progressNotify: false,
  fragment: false,
  ...set,
});
/** The watcher group and views never touch the stream: a watcher here stands alone. */
const watcher = (set: Partial<WatcherOptions>, requested = 0, start = 1) =>
  new Watcher({} as WatchStreamSession, 1, 'k', undefined, requested, start, options(set));

describe('viewOf', () => {
  const events = [put('a', 2, 2), put('a', 2, 3), del('a', 4), put('b', 5, 5)];
  const withPrev = (event: Event): Event => ({ ...event, prev_kv: kv('prev', 1, 1) });

  it('hands back the same events when the watcher takes them all as they are', () => {
    expect(viewOf(watcher({}).viewMask, events, withPrev)).toBe(events);
  });

  it('NOPUT drops puts, NODELETE drops deletes, prev_kv is attached to what is left', () => {
    expect(viewOf(watcher({ noPut: true }).viewMask, events, withPrev)).toEqual([events[2]]);
    expect(viewOf(watcher({ noDelete: true }).viewMask, events, withPrev)).toEqual([events[0], events[1], events[3]]);
    const prevSeen: Event[] = [];
    const view = viewOf(watcher({ noDelete: true, prevKv: true }).viewMask, events, (event) => {
      prevSeen.push(event);
      return withPrev(event);
    });
    expect(view.map((event) => event.prev_kv?.key)).toEqual([utf8('prev'), utf8('prev'), utf8('prev')]);
    // the dropped delete never had its previous version looked up
    expect(prevSeen).toEqual([events[0], events[1], events[3]]);
    expect(viewOf(watcher({ noPut: true, noDelete: true }).viewMask, events, withPrev)).toEqual([]);
  });

  it('watchers with the same filters and prev_kv share a view mask; progress notify and fragment do not change it', () => {
    expect(watcher({ prevKv: true, progressNotify: true }).viewMask).toBe(watcher({ prevKv: true, fragment: true }).viewMask);
    const masks = [{}, { noPut: true }, { noDelete: true }, { prevKv: true }, { noPut: true, prevKv: true }].map((set) => watcher(set).viewMask);
    expect(new Set(masks).size).toBe(masks.length);
  });
});

describe('isCreateEvent', () => {
  it('is a put whose create revision is its mod revision', () => {
    expect(isCreateEvent(put('a', 2, 2))).toBe(true);
    expect(isCreateEvent(put('a', 2, 3))).toBe(false);
    expect(isCreateEvent({ type: 'DELETE', kv: kv('a', 4, 4) })).toBe(false);
  });

  const v3rpcWatch = '/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/api/v3rpc/watch.go';
  it.skipIf(!existsSync(v3rpcWatch))(`is the server's IsCreateEvent (${v3rpcWatch})`, () => {
    expect(readFileSync(v3rpcWatch, 'utf8')).toContain('return e.Type == mvccpb.PUT && e.Kv.CreateRevision == e.Kv.ModRevision');
  });
});

describe('Watcher', () => {
  it('starts unsynced at its start revision; a "now" watcher (0) has always reached its start', () => {
    const now = watcher({}, 0, 8);
    expect([now.state, now.nextRevision, now.reachedStart(0)]).toEqual(['unsynced', 8, true]);
    const future = watcher({}, 10, 10);
    expect([future.reachedStart(9), future.reachedStart(10), future.reachedStart(11)]).toEqual([false, true, true]);
  });
});
