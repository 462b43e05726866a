// Helpers a user writes once for their lease locks (against leaselab's Client only).
import { compare, op, type Client, type KeepAliveHandle, type LeaseId, type TxnResponse } from 'leaselab';

/** Sleep on the client's clock (virtual in the simulator). */
export function sleep(client: Client, ms: number): Promise<void> {
  return new Promise<void>((resolve) => client.runtime.setTimer(ms, resolve));
}

/** Resolve once `key` is deleted at or after `revision` (a watch, cancelled after). */
export function waitForDelete(client: Client, key: string, revision: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const watcher = client.watch(key, { revision }, (update) => {
      if (update.kind === 'events') {
        const deleted = update.events.find((event) => event.type === 'DELETE');
        if (deleted !== undefined) {
          watcher.cancel();
          resolve(deleted.kv.mod_revision);
        }
      } else if (update.kind === 'canceled') reject(update.error);
    });
  });
}

/** A lease kept alive, granted again once the last one was lost. */
export class KeptLease {
  leaseId: LeaseId = 0n;
  keepAlive: KeepAliveHandle | undefined;
  constructor(
    readonly client: Client,
    readonly ttlSeconds: number,
  ) {}

  async live(): Promise<{ leaseId: LeaseId; keepAlive: KeepAliveHandle }> {
    if (this.keepAlive === undefined || this.keepAlive.ended) {
      this.leaseId = (await this.client.grant(this.ttlSeconds)).ID;
      this.keepAlive = this.client.keepAlive(this.leaseId);
    }
    return { leaseId: this.leaseId, keepAlive: this.keepAlive };
  }
}

/** put-if-absent: create `key` with `lease` unless it exists; the else branch reads it. */
export function putIfAbsent(client: Client, key: string, value: string, leaseId: LeaseId | undefined): Promise<TxnResponse> {
  return client
    .txn()
    .if(compare.createRevision(key, '=', 0))
    .then(op.put(key, value, leaseId === undefined ? {} : { lease: leaseId }))
    .else(op.get(key))
    .commit();
}

/** Delete `key` only if it is still the one created at `createRevision`. */
export function deleteIfMine(client: Client, key: string, createRevision: number): Promise<TxnResponse> {
  return client
    .txn()
    .if(compare.createRevision(key, '=', createRevision))
    .then(op.delete(key))
    .commit();
}

/**
 * A promise that never resolves, one per lock instance: the explorer attaches
 * a reaction to `lost` at each acquisition, and one promise shared by every run
 * would keep every run's clients alive through those reactions.
 */
export function never(): Promise<void> {
  return new Promise<void>(() => undefined);
}
