/**
 * Every limit and default of the store, in one place, units last in names.
 * Values are etcd 3.4's defaults unless a comment says otherwise.
 */

/** `--max-txn-ops`: compares, success ops and failure ops each (etcd embed.DefaultMaxTxnOps). */
export const txnOpsMax = 128;

/**
 * Txn nesting the store decodes at most. etcd's ops budget already refuses
 * anything deeper than 129 levels ("too many operations in txn request"), so
 * a deeper request gets that answer without being walked further (a bound
 * on recursion, not a limit a client could observe).
 */
export const txnNestingDepthMax = 1000;

/**
 * Txn levels etcd's checkTxnRequest can look at: each level above a nested
 * txn spends at least one op of the 128-op budget it hands down, so level
 * 130 is refused ("too many operations in txn request") on every path and
 * nothing deeper is ever examined. A codec may drop what lies below without
 * changing any answer (and so never recurse 1,000 levels deep).
 */
export const txnLevelsExaminedMax = txnOpsMax + 2;

/** `--max-request-bytes`: 1.5 MiB (embed.DefaultMaxRequestBytes). */
export const requestBytesMax = 1_572_864;

/**
 * Varint bytes of the request ID etcd puts in each raft proposal
 * (pkg/idutil: the member ID's low 16 bits, then 40 bits of milliseconds and
 * an 8-bit counter). 9 bytes when bit 15 of the member ID is clear (leaselab's
 * default member ID, 0x…694d), 10 when set, so a real etcd's largest write
 * differs by one byte between members (a Put of key `big` takes a value of at
 * most 1,572,838 or 1,572,837 bytes). A member ID whose low 16 bits are under
 * 0x100 is counted as if its top bits were all the time's (7 or 8 bytes).
 */
export function raftRequestIdBytes(memberId: bigint): number {
  const prefix = Number(memberId & 0xffffn);
  const bits = prefix === 0 ? 48 : 48 + Math.floor(Math.log2(prefix)) + 1;
  return Math.ceil(bits / 7);
}

/** raftRequestIdBytes of leaselab's default member ID (etcd's defaults: 8e9e05c52164694d). */
export const defaultRaftRequestIdBytes = raftRequestIdBytes(0x8e9e05c52164694dn);

/** Largest TTL a lease may be granted with (lease.MaxLeaseTTL). */
export const leaseTtlSecondsMax = 9_000_000_000;

/** `--heartbeat-interval` default. */
export const heartbeatIntervalMs = 100;

/** `--election-timeout` default. */
export const electionTimeoutMs = 1000;

/**
 * The smallest TTL a lease gets: ceil(((3 * electionTicks) / 2) * heartbeat)
 * in seconds, electionTicks = election / heartbeat (integer division).
 * 2 s with the defaults (etcdserver/server.go minTTL).
 */
export function minLeaseTtlSeconds(heartbeatMs: number = heartbeatIntervalMs, electionMs: number = electionTimeoutMs): number {
  const electionTicks = Math.floor(electionMs / heartbeatMs);
  const minTtlMs = Math.floor((3 * electionTicks) / 2) * heartbeatMs;
  return Math.ceil(minTtlMs / 1000);
}

/** How often the leader's lessor looks for expired leases (lessor.go runLoop). */
export const leaseSweepIntervalMs = 500;

/** Leases revoked per sweep at most: leaseRevokeRate / 2 (defaultLeaseRevokeRate = 1000/s). */
export const leasesRevokedPerSweepMax = 500;

/** A lease the leader asked to revoke and still sees is asked again after this long (lessor.go expiredLeaseRetryInterval). */
export const expiredLeaseRetryMs = 3000;

/** How often the leader checkpoints a lease's remaining TTL (lessor.go defaultLeaseCheckpointInterval). */
export const leaseCheckpointIntervalMs = 5 * 60 * 1000;

/** How often unsynced (slow or catching-up) watchers are serviced (watchable_store.go watchResyncPeriod). */
export const watchResyncIntervalMs = 100;

/** Unsynced watchers serviced per resync pass (watchable_store.go maxWatchersPerSync). */
export const watchersPerSyncMax = 512;

/** Distinct revisions in one catch-up response at most (watcher_group.go watchBatchMaxRevs). */
export const watchBatchRevisionsMax = 1000;

/** Default `--experimental-watch-progress-notify-interval`. */
export const watchProgressNotifyIntervalMs = 10 * 60 * 1000;

/** Fragmenting a watch response: max request bytes + gRPC overhead (v3rpc/watch.go). */
export const watchFragmentBytesMax = requestBytesMax + 512 * 1024;

/**
 * New keys the ordered index holds back before it catches up anyway
 * (tree-index.ts; leaselab's own, etcd inserts each key at once): one
 * catch-up sorts and inserts at most this many (a few ms), and keys created
 * and deleted with no ordered read in between do not stay listed.
 */
export const pendingKeysMax = 4096;
