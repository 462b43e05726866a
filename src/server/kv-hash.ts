/**
 * Maintenance.HashKV as etcd 3.4 computes it (mvcc store.HashByRev), so a
 * tool that compares hashes across members or against a recorded value
 * sees the same number leaselab and etcd give for the same writes.
 *
 * etcd keeps every revision of every key in its backend's `key` bucket:
 * the bucket key is the revision (8 bytes main, big-endian; `_`; 8 bytes
 * sub; a trailing `t` for a delete), the value the protobuf-encoded
 * mvccpb.KeyValue written then (a delete writes only the key). HashKV is the
 * CRC-32C (Castagnoli) of the bucket name followed by each entry's key and
 * value bytes in bucket order, up to the asked revision. After a compaction
 * at C the bucket holds, at or below C, only each key's latest revision if
 * it is not a delete; such an entry is hashed only while that key has not
 * changed since (etcd's `keep` set) — or when no key is live at the asked
 * revision at all (etcd then skips the filter).
 *
 * The entries are rebuilt from the store's history (KvStore.dumpHistory),
 * which keeps at least what etcd's bucket keeps.
 */
import type { KvStore, StoreDump } from '../store/kv-store.ts';
import { mainOf } from '../store/revision.ts';

/** The backend bucket etcd stores revisions in; its name starts the hash. */
const keyBucketName = Buffer.from('key');

const castagnoliTable = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** Incremental CRC-32C. */
class Crc32c {
  #crc = 0xffffffff;
  update(bytes: Uint8Array): void {
    let crc = this.#crc;
    for (let i = 0; i < bytes.length; i++) crc = castagnoliTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc;
  }
  digest(): number {
    return (this.#crc ^ 0xffffffff) >>> 0;
  }
}

export function crc32c(bytes: Uint8Array): number {
  const crc = new Crc32c();
  crc.update(bytes);
  return crc.digest();
}

function varint(value: bigint, out: number[]): void {
  let rest = BigInt.asUintN(64, value);
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
}

function bytesField(field: number, bytes: Buffer, out: number[]): void {
  if (bytes.length === 0) return;
  out.push((field << 3) | 2);
  varint(BigInt(bytes.length), out);
  for (const byte of bytes) out.push(byte);
}

function varintField(field: number, value: bigint, out: number[]): void {
  if (value === 0n) return;
  out.push(field << 3);
  varint(value, out);
}

/** mvccpb.KeyValue's protobuf encoding (fields in number order, zero values left out, as gogoproto writes it). */
export function encodeKeyValue(kv: { key: Buffer; createRevision: number; modRevision: number; version: number; value: Buffer; lease: bigint }): Buffer {
  const out: number[] = [];
  bytesField(1, kv.key, out);
  varintField(2, BigInt(kv.createRevision), out);
  varintField(3, BigInt(kv.modRevision), out);
  varintField(4, BigInt(kv.version), out);
  bytesField(5, kv.value, out);
  varintField(6, kv.lease, out);
  return Buffer.from(out);
}

/** The bucket key of a revision: main `_` sub, plus `t` for a delete. */
export function revisionBytes(main: number, sub: number, tombstone: boolean): Buffer {
  const bytes = Buffer.alloc(tombstone ? 18 : 17);
  bytes.writeBigUInt64BE(BigInt(main), 0);
  bytes[8] = 0x5f; // '_'
  bytes.writeBigUInt64BE(BigInt(sub), 9);
  if (tombstone) bytes[17] = 0x74; // 't'
  return bytes;
}

interface BucketEntry {
  main: number;
  sub: number;
  key: Buffer;
  value: Buffer;
}

/** The `key` bucket's entries as etcd would hold them after its last compaction, in bucket order. */
export function keyBucket(dump: StoreDump): BucketEntry[] & { keep: (atRevision: number) => Set<string> } {
  const entries: BucketEntry[] = [];
  const compacted = dump.compactRevision;
  for (const history of dump.keys) {
    const key = Buffer.from(history.key, 'latin1');
    let latestAtCompaction: (typeof history.revisions)[number] | undefined;
    for (const r of history.revisions) if (r.main <= compacted) latestAtCompaction = r;
    for (const r of history.revisions) {
      if (r.main <= compacted && (r !== latestAtCompaction || r.tombstone)) continue;
      const value = r.tombstone
        ? encodeKeyValue({ key, createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n })
        : encodeKeyValue({ key, createRevision: r.create, modRevision: r.main, version: r.version, value: Buffer.from(r.value, 'latin1'), lease: r.lease });
      entries.push({ main: r.main, sub: r.sub, key: revisionBytes(r.main, r.sub, r.tombstone), value });
    }
  }
  entries.sort((a, b) => a.main - b.main || a.sub - b.sub);
  const keep = (atRevision: number): Set<string> => {
    // etcd's treeIndex.Keep: each key's latest revision at or below atRevision, unless it is a delete.
    const kept = new Set<string>();
    for (const history of dump.keys) {
      let latest: (typeof history.revisions)[number] | undefined;
      for (const r of history.revisions) if (r.main <= atRevision) latest = r;
      if (latest !== undefined && !latest.tombstone) kept.add(`${latest.main}_${latest.sub}`);
    }
    return kept;
  };
  return Object.assign(entries, { keep });
}

/** HashKV at `revision` (0: the current one); the caller has checked it is neither compacted nor in the future. */
export function hashKv(dump: StoreDump, revision: number): number {
  const atRevision = revision === 0 ? dump.currentRevision : revision;
  const bucket = keyBucket(dump);
  const keep = bucket.keep(atRevision);
  const crc = new Crc32c();
  crc.update(keyBucketName);
  for (const entry of bucket) {
    if (entry.main > atRevision) continue;
    if (entry.main <= dump.compactRevision && keep.size > 0 && !keep.has(`${entry.main}_${entry.sub}`)) continue;
    crc.update(entry.key);
    crc.update(entry.value);
  }
  return crc.digest();
}

/** Bytes of a varint of `value` (a non-negative safe integer). */
function varintBytes(value: number): number {
  let bytes = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    bytes++;
  }
  return bytes;
}

/** Bytes of a varint field (tag included; a zero is left out). */
function varintFieldBytes(value: number): number {
  return value === 0 ? 0 : 1 + varintBytes(value);
}

/** Bytes of a length-delimited field of `length` bytes (tag included; an empty one is left out). */
function bytesFieldBytes(length: number): number {
  return length === 0 ? 0 : 1 + varintBytes(length) + length;
}

/** Bytes of a lease ID's varint field: a negative ID takes ten bytes, as a uint64. */
function leaseFieldBytes(lease: bigint): number {
  if (lease === 0n) return 0;
  return lease < 0n || lease > BigInt(Number.MAX_SAFE_INTEGER) ? 1 + varint64Bytes(lease) : varintFieldBytes(Number(lease));
}

function varint64Bytes(value: bigint): number {
  let rest = BigInt.asUintN(64, value);
  let bytes = 1;
  while (rest >= 0x80n) {
    rest >>= 7n;
    bytes++;
  }
  return bytes;
}

/**
 * Bytes the `key` bucket holds (keys and values): the size leaselab reports
 * as its database size. The same entries as {@link keyBucket}, counted from
 * the store's key histories without encoding any (a /metrics scrape reads it:
 * O(revisions) arithmetic, no allocation per entry).
 */
export function keyBucketBytes(kv: Pick<KvStore, 'visitKeyHistories' | 'compactRevision'>): number {
  const compacted = kv.compactRevision();
  let bytes = 0;
  kv.visitKeyHistories((history) => {
    const keyField = bytesFieldBytes(history.key.length);
    // At or below the compaction only the latest revision is kept, and only if it is not a delete.
    let latestAtCompaction = -1;
    for (let i = 0; i < history.length && mainOf(history.revAt(i)) <= compacted; i++) latestAtCompaction = i;
    for (let i = 0; i < history.length; i++) {
      const revision = history.revAt(i);
      const main = mainOf(revision);
      const value = history.valueAt(i);
      if (main <= compacted && (i !== latestAtCompaction || value === null)) continue;
      if (value === null) {
        bytes += 18 + keyField; // revision key with its `t`; a delete's KeyValue holds only the key
        continue;
      }
      bytes +=
        17 +
        keyField +
        varintFieldBytes(history.createAt(i)) +
        varintFieldBytes(main) +
        varintFieldBytes(history.versionAt(i)) +
        bytesFieldBytes(value.length) +
        leaseFieldBytes(history.leaseAt(i));
    }
  });
  return bytes;
}
