/**
 * The naive lease lock, as people write it before they read about Mutex:
 * put-if-absent with a lease, keep the lease alive, delete to release.
 * It is leaselab's contrast to etcd's Mutex: no queue, no fencing.
 *
 *   acquire: grant(ttl) + keepAlive (once, reused while alive)
 *            loop { txn if create_revision(key) == 0 then put(key, owner, lease) else get(key)
 *                   succeeded → held (token: the txn's revision = the key's create revision)
 *                   else → watch key from the get's revision until DELETE, retry }
 *   release: delete(key), unconditionally (the lease stays alive for the next acquire)
 *   lost:    the keepalive ended (TTL 0 or local deadline) while holding
 *
 * One refinement: if the existing key is attached to our own lease (an
 * earlier put whose answer was lost, then retried), it counts as acquired
 * instead of waiting on ourselves forever.
 */
import type { LeaseId } from '../store/messages.ts';
import type { Client } from './client.ts';
import { leaseHex, waitDelete } from './concurrency/mutex.ts';
import { compare, op, type CallOptions } from './kv.ts';
import type { KeepAliveHandle } from './lease.ts';

/** Options of {@link NaiveLock}. */
export interface NaiveLockOptions {
  /** The lock key itself. */
  key: string;
  ttlSeconds: number;
  /** The key's value. @defaultValue the lease ID in hex */
  owner?: string;
}

/** The naive lease lock: put the key if absent, with a kept-alive lease; delete it to release. */
export class NaiveLock {
  readonly client: Client;
  readonly key: string;
  readonly ttlSeconds: number;
  readonly #owner: string | undefined;
  #leaseId: LeaseId | undefined;
  #keepAlive: KeepAliveHandle | undefined;
  #fencingToken = -1;

  constructor(client: Client, options: NaiveLockOptions) {
    this.client = client;
    this.key = options.key;
    this.ttlSeconds = options.ttlSeconds;
    this.#owner = options.owner;
  }

  /** The lease the key is attached to (undefined before the first acquire). */
  get leaseId(): LeaseId | undefined {
    return this.#leaseId;
  }

  /** The running keepalive; its `done` resolves when the lease is lost. */
  get keepAlive(): KeepAliveHandle | undefined {
    return this.#keepAlive;
  }

  /** The key's create revision when held, else -1. */
  get fencingToken(): number {
    return this.#fencingToken;
  }

  /** Wait until the key is ours. @throws EtcdError, CallTimeoutError, CompactedError. */
  async acquire(options: CallOptions = {}): Promise<{ fencingToken: number; leaseId: LeaseId; keepAlive: KeepAliveHandle }> {
    for (;;) {
      const { leaseId, keepAlive } = await this.#liveLease(options);
      const owner = this.#owner ?? leaseHex(leaseId);
      const response = await this.client
        .txn()
        .if(compare.createRevision(this.key, '=', 0))
        .then(op.put(this.key, owner, { lease: leaseId }))
        .else(op.get(this.key))
        .commit(options);
      if (response.succeeded) {
        this.#fencingToken = response.header.revision;
        return { fencingToken: this.#fencingToken, leaseId, keepAlive };
      }
      const existing = response.responses[0]?.response_range?.kvs[0];
      if (existing !== undefined && existing.lease === leaseId) {
        this.#fencingToken = existing.create_revision;
        return { fencingToken: this.#fencingToken, leaseId, keepAlive };
      }
      if (existing !== undefined) await waitDelete(this.client, this.key, response.header.revision);
    }
  }

  /** Delete the key (unconditionally: whoever holds it now loses it). */
  async release(options: CallOptions = {}): Promise<void> {
    this.#fencingToken = -1;
    await this.client.delete(this.key, options);
  }

  /** Stop the keepalive and revoke the lease. */
  async close(options: CallOptions = {}): Promise<void> {
    const leaseId = this.#leaseId;
    this.#keepAlive?.stop();
    this.#keepAlive = undefined;
    this.#leaseId = undefined;
    if (leaseId !== undefined) await this.client.revoke(leaseId, options);
  }

  async #liveLease(options: CallOptions): Promise<{ leaseId: LeaseId; keepAlive: KeepAliveHandle }> {
    if (this.#leaseId !== undefined && this.#keepAlive !== undefined && !this.#keepAlive.ended) {
      return { leaseId: this.#leaseId, keepAlive: this.#keepAlive };
    }
    const { ID } = await this.client.grant(this.ttlSeconds, undefined, options);
    this.#leaseId = ID;
    this.#keepAlive = this.client.keepAlive(ID);
    return { leaseId: ID, keepAlive: this.#keepAlive };
  }
}
