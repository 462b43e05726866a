/**
 * A client that sends and never reads the answers must not grow the server:
 * the server stops reading a stream while its answers pile up (HTTP/2 flow
 * control then holds the client back), as etcd does. Measured from outside,
 * on `leaselab serve` as a child process: its RSS stays within a few MB of
 * what it was idle.
 */
import { connect } from 'node:http2';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeChild, startServeChild } from './serve-child.ts';
import { cleanupsAfter } from './cleanups.ts';

const cleanups = cleanupsAfter('each');

// One server for both tests (a start costs seconds); each test's baseline is measured when it starts.
let serve: ServeChild;
beforeAll(async () => {
  // Small young-generation semi-spaces: RSS then follows what the server keeps, not how much garbage a burst made.
  serve = await startServeChild([], 20_000, ['--max-semi-space-size=1']);
  await warmUp(serve);
}, 30_000);
afterAll(async () => {
  await serve?.kill9();
});

const mb = 1024 * 1024;
/**
 * "Within a few MB of idle": V8 grows its young generation (up to 16 MB
 * semi-spaces) under any burst of work, so the first seconds of traffic cost
 * some MB whatever the server keeps; what must not happen is growth that
 * goes on while the client keeps sending (the unfixed server: +36-50 MB in 3 s).
 */
const growthBytesMax = 16 * mb;
const steadyGrowthBytesMax = 6 * mb;

/** One gRPC message frame: uncompressed flag, u32 BE length, protobuf bytes. */
function grpcFrame(protobuf: number[]): Buffer {
  const frame = Buffer.alloc(5 + protobuf.length);
  frame.writeUInt32BE(protobuf.length, 1);
  Buffer.from(protobuf).copy(frame, 5);
  return frame;
}

/** LeaseKeepAliveRequest { ID: 1 } */
const keepAlive = grpcFrame([0x08, 0x01]);
/** WatchRequest { create_request { key: "a" } } */
const watchCreate = grpcFrame([0x0a, 0x03, 0x0a, 0x01, 0x61]);

/**
 * Open a raw HTTP/2 gRPC stream to `path` and write `frame` as fast as the
 * transport takes it for `ms`, never reading a byte of the answers. Returns
 * how many frames were written.
 */
async function sendWithoutReading(address: string, path: string, frame: Buffer, ms: number): Promise<number> {
  const session = connect(`http://${address}`);
  cleanups.push(() => void session.destroy());
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
  stream.pause(); // never read
  const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame));
  const deadline = Date.now() + ms;
  let frames = 0;
  while (Date.now() < deadline) {
    frames += 1000;
    if (!stream.write(batch)) {
      // Wait for room, but not past the deadline (a server that stopped reading never gives any).
      await Promise.race([
        new Promise((resolve) => stream.once('drain', resolve)),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
      ]);
    }
  }
  return frames;
}

/** Send for 4 s without reading; RSS idle, after 2 s of it, and at the end. */
async function measure(serve: ServeChild, idleRss: number, path: string, frame: Buffer, what: string): Promise<void> {
  let midRss = 0;
  const mid = setTimeout(() => (midRss = serve.rssBytes()), 2000);
  const sent = await sendWithoutReading(serve.address, path, frame, 4000);
  clearTimeout(mid);
  const endRss = await settledRss(serve);
  console.log(
    `never-reading ${what} client: ${sent} requests offered in 4 s; server RSS ${(idleRss / mb).toFixed(1)} MB idle, ${(midRss / mb).toFixed(1)} MB after 2 s, ${(endRss / mb).toFixed(1)} MB after 4 s`,
  );
  expect(endRss - idleRss).toBeLessThan(growthBytesMax);
  expect(endRss - midRss).toBeLessThan(steadyGrowthBytesMax);
}

async function settledRss(serve: ServeChild): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return serve.rssBytes();
}

/** Use every path the tests use once, so the baseline has the code loaded. */
async function warmUp(serve: ServeChild): Promise<void> {
  const client = new Etcd3({ hosts: serve.address });
  const lease = client.lease(5);
  await lease.grant();
  await client.put('a').value('1').exec();
  const watcher = await client.watch().key('a').create();
  await watcher.cancel();
  await lease.revoke();
  client.close();
}

describe('a client that never reads', () => {
  it('sending keepalives: the server stops reading and stays within a few MB of idle', async () => {
    const idleRss = await settledRss(serve);
    await measure(serve, idleRss, '/etcdserverpb.Lease/LeaseKeepAlive', keepAlive, 'keepalive');
  }, 30_000);

  it('sending watch creates while the key changes: the server stops reading and stays within a few MB of idle', async () => {
    const idleRss = await settledRss(serve);
    const writer = new Etcd3({ hosts: serve.address });
    cleanups.push(() => writer.close());
    let stop = false;
    const writes = (async () => {
      // About 100 puts/s: enough to give every unread watcher events, while the
      // store's own history (never compacted here) grows by well under 1 MB.
      for (let n = 0; !stop; n++) {
        await writer.put('a').value(`${n}`).exec();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    try {
      await measure(serve, idleRss, '/etcdserverpb.Watch/Watch', watchCreate, 'watch-create');
    } finally {
      stop = true;
      await writes;
    }
    // The server still serves everyone else.
    expect(await writer.get('a').string()).not.toBeNull();
  }, 30_000);
});
