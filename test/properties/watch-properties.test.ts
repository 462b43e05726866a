// Watch properties against the real KvStore, random writes and watchers:
//   1. a watcher started at revision s (replayed from history or live) sees,
//      for every revision v >= s, exactly the changes between the ranges read
//      at v - 1 and v (KvStore.range at each revision): PUT with the new kv,
//      DELETE {key, mod v}, prev_kv = the key at v - 1 when asked for; all of
//      one revision in one response; revisions increasing;
//   2. a slow reader (the sink refusing at random, the receiver draining at
//      random) still sees every event exactly once, in order — the same
//      events as a reader that never refuses — while the stream never holds
//      more than one refused event response.
// Replay a failure with LEASELAB_SEED=<seed> and the printed path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/store/bytes.ts';
import type { WatchSink, WatchStream } from '../../src/store/etcd-api.ts';
import { isEtcdError } from '../../src/store/errors.ts';
import type { LeaseDirectory } from '../../src/store/kv-contract.ts';
import { KvStore } from '../../src/store/kv-store.ts';
import type { Event, KeyValue, RequestOp, WatchResponse } from '../../src/store/messages.ts';
import { WatchHub } from '../../src/store/watch-hub.ts';
import type { WatchStreamSession } from '../../src/store/watch-stream.ts';
import { casesFor } from '../quick-tier.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

const noLeases: LeaseDirectory = { exists: () => true, attach: () => {}, detach: () => {} };

const keys = ['a', 'b', 'c', 'd', 'e'];

/** Watched ranges: [key, end] as on the wire ('' = single key, '\0' = every key >= key). */
const ranges: [string, string][] = [
  ['b', ''],
  ['a', 'c'],
  ['c', '\0'],
  ['\0', '\0'],
  ['bb', 'd'],
];

type Write =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string; end: string }
  | { kind: 'txn'; ops: ({ put: string; value: string } | { del: string })[] };

const keyArb = fc.constantFrom(...keys);
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, value: fc.constantFrom('x', 'y', '') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb, end: fc.constantFrom('', 'c', '\0') }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('txn' as const),
      ops: fc.array(fc.oneof(fc.record({ put: keyArb, value: fc.constantFrom('t', 'u') }), fc.record({ del: keyArb })), { minLength: 1, maxLength: 4 }),
    }),
  },
);

function apply(kv: KvStore, write: Write): void {
  try {
    if (write.kind === 'put') kv.put({ key: utf8(write.key), value: utf8(write.value) });
    else if (write.kind === 'delete') kv.deleteRange(write.end === '' ? { key: utf8(write.key) } : { key: utf8(write.key), range_end: utf8(write.end) });
    else {
      const success: RequestOp[] = write.ops.map((op) =>
        'put' in op ? { request_put: { key: utf8(op.put), value: utf8(op.value) } } : { request_delete_range: { key: utf8(op.del) } },
      );
      kv.txn({ success });
    }
  } catch (error) {
    if (!isEtcdError(error)) throw error; // duplicate keys in a txn: nothing changed
  }
}

function rangeAt(kv: KvStore, [key, end]: [string, string], revision: number): Map<string, KeyValue> {
  const request = end === '' ? { key: utf8(key), revision } : { key: utf8(key), range_end: utf8(end), revision };
  return new Map(kv.range(request).kvs.map((item) => [fromUtf8(item.key), item]));
}

function sameKv(a: KeyValue, b: KeyValue): boolean {
  return (
    fromUtf8(a.key) === fromUtf8(b.key) &&
    a.create_revision === b.create_revision &&
    a.mod_revision === b.mod_revision &&
    a.version === b.version &&
    fromUtf8(a.value) === fromUtf8(b.value) &&
    a.lease === b.lease
  );
}

class Collector implements WatchSink {
  readonly responses: WatchResponse[] = [];
  send(response: WatchResponse): boolean {
    this.responses.push(response);
    return true;
  }
}

interface Placed {
  range: [string, string];
  /** First revision the watcher must see. */
  from: number;
  prevKv: boolean;
  sink: Collector;
}

describe('watch properties', () => {
  it('1: a watcher from revision s sees exactly the changes between consecutive ranges', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: writeArb.map((write) => ({ write })) },
            { weight: 1, arbitrary: fc.record({ range: fc.constantFrom(...ranges), back: fc.integer({ min: -2, max: 12 }), prevKv: fc.boolean() }) },
          ),
          { maxLength: 40 },
        ),
        (commands) => {
          const kv = new KvStore({ leases: noLeases });
          const hub = new WatchHub(kv);
          kv.setObserver(hub);
          const placed: Placed[] = [];
          for (const command of commands) {
            if ('write' in command) {
              apply(kv, command.write);
              kv.checkValid();
              hub.checkValid();
              continue;
            }
            const current = kv.currentRevision();
            // back -2, -1: future starts; 0: "now"; > 0: that many revisions back (at least 1).
            const start = command.back === 0 ? 0 : Math.max(1, current - command.back);
            const sink = new Collector();
            const [key, end] = command.range;
            hub.openStream(sink).request({
              create_request: { key: utf8(key), ...(end === '' ? {} : { range_end: utf8(end) }), start_revision: start, prev_kv: command.prevKv },
            });
            placed.push({ range: command.range, from: start === 0 ? current + 1 : start, prevKv: command.prevKv, sink });
            hub.checkValid();
          }
          for (let pass = 0; pass < 10 && hub.unsyncedWatchers > 0; pass++) {
            hub.syncWatchers();
            hub.checkValid();
          }
          expect(hub.unsyncedWatchers).toBe(0);

          const current = kv.currentRevision();
          for (const watcher of placed) {
            const [created, ...rest] = watcher.sink.responses;
            expect(created!.created).toBe(true);
            const byRevision = new Map<number, Event[]>();
            let lastRevision = 0;
            for (const response of rest) {
              expect(response.events.length).toBeGreaterThan(0);
              const revisionsHere = new Set<number>();
              for (const event of response.events) {
                const revision = event.kv.mod_revision;
                expect(revision).toBeGreaterThanOrEqual(lastRevision);
                // All of one revision in one response.
                if (revision !== lastRevision) expect(byRevision.has(revision)).toBe(false);
                lastRevision = revision;
                revisionsHere.add(revision);
                byRevision.set(revision, [...(byRevision.get(revision) ?? []), event]);
              }
              expect(Math.max(...revisionsHere)).toBeLessThanOrEqual(response.header.revision);
            }
            for (let v = Math.max(watcher.from, 2); v <= current; v++) {
              const before = rangeAt(kv, watcher.range, v - 1);
              const after = rangeAt(kv, watcher.range, v);
              const expected: string[] = [];
              for (const [key, kvAfter] of after) {
                const kvBefore = before.get(key);
                if (kvBefore === undefined || kvBefore.mod_revision !== kvAfter.mod_revision) expected.push(`PUT ${key}`);
              }
              for (const key of before.keys()) if (!after.has(key)) expected.push(`DELETE ${key}`);
              const got = byRevision.get(v) ?? [];
              expect(got.map((event) => `${event.type} ${fromUtf8(event.kv.key)}`).sort(), `revision ${v}`).toEqual(expected.sort());
              for (const event of got) {
                const key = fromUtf8(event.kv.key);
                if (event.type === 'PUT') expect(sameKv(event.kv, after.get(key)!)).toBe(true);
                else expect(event.kv.mod_revision).toBe(v);
                const previous = before.get(key);
                const wantPrev = watcher.prevKv && previous !== undefined && !(event.type === 'PUT' && event.kv.version === 1);
                expect(event.prev_kv !== undefined).toBe(wantPrev);
                if (wantPrev) expect(sameKv(event.prev_kv!, previous)).toBe(true);
              }
            }
            for (const revision of byRevision.keys()) expect(revision).toBeGreaterThanOrEqual(watcher.from);
          }
        },
      ),
      { seed, numRuns: casesFor(150, 40) },
    );
  });

  it('2: a slow reader sees every event exactly once, in order, with a bounded queue', () => {
    type Step = { write: Write } | { drain: number } | { sync: true } | { capacity: number };
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: writeArb.map((write) => ({ write })) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 3 }).map((drain) => ({ drain })) },
      { weight: 2, arbitrary: fc.constant({ sync: true as const }) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }).map((capacity) => ({ capacity })) },
    );
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 80 }), fc.integer({ min: 0, max: 3 }), (steps, initialCapacity) => {
        const kv = new KvStore({ leases: noLeases });
        const hub = new WatchHub(kv);
        kv.setObserver(hub);
        for (let i = 0; i < 3; i++) apply(kv, { kind: 'put', key: keys[i]!, value: 'x' });

        // The slow receiver: a buffer of `capacity` responses, drained by the test.
        let capacity = initialCapacity;
        const buffer: WatchResponse[] = [];
        const received: WatchResponse[] = [];
        const slowSink: WatchSink = {
          send: (response) => {
            if (buffer.length >= capacity) return false;
            buffer.push(response);
            return true;
          },
        };
        const fast = new Collector();
        const slowStream = hub.openStream(slowSink);
        const fastStream = hub.openStream(fast);
        const watch = (stream: WatchStream, [key, end]: [string, string], start: number) =>
          stream.request({ create_request: { key: utf8(key), ...(end === '' ? {} : { range_end: utf8(end) }), start_revision: start } });
        for (const stream of [slowStream, fastStream]) {
          watch(stream, ranges[3]!, 1);
          watch(stream, ranges[1]!, 0);
          watch(stream, ranges[0]!, 3);
        }
        const session = slowStream as WatchStreamSession;
        for (const step of steps) {
          if ('write' in step) apply(kv, step.write);
          else if ('drain' in step) received.push(...buffer.splice(0, step.drain));
          else if ('sync' in step) hub.syncWatchers();
          else capacity = step.capacity;
          kv.checkValid();
          hub.checkValid();
          // At most one refused event response, plus the three created responses if those were refused.
          expect(session.pendingResponses).toBeLessThanOrEqual(1 + 3);
        }
        // The reader catches up: drain, sync, until nothing moves.
        capacity = 1;
        for (let i = 0; i < 10_000 && (buffer.length > 0 || session.pendingResponses > 0 || hub.unsyncedWatchers > 0); i++) {
          received.push(...buffer.splice(0));
          hub.syncWatchers();
        }
        received.push(...buffer.splice(0));
        expect(hub.unsyncedWatchers).toBe(0);

        const eventsById = (responses: WatchResponse[]) => {
          const out = new Map<WatchResponse['watch_id'], string[]>();
          for (const response of responses) {
            if (response.created) continue;
            const list = out.get(response.watch_id) ?? [];
            for (const event of response.events) list.push(`${event.type} ${fromUtf8(event.kv.key)}@${event.kv.mod_revision}v${event.kv.version}`);
            out.set(response.watch_id, list);
          }
          return out;
        };
        const slowEvents = eventsById(received);
        const fastEvents = eventsById(fast.responses);
        for (const id of [0, 1, 2]) expect(slowEvents.get(id) ?? [], `watcher ${id}`).toEqual(fastEvents.get(id) ?? []);
        // Each watcher's created response comes before its events.
        for (const id of [0, 1, 2]) {
          const created = received.findIndex((response) => response.watch_id === id && response.created);
          const first = received.findIndex((response) => response.watch_id === id && !response.created);
          expect(created).toBeGreaterThanOrEqual(0);
          if (first >= 0) expect(created).toBeLessThan(first);
        }
      }),
      { seed, numRuns: casesFor(200, 50) },
    );
  });
});
