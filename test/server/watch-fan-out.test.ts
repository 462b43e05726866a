// A put to 10,000 watchers is written in slices (src/server/watch-fan-out.ts): the event loop runs
// other work between slices, and every watcher still gets every event once, in revision order,
// each in its own response as before. 1,000 real gRPC watch streams of 10 watchers each, so no
// stream's own buffer (16 responses) refuses: all 10,000 responses go through the slices.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { watchResponsesPerSliceMax } from '../../src/server/watch-fan-out.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { type RawClient, type RawWatch, rawClient } from './raw-grpc.ts';
import { until } from './until.ts';

const streamCount = 1_000;
const watchersPerStream = 10;

let server: GrpcEtcdServer;
let clients: RawClient[];
let streams: RawWatch[];

beforeEach(async () => {
  server = await startGrpcServer({
    port: 0,
    onInternalError: (error) => {
      throw error;
    },
  });
  // A few connections, as a few clients would (one HTTP/2 connection per client).
  clients = Array.from({ length: 10 }, () => rawClient(server.address));
  streams = Array.from({ length: streamCount }, (_, s) => clients[s % clients.length]!.watch());
  for (const stream of streams) for (let w = 0; w < watchersPerStream; w++) stream.send({ create_request: { key: Buffer.from('fan').toString('base64') } });
  await until(() => streams.every((stream) => stream.messages.length === watchersPerStream), 'every watcher created', 60_000);
}, 120_000);

afterEach(async () => {
  for (const stream of streams) stream.close();
  for (const client of clients) client.close();
  await server.close();
});

const put = (value: string) => server.store.put({ key: utf8('fan'), value: utf8(value), lease: 0n, prev_kv: false, ignore_value: false, ignore_lease: false });

it('yields the event loop between slices of a 10,000-watcher put', async () => {
  let waitingWhenYielded = -1;
  setImmediate(() => (waitingWhenYielded = server.watchResponsesWaiting));
  put('1');
  const waitingAfterPut = server.watchResponsesWaiting;
  // At most one slice went out in the put's tick, the rest wait for later turns.
  expect(waitingAfterPut).toBeGreaterThanOrEqual(streamCount * watchersPerStream - watchResponsesPerSliceMax);
  await until(() => waitingWhenYielded >= 0, 'the callback scheduled before the put');
  // The callback ran while some watcher's event was still waiting: the fan-out did not hold the loop.
  expect(waitingWhenYielded).toBeGreaterThan(0);
  await until(() => streams.every((stream) => stream.messages.length === 2 * watchersPerStream), 'every watcher has the event', 60_000);
  expect(server.watchResponsesWaiting).toBe(0);
}, 120_000);

/** Each watcher's events on `stream` (by watch id), as mod revisions in arrival order. */
function eventsByWatcher(stream: RawWatch): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (const message of stream.messages) {
    const events = (message['events'] ?? []) as { kv: { mod_revision: string } }[];
    if (events.length === 0) continue; // the created response
    const id = String(message['watch_id'] ?? '0');
    seen.set(id, [...(seen.get(id) ?? []), ...events.map((event) => event.kv.mod_revision)]);
  }
  return seen;
}

const eventCount = (stream: RawWatch) => [...eventsByWatcher(stream).values()].reduce((sum, revisions) => sum + revisions.length, 0);

it('keeps each watcher to every event once, in revision order, when puts come in quick succession', async () => {
  const revisions = [put('a'), put('b'), put('c')].map((response) => String(response.header.revision));
  await new Promise((resolve) => setImmediate(resolve));
  revisions.push(String(put('d').header.revision));
  // A stream with more than its buffer's worth waiting is refused, as a full gRPC buffer is: its
  // watchers fall behind and are caught up from history (several events in one response, as etcd does).
  await until(() => streams.every((stream) => eventCount(stream) === revisions.length * watchersPerStream), 'every watcher has the four events', 60_000);
  await new Promise((resolve) => setTimeout(resolve, 50)); // nothing more arrives
  for (const stream of streams) {
    const seen = eventsByWatcher(stream);
    expect(seen.size).toBe(watchersPerStream);
    for (const got of seen.values()) expect(got).toEqual(revisions);
  }
}, 120_000);
