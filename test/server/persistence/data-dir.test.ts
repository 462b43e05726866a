// DataDir (src/server/persistence/data-dir.ts) on its own, in a temporary directory: what it logs,
// what a reopen brings back, its lock, snapshots, a torn tail, reset, and restoreDataDir.
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDir, restoreDataDir } from '../../../src/server/persistence/data-dir.ts';
import { LeaseIdStream } from '../../../src/server/persistence/lease-id-stream.ts';
import { storeSnapshotToJson } from '../../../src/server/persistence/state-json.ts';
import { segmentPattern, snapshotPattern } from '../../../src/server/persistence/wal-file.ts';
import { utf8 } from '../../../src/store/bytes.ts';
import { EtcdStore } from '../../../src/store/etcd-store.ts';
import { VirtualClock } from '../../../src/store/virtual-clock.ts';

const open: DataDir[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const dataDir of open.splice(0)) await dataDir.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'leaselab-data-dir-'));
  dirs.push(dir);
  return dir;
}

/** A fresh store over `dir`, as `serve --data-dir` opens one. */
function openDir(dir: string, options: { leaseIdSeed?: number; snapshotEveryRecords?: number } = {}) {
  const ids = new LeaseIdStream(options.leaseIdSeed ?? 11);
  const store = new EtcdStore({ clock: new VirtualClock(), random: ids });
  const dataDir = new DataDir(store, ids, {
    dir,
    leaseIdSeed: options.leaseIdSeed ?? 11,
    snapshotEveryRecords: options.snapshotEveryRecords,
    onFatal: (error) => {
      throw error;
    },
  });
  open.push(dataDir);
  return { store, dataDir };
}

async function closeDir(dataDir: DataDir): Promise<void> {
  open.splice(open.indexOf(dataDir), 1);
  await dataDir.close();
}

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
const values = (store: EtcdStore) =>
  store.range({ key: utf8('\0'), range_end: utf8('\0') }).kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}@${kv.mod_revision}`);

describe('DataDir', () => {
  it("logs each change and brings the store back on reopen, with the dir's own lease-ID seed", async () => {
    const dir = tempDir();
    const { store, dataDir } = openDir(dir, { leaseIdSeed: 5 });
    expect(dataDir.recovered.existing).toBe(false);
    const seqAtStart = dataDir.appendedSeq(); // the fresh dir's seed record
    dataDir.put({ key: utf8('a'), value: utf8('1') });
    dataDir.txn({ success: [{ request_put: { key: utf8('b'), value: utf8('2') } }] });
    const lease = dataDir.leaseGrant({ TTL: 60 });
    dataDir.deleteRange({ key: utf8('a') });
    dataDir.compact({ revision: 2 });
    expect(dataDir.appendedSeq()).toBe(seqAtStart + 5);
    await dataDir.whenSynced();
    expect(dataDir.whenSynced()).toBeUndefined(); // everything applied is on disk
    const before = values(store);
    await closeDir(dataDir);

    const reopened = openDir(dir, { leaseIdSeed: 99 });
    expect(reopened.dataDir.recovered).toMatchObject({
      existing: true,
      records: seqAtStart + 5,
      tornBytes: 0,
      revision: store.currentRevision(),
      leases: 1,
      leaseIdSeed: 5,
    });
    expect(values(reopened.store)).toEqual(before);
    expect(reopened.store.leaseLeases({}).leases.map((l) => l.ID)).toEqual([lease.ID]);
    // The compaction came back too: revision 1 is below it.
    expect(() => reopened.store.range({ key: utf8('a'), revision: 1 })).toThrow('etcdserver: mvcc: required revision has been compacted');
  });

  it('continues the lease-ID stream where it stood, so no ID is handed out twice', async () => {
    const dir = tempDir();
    const { dataDir } = openDir(dir, { leaseIdSeed: 21 });
    const first = [dataDir.leaseGrant({ TTL: 60 }).ID, dataDir.leaseGrant({ TTL: 60 }).ID];
    await closeDir(dataDir);
    const reopened = openDir(dir, { leaseIdSeed: 21 });
    const next = reopened.dataDir.leaseGrant({ TTL: 60 }).ID;
    expect(first).not.toContain(next);
    // The third draw of a stream with the dir's seed, as if there had been no restart.
    const reference = new EtcdStore({ clock: new VirtualClock(), random: new LeaseIdStream(21) });
    const expected = [1, 2, 3].map(() => reference.leaseGrant({ TTL: 60 }).ID);
    expect([...first, next]).toEqual(expected);
  });

  it('logs nothing for a delete or txn that changes nothing', () => {
    const { dataDir } = openDir(tempDir());
    dataDir.put({ key: utf8('a'), value: utf8('1') });
    const seq = dataDir.appendedSeq();
    dataDir.deleteRange({ key: utf8('missing') });
    dataDir.txn({ success: [{ request_range: { key: utf8('a') } }] });
    dataDir.txn({
      compare: [{ key: utf8('a'), target: 'VALUE', result: 'EQUAL', value: utf8('no') }],
      success: [{ request_put: { key: utf8('a'), value: utf8('2') } }],
    });
    expect(dataDir.appendedSeq()).toBe(seq);
  });

  it('keeps a second server off the dir while it is open, and releases the lock on close', async () => {
    const dir = tempDir();
    const { dataDir } = openDir(dir);
    expect(readFileSync(join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    expect(() => openDir(dir)).toThrow(`data dir ${dir} is in use by this process`);
    await closeDir(dataDir);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(openDir(dir).dataDir.recovered.existing).toBe(true);
  });

  it('refuses a snapshot interval below one record', () => {
    const ids = new LeaseIdStream(1);
    const store = new EtcdStore({ clock: new VirtualClock(), random: ids });
    expect(() => new DataDir(store, ids, { dir: tempDir(), leaseIdSeed: 1, snapshotEveryRecords: 0 })).toThrow(
      'snapshotEveryRecords must be at least 1, got 0',
    );
  });

  it('snapshots every N records and starts a reopen from the newest snapshot', async () => {
    const dir = tempDir();
    const { store, dataDir } = openDir(dir, { snapshotEveryRecords: 4 });
    for (let i = 0; i < 10; i++) dataDir.put({ key: utf8(`k${i}`), value: utf8(`${i}`) });
    await closeDir(dataDir);
    const snapshots = readdirSync(dir).filter((name) => snapshotPattern.test(name));
    expect(snapshots.length).toBeGreaterThan(0);
    const reopened = openDir(dir);
    // 11 records (seed + 10 puts), snapshots after records 4 and 8: replay starts after the newest.
    expect(reopened.dataDir.recovered).toMatchObject({ snapshotSeq: 8, records: 3, revision: 11 });
    expect(values(reopened.store)).toEqual(values(store));
  });

  it('cuts a torn last record off and keeps the records before it', async () => {
    const dir = tempDir();
    const { dataDir } = openDir(dir);
    dataDir.put({ key: utf8('kept'), value: utf8('yes') });
    await closeDir(dataDir);
    const segment = readdirSync(dir)
      .filter((name) => segmentPattern.test(name))
      .at(-1)!;
    const size = readFileSync(join(dir, segment)).length;
    appendFileSync(join(dir, segment), Buffer.from([1, 2, 3, 4, 5]));
    const reopened = openDir(dir);
    expect(reopened.dataDir.recovered.tornBytes).toBe(5);
    expect(readFileSync(join(dir, segment)).length).toBe(size);
    expect(values(reopened.store)).toEqual(['kept=yes@2']);
  });

  it('logs a reset, so a reopen does not bring the old state back', async () => {
    const dir = tempDir();
    const { dataDir } = openDir(dir);
    dataDir.put({ key: utf8('old'), value: utf8('1') });
    dataDir.reset();
    dataDir.put({ key: utf8('new'), value: utf8('2') });
    await closeDir(dataDir);
    expect(values(openDir(dir).store)).toEqual(['new=2@2']);
  });

  it('keeps the side state as last logged, across a reopen', async () => {
    const dir = tempDir();
    const { dataDir } = openDir(dir);
    dataDir.logSide('alarms', ['one']);
    dataDir.logSide('alarms', ['one', 'two']);
    expect(dataDir.side()).toEqual({ alarms: ['one', 'two'] });
    await closeDir(dataDir);
    expect(openDir(dir).dataDir.recovered.side).toEqual({ alarms: ['one', 'two'] });
  });
});

describe('restoreDataDir', () => {
  it('makes a new dir a server starts from, with its own lease-ID seed and no members', async () => {
    const source = openDir(tempDir());
    source.dataDir.put({ key: utf8('x'), value: utf8('restored') });
    const dir = join(tempDir(), 'restored');
    restoreDataDir(dir, { store: storeSnapshotToJson(source.store.snapshot()), side: { alarms: ['a'], members: ['m'] } }, 77);
    expect(readdirSync(dir).filter((name) => snapshotPattern.test(name))).toHaveLength(1);
    const restored = openDir(dir, { leaseIdSeed: 5 });
    expect(restored.dataDir.recovered).toMatchObject({ existing: true, snapshotSeq: 1, records: 0, leaseIdSeed: 77, side: { alarms: ['a'] } });
    expect(restored.dataDir.recovered.side.members).toBeUndefined();
    expect(values(restored.store)).toEqual(['x=restored@2']);
    expect(() => restoreDataDir(dir, { store: {}, side: {} }, 77)).toThrow(`data-dir ${JSON.stringify(dir)} exists`);
  });
});
