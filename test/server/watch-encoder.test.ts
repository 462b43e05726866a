/**
 * The fan-out's WatchResponse encoder (src/server/watch-encoder.ts), which
 * splices a revision's header bytes, each watcher's watch_id and the shared
 * events' bytes, against the plain encoder (grpc-encoder.ts) it stands in
 * for: byte for byte, and decoded by protobufjs to the same message, over
 * what a store sends watchers (prev_kv, filters, several events per write,
 * deletes, fragments, progress notifications, created, canceled and
 * compacted responses, watch IDs of one to five varint bytes and past them).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { WatchCreateRequest, WatchResponse } from '../../src/store/messages.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { eventsResponse, fragmentsOf } from '../../src/store/watch-response.ts';
import { responseEncoder } from '../../src/server/grpc-encoder.ts';
import { loadProtoRoot } from '../../src/server/proto-services.ts';
import { WatchResponseEncoder } from '../../src/server/watch-encoder.ts';

const root = loadProtoRoot(fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url)));
const type = root.lookupType('etcdserverpb.WatchResponse');
const member = { cluster_id: 14841639068965178418n, member_id: 10276657743932975437n, raft_term: 2 };
const plain = responseEncoder(type);

const show = (response: WatchResponse) =>
  JSON.stringify(response, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? `<${v.length} bytes>` : v));

function expectSame(encoder: WatchResponseEncoder, response: WatchResponse): void {
  const fast = encoder.encode(response);
  const whole = plain(response, member);
  expect(fast.toString('hex'), show(response)).toBe(whole.toString('hex'));
  expect(type.toObject(type.decode(fast), { longs: String })).toEqual(type.toObject(type.decode(whole), { longs: String }));
}

describe('the fan-out WatchResponse encoder', () => {
  it('writes what the plain encoder writes, over what a store sends its watchers', () => {
    const store = new EtcdStore({ clock: new VirtualClock() });
    const sent: WatchResponse[] = [];
    const stream = store.openWatchStream({ send: (response) => (sent.push(response), true) });
    const watch = (create: WatchCreateRequest) => stream.request({ create_request: create });
    // Watch IDs of 1, 2, 3, 4 and 5 varint bytes, and past 2^31 (the plain path).
    for (const watch_id of [0, 1, 127, 128, 16_384, 2 ** 21, 2 ** 28, 2 ** 31 - 1, 2 ** 31, 2 ** 40]) watch({ key: utf8('k/1'), watch_id });
    watch({ key: utf8('k'), range_end: utf8('l'), prev_kv: true });
    watch({ key: utf8('k'), range_end: utf8('l'), filters: ['NOPUT'], progress_notify: true });
    watch({ key: utf8('k'), range_end: utf8('l'), filters: ['NODELETE'], fragment: true });
    watch({ key: utf8('a'), range_end: utf8('b') }); // a range nothing is written to: created only
    const lease = store.leaseGrant({ TTL: 60, ID: 0n });
    for (let i = 0; i < 30; i++) {
      const key = utf8(`k/${i % 4}`);
      store.put({ key, value: utf8(`v${i}`.repeat(i)), lease: i % 3 === 0 ? lease.ID : 0n });
      if (i % 5 === 4) store.deleteRange({ key: utf8('k/'), range_end: utf8('k/3') });
      if (i % 6 === 5)
        store.txn({
          compare: [],
          success: [
            { request_put: { key: utf8('k/1'), value: utf8('t') } },
            { request_delete_range: { key: utf8('k/2') } },
            { request_put: { key: utf8('k/3') } },
          ],
          failure: [],
        });
    }
    stream.request({ progress_request: {} });
    stream.request({ cancel_request: { watch_id: 1 } });
    store.compact({ revision: 10 });
    watch({ key: utf8('k/1'), start_revision: 2 }); // compacted: canceled with compact_revision
    watch({ key: utf8('k/1'), start_revision: 12 }); // caught up from history
    store.syncWatchers();
    watch({ key: utf8('k'), range_end: utf8('l'), watch_id: 7 });
    watch({ key: utf8('k'), range_end: utf8('l'), watch_id: 7 }); // duplicate: created and canceled, watch_id -1
    const shapes = new Set(sent.map((r) => `${r.created}${r.canceled}${r.compact_revision !== 0}${r.events.length > 1}${r.events.length === 0}`));
    expect(shapes.size).toBeGreaterThanOrEqual(5);
    expect(sent.some((r) => r.events.some((e) => e.prev_kv !== undefined))).toBe(true);
    expect(sent.some((r) => r.events.some((e) => e.type === 'DELETE'))).toBe(true);
    const encoder = new WatchResponseEncoder(plain, member);
    for (const response of sent) expectSame(encoder, response);
    // Again in reverse, so the header kept for one revision meets every other one, and the events' bytes are taken from the cache.
    for (const response of [...sent].reverse()) expectSame(encoder, response);
  });

  it('writes fragments, progress notifications and hand-made edges as the plain encoder does', () => {
    const encoder = new WatchResponseEncoder(plain, member);
    const kv = (key: string, value: string, mod_revision: number) => ({
      key: utf8(key),
      create_revision: 2,
      mod_revision,
      version: 3,
      value: utf8(value),
      lease: 0n,
    });
    const events = [
      { type: 'PUT' as const, kv: kv('a', 'x'.repeat(700), 9), prev_kv: kv('a', 'y', 8) },
      { type: 'DELETE' as const, kv: { key: utf8('b'), create_revision: 0, mod_revision: 9, version: 0, value: new Uint8Array(), lease: 0n } },
      { type: 'PUT' as const, kv: kv('c', 'z'.repeat(700), 9) },
    ];
    const response = (fields: Partial<WatchResponse>): WatchResponse => ({ ...eventsResponse(9, 3, events), ...fields });
    const fragments = fragmentsOf(response({}), 1_000);
    expect(fragments.length).toBeGreaterThan(1);
    expect(fragments[0]!.fragment).toBe(true);
    for (const fragment of fragments) expectSame(encoder, fragment);
    for (const fields of [
      { events: [] }, // progress notification
      { events: [], watch_id: -1 }, // a progress request's answer
      { watch_id: 0 },
      { watch_id: 300, fragment: true },
      { header: { revision: 0 }, events: [] },
      { header: { revision: 2 ** 53 - 1 } },
      { watch_id: 5n },
      { watch_id: 1.5 },
      { compact_revision: 4, canceled: true, events: [] },
      { cancel_reason: 'etcdserver: mvcc: required revision has been compacted' },
      { created: true, events: [] },
    ] as Partial<WatchResponse>[]) {
      expectSame(encoder, response(fields));
    }
  });

  it('shares the events bytes between the watchers of one revision, and takes each revision its own header', () => {
    const encoder = new WatchResponseEncoder(plain, member);
    const events = [{ type: 'PUT' as const, kv: { key: utf8('fan'), create_revision: 2, mod_revision: 5, version: 4, value: utf8('out'), lease: 0n } }];
    const bytes = Array.from({ length: 300 }, (_, id) => encoder.encode(eventsResponse(5, id, events)));
    for (let id = 0; id < 300; id++) expect(bytes[id]!.toString('hex')).toBe(plain({ header: { revision: 5 }, watch_id: id, events }, member).toString('hex'));
    const next = encoder.encode(eventsResponse(6, 1, events));
    expect(next.toString('hex')).toBe(plain({ header: { revision: 6 }, watch_id: 1, events }, member).toString('hex'));
  });
});
