/**
 * The store as a whole: the MVCC KV store, the lessor and the watch hub,
 * wired the way etcd wires them, behind etcd's API (EtcdApi) and the calls
 * only its owner makes (EtcdMaintenance).
 *
 *   const clock = new VirtualClock();
 *   const store = new EtcdStore({ clock });
 *   const stop = runStoreLoops(store, clock);          // src/store/store-loops.ts
 *   const { ID } = store.leaseGrant({ TTL: 5 });       // header rev 1, TTL 5
 *   store.put({ key: utf8('k'), lease: ID });           // rev 2
 *   clock.advance(5500);                                // sweep at 5500 revokes: rev 3, k gone
 *
 * Wiring: KV → lessor through LeaseDirectory (attach/detach/exists), lessor →
 * KV through RangeDeleter (a revoke deletes its keys in one write), KV →
 * watch hub through WriteObserver, watch hub → KV through KvHistory.
 */
import seedrandom from 'seedrandom';
import type { Clock, RandomSource } from './clock.ts';
import type { EtcdApi, EtcdMaintenance, WatchSink, WatchStream } from './etcd-api.ts';
import { KvStore, type StoreDump } from './kv-store.ts';
import { type ExpiredLease, Lessor, noLease } from './lessor.ts';
import { WatchHub } from './watch-hub.ts';
import * as limits from './limits.ts';
import { fromBinary } from './bytes.ts';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseId,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from './messages.ts';

/** Options of {@link EtcdStore}: its clock (required), lease-ID randomness, expiry mode and raft timings. */
export interface EtcdStoreOptions {
  /** The store only reads `clock.nowMs()`. */
  clock: Clock;
  /**
   * Random numbers for server-chosen lease IDs (grant with ID 0).
   * @defaultValue a fixed-seed stream, `seedrandom('leaselab')`
   */
  random?: RandomSource;
  /** @defaultValue limits.heartbeatIntervalMs (100) */
  heartbeatIntervalMs?: number;
  /**
   * Promote extends leases by this much; with the heartbeat it sets the
   * minimum TTL (limits.minLeaseTtlSeconds: 2 s with the defaults).
   * @defaultValue limits.electionTimeoutMs (1000)
   */
  electionTimeoutMs?: number;
  /**
   * Teaching mode: runStoreLoops also wakes at each lease's exact deadline,
   * so a lease expires at its deadline instead of at the next 500 ms sweep.
   * @defaultValue false
   */
  exactExpiry?: boolean;
  /** etcd's --max-request-bytes: writes whose raft request is larger are refused. @defaultValue limits.requestBytesMax (1.5 MiB) */
  requestBytesMax?: number | undefined;
  /** Varint bytes of the raft request ID of the member this store stands for (limits.raftRequestIdBytes of its member ID). @defaultValue 9 */
  raftRequestIdBytes?: number | undefined;
}

/** A store's whole state as plain data (EtcdStore.snapshot / restore). */
export interface EtcdStoreSnapshot {
  kv: StoreDump;
  leases: { id: LeaseId; ttlSeconds: number }[];
}

/** The seed of the default lease-ID stream. */
export const defaultLeaseIdSeed = 'leaselab';

/** The in-memory etcd 3.4 store: MVCC KV, txns, compaction, the lessor and watch, synchronous, on the clock it is given. */
export class EtcdStore implements EtcdApi, EtcdMaintenance {
  readonly clock: Clock;
  // Replaced (never otherwise reassigned) by reset().
  kv: KvStore;
  lessor: Lessor;
  watch: WatchHub;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly exactExpiry: boolean;
  readonly requestBytesMax: number | undefined;
  readonly raftRequestIdBytes: number | undefined;
  readonly #random: RandomSource;

  constructor(options: EtcdStoreOptions) {
    this.clock = options.clock;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? limits.heartbeatIntervalMs;
    this.electionTimeoutMs = options.electionTimeoutMs ?? limits.electionTimeoutMs;
    this.exactExpiry = options.exactExpiry ?? false;
    this.requestBytesMax = options.requestBytesMax;
    this.raftRequestIdBytes = options.raftRequestIdBytes;
    this.#random = options.random ?? seedrandom(defaultLeaseIdSeed);
    this.lessor = new Lessor({
      clock: options.clock,
      random: this.#random,
      minTtlSeconds: limits.minLeaseTtlSeconds(this.heartbeatIntervalMs, this.electionTimeoutMs),
    });
    this.kv = new KvStore({ leases: this.lessor, requestBytesMax: this.requestBytesMax, raftRequestIdBytes: this.raftRequestIdBytes });
    this.lessor.setRangeDeleter(this.kv);
    this.watch = new WatchHub(this.kv);
    this.kv.setObserver(this.watch);
  }

  /**
   * Empty the store, as a fresh one (revision 1, no keys, no leases, no
   * watchers), on the same clock. The lease-ID stream goes on, so no ID
   * handed out before is handed out again. Open watch streams belong to the
   * old store: their owner closes them first; loops on the store (and
   * lessor listeners) must be restarted by whoever runs them.
   */
  reset(): void {
    // Nobody will revoke the old leases now: whoever waits for a revoke (a keepalive on an expired lease) answers, the lease being gone.
    this.lessor.releaseRevokeWaiters();
    this.lessor = new Lessor({ clock: this.clock, random: this.#random, minTtlSeconds: this.lessor.minTtlSeconds });
    this.kv = new KvStore({ leases: this.lessor, requestBytesMax: this.requestBytesMax, raftRequestIdBytes: this.raftRequestIdBytes });
    this.lessor.setRangeDeleter(this.kv);
    this.watch = new WatchHub(this.kv);
    this.kv.setObserver(this.watch);
  }

  // ------------------------------------------------------------ KV

  range(request: RangeRequest): RangeResponse {
    return this.kv.range(request);
  }

  put(request: PutRequest): PutResponse {
    return this.kv.put(request);
  }

  deleteRange(request: DeleteRangeRequest): DeleteRangeResponse {
    return this.kv.deleteRange(request);
  }

  txn(request: TxnRequest): TxnResponse {
    return this.kv.txn(request);
  }

  compact(request: CompactionRequest): CompactionResponse {
    return this.kv.compact(request);
  }

  currentRevision(): number {
    return this.kv.currentRevision();
  }

  // ------------------------------------------------------------ Lease

  /**
   * @throws LeaseTtlTooLargeError, LeaseExistsError
   */
  leaseGrant(request: LeaseGrantRequest): LeaseGrantResponse {
    const granted = this.lessor.grant(request.ID ?? noLease, request.TTL ?? 0);
    return { header: this.#header(), ID: granted.id, TTL: granted.ttlSeconds, error: '' };
  }

  /** Header revision: after the revoke (one more iff the lease had keys). @throws LeaseNotFoundError */
  leaseRevoke(request: LeaseRevokeRequest): LeaseRevokeResponse {
    this.lessor.revoke(request.ID ?? noLease);
    return { header: this.#header() };
  }

  /** Header taken before the renew, as etcd's v3rpc does. TTL 0: unknown, revoked or expired. */
  leaseKeepAlive(request: LeaseKeepAliveRequest): LeaseKeepAliveResponse {
    const header = this.#header();
    const id = request.ID ?? noLease;
    return { header, ID: id, TTL: this.lessor.renew(id) };
  }

  /** An unknown lease is no error: TTL -1, grantedTTL 0. */
  leaseTimeToLive(request: LeaseTimeToLiveRequest): LeaseTimeToLiveResponse {
    const id = request.ID ?? noLease;
    const found = this.lessor.timeToLive(id, request.keys ?? false);
    if (found === undefined) return { header: this.#header(), ID: id, TTL: -1, grantedTTL: 0, keys: [] };
    return {
      header: this.#header(),
      ID: id,
      TTL: found.remainingSeconds,
      grantedTTL: found.grantedTtlSeconds,
      keys: found.keys.map(fromBinary),
    };
  }

  leaseLeases(_request: LeaseLeasesRequest): LeaseLeasesResponse {
    return { header: this.#header(), leases: this.lessor.leases().map((ID) => ({ ID })) };
  }

  // ------------------------------------------------------------ Watch

  openWatchStream(sink: WatchSink): WatchStream {
    return this.watch.openStream(sink);
  }

  // ------------------------------------------------------------ Maintenance

  sweepExpiredLeases(): ExpiredLease[] {
    return this.lessor.sweepExpired(limits.leasesRevokedPerSweepMax);
  }

  promoteLeases(): void {
    this.lessor.promote(this.electionTimeoutMs);
  }

  syncWatchers(): void {
    this.watch.syncWatchers();
  }

  /** A progress tick; true when another tick at this revision would notify more watchers (see WatchHub.notifyProgress). */
  notifyWatchProgress(): boolean {
    return this.watch.notifyProgress();
  }

  // ------------------------------------------------------------ Snapshots

  /** The whole state as plain data (KV history, compaction, leases with their TTLs), for a data dir's snapshot. */
  snapshot(): EtcdStoreSnapshot {
    return { kv: this.kv.dumpHistory(), leases: this.lessor.exportLeases() };
  }

  /**
   * Load a snapshot into this fresh store: leases are granted again with full
   * TTLs from now (the owner promotes them, as a restarted etcd does).
   */
  restore(snapshot: EtcdStoreSnapshot): void {
    for (const lease of snapshot.leases) this.lessor.grant(lease.id, lease.ttlSeconds);
    this.kv.restore(snapshot.kv);
  }

  /**
   * Check every part's invariants (for tests): the KV store (with every live
   * key's lease known), the lessor (with every attached key live on its
   * lease) and the watch hub.
   */
  checkValid(): void {
    this.kv.checkValid();
    this.lessor.checkValid((key) => this.kv.getAt(key, this.kv.currentRevision())?.lease);
    this.watch.checkValid();
  }

  #header(): ResponseHeader {
    return { revision: this.kv.currentRevision() };
  }
}
