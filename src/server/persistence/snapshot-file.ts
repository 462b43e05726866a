/**
 * leaselab's snapshot format: what Maintenance.Snapshot streams (so what
 * `etcdctl snapshot save` writes) and what `leaselab snapshot restore` reads.
 * It is leaselab's own format, NOT etcd's bolt database: etcd's tools that
 * open bolt files (`etcdctl snapshot status`, `etcdctl snapshot restore`)
 * answer "invalid database" for it, and leaselab cannot read etcd's.
 *
 *   line 1     "leaselab-snapshot 1\n"                      (the magic: format and version)
 *   then       one JSON document (SnapshotDocument): summary fields first, then
 *              the store (state-json.ts: KV history since the last compaction,
 *              revisions, leases with their TTLs), the raft index, and the side
 *              state (auth, alarms, members)
 *   then       "\n" and spaces, so that everything so far is a multiple of 512 bytes
 *   last       32 bytes: the SHA-256 of everything before them
 *
 * As etcd, the stream appends a SHA-256 of the bytes before it; the padding
 * is there because etcdctl (clientv3/snapshot hasChecksum) accepts a saved
 * file only when its size is 32 more than a multiple of 512, as a bolt file
 * (whole pages) plus the digest always is.
 */
import { createHash } from 'node:crypto';
import type { EtcdStoreSnapshot } from '../../store/etcd-store.ts';
import { crc32c } from '../kv-hash.ts';
import { type SideState, storeSnapshotToJson } from './state-json.ts';

export const snapshotMagic = 'leaselab-snapshot 1\n';
const sha256Bytes = 32;
/** etcdctl wants (size % 512) === 32: whole 512-byte sectors, then the digest. */
const sectorBytes = 512;

export interface SnapshotDocument {
  format: 'leaselab-snapshot';
  version: 1;
  /** Summary, as `leaselab snapshot status` prints it. */
  revision: number;
  compactRevision: number;
  /** Entries of the key history (etcd's "key" bucket: one per revision of a key, tombstones included). */
  keyRevisions: number;
  leases: number;
  /** Maintenance.Hash of this state. */
  hash: number;
  /** The store as state-json.ts writes it. */
  store: unknown;
  raftIndex: number;
  side: SideState;
}

export class SnapshotFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFileError';
  }
}

/**
 * Maintenance.Hash: a CRC-32C (etcd's polynomial) of the state a snapshot
 * holds, the store and the side state, in their JSON form. etcd hashes its
 * bolt file's buckets, which leaselab does not have, so the number differs
 * from etcd's; it is the same for the same state (across restarts and
 * restores) and changes with any write, as etcd's does. Like etcd's, it
 * leaves out what moves without a client's change (raft index; lease-ID
 * stream position).
 */
export function stateHash(store: unknown, side: SideState): number {
  return crc32c(Buffer.from(JSON.stringify({ store, side }), 'utf8'));
}

/** A server's state as a snapshot document, summary fields first. */
export function snapshotDocumentOf(state: { store: EtcdStoreSnapshot; raftIndex: number; side: SideState }): SnapshotDocument {
  const store = storeSnapshotToJson(state.store);
  return {
    format: 'leaselab-snapshot',
    version: 1,
    revision: state.store.kv.currentRevision,
    compactRevision: state.store.kv.compactRevision,
    keyRevisions: state.store.kv.keys.reduce((sum, k) => sum + k.revisions.length, 0),
    leases: state.store.leases.length,
    hash: stateHash(store, state.side),
    store,
    raftIndex: state.raftIndex,
    side: state.side,
  };
}

/** The body (magic, JSON, padding) and its SHA-256, ready to stream. */
export function encodeSnapshot(document: SnapshotDocument): { body: Buffer; sha256: Buffer } {
  const text = `${snapshotMagic}${JSON.stringify(document)}\n`;
  const length = Buffer.byteLength(text, 'utf8');
  const padded = Math.ceil(length / sectorBytes) * sectorBytes;
  const body = Buffer.alloc(padded, ' ');
  body.write(text, 0, 'utf8');
  return { body, sha256: createHash('sha256').update(body).digest() };
}

/** Read a saved snapshot (body + digest). @throws SnapshotFileError naming what is wrong */
export function decodeSnapshot(bytes: Buffer, name: string): SnapshotDocument {
  const magic = Buffer.from(snapshotMagic, 'utf8');
  if (bytes.length < magic.length || !bytes.subarray(0, magic.length).equals(magic)) {
    const bolt = bytes.length >= 20 && bytes.readUInt32LE(16) === 0xed0cdaed; // bolt's meta page magic
    throw new SnapshotFileError(
      bolt
        ? `${name} is an etcd (bolt) snapshot: leaselab reads only its own snapshots (from a leaselab server's Maintenance.Snapshot)`
        : `${name} is not a leaselab snapshot (it does not start with ${JSON.stringify(snapshotMagic.trim())})`,
    );
  }
  if (bytes.length % sectorBytes !== sha256Bytes)
    throw new SnapshotFileError(`${name}: ${bytes.length} bytes is not a whole snapshot with its SHA-256 (cut short?)`);
  const body = bytes.subarray(0, bytes.length - sha256Bytes);
  const expected = bytes.subarray(bytes.length - sha256Bytes);
  const actual = createHash('sha256').update(body).digest();
  if (!actual.equals(expected))
    throw new SnapshotFileError(`${name}: SHA-256 mismatch (expected ${expected.toString('hex')}, got ${actual.toString('hex')}): the file is damaged`);
  let document: SnapshotDocument;
  try {
    document = JSON.parse(body.subarray(magic.length).toString('utf8')) as SnapshotDocument;
  } catch (error) {
    throw new SnapshotFileError(`${name}: the snapshot's JSON does not parse: ${(error as Error).message}`);
  }
  if (document.format !== 'leaselab-snapshot' || document.version !== 1)
    throw new SnapshotFileError(`${name}: unknown snapshot format ${JSON.stringify(document.format)} version ${JSON.stringify(document.version)}`);
  return document;
}
