/**
 * The MVCC key-value store: Range, Put, DeleteRange, Txn and Compact answering
 * exactly as etcd 3.4 does (server/mvcc/kvstore*.go plus the request handling
 * of etcdserver/apply.go and v3rpc/key.go).
 *
 * Every write runs as one write txn: it gets main revision R = current + 1,
 * each change a sub-revision 0, 1, 2, …; the store revision becomes R only if
 * something changed. A fresh store is at revision 1:
 *
 *   put a=1            → rev 2   a {create 2, mod 2, version 1}
 *   put a=2            → rev 3   a {create 2, mod 3, version 2}
 *   delete a           → rev 4   (tombstone 4.0)
 *   delete a           → rev 4   (nothing deleted: no new revision)
 *   put a=3            → rev 5   a {create 5, mod 5, version 1}
 *   range a @3         → a=2, header revision 5 (always the current one)
 *   compact 4; range a @3 → "required revision has been compacted"
 *
 * Layers (etcd's): TreeIndex (key → KeyIndex) holds each key's history with
 * its values; this file assigns revisions, applies puts and deletes in one
 * write at a time and keeps a log of which keys each revision changed (for
 * watchers catching up and for compaction). Split as etcd splits kvstore.go:
 * reads in kv-store-range.ts, the txn engine in kv-store-txn.ts, compaction
 * in kv-store-compaction.ts. It knows leases only through LeaseDirectory and
 * watchers only through WriteObserver.
 *
 * Every request is decoded and checked completely before anything changes;
 * a request that throws has changed nothing.
 */
import { assert } from './assert.ts';
import { type BinaryKey, toBinary } from './bytes.ts';
import { KeyNotFoundError, LeaseNotFoundError, RequestTooLargeError } from './errors.ts';
import type { KvHistory, LeaseDirectory, RangeDeleter, WriteObserver } from './kv-contract.ts';
import { KeyIndex } from './key-index.ts';
import { inRange, rangeEndOf } from './key-range.ts';
import { checkCompaction, compactHistory, type ChangeLog } from './kv-store-compaction.ts';
import { kvAt, rangeAt, tombstoneKv } from './kv-store-range.ts';
import { applyTxn, checkTxnOps, compareToPath, type TxnWriter } from './kv-store-txn.ts';
import { defaultRaftRequestIdBytes, requestBytesMax } from './limits.ts';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Event,
  KeyValue,
  LeaseId,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './messages.ts';
import { checkRevision, mainOf, packRevision, subRevisionsMax } from './revision.ts';
import { TreeIndex } from './tree-index.ts';
import { checkDuplicateKeys, checkTxn, isReadOnly } from './txn.ts';
import { checkDeleteRange, checkPut, checkRange, decodePut, decodeRequest, encodedSize, raftRequestBytes } from './validate.ts';

export interface KvStoreOptions {
  leases: LeaseDirectory;
  /** etcd's --max-request-bytes: a write whose raft request is larger is refused. @defaultValue limits.requestBytesMax (1.5 MiB) */
  requestBytesMax?: number | undefined;
  /** Varint bytes of the raft request ID this member proposes with (limits.raftRequestIdBytes of its member ID). @defaultValue 9 (leaselab's default member ID) */
  raftRequestIdBytes?: number | undefined;
  observer?: WriteObserver;
}

const noLease: LeaseId = 0n;
const emptyValue = '';

/** One key's full history, as `dumpHistory()` lists it (for tests and debugging). */
export interface KeyHistoryDump {
  key: BinaryKey;
  revisions: { main: number; sub: number; tombstone: boolean; create: number; version: number; value: string; lease: LeaseId }[];
}

export interface StoreDump {
  currentRevision: number;
  compactRevision: number;
  keys: KeyHistoryDump[];
  log: { revision: number; keys: BinaryKey[] }[];
}

export class KvStore implements KvHistory, RangeDeleter {
  private readonly index = new TreeIndex();
  private readonly leases: LeaseDirectory;
  private observer: WriteObserver | undefined;
  private currentRev = 1;
  private compactMainRev = -1;
  /** log[i]: the keys revision logStart + i changed, in sub-revision order. */
  private log: ChangeLog = [];
  private logStart = 2;

  // The write txn in progress (one at a time; everything is synchronous).
  private writeMain = 0;
  private writeSubs = 0;
  private writeKeys: BinaryKey | BinaryKey[] | undefined = undefined;
  private writeEvents: Event[] | undefined = undefined;

  /** A txn's ops, applied inside the write in progress (reads see its own changes). */
  private readonly txnWriter: TxnWriter = {
    range: (request) => rangeAt(this.index, request, this.writeViewRevision(), this.compactMainRev),
    put: (request) => this.applyPut(request, toBinary(request.key!)),
    deleteRange: (request) => this.applyDeleteRange(request),
  };

  private readonly requestBytesMax: number;
  private readonly raftRequestIdBytes: number;

  constructor(options: KvStoreOptions) {
    this.leases = options.leases;
    this.requestBytesMax = options.requestBytesMax ?? requestBytesMax;
    this.raftRequestIdBytes = options.raftRequestIdBytes ?? defaultRaftRequestIdBytes;
    this.observer = options.observer;
  }

  setObserver(observer: WriteObserver | undefined): void {
    this.observer = observer;
  }

  // ---------------------------------------------------------------- KV API

  range(request: RangeRequest): RangeResponse {
    const r = decodeRequest('RangeRequest', request);
    checkRange(r);
    return rangeAt(this.index, r, this.currentRev, this.compactMainRev);
  }

  put(request: PutRequest): PutResponse {
    const r = decodePut(request);
    checkPut(r);
    const keyBytes = r.key!;
    const value = r.value;
    if (keyBytes.length + (value == null ? 0 : value.length) + 64 > this.requestBytesMax) {
      if (raftRequestBytes(encodedSize('PutRequest', r), this.raftRequestIdBytes) > this.requestBytesMax) throw new RequestTooLargeError();
    }
    const lease = r.lease ?? noLease;
    if (lease !== noLease && !this.leases.exists(lease)) throw new LeaseNotFoundError();
    const key = toBinary(keyBytes);
    if (r.ignore_value === true || r.ignore_lease === true) {
      const existing = this.index.get(key);
      if (existing === undefined || !existing.isLive()) throw new KeyNotFoundError();
    }
    this.beginWrite();
    const response = this.applyPut(r, key);
    this.endWrite();
    return response;
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    const r = decodeRequest('DeleteRangeRequest', request);
    checkDeleteRange(r);
    // Key and range_end with their tags, lengths and prev_kv, in a raft request, take less than their bytes + 64: measured only when that may be too much.
    if (r.key!.length + (r.range_end?.length ?? 0) + 64 > this.requestBytesMax) {
      if (raftRequestBytes(encodedSize('DeleteRangeRequest', r), this.raftRequestIdBytes) > this.requestBytesMax) throw new RequestTooLargeError();
    }
    this.beginWrite();
    const response = this.applyDeleteRange(r);
    this.endWrite();
    return response;
  }

  txn(request: TxnRequest): TxnResponse {
    const r = decodeRequest('TxnRequest', request);
    checkTxn(r);
    checkDuplicateKeys(r);
    const readOnly = isReadOnly(r);
    if (!readOnly && raftRequestBytes(encodedSize('TxnRequest', r), this.raftRequestIdBytes) > this.requestBytesMax) throw new RequestTooLargeError();

    // The whole path is decided on the pre-txn snapshot, then checked, then applied.
    const path: boolean[] = [];
    compareToPath(this.index, r, path);
    checkTxnOps(this.index, this.leases, r, path, readOnly, this.currentRev, this.compactMainRev);

    this.beginWrite();
    const { response } = applyTxn(this.txnWriter, r, path, 0);
    response.header.revision = this.writeSubs > 0 ? this.writeMain : this.currentRev;
    this.endWrite();
    return response;
  }

  compact(request: CompactionRequest): CompactionResponse {
    const r = decodeRequest('CompactionRequest', request);
    const rev = r.revision ?? 0;
    checkCompaction(rev, this.compactMainRev, this.currentRev);
    this.compactMainRev = rev;
    const kept = compactHistory(this.index, this.log, this.logStart, rev);
    this.log = kept.log;
    this.logStart = kept.logStart;
    return { header: { revision: this.currentRev } };
  }

  /**
   * Bytes the kept revisions take as etcd stores them (a 17-byte revision
   * key and a KeyValue of key, value and about 30 bytes of fields each):
   * what Maintenance.Status's dbSizeInUse grows with. Walks every key.
   */
  storedBytes(): number {
    let bytes = 0;
    this.index.visit('', '', (ki) => {
      for (let i = 0; i < ki.length; i++) bytes += 17 + 30 + 2 * ki.key.length + (ki.valueAt(i)?.length ?? 0);
    });
    return bytes;
  }

  /** Every key's history, ascending, as it is (not copied): for the server's database-size accounting, which only reads. */
  visitKeyHistories(visit: (history: KeyIndex) => void): void {
    this.index.visit('', '', (ki) => {
      visit(ki);
    });
  }

  // ---------------------------------------------------------------- KvHistory, RangeDeleter

  currentRevision(): number {
    return this.currentRev;
  }

  compactRevision(): number {
    return this.compactMainRev;
  }

  eventsBetween(fromRevision: number, toRevision: number, key: BinaryKey, rangeEnd: BinaryKey | undefined, revisionsMax: number): Event[] {
    assert(fromRevision >= this.compactMainRev, `eventsBetween from ${fromRevision} below the compaction revision ${this.compactMainRev}`);
    const events: Event[] = [];
    const start = Math.max(fromRevision, this.logStart);
    const stop = Math.min(toRevision, this.currentRev);
    let revisions = 0;
    for (let main = start; main <= stop && revisions < revisionsMax; main++) {
      const entry = this.log[main - this.logStart]!;
      const before = events.length;
      if (typeof entry === 'string') {
        if (inRange(entry, key, rangeEnd)) events.push(this.eventOf(entry, main, 0));
      } else {
        for (let sub = 0; sub < entry.length; sub++) {
          const changed = entry[sub]!;
          if (inRange(changed, key, rangeEnd)) events.push(this.eventOf(changed, main, sub));
        }
      }
      if (events.length > before) revisions++;
    }
    return events;
  }

  getAt(key: BinaryKey, revision: number): KeyValue | undefined {
    if (revision < this.compactMainRev) return undefined;
    const ki = this.index.get(key);
    if (ki === undefined) return undefined;
    const i = ki.indexAt(revision);
    if (i < 0 || ki.valueAt(i) === null) return undefined;
    return kvAt(ki, i, false);
  }

  deleteKeys(keys: BinaryKey[]): number {
    const sorted = [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.beginWrite();
    for (const key of sorted) {
      const ki = this.index.get(key);
      if (ki?.isLive()) this.tombstone(ki);
    }
    this.endWrite();
    return this.currentRev;
  }

  /** Every key's retained history, the log and the revisions: for tests comparing whole states. */
  dumpHistory(): StoreDump {
    const keys: KeyHistoryDump[] = [];
    for (const ki of this.index.all()) {
      keys.push({
        key: ki.key,
        revisions: ki.revisions().map((rev, i) => ({
          main: mainOf(rev),
          sub: rev % subRevisionsMax,
          tombstone: ki.valueAt(i) === null,
          create: ki.createAt(i),
          version: ki.versionAt(i),
          value: ki.valueAt(i) ?? '',
          lease: ki.leaseAt(i),
        })),
      });
    }
    const log = this.log.map((entry, i) => ({ revision: this.logStart + i, keys: typeof entry === 'string' ? [entry] : [...entry] }));
    return { currentRevision: this.currentRev, compactRevision: this.compactMainRev, keys, log };
  }

  /**
   * Load a dump (`dumpHistory()` of another store) into this fresh store:
   * revisions, compaction, every key's retained history and the change log;
   * live keys are attached to their leases, which must exist already.
   */
  restore(dump: StoreDump): void {
    assert(this.currentRev === 1 && this.index.size === 0 && this.log.length === 0, 'restore needs a fresh store');
    for (const kh of dump.keys) {
      if (kh.revisions.length === 0) continue;
      const entries = kh.revisions.map((r) => ({ revision: packRevision(r.main, r.sub), value: r.tombstone ? null : r.value, lease: r.lease }));
      const first = kh.revisions[0]!;
      const ki = KeyIndex.restore(kh.key, entries, first.create, first.version);
      this.index.set(kh.key, ki);
      if (ki.isLive()) {
        const lease = ki.leaseAt(ki.count - 1);
        if (lease !== noLease) this.leases.attach(lease, kh.key);
      }
    }
    this.currentRev = dump.currentRevision;
    this.compactMainRev = dump.compactRevision;
    this.log = dump.log.map((entry) => (entry.keys.length === 1 ? entry.keys[0]! : entry.keys.slice()));
    this.logStart = dump.log.length > 0 ? dump.log[0]!.revision : dump.currentRevision + 1;
  }

  /** Keys with any retained history (live or not): for memory checks. */
  indexedKeyCount(): number {
    return this.index.size;
  }

  /**
   * Check the store (for tests): no write in progress, the index valid, the
   * change log covering every revision from its start to the current one,
   * each logged change present in its key's history, and every live key's
   * lease known to the lessor.
   */
  checkValid(): void {
    assert(this.writeKeys === undefined, 'kv store: a write is in progress');
    assert(this.currentRev >= 1 && this.compactMainRev <= this.currentRev, `kv store: revision ${this.currentRev}, compacted at ${this.compactMainRev}`);
    assert(
      this.logStart + this.log.length === this.currentRev + 1,
      `kv store: the log covers ${this.logStart}..${this.logStart + this.log.length - 1}, the store is at ${this.currentRev}`,
    );
    this.index.checkValid();
    this.log.forEach((entry, i) => {
      const keys = typeof entry === 'string' ? [entry] : entry;
      assert(keys.length > 0 && (typeof entry === 'string' || entry.length > 1), `kv store: revision ${this.logStart + i} logged as ${keys.length} keys`);
      keys.forEach((key, sub) => {
        const ki = this.index.get(key);
        assert(
          ki !== undefined && ki.indexOf(packRevision(this.logStart + i, sub)) >= 0,
          `kv store: ${this.logStart + i}.${sub} of ${key} is logged but not in its history`,
        );
      });
    });
    for (const ki of this.index.all()) {
      if (!ki.isLive()) continue;
      const lease = ki.leaseAt(ki.count - 1);
      assert(lease === noLease || this.leases.exists(lease), `kv store: live key ${ki.key} on unknown lease ${lease}`);
    }
  }

  // ---------------------------------------------------------------- write txn

  private beginWrite(): void {
    this.writeMain = this.currentRev + 1;
    this.writeSubs = 0;
    this.writeKeys = undefined;
    this.writeEvents = this.observer === undefined ? undefined : [];
  }

  private endWrite(): void {
    if (this.writeSubs === 0) return;
    const keys = this.writeKeys!;
    this.log.push(keys);
    this.currentRev = this.writeMain;
    const events = this.writeEvents;
    this.writeKeys = undefined;
    this.writeEvents = undefined;
    if (events !== undefined) this.observer?.committed(this.currentRev, events, keys);
  }

  /** The next sub-revision of the write in progress, recording which key it changes. */
  private nextRevision(key: BinaryKey): number {
    const sub = this.writeSubs++;
    checkRevision(this.writeMain, sub);
    if (sub === 0) this.writeKeys = key;
    else if (sub === 1) this.writeKeys = [this.writeKeys as BinaryKey, key];
    else (this.writeKeys as BinaryKey[]).push(key);
    return packRevision(this.writeMain, sub);
  }

  /** The revision reads inside the write see: its own changes once it made one. */
  private writeViewRevision(): number {
    return this.writeSubs > 0 ? this.writeMain : this.currentRev;
  }

  private applyPut(r: PutRequest, key: BinaryKey): PutResponse {
    let ki = this.index.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(key);
      this.index.set(key, ki);
    }
    const n = ki.count;
    const live = n > 0 && ki.valueAt(n - 1) !== null;
    let value = r.value == null ? emptyValue : toBinary(r.value);
    let lease = r.lease ?? noLease;
    const oldLease = live ? ki.leaseAt(n - 1) : noLease;
    if (live) {
      if (r.ignore_value === true) value = ki.valueAt(n - 1)!;
      if (r.ignore_lease === true) lease = oldLease;
    } else {
      assert(r.ignore_value !== true && r.ignore_lease !== true, 'ignore_value/ignore_lease put of a missing key passed its checks');
    }
    const prevKv = r.prev_kv === true && live ? kvAt(ki, n - 1, false) : undefined;
    ki.put(this.nextRevision(key), value, lease);
    if (oldLease !== noLease) this.leases.detach(oldLease, key);
    if (lease !== noLease) this.leases.attach(lease, key);
    if (this.writeEvents !== undefined) this.writeEvents.push({ type: 'PUT', kv: kvAt(ki, n, false) });
    const header = { revision: this.writeMain };
    return prevKv === undefined ? { header } : { header, prev_kv: prevKv };
  }

  private tombstone(ki: KeyIndex): void {
    const n = ki.count;
    const oldLease = ki.leaseAt(n - 1);
    ki.tombstone(this.nextRevision(ki.key));
    if (oldLease !== noLease) this.leases.detach(oldLease, ki.key);
    if (this.writeEvents !== undefined) this.writeEvents.push({ type: 'DELETE', kv: tombstoneKv(ki.key, this.writeMain) });
  }

  private applyDeleteRange(r: DeleteRangeRequest): DeleteRangeResponse {
    const key = toBinary(r.key!);
    const end = rangeEndOf(r.range_end);
    const doomed: KeyIndex[] = [];
    this.index.visit(key, end, (ki) => {
      if (ki.isLive()) doomed.push(ki);
    });
    const prevKvs = r.prev_kv === true ? doomed.map((ki) => kvAt(ki, ki.count - 1, false)) : [];
    for (const ki of doomed) this.tombstone(ki);
    const revision = doomed.length > 0 || this.writeSubs > 0 ? this.writeMain : this.currentRev;
    return { header: { revision }, deleted: doomed.length, prev_kvs: prevKvs };
  }

  private eventOf(key: BinaryKey, main: number, sub: number): Event {
    const ki = this.index.get(key);
    assert(ki !== undefined, 'logged key missing from the index');
    const i = ki.indexOf(packRevision(main, sub));
    assert(i >= 0, 'logged revision missing from the key index');
    if (ki.valueAt(i) === null) return { type: 'DELETE', kv: tombstoneKv(key, main) };
    return { type: 'PUT', kv: kvAt(ki, i, false) };
  }
}
