/**
 * One watcher: a key range on one watch stream, what it asked for (filters,
 * prev_kv, progress_notify, fragment) and where it stands (etcd's
 * mvcc/watcher.go `watcher`).
 *
 * A watcher is in exactly one state:
 * - `synced`: it has every event up to the store's revision and hears each
 *   new write as it ends (it sits in the hub's synced group);
 * - `unsynced`: it is behind; `nextRevision` is the first revision it has
 *   not been sent, and the hub catches it up from history in batches;
 * - `compacted`: its history was compacted away; it was told so and hears
 *   nothing more, but keeps its ID until cancelled (as in etcd);
 * - `canceled`: gone.
 *
 *   watch foo from 2 on a store at revision 5 → unsynced, nextRevision 2;
 *   one catch-up batch [2..5] → synced; put foo (6) → one response at 6.
 */
import type { BinaryKey } from './bytes.ts';
import type { Event, WatchId } from './messages.ts';
import type { WatchStreamSession } from './watch-stream.ts';

export type WatcherState = 'synced' | 'unsynced' | 'compacted' | 'canceled';

export interface WatcherOptions {
  noPut: boolean;
  noDelete: boolean;
  prevKv: boolean;
  progressNotify: boolean;
  fragment: boolean;
}

export class Watcher {
  readonly stream: WatchStreamSession;
  readonly id: WatchId;
  readonly key: BinaryKey;
  /** undefined: the single key; '': every key >= key; otherwise [key, rangeEnd). */
  readonly rangeEnd: BinaryKey | undefined;
  /** First revision wanted: the request's start_revision, or current + 1 for "now". */
  readonly startRevision: number;
  /** The request's start_revision (0 for "now"). */
  readonly requestedStartRevision: number;
  readonly options: WatcherOptions;
  /** Which view of a write's events this watcher gets (same mask, same view). */
  readonly viewMask: number;

  state: WatcherState = 'unsynced';
  /** While unsynced: the first revision not yet sent to it. */
  nextRevision: number;
  /**
   * etcd's `sws.progress[id]`: set by every progress tick, cleared when events
   * are sent; a tick that finds it still set sends a progress notification.
   */
  progressDue = true;
  /** The watcher group's set this watcher is in while synced (watchers of one key range share it). */
  groupSet: Set<Watcher> | undefined;

  constructor(
    stream: WatchStreamSession,
    id: WatchId,
    key: BinaryKey,
    rangeEnd: BinaryKey | undefined,
    requestedStartRevision: number,
    startRevision: number,
    options: WatcherOptions,
  ) {
    this.stream = stream;
    this.id = id;
    this.key = key;
    this.rangeEnd = rangeEnd;
    this.requestedStartRevision = requestedStartRevision;
    this.startRevision = startRevision;
    this.nextRevision = startRevision;
    this.options = options;
    this.viewMask = (options.noPut ? 1 : 0) | (options.noDelete ? 2 : 0) | (options.prevKv ? 4 : 0);
  }

  /** Has the store reached the revision this watcher asked to start from (always, for "now")? */
  reachedStart(currentRevision: number): boolean {
    return this.requestedStartRevision <= currentRevision;
  }
}

/** A PUT that created its key: never gets a prev_kv (etcd IsCreateEvent). */
export function isCreateEvent(event: Event): boolean {
  return event.type === 'PUT' && event.kv.create_revision === event.kv.mod_revision;
}

/**
 * The events a watcher with this view mask is sent: filters drop PUTs
 * (NOPUT) or DELETEs (NODELETE); prev_kv attaches the key's previous
 * version through `withPrevKv`. Returns `events` itself when nothing changes.
 */
export function viewOf(viewMask: number, events: Event[], withPrevKv: (event: Event) => Event): Event[] {
  if (viewMask === 0) return events;
  const noPut = (viewMask & 1) !== 0;
  const noDelete = (viewMask & 2) !== 0;
  const prevKv = (viewMask & 4) !== 0;
  const out: Event[] = [];
  for (const event of events) {
    if (event.type === 'PUT' ? noPut : noDelete) continue;
    out.push(prevKv ? withPrevKv(event) : event);
  }
  return out;
}
