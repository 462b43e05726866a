/**
 * The whole store's reference model: the KV model (kv-reference-model.ts)
 * plus leases and the clock (docs/etcd-semantics.md §1, §7). Pure: every step
 * returns a new model. Slow and obviously right.
 *
 *   start 0; grant(7, ttl 1) → ttl 2, deadline 2000; put k lease 7 → rev 2
 *   advance 1999 → sweeps at 500, 1000, 1500: nothing due
 *   advance 1    → sweep at 2000: lease 7 (deadline 2000 <= 2000) revoked, k deleted → rev 3
 *
 * What it keeps of a lease: granted TTL, deadline and grant order. A lease's
 * keys are not kept but derived: the live keys whose `lease` field names it
 * (a put needs the lease to exist, and a revoke deletes its keys, so the two
 * cannot drift apart).
 *
 * The sweep: etcd's lessor loop runs at start + k × 500 ms (k ≥ 1); each run
 * revokes every lease with deadline <= now, soonest first (ties in grant
 * order), one write each (one revision iff it had keys). etcd caps a run at
 * 500 revokes; the model never holds that many leases, so it has no cap.
 */
import { leaseSweepIntervalMs, leaseTtlSecondsMax } from '../../src/store/limits.ts';
import type { LeaseId } from '../../src/store/messages.ts';
import { applyWrite, emptyModel, type KvModel, latestOf, type ModelOp } from './kv-reference-model.ts';

export interface ModelLease {
  /** The TTL granted: the requested one raised to the minimum. */
  readonly grantedTtlSeconds: number;
  readonly deadlineMs: number;
  /** Grant order (ties between equal deadlines). */
  readonly sequence: number;
}

export interface StoreModel {
  readonly kv: KvModel;
  /** When the store loops started: sweeps fall at startMs + k × 500. */
  readonly startMs: number;
  readonly nowMs: number;
  /** Leases granted and not yet revoked (expired-but-unswept ones included). */
  readonly leases: ReadonlyMap<LeaseId, ModelLease>;
  /** Every ID ever granted, in grant order (revoked ones stay). */
  readonly granted: readonly LeaseId[];
  readonly minTtlSeconds: number;
  readonly electionTimeoutMs: number;
}

export function emptyStoreModel(startMs: number, minTtlSeconds = 2, electionTimeoutMs = 1000): StoreModel {
  return { kv: emptyModel(), startMs, nowMs: startMs, leases: new Map(), granted: [], minTtlSeconds, electionTimeoutMs };
}

/** The keys attached to a lease: live keys naming it, ascending. */
export function leaseKeys(model: StoreModel, id: LeaseId): string[] {
  return [...latestOf(model.kv)]
    .filter(([, kv]) => kv.lease === id)
    .map(([key]) => key)
    .sort();
}

/** Lease IDs, soonest deadline first, ties in grant order (LeaseLeases' order). */
export function leasesByDeadline(model: StoreModel): LeaseId[] {
  return [...model.leases].sort(([, a], [, b]) => a.deadlineMs - b.deadlineMs || a.sequence - b.sequence).map(([id]) => id);
}

const withLeases = (model: StoreModel, leases: Map<LeaseId, ModelLease>): StoreModel => ({ ...model, leases });

// ------------------------------------------------------------ KV writes

/** A write's ops (put or txn branch): every put's lease must exist, else nothing changes. */
export function writeModel(model: StoreModel, ops: ModelOp[]): { model: StoreModel; deleted: number[] } | 'lease-not-found' {
  if (ops.some((op) => op.kind === 'put' && op.lease !== 0n && !model.leases.has(op.lease))) return 'lease-not-found';
  const applied = applyWrite(model.kv, ops);
  return { model: { ...model, kv: applied.model }, deleted: applied.deleted };
}

/** A Put; ignore_lease keeps the key's lease and needs the key to exist. */
export function putModel(
  model: StoreModel,
  key: string,
  value: string,
  lease: LeaseId,
  ignoreLease: boolean,
): StoreModel | 'lease-not-found' | 'key-not-found' {
  if (lease !== 0n && !model.leases.has(lease)) return 'lease-not-found';
  const existing = latestOf(model.kv).get(key);
  if (ignoreLease && existing === undefined) return 'key-not-found';
  const written = writeModel(model, [{ kind: 'put', key, value, lease: ignoreLease ? existing!.lease : lease }]);
  return typeof written === 'string' ? written : written.model;
}

// ------------------------------------------------------------ Leases

/** LeaseGrant with an explicit ID (for ID 0, pass the ID the server chose). */
export function grantModel(model: StoreModel, id: LeaseId, ttlSeconds: number): { model: StoreModel; ttlSeconds: number } | 'ttl-too-large' | 'exists' {
  if (ttlSeconds > leaseTtlSecondsMax) return 'ttl-too-large';
  if (model.leases.has(id)) return 'exists';
  const granted = Math.max(ttlSeconds, model.minTtlSeconds);
  const leases = new Map(model.leases);
  leases.set(id, { grantedTtlSeconds: granted, deadlineMs: model.nowMs + granted * 1000, sequence: model.granted.length });
  return { model: { ...withLeases(model, leases), granted: [...model.granted, id] }, ttlSeconds: granted };
}

/** Delete the lease's keys in one write (one revision iff it had any), then forget the lease. */
function revokeNow(model: StoreModel, id: LeaseId): StoreModel {
  const ops: ModelOp[] = leaseKeys(model, id).map((key) => ({ kind: 'delete', key, end: undefined }));
  const kv = applyWrite(model.kv, ops).model;
  const leases = new Map(model.leases);
  leases.delete(id);
  return { ...model, kv, leases };
}

export function revokeModel(model: StoreModel, id: LeaseId): StoreModel | 'not-found' {
  return model.leases.has(id) ? revokeNow(model, id) : 'not-found';
}

/** KeepAlive: the granted TTL and a new deadline; 0 for unknown leases and for expired ones (never revived). */
export function keepAliveModel(model: StoreModel, id: LeaseId): { model: StoreModel; ttlSeconds: number } {
  const lease = model.leases.get(id);
  if (lease === undefined || lease.deadlineMs <= model.nowMs) return { model, ttlSeconds: 0 };
  const leases = new Map(model.leases);
  leases.set(id, { ...lease, deadlineMs: model.nowMs + lease.grantedTtlSeconds * 1000 });
  return { model: withLeases(model, leases), ttlSeconds: lease.grantedTtlSeconds };
}

/** TimeToLive: remaining seconds truncated toward zero; unknown → TTL -1, granted 0, no keys. */
export function timeToLiveModel(model: StoreModel, id: LeaseId): { ttlSeconds: number; grantedTtlSeconds: number; keys: string[] } {
  const lease = model.leases.get(id);
  if (lease === undefined) return { ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] };
  const ttlSeconds = Math.trunc((lease.deadlineMs - model.nowMs) / 1000) || 0;
  return { ttlSeconds, grantedTtlSeconds: lease.grantedTtlSeconds, keys: leaseKeys(model, id) };
}

/** A new leader: every deadline becomes now + election timeout + the full granted TTL (no pile-up spreading below 1000 leases). */
export function promoteModel(model: StoreModel): StoreModel {
  const leases = new Map<LeaseId, ModelLease>();
  for (const [id, lease] of model.leases) {
    leases.set(id, { ...lease, deadlineMs: model.nowMs + model.electionTimeoutMs + lease.grantedTtlSeconds * 1000 });
  }
  return withLeases(model, leases);
}

// ------------------------------------------------------------ Time

/** The first sweep tick strictly after now. */
export function nextSweepMs(model: StoreModel): number {
  const ticks = Math.floor((model.nowMs - model.startMs) / leaseSweepIntervalMs) + 1;
  return model.startMs + ticks * leaseSweepIntervalMs;
}

/** One sweep at now: revoke every lease with deadline <= now, soonest first. */
function sweep(model: StoreModel): StoreModel {
  let next = model;
  for (const id of leasesByDeadline(model)) {
    if (model.leases.get(id)!.deadlineMs > model.nowMs) break;
    next = revokeNow(next, id);
  }
  return next;
}

/** Move time forward by `ms`, sweeping at every tick on the way (a tick at the target included). */
export function advanceModel(model: StoreModel, ms: number): StoreModel {
  const targetMs = model.nowMs + ms;
  let next = model;
  for (let tickMs = nextSweepMs(model); tickMs <= targetMs; tickMs += leaseSweepIntervalMs) {
    next = sweep({ ...next, nowMs: tickMs });
  }
  return { ...next, nowMs: targetMs };
}
