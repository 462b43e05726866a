/**
 * `leaselab serve --data-dir DIR`: the store survives restarts, kill -9
 * included, as etcd's does. The store itself stays pure (no I/O); this layer
 * logs every change it applies and replays the log through a fresh store on
 * start.
 *
 * On disk (all in DIR):
 *   wal-<first seq>.log    write-ahead log segments (wal-file.ts framing, records.ts records)
 *   snap-<seq>.json        the store's state after record <seq> (every `snapshotEveryRecords` records;
 *                          older segments and snapshots are deleted once it is durable)
 *   lock                   the pid of the server using DIR (a live one keeps others out)
 *
 * Write path: a request is applied to the store, its record appended, and
 * the answer held until the record is fsynced (group commit). Nothing a
 * client can see gets ahead of the disk: unary answers, keepalive answers and
 * watch events all wait for `whenSynced()`, so a crash loses only changes no
 * client was told about. Lease expiries are logged as they happen (the
 * lessor's revoke hook), so replay is exact: the log holds every change in
 * the order it was applied, each with the revision it left.
 *
 * Restart: newest snapshot, then the records after it; a torn last record is
 * cut off. Leases come back with their full TTL plus the election timeout
 * (the owner calls promoteLeases(), as a restarted etcd member does); the
 * lease-ID stream continues where it stood, so no ID is handed out twice.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { EtcdApi } from '../../store/etcd-api.ts';
import type { EtcdStore } from '../../store/etcd-store.ts';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseId,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  TxnRequest,
  TxnResponse,
} from '../../store/messages.ts';
import { encode } from '../json-codec.ts';
import type { Durability } from '../stream-outbox.ts';
import type { LeaseIdStream } from './lease-id-stream.ts';
import { DataDirCorruptError, type LeaseIdState, replayRecord, type WalRecord, type WalRecordBody } from './records.ts';
import { type SidePart, type SideState, storeSnapshotFromJson, storeSnapshotToJson } from './state-json.ts';
import { numberedFiles, readSegment, segmentPattern, snapshotName, snapshotPattern, truncateSegment, WalWriter } from './wal-file.ts';

/** The writes a server applies: the store's own, or a data dir's that log them. */
export type StoreWrites = Pick<EtcdApi, 'put' | 'deleteRange' | 'txn' | 'compact' | 'leaseGrant' | 'leaseRevoke'>;

/** etcd's --snapshot-count is 100,000 entries; leaselab's records are bigger (JSON), its snapshots cheap: snapshot more often. */
export const snapshotEveryRecordsDefault = 10_000;

export interface DataDirOptions {
  dir: string;
  /** The seed for a fresh data dir's lease-ID stream (a dir that has one keeps it). */
  leaseIdSeed: number;
  /** @defaultValue snapshotEveryRecordsDefault */
  snapshotEveryRecords?: number | undefined;
  /** Writing the log failed: serving on would break the durability promise. @defaultValue print and exit(1) */
  onFatal?: (error: unknown) => void;
}

/** What was found on start. */
export interface Recovered {
  /** The data dir held state (a snapshot or records). */
  existing: boolean;
  snapshotSeq: number;
  /** Records replayed after the snapshot. */
  records: number;
  /** Bytes of a torn last record cut off. */
  tornBytes: number;
  revision: number;
  leases: number;
  /** The lease-ID stream's seed: the dir's own when it had one. */
  leaseIdSeed: number;
  /** Draws of the lease-ID stream skipped to continue it. */
  leaseIdDraws: number;
  /** The state kept beside the store (auth, alarms, members) as last logged; the server hands each part to its owner. */
  side: SideState;
}

/** snap-<seq>.json: the server's state after record `seq` (state-json.ts). */
export interface SnapshotFile {
  format: 1;
  seq: number;
  leaseIdSeed: number;
  leaseIdDraws: number;
  store: unknown;
  /** Absent in data dirs written before auth, alarms and members were kept. */
  side?: SideState;
}

export class DataDir implements StoreWrites, Durability {
  readonly dir: string;
  readonly recovered: Recovered;
  readonly #store: EtcdStore;
  readonly #ids: LeaseIdStream;
  readonly #wal: WalWriter;
  readonly #snapshotEveryRecords: number;
  #unsubscribe: () => void;
  #seq: number;
  #recordsSinceSnapshot = 0;
  /** The side state as last logged (goes into every snapshot). */
  readonly #side: SideState;
  /** A logged request is being applied: revokes inside it are part of its record. */
  #applying = false;
  #closed = false;

  /**
   * Open DIR (created if missing) and replay it into `store`, a fresh store
   * whose lease IDs come from `ids`. Synchronous: nothing is served before
   * the state is back.
   * @throws DataDirCorruptError, or an Error when another live server holds DIR
   */
  constructor(store: EtcdStore, ids: LeaseIdStream, options: DataDirOptions) {
    this.dir = options.dir;
    this.#store = store;
    this.#ids = ids;
    this.#snapshotEveryRecords = options.snapshotEveryRecords ?? snapshotEveryRecordsDefault;
    if (!(this.#snapshotEveryRecords >= 1)) throw new RangeError(`snapshotEveryRecords must be at least 1, got ${this.#snapshotEveryRecords}`);
    mkdirSync(this.dir, { recursive: true });
    takeLock(this.dir);
    try {
      const { recovered, lastSeq, segmentFirstSeq } = recover(this.dir, store, ids, options.leaseIdSeed);
      this.recovered = recovered;
      this.#side = Object.assign({}, recovered.side);
      this.#seq = lastSeq;
      this.#wal = new WalWriter({
        dir: this.dir,
        segmentFirstSeq,
        syncedSeq: lastSeq,
        onFatal:
          options.onFatal ??
          ((error) => {
            process.stderr.write(`leaselab serve: writing the data dir failed, stopping: ${error instanceof Error ? error.message : String(error)}\n`);
            process.exit(1);
          }),
      });
    } catch (error) {
      releaseLock(this.dir);
      throw error;
    }
    if (!this.recovered.existing) this.#log({ type: 'seed', seed: ids.seed });
    this.#unsubscribe = this.#logExpiries();
  }

  /** Empty the store (the control endpoint's POST /reset) and log it, so a restart does not bring the old state back. */
  reset(): void {
    this.#unsubscribe();
    this.#store.reset();
    this.#unsubscribe = this.#logExpiries();
    this.#log({ type: 'reset' });
  }

  /** Expiries come from the lessor's sweep, not from a request: log them as they happen. */
  #logExpiries(): () => void {
    return this.#store.lessor.onRevoke((id) => {
      if (!this.#applying) this.#log({ type: 'expire', id: String(id) });
    });
  }

  /**
   * Log the new state of one part kept beside the store (the whole part: auth
   * users and roles, the raised alarms, the added members), after a change to it.
   * The change's answer waits for whenSynced() like any other.
   */
  logSide(part: SidePart, value: unknown): void {
    this.#side[part] = value;
    this.#log({ type: 'side', part, value });
  }

  /** The side state as last logged. */
  side(): SideState {
    return Object.assign({}, this.#side);
  }

  /** Group commit's numbers: fdatasyncs, records written, snapshots taken. */
  get stats(): { syncs: number; records: number; snapshots: number } {
    return this.#wal.stats;
  }

  /** Seq of the last change applied and logged. */
  appendedSeq(): number {
    return this.#wal.appendedSeq;
  }

  /** undefined when every change up to `seq` (default: all applied so far) is on disk; else resolves once it is. */
  whenSynced(seq?: number): Promise<void> | undefined {
    return this.#wal.whenSynced(seq);
  }

  /** Stop logging; resolves when everything logged is on disk and the lock is released. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    await this.#wal.close();
    releaseLock(this.dir);
  }

  // ------------------------------------------------------------ StoreWrites

  put(request: PutRequest): PutResponse {
    const response = this.#apply(() => this.#store.put(request));
    this.#log({ type: 'put', request: encode('PutRequest', request) });
    return response;
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    const before = this.#store.currentRevision();
    const response = this.#apply(() => this.#store.deleteRange(request));
    if (this.#store.currentRevision() !== before) this.#log({ type: 'delete', request: encode('DeleteRangeRequest', request) });
    return response;
  }

  txn(request: TxnRequest): TxnResponse {
    const before = this.#store.currentRevision();
    const response = this.#apply(() => this.#store.txn(request));
    if (this.#store.currentRevision() !== before) this.#log({ type: 'txn', request: encode('TxnRequest', request) });
    return response;
  }

  compact(request: CompactionRequest): CompactionResponse {
    const response = this.#apply(() => this.#store.compact(request));
    this.#log({ type: 'compact', revision: request.revision ?? 0 });
    return response;
  }

  leaseGrant(request: LeaseGrantRequest): LeaseGrantResponse {
    const response = this.#apply(() => this.#store.leaseGrant(request));
    this.#log({ type: 'grant', id: String(response.ID), ttl: request.TTL ?? 0, draws: this.#ids.draws });
    return response;
  }

  leaseRevoke(request: LeaseRevokeRequest): LeaseRevokeResponse {
    const id: LeaseId = request.ID ?? 0n;
    const response = this.#apply(() => this.#store.leaseRevoke(request));
    this.#log({ type: 'revoke', id: String(id) });
    return response;
  }

  // ------------------------------------------------------------ internals

  #apply<T>(run: () => T): T {
    this.#applying = true;
    try {
      return run();
    } finally {
      this.#applying = false;
    }
  }

  #log(body: WalRecordBody): void {
    if (this.#closed) return;
    const record = body as WalRecord;
    record.seq = ++this.#seq;
    record.rev = this.#store.currentRevision();
    this.#wal.append(record);
    if (++this.#recordsSinceSnapshot >= this.#snapshotEveryRecords) {
      this.#recordsSinceSnapshot = 0;
      this.#wal.snapshot(record.seq, snapshotText(record.seq, this.#store, this.#ids, this.#side));
    }
  }
}

// ---------------------------------------------------------------- recovery

function recover(dir: string, store: EtcdStore, ids: LeaseIdStream, freshSeed: number): { recovered: Recovered; lastSeq: number; segmentFirstSeq: number } {
  const idState: LeaseIdState = { seed: undefined, draws: 0 };
  const side: SideState = {};
  let snapshotSeq = 0;
  // A snapshot being written when the process died never counted: it is only used once renamed.
  for (const name of readdirSync(dir)) if (name.endsWith('.json.tmp')) rmSync(join(dir, name), { force: true });
  const snapshots = numberedFiles(dir, snapshotPattern);
  const newest = snapshots.at(-1);
  if (newest !== undefined) {
    const file = JSON.parse(readFileSync(join(dir, newest.name), 'utf8')) as SnapshotFile;
    if (file.format !== 1 || file.seq !== newest.seq) throw new DataDirCorruptError(`${newest.name} is not a leaselab snapshot of record ${newest.seq}`);
    store.restore(storeSnapshotFromJson(file.store));
    Object.assign(side, file.side ?? {});
    snapshotSeq = file.seq;
    idState.seed = file.leaseIdSeed;
    idState.draws = file.leaseIdDraws;
  }
  const segments = numberedFiles(dir, segmentPattern);
  let lastSeq = snapshotSeq;
  let records = 0;
  let tornBytes = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const path = join(dir, segment.name);
    const contents = readSegment(path);
    const isLast = i === segments.length - 1;
    if (contents.corrupt) throw new DataDirCorruptError(`${segment.name}: record at byte ${contents.validBytes} fails its checksum and more records follow it`);
    if (contents.validBytes < contents.totalBytes) {
      if (!isLast)
        throw new DataDirCorruptError(`${segment.name}: a bad record at byte ${contents.validBytes} of ${contents.totalBytes}, and later segments follow`);
      tornBytes = contents.totalBytes - contents.validBytes;
      truncateSegment(path, contents.validBytes);
    }
    for (const record of contents.records) {
      if (record.seq <= lastSeq) continue; // covered by the snapshot
      if (record.seq !== lastSeq + 1) throw new DataDirCorruptError(`${segment.name}: record ${record.seq} follows record ${lastSeq}`);
      replayRecord(store, record, idState, side);
      lastSeq = record.seq;
      records++;
    }
  }
  const existing = idState.seed !== undefined;
  const seed = idState.seed ?? freshSeed;
  ids.restart(seed, idState.draws);
  // Append to the last segment (torn tail cut), or start one after the snapshot.
  const segmentFirstSeq = segments.at(-1)?.seq ?? lastSeq + 1;
  return {
    recovered: {
      existing,
      snapshotSeq,
      records,
      tornBytes,
      revision: store.currentRevision(),
      leases: store.lessor.size,
      leaseIdSeed: seed,
      leaseIdDraws: idState.draws,
      side,
    },
    lastSeq,
    segmentFirstSeq,
  };
}

// ---------------------------------------------------------------- snapshots as JSON

function snapshotText(seq: number, store: EtcdStore, ids: LeaseIdStream, side: SideState): string {
  const file: SnapshotFile = { format: 1, seq, leaseIdSeed: ids.seed, leaseIdDraws: ids.draws, store: storeSnapshotToJson(store.snapshot()), side };
  return JSON.stringify(file);
}

// ---------------------------------------------------------------- restore

/**
 * Create data dir `dir` from a snapshot's state (`leaselab snapshot restore`,
 * as `etcdctl snapshot restore`): a new directory holding one snapshot file,
 * from which `serve --data-dir` starts (leases promoted). The restored
 * server gets a lease-ID stream of its own (`leaseIdSeed`, fresh from
 * entropy): the snapshot's server may still be running and handing out the
 * IDs its stream goes on to, and the two must not meet. As etcd's restore,
 * the members added to the old cluster are left behind: the restored server
 * is a new one-member cluster. Refuses a directory that exists, as etcdctl does.
 */
export function restoreDataDir(dir: string, state: { store: unknown; side: SideState }, leaseIdSeed: number): void {
  if (existsSync(dir)) throw new Error(`data-dir ${JSON.stringify(dir)} exists`);
  const side: SideState = {};
  if (state.side.auth !== undefined) side.auth = state.side.auth;
  if (state.side.alarms !== undefined) side.alarms = state.side.alarms;
  const seq = 1;
  const file: SnapshotFile = { format: 1, seq, leaseIdSeed, leaseIdDraws: 0, store: state.store, side };
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, snapshotName(seq)), 'wx');
  try {
    writeSync(fd, JSON.stringify(file));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

// ---------------------------------------------------------------- lock

/** One server per data dir: the lock file names its pid; a dead pid's lock (kill -9) is taken over. */
const heldDirs = new Set<string>();

function takeLock(dir: string): void {
  const path = join(dir, 'lock');
  const real = realpathSync(dir);
  if (heldDirs.has(real)) throw new Error(`data dir ${dir} is in use by this process (another server over it is open)`);
  if (existsSync(path)) {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new Error(`data dir ${dir} is in use by process ${pid} (remove ${path} if that is not a leaselab server)`);
    }
  }
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${process.pid}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  heldDirs.add(real);
}

function releaseLock(dir: string): void {
  const path = join(dir, 'lock');
  heldDirs.delete(realpathSync(dir));
  try {
    if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed server whose parent has not reaped it yet (a zombie) still answers signal 0, but holds nothing.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: trust the signal
  }
}
