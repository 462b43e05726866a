// leaselab's snapshot file: the body is whole 512-byte sectors and the SHA-256 follows, as etcdctl's
// hasChecksum wants; decoding refuses a damaged, cut, foreign or bolt file with a sentence naming it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeSnapshot,
  encodeSnapshot,
  SnapshotFileError,
  snapshotDocumentOf,
  snapshotMagic,
  stateHash,
} from '../../../src/server/persistence/snapshot-file.ts';
import { storeSnapshotFromJson, storeSnapshotToJson } from '../../../src/server/persistence/state-json.ts';
import { utf8 } from '../../../src/store/bytes.ts';
import { EtcdStore } from '../../../src/store/etcd-store.ts';
import { VirtualClock } from '../../../src/store/virtual-clock.ts';

function document(values: string[]) {
  const store = new EtcdStore({ clock: new VirtualClock() });
  const { ID } = store.leaseGrant({ TTL: 30 });
  for (const value of values) store.put({ key: utf8('/k'), value: utf8(value), lease: ID });
  store.put({ key: utf8('/other'), value: utf8('x') });
  return snapshotDocumentOf({ store: store.snapshot(), raftIndex: 17, side: { alarms: [] } });
}

const file = (doc: ReturnType<typeof document>) => {
  const { body, sha256 } = encodeSnapshot(doc);
  return Buffer.concat([body, sha256]);
};

describe('snapshot file', () => {
  it('sums up the store first: revision, key revisions (one per revision of a key), leases, hash', () => {
    const doc = document(['a', 'b', 'c']);
    // a lease grant does not add a revision; three puts of /k and one of /other do
    expect([doc.format, doc.version, doc.revision, doc.keyRevisions, doc.leases, doc.raftIndex]).toEqual(['leaselab-snapshot', 1, 5, 4, 1, 17]);
    expect(doc.hash).toBe(stateHash(doc.store, doc.side));
    expect(Object.keys(doc).slice(0, 7)).toEqual(['format', 'version', 'revision', 'compactRevision', 'keyRevisions', 'leases', 'hash']);
  });

  it('is whole 512-byte sectors plus the SHA-256 of them, and reads back as written', () => {
    for (const values of [[], ['a'], Array.from({ length: 50 }, (_, i) => 'v'.repeat(i * 13))]) {
      const doc = document(values);
      const { body, sha256 } = encodeSnapshot(doc);
      expect(body.length % 512).toBe(0);
      expect(sha256).toEqual(createHash('sha256').update(body).digest());
      expect(body.subarray(0, snapshotMagic.length).toString()).toBe('leaselab-snapshot 1\n');
      expect(decodeSnapshot(Buffer.concat([body, sha256]), 'x.db')).toEqual(JSON.parse(JSON.stringify(doc)));
    }
  });

  const etcdctlSnapshot = '/usr/share/gocode/src/go.etcd.io/etcd/clientv3/snapshot/v3_snapshot.go';
  it.skipIf(!existsSync(etcdctlSnapshot))(`its size is what etcdctl's hasChecksum takes (${etcdctlSnapshot})`, () => {
    expect(readFileSync(etcdctlSnapshot, 'utf8')).toContain('return (n % 512) == sha256.Size');
    expect(file(document(['a', 'b'])).length % 512).toBe(32);
  });

  it('refuses a damaged, cut, foreign, bolt or unknown-version file, naming it', () => {
    const good = file(document(['a']));
    const damaged = Buffer.from(good);
    damaged[40] = damaged[40]! ^ 1;
    expect(() => decodeSnapshot(damaged, 'd.db')).toThrow(/^d\.db: SHA-256 mismatch \(expected [0-9a-f]{64}, got [0-9a-f]{64}\): the file is damaged$/);
    expect(() => decodeSnapshot(good.subarray(0, good.length - 1), 'cut.db')).toThrow(
      new SnapshotFileError(`cut.db: ${good.length - 1} bytes is not a whole snapshot with its SHA-256 (cut short?)`),
    );
    expect(() => decodeSnapshot(Buffer.from('{"not":"ours"}'), 'j.json')).toThrow(
      'j.json is not a leaselab snapshot (it does not start with "leaselab-snapshot 1")',
    );
    const bolt = Buffer.alloc(4096 + 32);
    bolt.writeUInt32LE(0xed0cdaed, 16); // bolt's meta page magic
    expect(() => decodeSnapshot(bolt, 'etcd.db')).toThrow('etcd.db is an etcd (bolt) snapshot: leaselab reads only its own snapshots');
    const future = file({ ...document([]), version: 2 as 1 });
    expect(() => decodeSnapshot(future, 'v2.db')).toThrow('v2.db: unknown snapshot format "leaselab-snapshot" version 2');
    const notJson = Buffer.alloc(512, ' ');
    notJson.write(`${snapshotMagic}{oops`);
    expect(() => decodeSnapshot(Buffer.concat([notJson, createHash('sha256').update(notJson).digest()]), 'bad.db')).toThrow(
      /^bad\.db: the snapshot's JSON does not parse: /,
    );
  });

  it('the hash leaves out what moves without a write (the raft index) and changes with any write', () => {
    const a = document(['a']);
    expect(snapshotDocumentOf({ store: storeSnapshotFromDoc(a), raftIndex: 99, side: a.side }).hash).toBe(a.hash);
    expect(document(['b']).hash).not.toBe(a.hash);
    expect(stateHash(a.store, { alarms: [{ alarm: 'NOSPACE' }] })).not.toBe(a.hash);
  });
});

/** The store snapshot a document was made from, back from its JSON form. */
function storeSnapshotFromDoc(doc: ReturnType<typeof document>) {
  expect(storeSnapshotToJson(storeSnapshotFromJson(doc.store))).toEqual(doc.store);
  return storeSnapshotFromJson(doc.store);
}
