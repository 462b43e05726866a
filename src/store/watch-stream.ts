/**
 * One client Watch stream (etcd's v3rpc/watch.go `serverWatchStream` with
 * mvcc's `watchStream`): it reads create, cancel and progress requests,
 * allocates watch IDs (per stream, from 0, skipping IDs in use), and carries
 * every response to the client's sink in order.
 *
 * Backpressure: the sink refuses a response when the client's buffer is
 * full. The refused response (and the rest of its fragments) waits in the
 * stream's small pending queue, and the stream is "blocked": no new event
 * response is attempted on it (its watchers fall behind and are caught up
 * from history later), control responses (created, canceled) queue behind,
 * and `flush()`, called by the hub's syncWatchers, retries the queue in
 * order. The queue holds at most one event response (the one refused) plus
 * the control responses the client asked for meanwhile, so memory stays
 * bounded however slow the reader.
 *
 *   create {key:'foo'}          → {created, watch_id 0, header: current}
 *   create {key:'foo', watch_id 0} again → {created, watch_id 1}
 *   create {key:'a', watch_id 1} → {created, canceled, watch_id -1, duplicate ID}
 *   cancel {watch_id 0}         → {watch_id 0, canceled}
 *   progress {}                 → {watch_id -1, header: current} at once (etcd 3.4)
 *
 * As in etcd 3.4.23 a negative start_revision is taken as it is: the watch
 * is created, starts unsynced, and the next resync cancels it with
 * compact_revision when that revision is below the compaction revision
 * (-1 before any compaction), or replays every revision when it is not.
 */
import { type BinaryKey, toBinary } from './bytes.ts';
import type { WatchSink, WatchStream } from './etcd-api.ts';
import { WatchCancelReason } from './errors.ts';
import { watchFragmentBytesMax } from './limits.ts';
import { exactInteger } from './message-schemas.ts';
import type { WatchCreateRequest, WatchId, WatchRequest, WatchResponse } from './messages.ts';
import { fragmentsOf, watchResponse } from './watch-response.ts';
import { Watcher } from './watcher.ts';

/** What a stream needs from the hub (etcd's watchable store, as a watchStream sees it). */
export interface WatchableStore {
  currentRevision(): number;
  /** Start a watcher whose created response has just been sent. */
  addWatcher(watcher: Watcher): void;
  /** Forget a watcher (cancel, or stream closed). */
  removeWatcher(watcher: Watcher): void;
  /** The stream's sink refused a response; the hub retries it in syncWatchers. */
  streamBlocked(stream: WatchStreamSession): void;
}

/**
 * What became of an event response: `sent`; `queued` (refused, kept in the
 * pending queue: as good as sent for the watcher); `blocked` (not attempted
 * because the stream is blocked: the watcher must get these events later).
 */
export type SendResult = 'sent' | 'queued' | 'blocked';

export class WatchStreamSession implements WatchStream {
  readonly #sink: WatchSink;
  readonly #store: WatchableStore;
  /** Watchers by ID, including compacted ones, which keep their ID until cancelled. */
  readonly watchers = new Map<WatchId, Watcher>();
  #nextId = 0;
  #pending: WatchResponse[] = [];
  #closed = false;

  constructor(sink: WatchSink, store: WatchableStore) {
    this.#sink = sink;
    this.#store = store;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Responses refused by the sink wait: nothing new is sent until they are through. */
  get blocked(): boolean {
    return this.#pending.length > 0;
  }

  get pendingResponses(): number {
    return this.#pending.length;
  }

  request(request: WatchRequest): void {
    if (this.#closed) return;
    if (request.create_request !== undefined) this.#create(request.create_request);
    else if (request.cancel_request !== undefined) this.#cancel(watchIdOf(request.cancel_request.watch_id ?? 0));
    // etcd 3.4 answers a progress request at once, synced watchers or not (3.5 waits for them).
    else if (request.progress_request !== undefined) this.sendControl(watchResponse(this.#store.currentRevision(), -1));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const watcher of this.watchers.values()) this.#store.removeWatcher(watcher);
    this.watchers.clear();
    this.#pending = [];
  }

  /** Send an event response (split into fragments when the watcher asked for that). */
  sendEvents(response: WatchResponse, fragment: boolean): SendResult {
    if (this.#closed) return 'sent';
    if (this.blocked) return 'blocked';
    if (!fragment || response.events.length < 2) {
      // one response, as nearly all are: no parts array
      if (this.#sink.send(response)) return 'sent';
      this.#pending.push(response);
      this.#store.streamBlocked(this);
      return 'queued';
    }
    const parts = fragmentsOf(response, watchFragmentBytesMax);
    for (let i = 0; i < parts.length; i++) {
      if (!this.#sink.send(parts[i]!)) {
        this.#pending.push(...parts.slice(i));
        this.#store.streamBlocked(this);
        return 'queued';
      }
    }
    return 'sent';
  }

  /** Send a response that must arrive (created, canceled, progress), in order, queueing it if need be. */
  sendControl(response: WatchResponse): void {
    if (this.#closed) return;
    if (this.blocked) {
      this.#pending.push(response);
      return;
    }
    if (!this.#sink.send(response)) {
      this.#pending.push(response);
      this.#store.streamBlocked(this);
    }
  }

  /** Send a response that may be dropped (a periodic progress notification); false if it was. */
  trySend(response: WatchResponse): boolean {
    if (this.#closed || this.blocked) return false;
    return this.#sink.send(response);
  }

  /** Retry the pending queue in order; true when it is empty (the stream is unblocked). */
  flush(): boolean {
    let sent = 0;
    while (sent < this.#pending.length && this.#sink.send(this.#pending[sent]!)) sent++;
    if (sent > 0) this.#pending.splice(0, sent);
    return this.#pending.length === 0;
  }

  #create(create: WatchCreateRequest): void {
    const revision = this.#store.currentRevision();
    const keyBytes = create.key;
    // Empty key → "\0", the smallest key; range_end "\0" → every key >= key ('').
    const key: BinaryKey = keyBytes == null || keyBytes.byteLength === 0 ? '\0' : toBinary(keyBytes);
    const endBytes = create.range_end;
    let rangeEnd: BinaryKey | undefined;
    if (endBytes == null || endBytes.byteLength === 0) rangeEnd = undefined;
    else if (endBytes.byteLength === 1 && endBytes[0] === 0) rangeEnd = '';
    else rangeEnd = toBinary(endBytes);
    const startRevision = create.start_revision ?? 0;

    if (rangeEnd !== undefined && rangeEnd !== '' && key >= rangeEnd) return this.#reject(revision, WatchCancelReason.emptyRange);

    let id = watchIdOf(create.watch_id ?? 0);
    if (id === 0) {
      while (this.watchers.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    } else if (this.watchers.has(id)) {
      return this.#reject(revision, WatchCancelReason.duplicateId);
    }

    // Unknown filter numbers filter nothing (etcd FiltersFromRequest).
    const filters = create.filters;
    const watcher = new Watcher(this, id, key, rangeEnd, startRevision, startRevision === 0 ? revision + 1 : startRevision, {
      noPut: filters?.includes('NOPUT') === true,
      noDelete: filters?.includes('NODELETE') === true,
      prevKv: create.prev_kv ?? false,
      progressNotify: create.progress_notify ?? false,
      fragment: create.fragment ?? false,
    });
    this.watchers.set(id, watcher);
    this.sendControl(watchResponse(revision, id, { created: true }));
    this.#store.addWatcher(watcher);
  }

  /** A create refused: {created, canceled, watch_id -1} with the reason. */
  #reject(revision: number, reason: string): void {
    this.sendControl(watchResponse(revision, -1, { created: true, canceled: true, cancel_reason: reason }));
  }

  #cancel(id: WatchId): void {
    const watcher = this.watchers.get(id);
    if (watcher === undefined) return;
    this.watchers.delete(id);
    this.#store.removeWatcher(watcher);
    this.sendControl(watchResponse(this.#store.currentRevision(), id, { canceled: true }));
  }
}

/** A watch ID in its one form: a number when it fits in 2^53, so Map lookups find it. */
export function watchIdOf(id: WatchId): WatchId {
  return typeof id === 'bigint' ? exactInteger(id) : id;
}
