/**
 * Who is keeping which lease alive, in wall time: the server's keepalive
 * streams report each successful renewal here, and a fast-forward asks which
 * leases have a live keeper right now, so that it can carry them across the
 * jump as their clients would have (see RealTimeDriver.advance).
 *
 *   const keepers = new LeaseKeepers();
 *   const stream = keepers.openStream();
 *   keepers.renewed(stream, 7n, 5);       // TTL 5: cadence assumed 5 s / 3
 *   keepers.liveLeases();                 // [7n] for the next 2.67 s of wall time
 *   keepers.closeStream(stream);          // client gone: [] from now on
 *
 * A stream keeps a lease alive while it is open and renewed the lease no
 * longer ago than max(its last renewal interval, TTL/3) + keeperSlackMs,
 * and never longer ago than the TTL: a client that went silent (a dead
 * connection that was never closed, a frozen process) stops counting.
 */
import type { LeaseId } from '../store/messages.ts';
import { keeperCadenceTtlFraction, keeperSlackMs } from './fast-forward-limits.ts';

interface Renewal {
  lastWallMs: number;
  /** How long this stream may stay silent about the lease and still count as keeping it. */
  graceMs: number;
}

/** One keepalive stream, as the registry knows it. */
export interface KeeperStream {
  readonly renewals: Map<LeaseId, Renewal>;
}

export class LeaseKeepers {
  readonly #wallNowMs: () => number;
  readonly #streams = new Set<KeeperStream>();

  /** @param wallNowMs monotonic wall-clock ms @defaultValue performance.now */
  constructor(wallNowMs: () => number = () => performance.now()) {
    this.#wallNowMs = wallNowMs;
  }

  /** Open keepalive streams. */
  get streams(): number {
    return this.#streams.size;
  }

  openStream(): KeeperStream {
    const stream: KeeperStream = { renewals: new Map() };
    this.#streams.add(stream);
    return stream;
  }

  /** The stream renewed `id` (granted TTL `ttlSeconds` > 0) just now. */
  renewed(stream: KeeperStream, id: LeaseId, ttlSeconds: number): void {
    if (!this.#streams.has(stream) || !(ttlSeconds > 0)) return;
    const nowMs = this.#wallNowMs();
    const ttlMs = ttlSeconds * 1000;
    const leastCadenceMs = ttlMs * keeperCadenceTtlFraction;
    const previous = stream.renewals.get(id);
    const cadenceMs = previous === undefined ? leastCadenceMs : Math.max(leastCadenceMs, nowMs - previous.lastWallMs);
    const graceMs = Math.min(ttlMs, cadenceMs + keeperSlackMs);
    if (previous === undefined) stream.renewals.set(id, { lastWallMs: nowMs, graceMs });
    else {
      previous.lastWallMs = nowMs;
      previous.graceMs = graceMs;
    }
  }

  /** The stream ended (closed, cancelled, failed, or its connection died). */
  closeStream(stream: KeeperStream): void {
    this.#streams.delete(stream);
  }

  /** Forget every renewal (the store was emptied); open streams stay registered. */
  forgetRenewals(): void {
    for (const stream of this.#streams) stream.renewals.clear();
  }

  /** Leases that some open stream is keeping alive now, each once. Renewals gone silent are dropped. */
  liveLeases(): LeaseId[] {
    const nowMs = this.#wallNowMs();
    const live = new Set<LeaseId>();
    for (const stream of this.#streams) {
      for (const [id, renewal] of stream.renewals) {
        if (nowMs - renewal.lastWallMs <= renewal.graceMs) live.add(id);
        else stream.renewals.delete(id);
      }
    }
    return [...live];
  }
}
