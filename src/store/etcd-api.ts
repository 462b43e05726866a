/**
 * The store as its owners see it: etcd's KV, Lease and Watch services as
 * synchronous calls taking and returning etcd's messages. The simulator's
 * server node, the in-process client transport, the gRPC server and the
 * conformance replayer all talk to a store through this interface only.
 *
 * Every method either returns etcd's response or throws an EtcdError
 * (src/store/errors.ts) having changed nothing.
 */
import type { ExpiredLease } from './lessor.ts';
import type * as M from './messages.ts';

/** Where a watch stream's responses go. */
export interface WatchSink {
  /**
   * Deliver one response. Return false when the receiver's buffer is full:
   * the stream's watchers then fall behind ("unsynced", as in etcd) and are
   * caught up from history in batches by `syncWatchers()`; nothing is lost
   * and memory stays bounded.
   */
  send(response: M.WatchResponse): boolean;
}

/** One gRPC Watch stream: watch IDs are allocated per stream, from 0. */
export interface WatchStream {
  /** A create, cancel or progress request on this stream; answers go to the sink. */
  request(request: M.WatchRequest): void;
  /** The client closed the stream: every watcher on it is dropped. */
  close(): void;
}

/** etcd's KV, Lease and Watch API as the store serves it: etcd's request in, etcd's response out (or a thrown EtcdError). */
export interface EtcdApi {
  range(request: M.RangeRequest): M.RangeResponse;
  put(request: M.PutRequest): M.PutResponse;
  deleteRange(request: M.DeleteRangeRequest): M.DeleteRangeResponse;
  txn(request: M.TxnRequest): M.TxnResponse;
  compact(request: M.CompactionRequest): M.CompactionResponse;

  leaseGrant(request: M.LeaseGrantRequest): M.LeaseGrantResponse;
  leaseRevoke(request: M.LeaseRevokeRequest): M.LeaseRevokeResponse;
  /** One round of the LeaseKeepAlive stream. */
  leaseKeepAlive(request: M.LeaseKeepAliveRequest): M.LeaseKeepAliveResponse;
  leaseTimeToLive(request: M.LeaseTimeToLiveRequest): M.LeaseTimeToLiveResponse;
  leaseLeases(request: M.LeaseLeasesRequest): M.LeaseLeasesResponse;

  openWatchStream(sink: WatchSink): WatchStream;

  /** The store's current revision (1 on a fresh store). */
  currentRevision(): number;
}

/**
 * What only the store's owner calls, on its clock: etcd does these from its
 * own loops (lessor runLoop every 500 ms, watch resync every 100 ms,
 * leader election).
 */
export interface EtcdMaintenance {
  /** Revoke leases past their deadline, soonest first, at most leasesRevokedPerSweepMax; returns them, each with the revision its revoke made (none without keys). */
  sweepExpiredLeases(): readonly ExpiredLease[];
  /** A new leader (or a restarted single member): every lease's deadline becomes now + election timeout + its full TTL. */
  promoteLeases(): void;
  /** Catch up watchers that fell behind, in batches from history. */
  syncWatchers(): void;
  /** Send progress notifications to synced, idle watchers that asked for them. */
  notifyWatchProgress(): void;
}
