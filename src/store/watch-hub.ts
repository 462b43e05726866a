/**
 * etcd's watchable store (mvcc/watchable_store.go): it hears every write as
 * it ends and sends its events to the watchers that want them, and it
 * catches up watchers that are behind from the KV store's history.
 *
 * - Synced watchers sit in a WatcherGroup (map for single keys, interval
 *   tree for ranges). A write's events are matched per distinct key range,
 *   and every matching watcher gets one response: that write's events, in
 *   sub-revision order, header.revision = the write's revision.
 * - A watcher that starts at or before the current revision (start_revision
 *   != 0) starts unsynced, as in etcd: it hears no live writes and is caught
 *   up by the next `syncWatchers()` (every 100 ms, etcd's
 *   watchResyncPeriod), one batch of at most `watchBatchRevisionsMax`
 *   revisions with header.revision = the current revision, so writes made
 *   between the create and that tick arrive in the same response as the
 *   history (and a compaction made meanwhile cancels the watch).
 * - A watcher whose stream is blocked (its sink refused a response) or whose
 *   history is longer than one batch stays unsynced; `syncWatchers()` first
 *   retries blocked streams' queued responses, then sends up to
 *   `watchersPerSyncMax` unsynced watchers their next batch from history,
 *   so nothing is held per event for a slow reader.
 * - An unsynced watcher whose next revision is below the compaction revision
 *   (-1 before any compaction) is sent {watch_id, canceled, compact_revision}
 *   and stops.
 *
 *   store at 5; watch 'h' from 2 → created (5); put h (6);
 *   resync → [2,3,4,5,6 events] (6); put h (7) → [h@7] (7)
 *
 * Sinks are called synchronously from inside a write; they must not call
 * back into the store.
 */
import { assert } from './assert.ts';
import { type BinaryKey, toBinary } from './bytes.ts';
import type { WatchSink, WatchStream } from './etcd-api.ts';
import type { KvHistory, WriteObserver } from './kv-contract.ts';
import { watchBatchRevisionsMax, watchersPerSyncMax } from './limits.ts';
import type { Event } from './messages.ts';
import { eventsResponse, watchResponse } from './watch-response.ts';
import { ScratchList } from './scratch-list.ts';
import { type WatchableStore, WatchStreamSession } from './watch-stream.ts';
import { isCreateEvent, viewOf, type Watcher } from './watcher.ts';
import { WatcherGroup } from './watcher-group.ts';

export class WatchHub implements WriteObserver {
  readonly #history: KvHistory;
  readonly #synced = new WatcherGroup();
  /** Unsynced watchers by stream, streams and watchers in round-robin order. */
  readonly #unsynced = new Map<WatchStreamSession, Set<Watcher>>();
  #unsyncedCount = 0;
  /** Streams whose sink refused a response, in the order they blocked. */
  readonly #blocked = new Set<WatchStreamSession>();
  readonly #progressWatchers = new Set<Watcher>();
  /** The revision being delivered while inside committed(). */
  #delivering: number | undefined;
  readonly #port: WatchableStore;

  constructor(history: KvHistory) {
    this.#history = history;
    this.#port = {
      currentRevision: () => this.#currentRevision(),
      addWatcher: (watcher) => this.#addWatcher(watcher),
      removeWatcher: (watcher) => this.#removeWatcher(watcher),
      streamBlocked: (stream) => this.#blocked.add(stream),
    };
  }

  /** Synced watchers (hearing each write live). */
  get syncedWatchers(): number {
    return this.#synced.size;
  }

  /** Watchers behind, waiting for syncWatchers. */
  get unsyncedWatchers(): number {
    return this.#unsyncedCount;
  }

  openStream(sink: WatchSink): WatchStream {
    return new WatchStreamSession(sink, this.#port);
  }

  /** A write ended: send its events to every synced watcher that wants them. */
  committed(revision: number, events: Event[], keys: BinaryKey | readonly BinaryKey[]): void {
    assert(this.#delivering === undefined, 'a write committed while its events were being delivered');
    if (this.#synced.size > 0 && events.length > 0) {
      this.#delivering = revision;
      try {
        this.#notify(revision, events, keys);
      } finally {
        this.#delivering = undefined;
      }
    }
  }

  /** Retry blocked streams, then send unsynced watchers their next batch from history. */
  syncWatchers(): void {
    if (this.#blocked.size > 0) {
      for (const stream of this.#blocked) {
        if (stream.closed || stream.flush()) this.#blocked.delete(stream);
      }
    }
    if (this.#unsyncedCount > 0) this.#syncUnsynced();
  }

  /** The watchers one syncWatchers pass serves, and their streams (reused: passes never nest). */
  readonly #chosen = new ScratchList<Watcher>();
  readonly #visited = new ScratchList<WatchStreamSession>();
  /** For each visited stream: where its watchers end in #chosen, and whether they are all of its unsynced watchers. */
  readonly #visitedEnds = new ScratchList<number>();
  readonly #visitedWhole = new ScratchList<boolean>();

  /** One pass over the unsynced watchers: up to watchersPerSyncMax of them, stream by stream, each sent its next batch. */
  #syncUnsynced(): void {
    const currentRevision = this.#history.currentRevision();
    const compactRevision = this.#history.compactRevision();
    const chosen = this.#chosen;
    const visited = this.#visited;
    chosen.clear();
    visited.clear();
    const ends = this.#visitedEnds;
    const whole = this.#visitedWhole;
    ends.clear();
    whole.clear();
    for (const [stream, watchers] of this.#unsynced) {
      if (chosen.length === watchersPerSyncMax) break;
      if (stream.blocked) continue;
      visited.push(stream);
      whole.push(watchers.size <= watchersPerSyncMax - chosen.length);
      for (const watcher of watchers) {
        if (chosen.length === watchersPerSyncMax) break;
        chosen.push(watcher);
      }
      ends.push(chosen.length);
    }
    // History reads shared between chosen watchers of one range and position (none to share with one watcher).
    const reads = chosen.length > 1 ? new Map<string, Event[]>() : undefined;
    // etcd's chooseAll cancels compacted watchers before any history is sent.
    for (let i = 0; i < chosen.length; i++) this.#cancelIfCompacted(chosen.at(i), compactRevision);
    // etcd reads one history range from the lowest next revision of the watchers chosen; a negative
    // one (a negative start_revision) makes that range empty, so every chosen watcher is "caught up"
    // with nothing and goes on from the present (etcd 3.4.23's revToBytes of a negative revision).
    let emptyRead = false;
    for (let i = 0; i < chosen.length; i++) {
      const watcher = chosen.at(i);
      if (watcher.state === 'unsynced' && watcher.nextRevision < 0) emptyRead = true;
    }
    // Stream by stream (chosen holds each visited stream's watchers together, in its line's order).
    for (let s = 0, start = 0; s < visited.length; start = ends.at(s++)) {
      const end = ends.at(s);
      let sentBack = false;
      for (let i = start; i < end; i++) {
        const watcher = chosen.at(i);
        if (watcher.state !== 'unsynced') continue;
        // A blocked stream takes nothing more this pass: each of its watchers left would only go to the back of
        // its line, in order. When the line is just those watchers (all chosen, none sent back yet) that leaves
        // it as it is, so they are passed over (a fan-out blocks a stream after a few of its hundreds of watchers).
        if (!sentBack && whole.at(s) && watcher.stream.blocked) break;
        this.#catchUp(watcher, currentRevision, compactRevision, reads, emptyRead);
        // Still behind: to the back of its stream's line (an unsynced watcher is always in its stream's set).
        if (watcher.state === 'unsynced') {
          const watchers = this.#unsynced.get(watcher.stream);
          if (watchers?.delete(watcher) === true) {
            watchers.add(watcher);
            sentBack = true;
          }
        }
      }
    }
    // Streams served this pass go to the back of the line.
    for (let i = 0; i < visited.length; i++) {
      const stream = visited.at(i);
      const watchers = this.#unsynced.get(stream);
      if (watchers === undefined) continue;
      this.#unsynced.delete(stream);
      this.#unsynced.set(stream, watchers);
    }
    chosen.clear();
    visited.clear();
    ends.clear();
    whole.clear();
  }

  /** Whether syncWatchers() has work it can do now: unsynced watchers on streams that are not blocked. */
  get hasWatchersToSync(): boolean {
    if (this.#unsyncedCount === 0) return false;
    for (const stream of this.#unsynced.keys()) if (!stream.blocked) return true;
    return false;
  }

  /**
   * A progress tick (etcd's progress ticker): every watcher that asked for
   * progress_notify, is synced, has reached its start revision and was sent
   * no events since the previous tick gets {watch_id, events: []} at the
   * current revision. Refused notifications are dropped, as in etcd.
   *
   * Returns whether some watcher was not yet due: if not, the next tick
   * (with no write in between) sends exactly what this one sent, which lets
   * a fast-forward skip the repeats.
   */
  notifyProgress(): boolean {
    const revision = this.#currentRevision();
    let changed = false;
    for (const watcher of this.#progressWatchers) {
      if (watcher.progressDue && watcher.state === 'synced' && watcher.reachedStart(revision)) {
        watcher.stream.trySend(watchResponse(revision, watcher.id));
      }
      if (!watcher.progressDue) changed = true;
      watcher.progressDue = true;
    }
    return changed;
  }

  #currentRevision(): number {
    return this.#delivering ?? this.#history.currentRevision();
  }

  /** The sets a one-event write goes to, gathered before any is sent (sending may change the group); reused, as deliveries never nest. */
  readonly #oneEventSets = new ScratchList<Set<Watcher>>();

  #notify(revision: number, events: Event[], keys: BinaryKey | readonly BinaryKey[]): void {
    this.#prevKvs = undefined;
    if (events.length === 1) {
      // The usual write, one event: the sets that want its key, in order, with no map to group by.
      const sets = this.#oneEventSets;
      sets.clear(); // (a sink that threw may have left some)
      this.#synced.setsFor(typeof keys === 'string' ? keys : keys[0]!, sets.push);
      for (let i = 0; i < sets.length; i++) this.#sendBatch(revision, sets.at(i), events);
      sets.clear();
      return;
    }
    const batches = new Map<Set<Watcher>, Event[]>();
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      this.#synced.setsFor(typeof keys === 'string' ? keys : keys[i]!, (set) => {
        const batch = batches.get(set);
        if (batch === undefined) batches.set(set, [event]);
        else batch.push(event);
      });
    }
    for (const [set, batch] of batches) this.#sendBatch(revision, set, batch);
  }

  /** Send one set of synced watchers the events of `batch` each wants. */
  #sendBatch(revision: number, set: Set<Watcher>, batch: Event[]): void {
    // Views by mask, made on first use; mask 0 (no filter, no prev_kv), the usual one, is the batch itself.
    let views: (Event[] | undefined)[] | undefined;
    for (const watcher of set) {
      if (watcher.startRevision > revision) continue;
      const mask = watcher.viewMask;
      let view = batch;
      if (mask !== 0) {
        views ??= [];
        const made = views[mask];
        if (made === undefined) views[mask] = view = viewOf(mask, batch, this.#withPrevKv);
        else view = made;
      }
      // A response whose events were all filtered out is not sent.
      if (view.length === 0) continue;
      const result = watcher.stream.sendEvents(eventsResponse(revision, watcher.id, view), watcher.options.fragment);
      if (result === 'blocked') {
        // Its stream is backed up: it falls behind and gets this revision from history later.
        this.#synced.delete(watcher);
        this.#makeUnsynced(watcher, revision);
      } else {
        watcher.progressDue = false;
      }
    }
  }

  /** The events of the write being delivered with their prev_kv, made the first time a watcher asks (most writes none). */
  #prevKvs: Map<Event, Event> | undefined;

  /** prev_kv for an event: the key at mod_revision - 1 (none for creations, or when compacted), computed once per event. */
  readonly #withPrevKv = (event: Event): Event => {
    this.#prevKvs ??= new Map();
    let out = this.#prevKvs.get(event);
    if (out === undefined) {
      out = event;
      if (!isCreateEvent(event)) {
        const prev = this.#history.getAt(toBinary(event.kv.key), event.kv.mod_revision - 1);
        if (prev !== undefined) out = { type: event.type, kv: event.kv, prev_kv: prev };
      }
      this.#prevKvs.set(event, out);
    }
    return out;
  };

  #addWatcher(watcher: Watcher): void {
    if (watcher.options.progressNotify) this.#progressWatchers.add(watcher);
    const currentRevision = this.#history.currentRevision();
    if (watcher.startRevision > currentRevision) {
      watcher.state = 'synced';
      this.#synced.add(watcher);
      return;
    }
    // Caught up by the next resync, as etcd's syncWatchersLoop does.
    this.#makeUnsynced(watcher, watcher.startRevision);
  }

  #removeWatcher(watcher: Watcher): void {
    if (watcher.state === 'synced') this.#synced.delete(watcher);
    else if (watcher.state === 'unsynced') this.#dropUnsynced(watcher);
    watcher.state = 'canceled';
    this.#progressWatchers.delete(watcher);
    if (watcher.stream.closed) this.#blocked.delete(watcher.stream);
  }

  #makeUnsynced(watcher: Watcher, nextRevision: number): void {
    watcher.state = 'unsynced';
    watcher.nextRevision = nextRevision;
    let watchers = this.#unsynced.get(watcher.stream);
    if (watchers === undefined) {
      watchers = this.#spareSet ?? new Set();
      this.#spareSet = undefined;
      this.#unsynced.set(watcher.stream, watchers);
    }
    watchers.add(watcher);
    this.#unsyncedCount++;
  }

  #dropUnsynced(watcher: Watcher): void {
    const watchers = this.#unsynced.get(watcher.stream);
    if (watchers === undefined || !watchers.delete(watcher)) return;
    this.#unsyncedCount--;
    if (watchers.size === 0) {
      this.#unsynced.delete(watcher.stream);
      this.#spareSet = watchers;
    }
  }

  /** A stream's emptied set of unsynced watchers, kept for the next stream that falls behind (each watch falls behind once: created from the past). */
  #spareSet: Set<Watcher> | undefined;

  /** An unsynced watcher below the compaction revision is told {canceled, compact_revision} and stops; true if it was (or must retry). */
  #cancelIfCompacted(watcher: Watcher, compactRevision: number): boolean {
    if (watcher.nextRevision >= compactRevision) return false;
    // etcd marks it canceled only when compact_revision != 0: after a compaction at revision 0 a negative
    // start gets an empty response and the watcher hears nothing more.
    const result = watcher.stream.sendEvents(watchResponse(0, watcher.id, { canceled: compactRevision !== 0, compact_revision: compactRevision }), false);
    if (result === 'blocked') return true;
    this.#dropUnsynced(watcher);
    watcher.state = 'compacted';
    this.#progressWatchers.delete(watcher);
    return true;
  }

  /**
   * Send an unsynced watcher its next batch: events in [nextRevision,
   * currentRevision], at most watchBatchRevisionsMax revisions, one response
   * with header.revision = currentRevision. Synced once it reaches the present.
   * `reads` shares history reads between watchers of one range and position.
   */
  #catchUp(watcher: Watcher, currentRevision: number, compactRevision: number, reads: Map<string, Event[]> | undefined, emptyRead = false): void {
    if (watcher.stream.blocked) return;
    if (this.#cancelIfCompacted(watcher, compactRevision)) return;
    const events = !emptyRead && watcher.nextRevision <= currentRevision ? this.#readHistory(watcher, currentRevision, compactRevision, reads) : noEvents;
    const nextRevision = nextRevisionAfter(events, currentRevision);
    this.#prevKvs = undefined; // a cache for this watcher's read alone
    const view = viewOf(watcher.viewMask, events, this.#withPrevKv);
    if (view.length > 0) {
      const result = watcher.stream.sendEvents(eventsResponse(currentRevision, watcher.id, view), watcher.options.fragment);
      if (result === 'blocked') return;
      watcher.progressDue = false;
    }
    watcher.nextRevision = nextRevision;
    if (nextRevision > currentRevision) {
      this.#dropUnsynced(watcher);
      watcher.state = 'synced';
      this.#synced.add(watcher);
    }
  }

  /**
   * The last history read (#readHistory), kept across passes: the history up
   * to the current revision stays as it is until the next write or
   * compaction, so a read at the same revisions, key and range end reads the
   * same events (a fan-out's streams are caught up a few watchers a pass, all
   * from one revision of one key).
   */
  #lastRead:
    | { currentRevision: number; compactRevision: number; nextRevision: number; key: BinaryKey; rangeEnd: BinaryKey | undefined; events: Event[] }
    | undefined;

  /** A catching-up watcher's next batch from history, shared through `reads` with watchers of the same range and position. */
  #readHistory(watcher: Watcher, currentRevision: number, compactRevision: number, reads: Map<string, Event[]> | undefined): Event[] {
    // The read before, the usual one to share (a stream's watchers of one key, one after another), without making the map's key.
    const last = this.#lastRead;
    if (
      last !== undefined &&
      last.nextRevision === watcher.nextRevision &&
      last.currentRevision === currentRevision &&
      last.compactRevision === compactRevision &&
      last.key === watcher.key &&
      last.rangeEnd === watcher.rangeEnd
    ) {
      return last.events;
    }
    const events = this.#readHistoryOnce(watcher, currentRevision, reads);
    this.#lastRead = { currentRevision, compactRevision, nextRevision: watcher.nextRevision, key: watcher.key, rangeEnd: watcher.rangeEnd, events };
    return events;
  }

  #readHistoryOnce(watcher: Watcher, currentRevision: number, reads: Map<string, Event[]> | undefined): Event[] {
    if (reads === undefined) return this.#history.eventsBetween(watcher.nextRevision, currentRevision, watcher.key, watcher.rangeEnd, watchBatchRevisionsMax);
    const readKey = `${watcher.nextRevision}\u0100${watcher.key}\u0100${watcher.rangeEnd ?? '\u0101'}`;
    let events = reads.get(readKey);
    if (events === undefined) {
      events = this.#history.eventsBetween(watcher.nextRevision, currentRevision, watcher.key, watcher.rangeEnd, watchBatchRevisionsMax);
      reads.set(readKey, events);
    }
    return events;
  }

  /**
   * Check the hub (for tests): not inside a delivery, the synced group
   * valid, every unsynced watcher unsynced and filed under its own stream,
   * no empty stream entry, the unsynced count right.
   */
  checkValid(): void {
    assert(this.#delivering === undefined, 'watch hub: checked while delivering');
    this.#synced.checkValid();
    let unsynced = 0;
    for (const [stream, watchers] of this.#unsynced) {
      assert(watchers.size > 0, 'watch hub: a stream with no unsynced watchers is still listed');
      for (const watcher of watchers) {
        unsynced++;
        assert(watcher.state === 'unsynced', `watch hub: watcher ${watcher.id} listed unsynced is ${watcher.state}`);
        assert(watcher.stream === stream, `watch hub: watcher ${watcher.id} listed under another stream`);
      }
    }
    assert(unsynced === this.#unsyncedCount, `watch hub: ${unsynced} unsynced watchers, count says ${this.#unsyncedCount}`);
    for (const watcher of this.#progressWatchers) assert(watcher.state !== 'canceled', `watch hub: canceled watcher ${watcher.id} still wants progress`);
  }
}

/** No events: a catch-up with nothing to read (never changed: it is only read, and a response is sent only with events). */
const noEvents: Event[] = [];

/**
 * Where a catch-up read leaves a watcher: after the present if the read was
 * not cut short by the batch limit, else right after its last revision.
 */
function nextRevisionAfter(events: Event[], currentRevision: number): number {
  if (events.length === 0) return currentRevision + 1;
  let revisions = 0;
  let last = -1;
  for (const event of events) {
    if (event.kv.mod_revision !== last) {
      revisions++;
      last = event.kv.mod_revision;
    }
  }
  return revisions >= watchBatchRevisionsMax ? last + 1 : currentRevision + 1;
}
