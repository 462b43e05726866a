/**
 * etcd's lessor (lease/lessor.go): grants leases, keeps their deadlines,
 * remembers which keys each lease holds, and revokes a lease (deleting its
 * keys in one write) when asked or when its deadline has passed.
 *
 *   t=0    grant(7, ttl 5)          deadline 5000
 *   t=1000 renew(7)        → 5      deadline 6000
 *   t=6000 renew(7)        → 0      (expired: never revived) but exists(7) is still true
 *   t=6000 whenRevoked(7, answer)   (etcd's Renew waits for the revoke of an expired lease)
 *   t=6500 sweepExpired()  → [{ id: 7, revision: 12 }]   keys of 7 deleted in one revision; 7 is gone; answer() runs
 *
 * The lessor never reads a wall clock and never schedules: it reads
 * `clock.nowMs()`, and its owner calls `sweepExpired()` (etcd's 500 ms
 * runLoop: it hands the leases it revoked back, each with the revision its
 * revoke made, as etcd's lessor hands expired leases over on its expired
 * channel) and `promote()` (a new leader). It reaches the KV store only
 * through `RangeDeleter`, and the KV store reaches it through
 * `LeaseDirectory`.
 *
 * Costs: grant, revoke and expiry are O(log n) (LeaseQueue). A keepalive is
 * usually O(1): it moves the lease's deadline later, leaving the lease queued
 * under its old, earlier deadline; when that stale entry reaches the front
 * it is re-keyed once (O(log n)), however many keepalives came in between.
 * This is etcd's trick too (it pushes a new heap item per renew and skips
 * stale ones), without the duplicates. The one keepalive that moves a
 * deadline earlier (the first after promote(), which added the election
 * timeout) re-keys the entry at once (O(log n)): a queued deadline is never
 * later than the true one.
 */
import { assert } from './assert.ts';
import { type BinaryKey } from './bytes.ts';
import type { Clock, RandomSource } from './clock.ts';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from './errors.ts';
import type { LeaseDirectory, RangeDeleter } from './kv-contract.ts';
import { LeaseQueue } from './lease-queue.ts';
import { leaseTtlSecondsMax, leasesRevokedPerSweepMax } from './limits.ts';
import type { LeaseId } from './messages.ts';

/** etcd's lease.NoLease: the "no lease" ID, which also asks the server to choose one. */
export const noLease: LeaseId = 0n;

/** Largest int64, and the mask etcd applies to server-chosen IDs (63 bits, positive). */
const int63Mask = (1n << 63n) - 1n;

/**
 * Promote spreads piled-up deadlines once at least this many leases exist
 * (lessor.go leaseRevokeRate = defaultLeaseRevokeRate, 1000/s: twice the
 * per-sweep limit, since the lessor sweeps every 500 ms).
 */
const promotePileupLeasesMin = 2 * leasesRevokedPerSweepMax;
/** ...so that at most 3/4 of the revoke rate expires in any second (lessor.go Promote). */
const promoteExpiriesPerSecondMax = (3 * promotePileupLeasesMin) / 4;

export interface LessorOptions {
  clock: Clock;
  /** Draws server-chosen IDs (grant with ID 0). */
  random: RandomSource;
  /** Requested TTLs below this are raised to it (limits.minLeaseTtlSeconds). */
  minTtlSeconds: number;
}

export interface GrantedLease {
  id: LeaseId;
  /** The TTL actually granted: the request's, raised to the minimum. */
  ttlSeconds: number;
}

export interface LeaseTimeToLive {
  id: LeaseId;
  /** Seconds to the deadline, truncated toward zero (Go's int64(float)): 0 or -1 once expired but not yet revoked. */
  remainingSeconds: number;
  grantedTtlSeconds: number;
  /** Attached keys in ascending byte order; empty unless asked for. */
  keys: BinaryKey[];
}

/** A lease a sweep revoked, and the revision its revoke made (undefined: it held no keys, so the store did not change). */
export interface ExpiredLease {
  id: LeaseId;
  revision: number | undefined;
}

/** Told the new earliest deadline (undefined: no lease left) whenever it changes. */
export type DeadlineListener = (earliestDeadlineMs: number | undefined) => void;

interface Lease {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  /** The lease's deadline: the truth. */
  deadlineMs: number;
  /** What the queue orders it by: never later than deadlineMs (keepalives only move deadlines later). */
  queuedDeadlineMs: number;
  /** Grant order: ties between equal deadlines go to the older lease. */
  readonly sequence: number;
  queueIndex: number;
  /**
   * Attached keys: none, the one key (most leases hold one key or none, and a
   * Set emptied and refilled reallocates its table each time), or a Set of two or more.
   */
  keys: BinaryKey | Set<BinaryKey> | undefined;
}

export class Lessor implements LeaseDirectory {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #minTtlSeconds: number;
  readonly #leases = new Map<LeaseId, Lease>();
  readonly #queue = new LeaseQueue<Lease>();
  readonly #listeners = new Set<DeadlineListener>();
  readonly #revokeListeners = new Set<(id: LeaseId) => void>();
  /** Who waits for a lease's revoke (whenRevoked), by lease. */
  readonly #revokeWaiters = new Map<LeaseId, Set<() => void>>();
  #rangeDeleter: RangeDeleter | undefined;
  #sequence = 0;
  /** The lease being revoked: its keys may be detached while the deleter runs. */
  #revoking: Lease | undefined;

  constructor(options: LessorOptions) {
    assert(Number.isInteger(options.minTtlSeconds) && options.minTtlSeconds > 0, 'minimum TTL must be a positive integer');
    this.#clock = options.clock;
    this.#random = options.random;
    this.#minTtlSeconds = options.minTtlSeconds;
  }

  /** Where revoked leases' keys get deleted (etcd's SetRangeDeleter); set once, before any revoke. */
  setRangeDeleter(rangeDeleter: RangeDeleter): void {
    assert(this.#rangeDeleter === undefined, 'range deleter already set');
    this.#rangeDeleter = rangeDeleter;
  }

  get minTtlSeconds(): number {
    return this.#minTtlSeconds;
  }

  /** Leases granted and not yet revoked (expired-but-unswept ones included). */
  get size(): number {
    return this.#leases.size;
  }

  /**
   * Grant a lease. ID 0 lets the lessor choose a positive 63-bit ID; any other
   * ID (negative too) is used as given. The deadline is now + TTL.
   * @throws LeaseTtlTooLargeError when ttlSeconds > 9,000,000,000 (checked first, as etcd does)
   * @throws LeaseExistsError when a lease with this ID exists
   */
  grant(id: LeaseId, ttlSeconds: number): GrantedLease {
    if (!Number.isInteger(ttlSeconds)) assert(false, `TTL must be an integer, got ${ttlSeconds}`);
    if (ttlSeconds > leaseTtlSecondsMax) throw new LeaseTtlTooLargeError();
    const leaseId = id === noLease ? this.#chooseId() : id;
    if (this.#leases.has(leaseId)) throw new LeaseExistsError();
    const granted = Math.max(ttlSeconds, this.#minTtlSeconds);
    const deadlineMs = this.#clock.nowMs() + granted * 1000;
    const lease: Lease = {
      id: leaseId,
      ttlSeconds: granted,
      deadlineMs,
      queuedDeadlineMs: deadlineMs,
      sequence: ++this.#sequence,
      queueIndex: -1,
      keys: undefined,
    };
    const before = this.nextDeadlineMs();
    this.#leases.set(leaseId, lease);
    this.#queue.push(lease);
    this.#announce(before);
    return { id: leaseId, ttlSeconds: granted };
  }

  /**
   * Revoke a lease: its keys are deleted in one write (one revision if it had
   * any, keys in ascending order), then the lease is gone.
   * @throws LeaseNotFoundError when no such lease exists
   */
  revoke(id: LeaseId): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError();
    const before = this.nextDeadlineMs();
    this.#revoke(lease);
    this.#announce(before);
  }

  /**
   * KeepAlive: the deadline becomes now + TTL and the granted TTL is
   * returned; 0 for a lease that is unknown, revoked, or past its deadline
   * (an expired lease is never revived, even before the sweep revokes it).
   */
  renew(id: LeaseId): number {
    const lease = this.#leases.get(id);
    const nowMs = this.#clock.nowMs();
    if (lease === undefined || lease.deadlineMs <= nowMs) return 0;
    const earliestBeforeMs = this.#listeners.size > 0 ? this.nextDeadlineMs() : undefined;
    lease.deadlineMs = nowMs + lease.ttlSeconds * 1000;
    // Usually no queue work: the entry stays under its earlier deadline until it
    // reaches the front. But after promote() a renewal moves the deadline earlier
    // (now + TTL < now + election timeout + TTL): then the entry must move up.
    if (lease.deadlineMs < lease.queuedDeadlineMs) {
      lease.queuedDeadlineMs = lease.deadlineMs;
      this.#queue.update(lease);
    }
    if (this.#listeners.size > 0) this.#announce(earliestBeforeMs);
    return lease.ttlSeconds;
  }

  /**
   * Fast-forward over time in which a live client kept renewing the lease:
   * its deadline moves `ms` later, as if the renewals had gone on over that
   * much time (the remaining TTL stays as it is). Unknown leases and leases
   * already past their deadline are left alone. Returns whether it moved.
   */
  postpone(id: LeaseId, ms: number): boolean {
    if (!(ms >= 0 && Number.isFinite(ms))) assert(false, `can only postpone a lease by a finite, non-negative number of ms, got ${ms}`); // the message is built only on failure
    const lease = this.#leases.get(id);
    if (lease === undefined || lease.deadlineMs <= this.#clock.nowMs()) return false;
    const earliestBeforeMs = this.#listeners.size > 0 ? this.nextDeadlineMs() : undefined;
    lease.deadlineMs += ms; // later: the queue entry may stay where it is
    if (this.#listeners.size > 0) this.#announce(earliestBeforeMs);
    return true;
  }

  /** What TimeToLive reports, or undefined for an unknown (or revoked) lease. */
  timeToLive(id: LeaseId, withKeys: boolean): LeaseTimeToLive | undefined {
    const lease = this.#leases.get(id);
    if (lease === undefined) return undefined;
    // Go: int64(Remaining().Seconds()) truncates toward zero; `|| 0` turns -0 into 0.
    const remainingSeconds = Math.trunc((lease.deadlineMs - this.#clock.nowMs()) / 1000) || 0;
    return {
      id,
      remainingSeconds,
      grantedTtlSeconds: lease.ttlSeconds,
      keys: withKeys ? sortedKeys(lease) : [],
    };
  }

  /** Every lease's ID, soonest deadline first (ties in grant order). */
  leases(): LeaseId[] {
    return this.#byDeadline().map((lease) => lease.id);
  }

  /** The earliest deadline of any lease (expired-but-unswept included), or undefined when none. */
  nextDeadlineMs(): number | undefined {
    return this.#front()?.deadlineMs;
  }

  /** A lease's deadline, or undefined when unknown. */
  deadlineMs(id: LeaseId): number | undefined {
    return this.#leases.get(id)?.deadlineMs;
  }

  /**
   * Revoke leases whose deadline is <= now, soonest first, each in its own
   * write, at most `leasesMax`. Returns the leases revoked, in that order,
   * each with the revision its revoke made (none for a lease without keys).
   */
  sweepExpired(leasesMax: number = leasesRevokedPerSweepMax): ExpiredLease[] {
    const nowMs = this.#clock.nowMs();
    const before = this.nextDeadlineMs();
    const expired: ExpiredLease[] = [];
    while (expired.length < leasesMax) {
      const lease = this.#front();
      if (lease === undefined || lease.deadlineMs > nowMs) break;
      expired.push({ id: lease.id, revision: this.#revoke(lease) });
    }
    if (expired.length > 0) this.#announce(before);
    return expired;
  }

  /**
   * Run `waiter` once, when the lease is revoked (by a sweep or a LeaseRevoke),
   * after its keys are deleted: what etcd's Renew waits on for a lease past its
   * deadline (the lease's revokec). Returns a function that stops waiting, or
   * undefined (and never runs `waiter`) when no such lease exists.
   */
  whenRevoked(id: LeaseId, waiter: () => void): (() => void) | undefined {
    if (!this.#leases.has(id)) return undefined;
    let waiters = this.#revokeWaiters.get(id);
    if (waiters === undefined) this.#revokeWaiters.set(id, (waiters = new Set()));
    // A wrapper per call: the same function may wait twice.
    const once = () => waiter();
    waiters.add(once);
    return () => {
      waiters.delete(once);
      if (waiters.size === 0 && this.#revokeWaiters.get(id) === waiters) this.#revokeWaiters.delete(id);
    };
  }

  /**
   * This lessor is being thrown away (the store was reset): its leases will
   * never be revoked, so everyone waiting for a revoke is told now; the
   * leases are gone with the store.
   */
  releaseRevokeWaiters(): void {
    const waiting = [...this.#revokeWaiters.values()];
    this.#revokeWaiters.clear();
    for (const waiters of waiting) for (const waiter of waiters) waiter();
  }

  /**
   * A new leader takes over (lessor.go Promote): every deadline becomes
   * now + extendMs + the full granted TTL. With 1000 leases or more, leases
   * that would pile up are pushed later so that at most 750 expire per second.
   */
  promote(extendMs: number): void {
    const nowMs = this.#clock.nowMs();
    const before = this.nextDeadlineMs();
    for (const lease of this.#queue.entries()) {
      lease.deadlineMs = nowMs + extendMs + lease.ttlSeconds * 1000;
      lease.queuedDeadlineMs = lease.deadlineMs;
    }
    this.#queue.rebuild();
    if (this.#leases.size >= promotePileupLeasesMin) this.#spreadPileup(nowMs, extendMs);
    this.#announce(before);
  }

  /**
   * Lease checkpointing, after promote() (lessor.go refresh with a
   * checkpointed remaining TTL): the deadline becomes now + extendMs +
   * remainingSeconds instead of the full TTL. Unknown leases are left alone.
   */
  refreshFromCheckpoint(id: LeaseId, remainingSeconds: number, extendMs: number): void {
    const lease = this.#leases.get(id);
    if (lease === undefined) return;
    const before = this.nextDeadlineMs();
    lease.deadlineMs = this.#clock.nowMs() + extendMs + remainingSeconds * 1000;
    lease.queuedDeadlineMs = lease.deadlineMs;
    this.#queue.update(lease);
    this.#announce(before);
  }

  /** Hear of every change of the earliest deadline (store-loops' exact-expiry timer). Returns an unsubscribe function. */
  onEarliestDeadlineChange(listener: DeadlineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hear of every revoke (asked for or by expiry), after the lease's keys are deleted. Returns an unsubscribe function. */
  onRevoke(listener: (id: LeaseId) => void): () => void {
    this.#revokeListeners.add(listener);
    return () => this.#revokeListeners.delete(listener);
  }

  /** Every lease's ID and granted TTL, in grant order (for snapshots; deadlines are not kept: a restart promotes). */
  exportLeases(): { id: LeaseId; ttlSeconds: number }[] {
    return [...this.#leases.values()].sort((a, b) => a.sequence - b.sequence).map((lease) => ({ id: lease.id, ttlSeconds: lease.ttlSeconds }));
  }

  // ------------------------------------------------------------ LeaseDirectory

  exists(id: LeaseId): boolean {
    return this.#leases.has(id);
  }

  attach(id: LeaseId, key: BinaryKey): void {
    const lease = this.#leases.get(id);
    // The messages (a bigint in hex) are built only on failure.
    if (lease === undefined) assert(false, `attach to unknown lease ${id}`);
    if (lease === this.#revoking) assert(false, `attach to lease ${id} while it is being revoked`);
    const keys = lease.keys;
    if (keys === undefined) lease.keys = key;
    else if (typeof keys === 'string') {
      if (keys !== key) lease.keys = new Set([keys, key]);
    } else keys.add(key);
  }

  detach(id: LeaseId, key: BinaryKey): void {
    // As etcd's Detach: a key not attached (or a lease already gone) changes nothing.
    const lease = this.#leases.get(id);
    const keys = lease?.keys;
    if (keys === undefined) return;
    if (typeof keys === 'string') {
      if (keys === key) lease!.keys = undefined;
    } else if (keys.delete(key) && keys.size === 1) {
      // back to one key (its Set goes, and with it the Set's table)
      for (const left of keys) lease!.keys = left;
    }
  }

  // ------------------------------------------------------------ internals

  /** Delete the lease's keys and the lease; returns the revision the deletion made (undefined: no keys). */
  #revoke(lease: Lease): number | undefined {
    const keys = sortedKeys(lease);
    let revision: number | undefined;
    if (keys.length > 0) {
      assert(this.#rangeDeleter !== undefined, 'lessor has no range deleter');
      this.#revoking = lease;
      try {
        revision = this.#rangeDeleter.deleteKeys(keys);
      } finally {
        this.#revoking = undefined;
      }
      if (lease.keys !== undefined) assert(false, `lease ${lease.id}: keys still attached after revoke`);
    }
    this.#leases.delete(lease.id);
    this.#queue.remove(lease);
    if (this.#revokeListeners.size > 0) for (const listener of this.#revokeListeners) listener(lease.id);
    const waiters = this.#revokeWaiters.get(lease.id);
    if (waiters !== undefined) {
      this.#revokeWaiters.delete(lease.id);
      for (const waiter of waiters) waiter();
    }
    return revision;
  }

  /** The lease with the earliest deadline (ties: grant order), re-keying stale entries on the way. */
  #front(): Lease | undefined {
    for (;;) {
      const lease = this.#queue.peek();
      if (lease === undefined || lease.queuedDeadlineMs === lease.deadlineMs) return lease;
      lease.queuedDeadlineMs = lease.deadlineMs;
      this.#queue.update(lease);
    }
  }

  /** Every lease, earliest deadline first, ties in grant order: O(n log n). */
  #byDeadline(): Lease[] {
    return [...this.#leases.values()].sort((a, b) => a.deadlineMs - b.deadlineMs || a.sequence - b.sequence);
  }

  /** A positive 63-bit ID not in use, from two 32-bit draws. */
  #chooseId(): LeaseId {
    for (;;) {
      const high = BigInt(this.#random.int32() >>> 0);
      const low = BigInt(this.#random.int32() >>> 0);
      const id = ((high << 32n) | low) & int63Mask;
      if (id !== noLease && !this.#leases.has(id)) return id;
    }
  }

  /** lessor.go Promote, the pile-up part, with times in ms. */
  #spreadPileup(nowMs: number, extendMs: number): void {
    const leases = this.#byDeadline();
    const remainingMs = (lease: Lease) => lease.deadlineMs - nowMs;
    let baseWindowMs = remainingMs(leases[0]!);
    let nextWindowMs = baseWindowMs + 1000;
    let expiries = 0;
    for (const lease of leases) {
      const remaining = remainingMs(lease);
      if (remaining > nextWindowMs) {
        baseWindowMs = remaining;
        nextWindowMs = baseWindowMs + 1000;
        expiries = 1;
        continue;
      }
      expiries++;
      if (expiries <= promoteExpiriesPerSecondMax) continue;
      // If leases are extended by n seconds, leases n seconds ahead of the base window are extended by only one second.
      const delayMs = (1000 * expiries) / promoteExpiriesPerSecondMax - (remaining - baseWindowMs);
      nextWindowMs = baseWindowMs + delayMs;
      lease.deadlineMs = nowMs + delayMs + extendMs + lease.ttlSeconds * 1000;
      lease.queuedDeadlineMs = lease.deadlineMs;
    }
    this.#queue.rebuild();
  }

  /**
   * Check the lessor (for tests): every lease queued exactly once (the queue
   * valid), under a deadline no later than its own, no lease being revoked;
   * `keyLease(key)` answers which lease a live key is on, so each attached
   * key must be on its lease.
   */
  checkValid(keyLease?: (key: BinaryKey) => LeaseId | undefined): void {
    assert(this.#revoking === undefined, 'lessor: checked while revoking');
    this.#queue.checkValid();
    assert(this.#queue.size === this.#leases.size, `lessor: ${this.#queue.size} queued, ${this.#leases.size} leases`);
    for (const [id, lease] of this.#leases) {
      assert(lease.id === id && lease.queueIndex >= 0, `lessor: lease ${id} not queued`);
      assert(lease.queuedDeadlineMs <= lease.deadlineMs, `lessor: lease ${id} queued under ${lease.queuedDeadlineMs}, after its deadline ${lease.deadlineMs}`);
      if (keyLease !== undefined)
        for (const key of sortedKeys(lease)) assert(keyLease(key) === id, `lessor: key ${key} attached to lease ${id} is on ${keyLease(key)}`);
    }
  }

  #announce(earliestBeforeMs: number | undefined): void {
    const earliestMs = this.nextDeadlineMs();
    if (earliestMs === earliestBeforeMs || this.#listeners.size === 0) return;
    for (const listener of this.#listeners) listener(earliestMs);
  }
}

/** A lease's attached keys, ascending (a fresh array). */
function sortedKeys(lease: Lease): BinaryKey[] {
  const keys = lease.keys;
  if (keys === undefined) return [];
  if (typeof keys === 'string') return [keys];
  return [...keys].sort();
}
