/**
 * Watches over one Watch stream per client, the way clientv3's watcher runs
 * them (client/v3/watch.go): creates are sent one at a time and matched to
 * their `created` answers in order; each watcher remembers the revision it
 * has seen up to, and when the stream breaks every watcher is re-created on
 * a new stream from that revision, so no event is lost or repeated.
 *
 *   watch('k', {}, h)            → create {key k}; created at header rev 7 → next rev 8
 *   put k (rev 8)                → h({ kind: 'events', events: [PUT k mod 8] }) → next rev 9
 *   stream breaks; 500 ms later  → create {key k, start_revision 9} on a new stream
 *   compaction past rev 9        → h({ kind: 'canceled', compactRevision, error: CompactedError }); the watcher ends
 *
 * Events reach the handler in revision order; a handler is never called after
 * cancel() or after the update that ended its watcher.
 */
import { CompactedError, FutureRevisionError } from '../store/errors.ts';
import type { Event, ResponseHeader, WatchCreateRequest, WatchFilterType, WatchRequest, WatchResponse, WatchId } from '../store/messages.ts';
import { ClientClosedError, ClientError } from './errors.ts';
import { keyRange, type KeyLike, type RangeOptions } from './kv.ts';
import { type ClientRuntime, settledNothing } from './runtime.ts';
import type { BidiStream, Transport } from './transport.ts';

/** How long a broken watch stream waits before it is reopened. */
export const watchRetryIntervalMs = 500;

/** Options of {@link Client.watch}: range or prefix, start revision, filters, prev_kv, progress notifications. */
export interface WatchOptions extends RangeOptions {
  /** First revision to report (inclusive); 0 or absent: changes after now. */
  revision?: number;
  prevKv?: boolean;
  progressNotify?: boolean;
  /** Do not report PUT events. */
  noPut?: boolean;
  /** Do not report DELETE events. */
  noDelete?: boolean;
}

/** What a watch handler is told. */
export type WatchUpdate =
  | { kind: 'events'; header: ResponseHeader; events: Event[] }
  /** A progress notification: nothing changed in range up to header.revision. */
  | { kind: 'progress'; header: ResponseHeader }
  /**
   * The server ended the watch, or the client was closed: `error` is
   * CompactedError when compactRevision != 0 (the start revision was
   * compacted away), the cancel reason otherwise. The last update.
   */
  | { kind: 'canceled'; header: ResponseHeader | undefined; compactRevision: number; reason: string; error: Error };

/**
 * Called with each update of a watch, in order. It may return `settledNothing`
 * (src/client/runtime.ts) when it settled no promise (the simulator then needs
 * no yield after the delivery); anything else is ignored.
 */
export type WatchHandler = (update: WatchUpdate) => unknown;

/** A running watch: `created`, `done` (resolves when it ends) and `cancel()`. */
export interface Watcher {
  /** Resolves with the header of the `created` answer, or undefined if the watch ended before it was created. */
  readonly created: Promise<ResponseHeader | undefined>;
  /** Resolves when the watch has ended (canceled by either side, or the client closed). */
  readonly done: Promise<void>;
  /** Stop watching; the handler is not called again. Idempotent. */
  cancel(): void;
}

/** A watch the server canceled with a reason (clientv3 returns the reason as the error). */
export class WatchCanceledByServerError extends ClientError {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

class WatchEntry implements Watcher {
  readonly request: WatchCreateRequest;
  readonly handler: WatchHandler;
  watchId: WatchId | undefined;
  ended = false;
  /** cancel() came while the create was in flight: cancel once it is created. */
  cancelWhenCreated = false;
  // `created` and `done` are made only when read: most watches (a Mutex's waits) never read them.
  #created: Promise<ResponseHeader | undefined> | undefined = undefined;
  #resolveCreated: ((header: ResponseHeader | undefined) => void) | undefined = undefined;
  #createdSettled = false;
  #createdHeader: ResponseHeader | undefined = undefined;
  #done: Promise<void> | undefined = undefined;
  #resolveDone: (() => void) | undefined = undefined;
  readonly #manager: WatchManager;

  constructor(manager: WatchManager, request: WatchCreateRequest, handler: WatchHandler) {
    this.#manager = manager;
    this.request = request;
    this.handler = handler;
  }

  get created(): Promise<ResponseHeader | undefined> {
    if (this.#created === undefined) {
      if (this.#createdSettled) this.#created = Promise.resolve(this.#createdHeader);
      else this.#created = new Promise((resolve) => (this.#resolveCreated = resolve));
    }
    return this.#created;
  }

  get done(): Promise<void> {
    if (this.#done === undefined) {
      if (this.ended) this.#done = Promise.resolve();
      else this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    }
    return this.#done;
  }

  /** Settle `created` (once): the created answer's header, or undefined when the watch ended first. Whether a promise settled. */
  resolveCreated(header: ResponseHeader | undefined): boolean {
    if (this.#createdSettled) return false;
    this.#createdSettled = true;
    this.#createdHeader = header;
    if (this.#resolveCreated === undefined) return false;
    this.#resolveCreated(header);
    return true;
  }

  finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveCreated(undefined);
    this.#resolveDone?.();
  }

  cancel(): void {
    this.#manager.cancel(this);
  }
}

/** The create request of a watch on `key` with `options` (clientv3's watch options). */
export function watchCreateRequest(key: KeyLike, options: WatchOptions): WatchCreateRequest {
  const request: WatchCreateRequest = keyRange(key, options);
  if (options.revision !== undefined && options.revision !== 0) request.start_revision = options.revision;
  if (options.prevKv === true) request.prev_kv = true;
  if (options.progressNotify === true) request.progress_notify = true;
  if (options.noPut === true || options.noDelete === true) {
    const filters: WatchFilterType[] = [];
    if (options.noPut === true) filters.push('NOPUT');
    if (options.noDelete === true) filters.push('NODELETE');
    request.filters = filters;
  }
  return request;
}

export class WatchManager {
  readonly #transport: Transport;
  readonly #runtime: ClientRuntime;
  #stream: BidiStream<WatchRequest> | undefined;
  #streamToken: object | undefined;
  #cancelRetry: (() => void) | undefined;
  /** Waiting to be (re-)created, in order. */
  #pending: WatchEntry[] = [];
  /** Create sent, `created` not yet answered. */
  #creating: WatchEntry | undefined;
  /** Created on the current stream, by watch ID. */
  #active = new Map<WatchId, WatchEntry>();
  #closed = false;

  constructor(transport: Transport, runtime: ClientRuntime) {
    this.#transport = transport;
    this.#runtime = runtime;
  }

  watch(key: KeyLike, options: WatchOptions, handler: WatchHandler): Watcher {
    return this.watchRequest(watchCreateRequest(key, options), handler);
  }

  /** Watch with a create request already made ({@link watchCreateRequest}); the manager owns it from here. */
  watchRequest(request: WatchCreateRequest, handler: WatchHandler): Watcher {
    const entry = new WatchEntry(this, request, handler);
    if (this.#closed) {
      this.#end(entry, undefined, 0, new ClientClosedError());
      return entry;
    }
    this.#pending.push(entry);
    this.#ensureStream();
    this.#pumpCreate();
    return entry;
  }

  cancel(entry: WatchEntry): void {
    if (entry.ended) return;
    entry.finish();
    const pendingIndex = this.#pending.indexOf(entry);
    if (pendingIndex >= 0) this.#pending.splice(pendingIndex, 1);
    if (this.#creating === entry) entry.cancelWhenCreated = true;
    if (entry.watchId !== undefined && this.#active.get(entry.watchId) === entry) {
      this.#active.delete(entry.watchId);
      this.#stream?.send({ cancel_request: { watch_id: entry.watchId } });
    }
  }

  /** The client closed: every watcher ends with ClientClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
    const entries = [...(this.#creating ? [this.#creating] : []), ...this.#active.values(), ...this.#pending];
    this.#creating = undefined;
    this.#active.clear();
    this.#pending = [];
    const stream = this.#stream;
    this.#stream = undefined;
    this.#streamToken = undefined;
    stream?.close();
    for (const entry of entries) this.#end(entry, undefined, 0, new ClientClosedError());
  }

  #ensureStream(): void {
    if (this.#closed || this.#streamToken !== undefined || this.#cancelRetry !== undefined) return;
    const token = {};
    this.#streamToken = token;
    const stream = this.#transport.openWatch({
      message: (response) => (this.#streamToken === token ? this.#received(response) : settledNothing),
      end: () => {
        if (this.#streamToken === token) this.#streamEnded();
      },
    });
    if (this.#streamToken === token) this.#stream = stream;
  }

  #pumpCreate(): void {
    const stream = this.#stream;
    if (stream === undefined || this.#creating !== undefined) return;
    const next = this.#pending.shift();
    if (next === undefined) return;
    this.#creating = next;
    stream.send({ create_request: { ...next.request } });
  }

  /** A response on the stream; settledNothing when no handler ran and no promise settled (a create or cancel acknowledged). */
  #received(response: WatchResponse): typeof settledNothing | undefined {
    if (response.created) {
      const entry = this.#creating;
      this.#creating = undefined;
      const quiet = entry === undefined || this.#createdAnswer(entry, response);
      this.#pumpCreate();
      return quiet ? settledNothing : undefined;
    }
    if (response.watch_id === -1) {
      // A stream-wide progress answer: every watcher on the stream is synced.
      for (const entry of [...this.#active.values()]) this.#progress(entry, response.header);
      return undefined;
    }
    const entry = this.#active.get(response.watch_id);
    if (entry === undefined) return settledNothing;
    if (response.canceled) {
      this.#active.delete(response.watch_id);
      this.#canceledByServer(entry, response);
      return undefined;
    }
    if (response.events.length > 0) {
      const last = response.events[response.events.length - 1]!;
      entry.request.start_revision = last.kv.mod_revision + 1;
      return entry.handler({ kind: 'events', header: response.header, events: response.events }) === settledNothing ? settledNothing : undefined;
    } else {
      this.#progress(entry, response.header);
    }
    return undefined;
  }

  /** The create's answer; true when it ran no handler and settled no promise. */
  #createdAnswer(entry: WatchEntry, response: WatchResponse): boolean {
    if (response.canceled || response.watch_id === -1) {
      if (entry.ended) return true;
      this.#canceledByServer(entry, response);
      return false;
    }
    if (entry.cancelWhenCreated || entry.ended) {
      this.#stream?.send({ cancel_request: { watch_id: response.watch_id } });
      return true;
    }
    entry.watchId = response.watch_id;
    this.#active.set(response.watch_id, entry);
    // Resume after a break from the first revision this watch has not seen.
    if ((entry.request.start_revision ?? 0) === 0) entry.request.start_revision = response.header.revision + 1;
    return !entry.resolveCreated(response.header);
  }

  #progress(entry: WatchEntry, header: ResponseHeader): void {
    if (entry.ended) return;
    const start = entry.request.start_revision ?? 0;
    if (header.revision + 1 > start) entry.request.start_revision = header.revision + 1;
    entry.handler({ kind: 'progress', header });
  }

  #canceledByServer(entry: WatchEntry, response: WatchResponse): void {
    // clientv3 WatchResponse.Err(): compacted, else the reason, else (historical quirk) future revision.
    const error =
      response.compact_revision !== 0
        ? new CompactedError()
        : response.cancel_reason !== ''
          ? new WatchCanceledByServerError(response.cancel_reason)
          : new FutureRevisionError();
    this.#end(entry, response.header, response.compact_revision, error, response.cancel_reason);
  }

  #end(entry: WatchEntry, header: ResponseHeader | undefined, compactRevision: number, error: Error, reason = error.message): void {
    if (entry.ended) return;
    entry.finish();
    entry.handler({ kind: 'canceled', header, compactRevision, reason, error });
  }

  #streamEnded(): void {
    this.#stream = undefined;
    this.#streamToken = undefined;
    // Re-create every live watcher, in creation order, from where it got to.
    const resume = [...this.#active.values(), ...(this.#creating ? [this.#creating] : [])].filter((entry) => !entry.ended);
    this.#creating = undefined;
    this.#active.clear();
    for (const entry of resume) entry.watchId = undefined;
    this.#pending = [...resume, ...this.#pending];
    if (this.#closed || this.#pending.length === 0) return;
    this.#cancelRetry = this.#runtime.setTimer(watchRetryIntervalMs, () => {
      this.#cancelRetry = undefined;
      this.#ensureStream();
      this.#pumpCreate();
    });
  }
}
