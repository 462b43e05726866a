/**
 * How the store's parts reach each other, so that each ignores the one above
 * it (etcd's layering): the KV store asks the lessor about leases through
 * `LeaseDirectory`; the lessor deletes a lease's keys through `RangeDeleter`;
 * the watchable store hears of each write through `WriteObserver` and reads
 * history through `KvHistory`.
 *
 * Inside the store keys are binary strings (src/store/bytes.ts). A key range
 * is (key, rangeEnd) with etcd's rules: rangeEnd undefined → the single key;
 * '' → every key >= key (the wire's "\0"); otherwise [key, rangeEnd).
 */
import type { BinaryKey } from './bytes.ts';
import type { Event, KeyValue, LeaseId } from './messages.ts';

/** The KV store's view of the lessor (declared here, implemented by the lessor). */
export interface LeaseDirectory {
  /** Is a lease with this ID granted and not yet revoked (expired-but-unswept counts as existing, as in etcd)? */
  exists(id: LeaseId): boolean;
  attach(id: LeaseId, key: BinaryKey): void;
  detach(id: LeaseId, key: BinaryKey): void;
}

/** The lessor's view of the KV store (etcd's RangeDeleter). */
export interface RangeDeleter {
  /**
   * Delete these keys (those still live) in one write: one new revision if
   * any was deleted, sub-revisions in ascending key order. Returns the store
   * revision afterwards.
   */
  deleteKeys(keys: BinaryKey[]): number;
}

/** Hears every write that changed something, once, when it ends. */
export interface WriteObserver {
  /**
   * `events` in sub-revision order; DELETE kvs carry only key and mod_revision.
   * `keys`: each event's key as the store holds it (a binary string), the
   * only one alone, so a listener need not convert the events' bytes back.
   */
  committed(revision: number, events: Event[], keys: BinaryKey | readonly BinaryKey[]): void;
}

/** What a watcher catching up reads from the KV store. */
export interface KvHistory {
  currentRevision(): number;
  /** The last compaction revision; -1 on a store never compacted. */
  compactRevision(): number;
  /**
   * Events for keys in the range with revisions in [fromRevision, toRevision],
   * in (revision, sub-revision) order, stopping after `revisionsMax` distinct
   * revisions. Requires compactRevision() <= fromRevision.
   */
  eventsBetween(fromRevision: number, toRevision: number, key: BinaryKey, rangeEnd: BinaryKey | undefined, revisionsMax: number): Event[];
  /** The key as it was at `revision` (undefined if absent then, or compacted away). */
  getAt(key: BinaryKey, revision: number): KeyValue | undefined;
}
