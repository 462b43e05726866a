/**
 * Write-ahead log segments: files `wal-<first seq, 16 hex digits>.log` of
 * framed records, each
 *
 *   u32 LE payload length | u32 LE CRC-32 of the payload | payload (UTF-8 JSON, records.ts)
 *
 * A kill -9 can leave the last record of the last segment torn (short or
 * failing its CRC): recovery cuts it off, since no client was answered for
 * it. A bad record anywhere else is corruption.
 *
 * WalWriter appends records and makes them durable with group commit: every
 * record appended while one write+fdatasync is in flight goes out together in
 * the next, and `whenSynced()` resolves once everything appended before the
 * call is on disk. A snapshot switches segments in the same queue, in order
 * with the records around it; its file is then written beside the records
 * that follow (they do not wait for it), and the segments it covers are
 * deleted once it is durable. Until then recovery still has them.
 * order with the records around them.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readdirSync, ftruncateSync } from 'node:fs';
import { type FileHandle, open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DataDirCorruptError, type WalRecord } from './records.ts';

const frameHeaderBytes = 8;
/** No record is near this big (requests are at most ~2 MiB); a larger length is a torn or garbage header. */
const recordBytesMax = 64 * 1024 * 1024;

export function segmentName(firstSeq: number): string {
  return `wal-${firstSeq.toString(16).padStart(16, '0')}.log`;
}

export function snapshotName(seq: number): string {
  return `snap-${seq.toString(16).padStart(16, '0')}.json`;
}

/** Files in `dir` named by `pattern` (one hex group), ascending by that number. */
export function numberedFiles(dir: string, pattern: RegExp): { name: string; seq: number }[] {
  return readdirSync(dir)
    .map((name) => ({ name, match: pattern.exec(name) }))
    .filter((f) => f.match !== null)
    .map((f) => ({ name: f.name, seq: Number.parseInt(f.match![1]!, 16) }))
    .sort((a, b) => a.seq - b.seq);
}

export const segmentPattern = /^wal-([0-9a-f]{16})\.log$/;
export const snapshotPattern = /^snap-([0-9a-f]{16})\.json$/;

export function frame(record: WalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, frameHeaderBytes);
  return out;
}

export interface SegmentContents {
  records: WalRecord[];
  /** Bytes of whole, valid records; anything after is a torn tail (or, with `corrupt`, damage). */
  validBytes: number;
  totalBytes: number;
  /**
   * A whole frame failed its check with more frames after it: not a torn
   * write (a killed process leaves a prefix of what it wrote, an OS crash
   * garbles at most the unsynced end), so records after it may have been
   * acknowledged. Recovery refuses to guess.
   */
  corrupt: boolean;
}

/** Read a segment's records, stopping at the first torn or bad frame. */
export function readSegment(path: string): SegmentContents {
  const bytes = readFileSync(path);
  const records: WalRecord[] = [];
  let at = 0;
  let corrupt = false;
  while (at + frameHeaderBytes <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const sum = bytes.readUInt32LE(at + 4);
    const end = at + frameHeaderBytes + length;
    if (length > recordBytesMax || end > bytes.length) break; // cut short: a torn write
    const payload = bytes.subarray(at + frameHeaderBytes, end);
    let record: WalRecord | undefined;
    if (crc32(payload) === sum) {
      try {
        record = JSON.parse(payload.toString('utf8')) as WalRecord;
      } catch {
        record = undefined;
      }
    }
    if (record === undefined) {
      corrupt = end < bytes.length; // the last frame may be garbled by a crash; one in the middle is damage
      break;
    }
    records.push(record);
    at = end;
  }
  return { records, validBytes: at, totalBytes: bytes.length, corrupt };
}

/** Cut a torn tail off a segment (recovery, before appending again). */
export function truncateSegment(path: string, validBytes: number): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, validBytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync a directory, so a created, renamed or deleted file's name is durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

type Task = { kind: 'record'; bytes: Buffer; seq: number } | { kind: 'snapshot'; seq: number; text: string; segmentFirstSeq: number };

export interface WalWriterOptions {
  dir: string;
  /** The segment to append to (created if missing), named by its first seq. */
  segmentFirstSeq: number;
  /** The seq of the last record already on disk. */
  syncedSeq: number;
  /** A write or fsync failed: the log can no longer promise durability (etcd panics). */
  onFatal: (error: unknown) => void;
}

export class WalWriter {
  readonly dir: string;
  readonly #onFatal: (error: unknown) => void;
  readonly #tasks: Task[] = [];
  #segmentFirstSeq: number;
  #handle: FileHandle | undefined;
  #appendedSeq: number;
  #syncedSeq: number;
  #waiters: { seq: number; resolve: () => void }[] = [];
  #running: Promise<void> | undefined;
  /** The snapshot file being written (one at a time, in order), off the records' path. */
  #snapshotting: Promise<void> = Promise.resolve();
  #failed = false;
  /** Stats: fdatasync calls and records written (records / syncs = group commit's batch size). */
  readonly stats = { syncs: 0, records: 0, snapshots: 0 };

  constructor(options: WalWriterOptions) {
    this.dir = options.dir;
    this.#onFatal = options.onFatal;
    this.#segmentFirstSeq = options.segmentFirstSeq;
    this.#appendedSeq = options.syncedSeq;
    this.#syncedSeq = options.syncedSeq;
  }

  get appendedSeq(): number {
    return this.#appendedSeq;
  }

  get syncedSeq(): number {
    return this.#syncedSeq;
  }

  /** Queue a record; it is durable once whenSynced() (called after this) resolves. */
  append(record: WalRecord): void {
    this.#appendedSeq = record.seq;
    this.#tasks.push({ kind: 'record', bytes: frame(record), seq: record.seq });
    this.#kick();
  }

  /**
   * Queue a snapshot of the state after record `seq` (already appended): the
   * following records go to a new segment, and once the snapshot file is
   * durable the segments and snapshots it makes useless are deleted.
   */
  snapshot(seq: number, text: string): void {
    this.#tasks.push({ kind: 'snapshot', seq, text, segmentFirstSeq: seq + 1 });
    this.#kick();
  }

  /** undefined when every record up to `seq` (default: all appended so far) is durable; else resolves once they are. */
  whenSynced(seq: number = this.#appendedSeq): Promise<void> | undefined {
    if (this.#syncedSeq >= seq) return undefined;
    return new Promise((resolve) => this.#waiters.push({ seq, resolve }));
  }

  /** Finish everything queued, then close the segment. */
  async close(): Promise<void> {
    await this.#running;
    await this.#snapshotting.catch(() => {}); // a failure was reported to onFatal
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #kick(): void {
    if (this.#running !== undefined || this.#failed) return;
    this.#running = this.#run().finally(() => {
      this.#running = undefined;
      if (this.#tasks.length > 0 && !this.#failed) this.#kick();
    });
  }

  async #run(): Promise<void> {
    try {
      while (this.#tasks.length > 0) {
        const task = this.#tasks[0]!;
        if (task.kind === 'record') await this.#writeRecords();
        else if (task.kind === 'snapshot') {
          this.#tasks.shift();
          // Records after the snapshot go to a new segment; the old ones stay until the snapshot is durable.
          await this.#switchSegment(task.segmentFirstSeq);
          this.#snapshotting = this.#snapshotting.then(() => this.#writeSnapshot(task.seq, task.segmentFirstSeq, task.text));
          this.#snapshotting.catch((error: unknown) => {
            if (this.#failed) return;
            this.#failed = true;
            this.#onFatal(error);
          });
        }
      }
    } catch (error) {
      this.#failed = true;
      this.#onFatal(error);
    }
  }

  /** Every record queued up to the next other task: one write, one fdatasync. */
  async #writeRecords(): Promise<void> {
    const batch: Buffer[] = [];
    let lastSeq = this.#syncedSeq;
    while (this.#tasks.length > 0 && this.#tasks[0]!.kind === 'record') {
      const task = this.#tasks.shift() as Extract<Task, { kind: 'record' }>;
      batch.push(task.bytes);
      lastSeq = task.seq;
    }
    const handle = await this.#segment();
    let bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
    while (bytes.length > 0) {
      const { bytesWritten } = await handle.write(bytes);
      bytes = bytes.subarray(bytesWritten);
    }
    await handle.datasync();
    this.stats.syncs++;
    this.stats.records += batch.length;
    this.#syncedSeq = lastSeq;
    const due = this.#waiters.filter((w) => w.seq <= lastSeq);
    if (due.length > 0) {
      this.#waiters = this.#waiters.filter((w) => w.seq > lastSeq);
      for (const waiter of due) waiter.resolve();
    }
  }

  async #segment(): Promise<FileHandle> {
    if (this.#handle === undefined) {
      this.#handle = await open(join(this.dir, segmentName(this.#segmentFirstSeq)), 'a');
      await syncDir(this.dir);
    }
    return this.#handle;
  }

  async #switchSegment(firstSeq: number): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
    this.#segmentFirstSeq = firstSeq;
    await this.#segment();
  }

  async #writeSnapshot(seq: number, segmentFirstSeq: number, text: string): Promise<void> {
    const path = join(this.dir, snapshotName(seq));
    const temporary = `${path}.tmp`;
    await writeFile(temporary, text, { flush: true });
    await rename(temporary, path);
    await syncDir(this.dir);
    this.stats.snapshots++;
    // The snapshot covers every record up to seq: older segments and snapshots are useless now.
    for (const old of numberedFiles(this.dir, segmentPattern)) if (old.seq < segmentFirstSeq) await unlink(join(this.dir, old.name));
    for (const old of numberedFiles(this.dir, snapshotPattern)) if (old.seq < seq) await unlink(join(this.dir, old.name));
    await syncDir(this.dir);
  }
}
