/**
 * The lessor's tick (src/store/etcd-loops.ts) on a cluster's leader, whose
 * revokes and checkpoints are proposed through raft instead of applied at
 * once (lessor.go revokeExpiredLeases and checkpointScheduledLeases). A
 * revoke takes effect only when the entry is applied, so a lease asked for
 * stays expired meanwhile: it is asked again only after
 * limits.expiredLeaseRetryMs (etcd's expiredLeaseRetryInterval), in case the
 * proposal was lost.
 *
 *   tick = new ProposingLessorTick({ clock, leases, propose, counting, checkpointIntervalMs: 300_000 });
 *   startEtcdLoops({ lessor: tick, ... }, timers);
 *   tick.scheduleCheckpoint(id, undefined);   // granted on the leader: checkpoint in 5 min
 *   tick.leaseGone(id);                       // its revoke was applied
 *   tick.demote();                            // no longer the leader: forget what was asked and scheduled
 */
import type { LessorTick } from './etcd-loops.ts';
import { expiredLeaseRetryMs, leasesRevokedPerSweepMax } from './limits.ts';
import type { LeaseId } from './messages.ts';

/** What the leader's lessor reads of its store's leases (EtcdStore's lessor and leaseTimeToLive). */
export interface LeaseSchedule {
  /** Every lease's ID, soonest deadline first. */
  leases(): LeaseId[];
  nextDeadlineMs(): number | undefined;
  deadlineMs(id: LeaseId): number | undefined;
  grantedTtlSeconds(id: LeaseId): number;
}

/** How the leader's lessor work is applied: proposed through raft. */
export interface LessorProposals {
  revoke(id: LeaseId): void;
  checkpoint(id: LeaseId, remainingSeconds: number): void;
}

export interface ProposingLessorOptions {
  clock: { nowMs(): number };
  leases: LeaseSchedule;
  propose: LessorProposals;
  /** Whether this lessor counts time now (the promoted leader's only). */
  counting: () => boolean;
  /** Lease checkpointing's interval, or undefined without checkpointing. */
  checkpointIntervalMs: number | undefined;
}

export class ProposingLessorTick implements LessorTick {
  readonly #clock: { nowMs(): number };
  readonly #leases: LeaseSchedule;
  readonly #propose: LessorProposals;
  readonly #counting: () => boolean;
  readonly #checkpointIntervalMs: number | undefined;
  /** Leases this leader asked to revoke, and when. */
  readonly #revokeAskedAtMs = new Map<LeaseId, number>();
  /** When this leader checkpoints each lease next. */
  readonly #checkpointDueAtMs = new Map<LeaseId, number>();

  constructor(options: ProposingLessorOptions) {
    this.#clock = options.clock;
    this.#leases = options.leases;
    this.#propose = options.propose;
    this.#counting = options.counting;
    this.#checkpointIntervalMs = options.checkpointIntervalMs;
  }

  /** Checkpoints are waiting for their time. */
  get checkpointsScheduled(): boolean {
    return this.#checkpointDueAtMs.size > 0;
  }

  counting(): boolean {
    return this.#counting();
  }

  /** Propose a revoke for each expired lease (soonest first, at most leasesRevokedPerSweepMax), skipping those asked for lately. */
  revokeExpired(): void {
    const nowMs = this.#clock.nowMs();
    const next = this.#leases.nextDeadlineMs();
    if (next === undefined || next > nowMs) return;
    let asked = 0;
    for (const id of this.#leases.leases()) {
      if (asked >= leasesRevokedPerSweepMax) break;
      const deadlineMs = this.#leases.deadlineMs(id)!;
      if (deadlineMs > nowMs) break;
      const askedAtMs = this.#revokeAskedAtMs.get(id);
      if (askedAtMs !== undefined && nowMs - askedAtMs < expiredLeaseRetryMs) continue;
      this.#revokeAskedAtMs.set(id, nowMs);
      this.#propose.revoke(id);
      asked++;
    }
  }

  /** Propose the remaining TTL of each lease whose checkpoint is due (none when nothing is left to say). */
  checkpointDue(): void {
    if (this.#checkpointDueAtMs.size === 0) return;
    const nowMs = this.#clock.nowMs();
    for (const [id, dueAtMs] of [...this.#checkpointDueAtMs]) {
      if (dueAtMs > nowMs) continue;
      this.#checkpointDueAtMs.delete(id);
      const deadlineMs = this.#leases.deadlineMs(id);
      if (deadlineMs === undefined) continue;
      const remainingSeconds = Math.ceil((deadlineMs - nowMs) / 1000);
      if (remainingSeconds <= 0 || remainingSeconds >= this.#leases.grantedTtlSeconds(id)) continue;
      this.#propose.checkpoint(id, remainingSeconds);
    }
  }

  /**
   * lessor.go scheduleCheckpointIfNeeded: checkpoint the lease an interval
   * from now, if it has more than an interval to go (its last checkpointed
   * remaining TTL, or else its granted TTL).
   */
  scheduleCheckpoint(id: LeaseId, checkpointedSeconds: number | undefined): void {
    const intervalMs = this.#checkpointIntervalMs;
    if (intervalMs === undefined) return;
    const remainingSeconds = checkpointedSeconds ?? this.#leases.grantedTtlSeconds(id);
    if (remainingSeconds * 1000 > intervalMs) this.#checkpointDueAtMs.set(id, this.#clock.nowMs() + intervalMs);
  }

  /** The lease was revoked: nothing more to ask for it. */
  leaseGone(id: LeaseId): void {
    this.#checkpointDueAtMs.delete(id);
    this.#revokeAskedAtMs.delete(id);
  }

  /** This lessor stops counting time (etcd's Demote): what it asked for and scheduled is forgotten. */
  demote(): void {
    this.#revokeAskedAtMs.clear();
    this.#checkpointDueAtMs.clear();
  }
}
