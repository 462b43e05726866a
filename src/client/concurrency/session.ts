/**
 * Session: a lease kept alive for as long as the session lives, as etcd's
 * concurrency.Session (clientv3/concurrency/session.go, docs/etcd-semantics.md §8.1).
 *
 *   const session = await Session.create(client, { ttlSeconds: 10 });  // Grant(10) + KeepAlive
 *   session.leaseId                       // the lease every recipe key is attached to
 *   await session.done                    // resolves when the keepalive ends: lease lost or session closed
 *   await session.close()                 // stop the keepalive, then Revoke (deadline: TTL seconds)
 *
 * `done` resolves with why the keepalive ended (src/client/lease.ts): the
 * server answered TTL 0 (`expired`), the local deadline passed (`deadline`),
 * or the session was orphaned / closed / its client closed (`closed`).
 */
import type { LeaseId } from '../../store/messages.ts';
import type { Client } from '../client.ts';
import type { KeepAliveHandle, LeaseLostReason } from '../lease.ts';

/** concurrency.defaultSessionTTL. */
export const defaultSessionTtlSeconds = 60;

/** Options of {@link Session.create}. */
export interface SessionOptions {
  /**
   * The lease TTL to grant; values <= 0 are ignored, as in Go's WithTTL.
   * The server raises it to its minimum (2 s by default).
   * @defaultValue 60
   */
  ttlSeconds?: number;
  /** Use this existing lease instead of granting one (Go's WithLease). */
  leaseId?: LeaseId;
}

/** concurrency.Session: a lease kept alive for as long as the session lives. */
export class Session {
  readonly client: Client;
  readonly leaseId: LeaseId;
  /** The TTL asked for (Go keeps the requested TTL too); close() uses it as the revoke deadline. */
  readonly ttlSeconds: number;
  readonly #keepAlive: KeepAliveHandle;

  private constructor(client: Client, leaseId: LeaseId, ttlSeconds: number, keepAlive: KeepAliveHandle) {
    this.client = client;
    this.leaseId = leaseId;
    this.ttlSeconds = ttlSeconds;
    this.#keepAlive = keepAlive;
  }

  /**
   * concurrency.NewSession: grant a lease (unless given one) and keep it alive.
   * @throws whatever the grant throws (EtcdError, CallTimeoutError), or
   * LeaseKeepAliveHaltedError when the client is closed.
   */
  static async create(client: Client, options: SessionOptions = {}): Promise<Session> {
    const ttlSeconds = options.ttlSeconds !== undefined && options.ttlSeconds > 0 ? options.ttlSeconds : defaultSessionTtlSeconds;
    let leaseId = options.leaseId ?? 0n;
    if (leaseId === 0n) leaseId = (await client.grant(ttlSeconds)).ID;
    const keepAlive = client.keepAlive(leaseId);
    return new Session(client, leaseId, ttlSeconds, keepAlive);
  }

  /** Resolves when the session's keepalive ended (Go's Done()), with the reason. */
  get done(): Promise<LeaseLostReason> {
    return this.#keepAlive.done;
  }

  /** Whether `done` has resolved. */
  get isDone(): boolean {
    return this.#keepAlive.ended;
  }

  /** Until when, on the client's clock, the session believes its lease alive. */
  get deadlineMs(): number {
    return this.#keepAlive.deadlineMs;
  }

  /** Stop keeping the lease alive without revoking it; `done` resolves (`closed`). */
  orphan(): void {
    this.#keepAlive.stop();
  }

  /**
   * Orphan, then revoke the lease with a deadline of TTL seconds (Go's Close).
   * @throws the revoke's error, e.g. LeaseNotFoundError when the lease is already gone.
   */
  async close(): Promise<void> {
    this.orphan();
    await this.client.revoke(this.leaseId, { timeoutMs: this.ttlSeconds * 1000 });
  }
}
