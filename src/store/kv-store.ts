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
 * its values; this file assigns revisions, runs txns, answers requests and
 * keeps a log of which keys each revision changed (for watchers catching up
 * and for compaction). It knows leases only through LeaseDirectory and
 * watchers only through WriteObserver.
 *
 * Every request is decoded and checked completely before anything changes;
 * a request that throws has changed nothing.
 */
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';
import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseNotFoundError, RequestTooLargeError } from './errors.ts';
import type { KvHistory, LeaseDirectory, RangeDeleter, WriteObserver } from './kv-contract.ts';
import { KeyIndex } from './key-index.ts';
import { inRange, rangeEndOf } from './key-range.ts';
import { binaryOf, bytesOf } from './kv-codec.ts';
import { goSort } from './go-sort.ts';
import { requestBytesMax } from './limits.ts';
import type {
  Compare,
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
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './messages.ts';
import { checkRevision, mainOf, packRevision, subRevisionsMax } from './revision.ts';
import { TreeIndex } from './tree-index.ts';
import { checkDuplicateKeys, checkTxn, isReadOnly } from './txn.ts';
import {
  checkDeleteRange,
  checkPut,
  checkRange,
  decodeCompaction,
  decodeDeleteRange,
  decodePut,
  decodeRange,
  decodeTxn,
  encodedSizeDeleteRange,
  encodedSizePut,
  encodedSizeTxn,
  raftRequestBytes,
} from './validate.ts';

export interface KvStoreOptions {
  leases: LeaseDirectory;
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
  private log: (BinaryKey | BinaryKey[])[] = [];
  private logStart = 2;

  // The write txn in progress (one at a time; everything is synchronous).
  private writeMain = 0;
  private writeSubs = 0;
  private writeKeys: BinaryKey | BinaryKey[] | undefined = undefined;
  private writeEvents: Event[] | undefined = undefined;

  constructor(options: KvStoreOptions) {
    this.leases = options.leases;
    this.observer = options.observer;
  }

  setObserver(observer: WriteObserver | undefined): void {
    this.observer = observer;
  }

  // ---------------------------------------------------------------- KV API

  range(request: RangeRequest): RangeResponse {
    const r = decodeRange(request);
    checkRange(r);
    return this.rangeAt(r, this.currentRev);
  }

  put(request: PutRequest): PutResponse {
    const r = decodePut(request);
    checkPut(r);
    const keyBytes = r.key!;
    const value = r.value;
    if (keyBytes.length + (value == null ? 0 : value.length) + 64 > requestBytesMax) {
      if (raftRequestBytes(encodedSizePut(r)) > requestBytesMax) throw new RequestTooLargeError();
    }
    const lease = r.lease ?? noLease;
    if (lease !== noLease && !this.leases.exists(lease)) throw new LeaseNotFoundError();
    const key = binaryOf(keyBytes);
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
    const r = decodeDeleteRange(request);
    checkDeleteRange(r);
    if (raftRequestBytes(encodedSizeDeleteRange(r)) > requestBytesMax) throw new RequestTooLargeError();
    this.beginWrite();
    const response = this.applyDeleteRange(r);
    this.endWrite();
    return response;
  }

  txn(request: TxnRequest): TxnResponse {
    const r = decodeTxn(request);
    checkTxn(r);
    checkDuplicateKeys(r);
    const readOnly = isReadOnly(r);
    if (!readOnly && raftRequestBytes(encodedSizeTxn(r)) > requestBytesMax) throw new RequestTooLargeError();

    // The whole path is decided on the pre-txn snapshot, then checked, then applied.
    const path: boolean[] = [];
    this.compareToPath(r, path);
    if (!readOnly) {
      this.checkRequests(r, path, 0, (op) => this.checkTxnPut(op));
      this.checkIgnoredKeysSurvive(r, path);
    }
    this.checkRequests(r, path, 0, (op) => this.checkTxnRange(op));

    this.beginWrite();
    const { response } = this.applyTxn(r, path, 0);
    response.header.revision = this.writeSubs > 0 ? this.writeMain : this.currentRev;
    this.endWrite();
    return response;
  }

  compact(request: CompactionRequest): CompactionResponse {
    const r = decodeCompaction(request);
    const rev = r.revision ?? 0;
    if (rev <= this.compactMainRev) throw new CompactedError();
    if (rev > this.currentRev) throw new FutureRevisionError();
    this.compactMainRev = rev;
    // Only keys changed at or after the previous compaction, up to `rev`, can
    // hold history that `rev` makes useless (everything older was trimmed then).
    for (let main = this.logStart; main <= rev; main++) {
      const entry = this.log[main - this.logStart]!;
      if (typeof entry === 'string') this.compactKey(entry, rev);
      else for (const key of entry) this.compactKey(key, rev);
    }
    if (rev > this.logStart) {
      this.log = this.log.slice(rev - this.logStart);
      this.logStart = rev;
    }
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
      if (ki !== undefined && ki.isLive()) this.tombstone(ki);
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
    if (events !== undefined) this.observer?.committed(this.currentRev, events);
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
    let value = r.value == null ? emptyValue : binaryOf(r.value);
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
    const key = binaryOf(r.key!);
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

  // ---------------------------------------------------------------- range

  /** etcd's apply.go Range over mvcc rangeKeys; `curRev` is the revision of the view read. */
  private rangeAt(r: RangeRequest, curRev: number): RangeResponse {
    const requested = r.revision ?? 0;
    if (requested > curRev) throw new FutureRevisionError();
    const rev = requested <= 0 ? curRev : requested;
    if (rev < this.compactMainRev) throw new CompactedError();

    const key = binaryOf(r.key!);
    const end = rangeEndOf(r.range_end);
    const requestLimit = r.limit ?? 0;
    const sortOrder0 = r.sort_order ?? 'NONE';
    const sortTarget = r.sort_target ?? 'KEY';
    const minMod = r.min_mod_revision ?? 0;
    const maxMod = r.max_mod_revision ?? 0;
    const minCreate = r.min_create_revision ?? 0;
    const maxCreate = r.max_create_revision ?? 0;
    const countOnly = r.count_only === true;
    const keysOnly = r.keys_only === true;

    let fetchLimit = requestLimit;
    if (sortOrder0 !== 'NONE' || minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0) fetchLimit = 0;
    if (fetchLimit > 0) fetchLimit += 1;

    // Matches are (key index, entry) pairs until the end: filtering, sorting
    // and the limit work on them, and only the KeyValues returned are built
    // (each holds two fresh byte arrays).
    const kis: KeyIndex[] = [];
    const ats: number[] = [];
    let count = 0;
    if (end === undefined) {
      // one key: no visitor closure on the hot path
      const ki = this.index.get(key);
      const i = ki === undefined ? -1 : ki.indexAt(rev);
      if (i >= 0 && ki!.valueAt(i) !== null) {
        count = 1;
        if (!countOnly) {
          kis.push(ki!);
          ats.push(i);
        }
      }
    } else this.index.visit(key, end, (ki) => {
      const i = ki.indexAt(rev);
      if (i < 0 || ki.valueAt(i) === null) return;
      count++;
      if (countOnly) return;
      if (fetchLimit <= 0 || kis.length < fetchLimit) {
        kis.push(ki);
        ats.push(i);
      }
    });

    let n = kis.length;
    if (maxMod !== 0 || minMod !== 0 || maxCreate !== 0 || minCreate !== 0) {
      let kept = 0;
      for (let j = 0; j < n; j++) {
        const ki = kis[j]!;
        const i = ats[j]!;
        const mod = mainOf(ki.revAt(i));
        const create = ki.createAt(i);
        if (maxMod !== 0 && mod > maxMod) continue;
        if (minMod !== 0 && mod < minMod) continue;
        if (maxCreate !== 0 && create > maxCreate) continue;
        if (minCreate !== 0 && create < minCreate) continue;
        kis[kept] = ki;
        ats[kept] = i;
        kept++;
      }
      n = kis.length = ats.length = kept;
    }

    let sortOrder = sortOrder0;
    if (sortTarget !== 'KEY' && sortOrder === 'NONE') sortOrder = 'ASCEND';
    let order: number[] | undefined;
    // An unknown sort_order (a number) sorts nothing, as etcd's switch does.
    if ((sortOrder === 'ASCEND' || sortOrder === 'DESCEND') && n > 1) order = sortedOrder(kis, ats, sortTarget, sortOrder === 'DESCEND');

    let more = false;
    if (requestLimit > 0 && n > requestLimit) {
      n = requestLimit;
      more = true;
    }
    // keys_only sorted by value sorts by the real values, then empties them: the same as building them empty.
    const kvs: KeyValue[] = new Array<KeyValue>(n);
    for (let j = 0; j < n; j++) {
      const at = order === undefined ? j : order[j]!;
      kvs[j] = kvAt(kis[at]!, ats[at]!, keysOnly);
    }
    return { header: { revision: curRev }, kvs, more, count };
  }

  // ---------------------------------------------------------------- txn

  /** etcd's compareToPath: whether this txn succeeds, then the same for each nested txn of the taken branch, depth first. */
  private compareToPath(r: TxnRequest, path: boolean[]): void {
    const succeeded = (r.compare ?? []).every((c) => this.compare(c));
    path.push(succeeded);
    for (const op of (succeeded ? r.success : r.failure) ?? []) if (op.request_txn != null) this.compareToPath(op.request_txn, path);
  }

  /**
   * etcd's checkRequests: visit the ops of the taken branches, consuming
   * `path` exactly as etcd slices it (txnPath[1:], then txnPath[txns+1:]).
   * Returns how many nested txns it went through.
   */
  private checkRequests(r: TxnRequest, path: boolean[], at: number, check: (op: RequestOp) => void): number {
    const taken = path[at];
    assert(taken !== undefined, 'txn path too short');
    let cursor = at;
    let txns = 0;
    for (const op of (taken ? r.success : r.failure) ?? []) {
      if (op.request_txn != null) {
        const nested = this.checkRequests(op.request_txn, path, cursor + 1, check);
        txns += nested + 1;
        cursor += nested + 1;
        continue;
      }
      check(op);
    }
    return txns;
  }

  private checkTxnPut(op: RequestOp): void {
    const p = op.request_put;
    if (p == null) return;
    if (p.ignore_value === true || p.ignore_lease === true) {
      const ki = this.index.get(binaryOf(p.key!));
      if (ki === undefined || !ki.isLive()) throw new KeyNotFoundError();
    }
    const lease = p.lease ?? noLease;
    if (lease !== noLease && !this.leases.exists(lease)) throw new LeaseNotFoundError();
  }

  private checkTxnRange(op: RequestOp): void {
    const range = op.request_range;
    if (range == null) return;
    const rev = range.revision ?? 0;
    if (rev === 0) return;
    if (rev > this.currentRev) throw new FutureRevisionError();
    if (rev < this.compactMainRev) throw new CompactedError();
  }

  /**
   * An ignore_value/ignore_lease put whose key an earlier op of the same txn
   * deleted (possible only through etcd's from-key duplicate-check quirk)
   * makes etcd panic mid-apply. Here it fails up front with "key not found",
   * leaving the store unchanged.
   */
  private checkIgnoredKeysSurvive(r: TxnRequest, path: boolean[]): void {
    const ops: RequestOp[] = [];
    this.checkRequests(r, path, 0, (op) => ops.push(op));
    for (let p = 0; p < ops.length; p++) {
      const put = ops[p]!.request_put;
      if (put == null || (put.ignore_value !== true && put.ignore_lease !== true)) continue;
      const key = binaryOf(put.key!);
      let live = true; // checkTxnPut saw it live in the snapshot
      for (let q = 0; q < p; q++) {
        const op = ops[q]!;
        if (op.request_put != null && binaryOf(op.request_put.key!) === key) live = true;
        const d = op.request_delete_range;
        if (d != null && inRange(key, binaryOf(d.key!), rangeEndOf(d.range_end))) live = false;
      }
      if (!live) throw new KeyNotFoundError();
    }
  }

  /** etcd's applyTxn (with newTxnResponse): run the taken branch; nested headers carry revision 0. */
  private applyTxn(r: TxnRequest, path: boolean[], at: number): { response: TxnResponse; txns: number } {
    const succeeded = path[at]!;
    const responses: ResponseOp[] = [];
    let cursor = at;
    let txns = 0;
    for (const op of (succeeded ? r.success : r.failure) ?? []) {
      if (op.request_range != null) {
        responses.push({ response_range: this.rangeAt(op.request_range, this.writeViewRevision()) });
      } else if (op.request_put != null) {
        responses.push({ response_put: this.applyPut(op.request_put, binaryOf(op.request_put.key!)) });
      } else if (op.request_delete_range != null) {
        responses.push({ response_delete_range: this.applyDeleteRange(op.request_delete_range) });
      } else if (op.request_txn != null) {
        const nested = this.applyTxn(op.request_txn, path, cursor + 1);
        responses.push({ response_txn: nested.response });
        txns += nested.txns + 1;
        cursor += nested.txns + 1;
      }
    }
    return { response: { header: { revision: 0 }, succeeded, responses }, txns };
  }

  /** etcd's applyCompare: every live key in the range must match; no key → the zero KV (VALUE: false). */
  private compare(c: Compare): boolean {
    const target = c.target ?? 'VERSION';
    const result = c.result ?? 'EQUAL';
    const key = binaryOf(c.key!);
    const end = rangeEndOf(c.range_end);
    let any = false;
    let all = true;
    this.index.visit(key, end, (ki) => {
      if (!ki.isLive()) return;
      any = true;
      if (!compareOutcome(result, compareTarget(c, target, ki, ki.count - 1))) {
        all = false;
        return false;
      }
    });
    if (!any) return target === 'VALUE' ? false : compareOutcome(result, compareTarget(c, target, undefined, -1));
    return all;
  }

  private compactKey(key: BinaryKey, rev: number): void {
    const ki = this.index.get(key);
    if (ki !== undefined && ki.compact(rev)) this.index.delete(key);
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

function kvAt(ki: KeyIndex, i: number, emptyValue: boolean): KeyValue {
  return {
    key: bytesOf(ki.key),
    create_revision: ki.createAt(i),
    mod_revision: mainOf(ki.revAt(i)),
    version: ki.versionAt(i),
    value: emptyValue ? new Uint8Array(0) : bytesOf(ki.valueAt(i)!),
    lease: ki.leaseAt(i),
  };
}

function tombstoneKv(key: BinaryKey, main: number): KeyValue {
  return { key: bytesOf(key), create_revision: 0, mod_revision: main, version: 0, value: new Uint8Array(0), lease: noLease };
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The comparison of the key's field (the zero KV when `ki` is undefined) with the compare's operand. */
function compareTarget(c: Compare, target: NonNullable<Compare['target']>, ki: KeyIndex | undefined, i: number): number {
  switch (target) {
    case 'VALUE': {
      const mine = ki === undefined ? '' : ki.valueAt(i)!;
      const theirs = c.value == null ? '' : binaryOf(c.value);
      return mine < theirs ? -1 : mine > theirs ? 1 : 0;
    }
    case 'CREATE':
      return compareNumbers(ki === undefined ? 0 : ki.createAt(i), c.create_revision ?? 0);
    case 'MOD':
      return compareNumbers(ki === undefined ? 0 : mainOf(ki.revAt(i)), c.mod_revision ?? 0);
    case 'VERSION':
      return compareNumbers(ki === undefined ? 0 : ki.versionAt(i), c.version ?? 0);
    case 'LEASE':
      return compareNumbers(ki === undefined ? noLease : ki.leaseAt(i), c.lease ?? noLease);
    default:
      return 0; // an unknown target compares nothing: equal (etcd compareKV)
  }
}

function compareOutcome(result: NonNullable<Compare['result']>, comparison: number): boolean {
  switch (result) {
    case 'EQUAL':
      return comparison === 0;
    case 'NOT_EQUAL':
      return comparison !== 0;
    case 'GREATER':
      return comparison > 0;
    case 'LESS':
      return comparison < 0;
    default:
      return true; // an unknown result holds (etcd compareKV)
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The order (indices into the matches) sorted by the target, ascending or
 * descending, as etcd sorts: Go 1.19's sort.Sort (not stable) over the
 * matches in key order, with sort.Reverse for DESCEND, so ties come out in
 * etcd's order. Binary strings compare as their bytes do.
 */
function sortedOrder(kis: KeyIndex[], ats: number[], target: NonNullable<RangeRequest['sort_target']>, descend: boolean): number[] {
  const order = new Array<number>(kis.length);
  for (let j = 0; j < order.length; j++) order[j] = j;
  const byTarget = (a: number, b: number): number => {
    const ka = kis[a]!;
    const kb = kis[b]!;
    const ia = ats[a]!;
    const ib = ats[b]!;
    switch (target) {
      case 'KEY':
        return compareStrings(ka.key, kb.key);
      case 'VERSION':
        return ka.versionAt(ia) - kb.versionAt(ib);
      case 'CREATE':
        return ka.createAt(ia) - kb.createAt(ib);
      case 'MOD':
        return mainOf(ka.revAt(ia)) - mainOf(kb.revAt(ib));
      case 'VALUE':
        return compareStrings(ka.valueAt(ia)!, kb.valueAt(ib)!);
    }
  };
  const less = descend ? (i: number, j: number) => byTarget(order[j]!, order[i]!) < 0 : (i: number, j: number) => byTarget(order[i]!, order[j]!) < 0;
  goSort(order.length, less, (i, j) => {
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  });
  return order;
}
