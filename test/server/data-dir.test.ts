/**
 * --data-dir in-process: what a restart brings back (KV history, revision,
 * compaction, leases promoted, expiries), snapshots and log truncation, a
 * torn last record, the lock, and the lease-ID stream across restarts.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { startServing } from '../../src/cli/commands/serve.ts';
import { LeaseIdStream } from '../../src/server/persistence/lease-id-stream.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { cleanupsAfter } from './cleanups.ts';

const cleanups = cleanupsAfter('each');

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'leaselab-data-dir-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(dataDir: string, extra: Parameters<typeof startGrpcServer>[0] = {}): Promise<{ server: GrpcEtcdServer; client: Etcd3 }> {
  const server = await startGrpcServer({
    port: 0,
    dataDir,
    onInternalError: (error) => {
      throw error;
    },
    ...extra,
  });
  const client = new Etcd3({ hosts: server.address });
  cleanups.push(async () => {
    client.close();
    await server.close();
  });
  return { server, client };
}

async function stop(s: { server: GrpcEtcdServer; client: Etcd3 }): Promise<void> {
  s.client.close();
  await s.server.close();
}

describe('--data-dir', () => {
  it('brings back history, revision, compaction and leases (promoted to full TTL + 1 s)', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    const lease = await first.client.leaseClient.leaseGrant({ TTL: 30 });
    await first.client.put('a').value('1').lease(lease.ID).exec();
    await first.client.put('a').value('2').lease(lease.ID).exec();
    await first.client.put('b').value('x').exec();
    await first.client.delete().key('b').exec();
    await first.client.put('c').value('y').exec();
    await first.client.kv.compact({ revision: '3' });
    await first.client.if('c', 'Value', '==', 'y').then(first.client.put('t').value('1')).commit();
    first.server.advance(20_000); // the lease has 10 s left when the server dies
    const before = first.server.store.kv.dumpHistory();
    const revision = first.server.store.currentRevision();
    await stop(first);

    const second = await serve(dir);
    expect(second.server.dataDir!.recovered).toMatchObject({ existing: true, revision, leases: 1 });
    expect(second.server.store.kv.dumpHistory()).toEqual(before);
    expect(await second.client.get('a').string()).toBe('2');
    await expect(second.client.get('a').revision(2).exec()).rejects.toThrow('required revision has been compacted');
    const ttl = await second.client.leaseClient.leaseTimeToLive({ ID: lease.ID, keys: true });
    expect(Number(ttl.TTL)).toBe(30); // 30 s + 1 s election timeout, truncated a moment later (etcd: TTL 30 after restart)
    expect(ttl.keys.map(String)).toEqual(['a']);
  });

  it('logs a reset (POST /reset): a restart keeps the store empty, and expiries after the reset are logged', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    const old = await first.client.leaseClient.leaseGrant({ TTL: 30 });
    await first.client.put('before').value('1').lease(old.ID).exec();
    first.server.reset();
    const lease = await first.client.leaseClient.leaseGrant({ TTL: 5 });
    expect(lease.ID).not.toBe(old.ID);
    await first.client.put('after').value('2').exec();
    await first.client.put('leased').value('3').lease(lease.ID).exec();
    first.server.advance(6_000); // the new lessor's expiry must reach the log too
    const revision = first.server.store.currentRevision();
    await stop(first);

    const second = await serve(dir);
    expect(second.server.store.currentRevision()).toBe(revision);
    expect(await second.client.get('before').string()).toBeNull();
    expect(await second.client.get('leased').string()).toBeNull();
    expect(await second.client.get('after').string()).toBe('2');
    expect((await second.client.leaseClient.leaseLeases({})).leases).toEqual([]);
  });

  it('logs lease expiries: a restart does not bring back a lease that expired, nor its keys', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    const lease = await first.client.leaseClient.leaseGrant({ TTL: 5 });
    await first.client.put('k').value('v').lease(lease.ID).exec();
    first.server.advance(6_000);
    expect(await first.client.get('k').string()).toBeNull();
    const revision = first.server.store.currentRevision();
    await stop(first);

    const second = await serve(dir);
    expect(second.server.store.currentRevision()).toBe(revision);
    expect(await second.client.get('k').string()).toBeNull();
    expect(Number((await second.client.leaseClient.leaseTimeToLive({ ID: lease.ID })).TTL)).toBe(-1);
  });

  it('snapshots every N records, deletes the log they cover, and restores from snapshot + the records after it', async () => {
    const dir = tempDir();
    const first = await serve(dir, { snapshotEveryRecords: 25 });
    const lease = await first.client.leaseClient.leaseGrant({ TTL: 60 });
    // Concurrent puts in rounds of 10: group commit keeps the test fast.
    for (let round = 0; round < 12; round++) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) => round * 10 + j).map((i) =>
          first.client
            .put(`k${i % 40}`)
            .value(`v${i}`)
            .lease(i % 3 === 0 ? lease.ID : '0')
            .exec(),
        ),
      );
    }
    await first.client.kv.compact({ revision: '60' });
    await first.client.delete().prefix('k1').exec();
    const before = first.server.store.kv.dumpHistory();
    const stats = first.server.dataDir!.stats;
    await stop(first);
    expect(stats.snapshots).toBeGreaterThanOrEqual(4);
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('snap-'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('wal-'))).toHaveLength(1);

    const second = await serve(dir, { snapshotEveryRecords: 25 });
    expect(second.server.dataDir!.recovered.snapshotSeq).toBeGreaterThan(0);
    expect(second.server.store.kv.dumpHistory()).toEqual(before);
    const attached = (await second.client.leaseClient.leaseTimeToLive({ ID: lease.ID, keys: true })).keys.map(String).sort();
    const live = await first.server.store.leaseTimeToLive({ ID: BigInt(lease.ID), keys: true });
    expect(attached).toEqual(live.keys.map((key) => Buffer.from(key).toString()).sort());
    expect(attached.length).toBeGreaterThan(0);
  });

  it('keeps auth, alarms and added members in its snapshots and log: a restart from either brings back the same', async () => {
    const dir = tempDir();
    const first = await serve(dir, { snapshotEveryRecords: 3 });
    await first.client.user('ann').create('pw');
    await first.client.role('reader').create();
    await first.client.role('reader').grant({ permission: 'Read', key: 'k' });
    await first.client.user('ann').addRole('reader');
    await first.client.cluster.memberAdd({ peerURLs: ['http://127.0.0.1:1'], isLearner: true });
    await first.client.maintenance.alarm({ action: 'Activate', memberID: '7', alarm: 'Nospace' });
    await first.client.maintenance.alarm({ action: 'Activate', memberID: '8', alarm: 'Corrupt' });
    await first.client.maintenance.alarm({ action: 'Deactivate', memberID: '8', alarm: 'Corrupt' });
    const before = {
      auth: first.server.authServices.auth.toJson(),
      alarms: first.server.maintenance.alarmsToJson(),
      members: first.server.maintenance.membersToJson(),
    };
    expect(first.server.dataDir!.stats.snapshots).toBeGreaterThanOrEqual(2);
    await stop(first);
    const snapshotFile = readdirSync(dir).find((f) => f.startsWith('snap-'))!;
    expect(Object.keys((JSON.parse(readFileSync(join(dir, snapshotFile), 'utf8')) as { side: object }).side).sort()).toEqual(['alarms', 'auth', 'members']);

    const second = await serve(dir);
    expect(second.server.dataDir!.recovered.snapshotSeq).toBeGreaterThan(0);
    expect({
      auth: second.server.authServices.auth.toJson(),
      alarms: second.server.maintenance.alarmsToJson(),
      members: second.server.maintenance.membersToJson(),
    }).toEqual(before);
    expect(before.alarms).toEqual([{ memberID: '7', alarm: 'NOSPACE' }]);
    expect(before.auth.users.map((u) => [u.name, u.roles])).toEqual([['ann', ['reader']]]);
    expect(before.members.others).toHaveLength(1);
    // And the next member added gets a new ID, not the first one's again.
    const added = await second.client.cluster.memberAdd({ peerURLs: ['http://127.0.0.1:2'] });
    expect(added.member.ID).not.toBe(before.members.others[0]!.id);
  });

  it('cuts a torn last record (a kill -9 mid-write) and serves on', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    await first.client.put('a').value('1').exec();
    await first.client.put('b').value('2').exec();
    const revision = first.server.store.currentRevision();
    await stop(first);
    const segment = readdirSync(dir).find((f) => f.startsWith('wal-'))!;
    appendFileSync(join(dir, segment), Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, 123, 34]));

    const second = await serve(dir);
    expect(second.server.dataDir!.recovered).toMatchObject({ revision, tornBytes: 10 });
    await second.client.put('c').value('3').exec();
    await stop(second);
    const third = await serve(dir);
    expect(third.server.dataDir!.recovered).toMatchObject({ revision: revision + 1, tornBytes: 0 });
    expect(await third.client.get('c').string()).toBe('3');
  });

  it('holds watch events until their writes are on disk, and still delivers thousands written at once, in order, once', async () => {
    const dir = tempDir();
    const { server, client } = await serve(dir);
    const watcher = await client.watch().prefix('bp/').create();
    const revisions: number[] = [];
    let unsyncedSeen = 0;
    watcher.on('data', (response: { events: { kv: { mod_revision: string } }[] }) => {
      for (const event of response.events) {
        revisions.push(Number(event.kv.mod_revision));
        // Whatever the watcher hears is on disk already.
        if (server.dataDir!.whenSynced(server.dataDir!.appendedSeq()) !== undefined && Number(event.kv.mod_revision) === server.store.currentRevision())
          unsyncedSeen++;
      }
    });
    const first = server.store.currentRevision() + 1;
    const count = 1_000;
    const value = utf8('x'.repeat(200));
    // 10 rounds of 100 concurrent puts: more events than the stream holds while their fsyncs run.
    for (let round = 0; round < 10; round++)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client
            .put(`bp/${(round * 100 + i) % 10}`)
            .value(Buffer.from(value))
            .exec(),
        ),
      );
    const deadline = Date.now() + 10_000;
    while (revisions.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(revisions).toEqual(Array.from({ length: count }, (_, i) => first + i));
    expect(unsyncedSeen).toBe(0);
    await watcher.cancel();
  });

  it("holds the JSON gateway's watch events until their writes are on disk too, in order, once", async () => {
    const dir = tempDir();
    const { server, client } = await serve(dir);
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const response = await fetch(`http://${server.address}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: Buffer.from('hw/').toString('base64'), range_end: Buffer.from('hw0').toString('base64') } }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const revisions: number[] = [];
    let unsyncedSeen = 0;
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        text += Buffer.from(value!).toString();
        const lines = text.split('\n');
        text = lines.pop()!;
        for (const line of lines) {
          for (const event of (JSON.parse(line) as { result: { events?: { kv: { mod_revision: string } }[] } }).result.events ?? []) {
            revisions.push(Number(event.kv.mod_revision));
            if (server.dataDir!.whenSynced(server.dataDir!.appendedSeq()) !== undefined && Number(event.kv.mod_revision) === server.store.currentRevision())
              unsyncedSeen++;
          }
        }
      }
    })();
    const first = server.store.currentRevision() + 1;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the watch is created
    for (let round = 0; round < 5; round++)
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client
            .put(`hw/${i % 10}`)
            .value(`v${round}`)
            .exec(),
        ),
      );
    const deadline = Date.now() + 10_000;
    while (revisions.length < 500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(revisions).toEqual(Array.from({ length: 500 }, (_, i) => first + i));
    expect(unsyncedSeen).toBe(0);
    controller.abort();
    await reading;
  });

  it('refuses to start over a damaged record that more records follow (not a torn write): nothing acknowledged is dropped silently', async () => {
    const dir = tempDir();
    const first = await serve(dir);
    await first.client.put('a').value('1').exec();
    await first.client.put('b').value('2').exec();
    await stop(first);
    const segment = join(dir, readdirSync(dir).find((f) => f.startsWith('wal-'))!);
    const bytes = readFileSync(segment);
    bytes[20] = bytes[20]! ^ 0xff; // inside the first record's payload
    writeFileSync(segment, bytes);
    await expect(startGrpcServer({ port: 0, dataDir: dir })).rejects.toThrow(
      /data dir corrupt: wal-0000000000000001\.log: record at byte 0 fails its checksum/,
    );
  });

  it('takes over the lock of a killed server that is not reaped yet (a zombie still answers signal 0)', async () => {
    const dir = tempDir();
    // The shell backgrounds a child that exits soon, then becomes `sleep`, which never reaps it: a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 10'], { stdio: ['ignore', 'pipe', 'ignore'] });
    cleanups.push(() => void parent.kill('SIGKILL'));
    const zombie = Number((await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString().trim());
    const isZombie = () => /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${zombie}/stat`, 'utf8'));
    for (let i = 0; i < 100 && !isZombie(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(isZombie()).toBe(true);
    writeFileSync(join(dir, 'lock'), `${zombie}\n`);
    const { server } = await serve(dir);
    expect(server.dataDir!.dir).toBe(dir);
  });

  it('keeps a second server out of a data dir in use', async () => {
    const dir = tempDir();
    await serve(dir);
    await expect(startGrpcServer({ port: 0, dataDir: dir })).rejects.toThrow(/in use by this process/);
  });

  it('continues the lease-ID stream across restarts: no ID is handed out twice, even with the same --seed', async () => {
    const dir = tempDir();
    const seen = new Set<string>();
    for (let restart = 0; restart < 3; restart++) {
      const s = await serve(dir, { leaseIdSeed: 7 });
      expect(s.server.leaseIdSeed).toBe(7);
      for (let i = 0; i < 5; i++) {
        const { ID } = await s.client.leaseClient.leaseGrant({ TTL: 60 });
        if (i % 2 === 0) await s.client.leaseClient.leaseRevoke({ ID });
        expect(seen.has(ID)).toBe(false);
        seen.add(ID);
      }
      await stop(s);
    }
    expect(seen.size).toBe(15);
  });

  it('without a data dir, each server draws its own seed: two servers hand out different IDs', async () => {
    const a = await startGrpcServer({ port: 0 });
    const b = await startGrpcServer({ port: 0 });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(a.leaseIdSeed).not.toBe(b.leaseIdSeed);
    expect(a.store.leaseGrant({ TTL: 5 }).ID).not.toBe(b.store.leaseGrant({ TTL: 5 }).ID);
  });
});

describe('--seed', () => {
  it('pins the lease-ID stream: the same seed hands out the same IDs, and serve prints it', async () => {
    let printed = '';
    const a = await startServing(['--port', '0', '--seed', '12345'], { write: (text) => (printed += text) });
    const b = await startGrpcServer({ port: 0, leaseIdSeed: 12345 });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(printed).toContain('store: in memory only');
    expect(printed).toContain('lease IDs: seed 12345');
    expect(a.server.store.leaseGrant({ TTL: 5 }).ID).toBe(b.store.leaseGrant({ TTL: 5 }).ID);
  });
});

describe('store snapshot', () => {
  it('restore(snapshot()) rebuilds the same store, compacted tombstones and lease attachments included', () => {
    const clock = new VirtualClock();
    const store = new EtcdStore({ clock, random: new LeaseIdStream(1) });
    const { ID } = store.leaseGrant({ TTL: 10 });
    store.put({ key: utf8('a'), value: utf8('1'), lease: ID });
    store.put({ key: utf8('b'), value: utf8('\u00ff\u0000') });
    store.deleteRange({ key: utf8('b') });
    store.put({ key: utf8('a'), value: utf8('2'), lease: ID });
    store.compact({ revision: 4 }); // b's tombstone at 4 stays
    const copy = new EtcdStore({ clock, random: new LeaseIdStream(1) });
    copy.restore(store.snapshot());
    expect(copy.kv.dumpHistory()).toEqual(store.kv.dumpHistory());
    expect(copy.leaseTimeToLive({ ID, keys: true }).keys).toEqual([utf8('a')]);
    copy.leaseRevoke({ ID });
    expect(copy.range({ key: utf8('a') }).kvs).toEqual([]);
  });
});
