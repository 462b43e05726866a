// StreamOutbox (src/server/stream-outbox.ts) on its own: its two brakes, backpressure and
// durability. The call is a real Node duplex stream (what grpc-js's server stream is) whose
// writes the test takes as a client reading them would; the durability is a real DataDir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrpcObject } from '../../src/server/grpc-codec.ts';
import { streamResponsesBufferedMax } from '../../src/server/limits.ts';
import { DataDir } from '../../src/server/persistence/data-dir.ts';
import { LeaseIdStream } from '../../src/server/persistence/lease-id-stream.ts';
import { type OutgoingMessage, StreamOutbox } from '../../src/server/stream-outbox.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

/** A duplex stream of objects whose client reads what is written, or (`reading` false) not until `startReading`. */
class ClientEnd extends Duplex {
  readonly received: unknown[] = [];
  #reading: boolean;
  #pending: (() => void) | undefined;
  constructor(highWaterMark: number, reading = true) {
    super({ objectMode: true, writableHighWaterMark: highWaterMark, read() {} });
    this.#reading = reading;
  }
  override _write(chunk: unknown, _encoding: BufferEncoding, done: () => void): void {
    this.received.push(chunk);
    if (this.#reading) done();
    else this.#pending = done;
  }
  startReading(): void {
    this.#reading = true;
    this.#pending?.();
  }
  asCall(): grpc.ServerDuplexStream<GrpcObject, OutgoingMessage> {
    return this as unknown as grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>;
  }
}

const message = (n: number): GrpcObject => ({ n });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StreamOutbox without a data dir', () => {
  it('writes at once, in order', () => {
    const client = new ClientEnd(16);
    const outbox = new StreamOutbox(client.asCall());
    outbox.write(message(1));
    outbox.write(message(2));
    expect(client.received).toEqual([message(1), message(2)]);
    expect(outbox.full).toBe(false);
  });

  it('is full once the write buffer is, stops reading requests, and says so when it drains', async () => {
    const client = new ClientEnd(2, false);
    let rooms = 0;
    const outbox = new StreamOutbox(client.asCall(), { onRoom: () => rooms++ });
    client.resume();
    expect(outbox.offer(message(1))).toBe(true);
    expect(outbox.full).toBe(false);
    expect(outbox.offer(message(2))).toBe(true); // the second fills the buffer of two
    expect([outbox.full, outbox.bufferFullCount, client.isPaused()]).toEqual([true, 1, true]);
    expect(outbox.offer(message(3))).toBe(false); // refused: nothing written
    outbox.write(message(4)); // write goes out even when full
    expect(client.received).toEqual([message(1)]); // the stream hands its writes over one at a time
    client.startReading();
    await tick();
    expect(client.received).toEqual([message(1), message(2), message(4)]);
    expect([outbox.full, client.isPaused(), rooms]).toEqual([false, false, 1]);
    expect(outbox.bufferFullCount).toBe(1);
  });

  it('ends the stream at once when nothing is held, and drops writes after the end', () => {
    const client = new ClientEnd(16);
    const outbox = new StreamOutbox(client.asCall());
    outbox.end();
    expect(client.writableEnded).toBe(true);
    expect(() => outbox.write(message(1))).not.toThrow();
    expect(client.received).toEqual([]);
  });
});

describe('StreamOutbox with a data dir', () => {
  const dirs: string[] = [];
  const open: DataDir[] = [];
  afterEach(async () => {
    for (const dataDir of open.splice(0)) await dataDir.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function dataDir(): DataDir {
    const dir = mkdtempSync(join(tmpdir(), 'leaselab-outbox-'));
    dirs.push(dir);
    const ids = new LeaseIdStream(3);
    const opened = new DataDir(new EtcdStore({ clock: new VirtualClock(), random: ids }), ids, { dir, leaseIdSeed: 3 });
    open.push(opened);
    return opened;
  }
  /** A synced data dir and an outbox over it to a reading client. */
  async function overDisk(options: { heldMax?: number; onRoom?: () => void } = {}) {
    const disk = dataDir();
    await disk.whenSynced();
    const client = new ClientEnd(16);
    return { disk, client, outbox: new StreamOutbox(client.asCall(), { durability: disk, ...options }) };
  }

  it('holds a response until the change before it is on disk, then writes the held ones in order', async () => {
    const { disk, client, outbox } = await overDisk();
    disk.put({ key: utf8('a'), value: utf8('1') });
    outbox.write(message(1));
    disk.put({ key: utf8('b'), value: utf8('2') });
    outbox.write(message(2));
    expect(client.received).toEqual([]); // not before the disk has the puts
    expect(disk.whenSynced()).toBeDefined();
    await disk.whenSynced();
    await tick();
    expect(client.received).toEqual([message(1), message(2)]);
  });

  it('writes at once what reflects nothing unsynced', async () => {
    const { client, outbox } = await overDisk();
    outbox.write(message(1));
    await Promise.resolve(); // the seal runs after the current synchronous work
    expect(client.received).toEqual([message(1)]);
  });

  it('counts held responses as buffered: full at heldMax, room again once they are written', async () => {
    expect(streamResponsesBufferedMax).toBeGreaterThan(2);
    let rooms = 0;
    const { disk, client, outbox } = await overDisk({ heldMax: 2, onRoom: () => rooms++ });
    client.resume();
    disk.put({ key: utf8('a'), value: utf8('1') });
    expect(outbox.offer(message(1))).toBe(true);
    expect(outbox.offer(message(2))).toBe(true);
    expect([outbox.full, client.isPaused()]).toEqual([true, true]);
    expect(outbox.offer(message(3))).toBe(false);
    await disk.whenSynced();
    await tick();
    expect(client.received).toEqual([message(1), message(2)]);
    expect([outbox.full, client.isPaused(), rooms, outbox.bufferFullCount]).toEqual([false, false, 1, 0]);
  });

  it('ends the stream only after the held responses are written', async () => {
    const { disk, client, outbox } = await overDisk();
    disk.put({ key: utf8('a'), value: utf8('1') });
    outbox.write(message(1));
    outbox.end();
    expect(client.writableEnded).toBe(false);
    await disk.whenSynced();
    await tick();
    expect(client.received).toEqual([message(1)]);
    expect(client.writableEnded).toBe(true);
  });
});
