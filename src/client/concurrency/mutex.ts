/**
 * Mutex: etcd's distributed lock recipe exactly as etcd 3.4 writes it
 * (clientv3/concurrency/mutex.go and key.go, docs/etcd-semantics.md §8.2), plus
 * 3.5's TryLock.
 *
 *   const m = new Mutex(session, '/my-lock');   // prefix '/my-lock/'
 *   await m.lock();      // key '/my-lock/694d77aa9e38260f' (lease ID, lowercase hex), value ''
 *   m.fencingToken       // that key's create revision
 *   await m.unlock();    // unconditional Delete(key)
 *
 * Acquire is one txn:
 *   if create_revision(myKey) == 0
 *   then put(myKey, '', lease), get(prefix, first by create revision)
 *   else get(myKey),            get(prefix, first by create revision)
 * myRev is the txn's revision, or the existing key's create revision (the
 * same session re-locking finds its own key). The owner is whoever has the
 * oldest key under the prefix. Otherwise lock() waits for every key created
 * before myRev to go: get the newest one below myRev (last by create
 * revision, max_create_revision = myRev - 1), watch it from that get's
 * header revision until a DELETE, repeat until none is left.
 *
 * Like etcd 3.4 — and unlike 3.5 (PR #11408) — lock() does not check
 * afterwards that its own key still exists: when the session's lease
 * expired while it waited, lock() still returns as if it held the lock
 * (etcd issue #11456; Jepsen's etcd 3.4.3 finding). header is then the
 * header of waitDeletes' last get.
 */
import { prefixEnd, utf8 } from '../../store/bytes.ts';
import type { Bytes, Compare, ResponseHeader } from '../../store/messages.ts';
import type { Client } from '../client.ts';
import { MutexLockedError } from '../errors.ts';
import { compare, firstCreate, lastCreate, op, type CallOptions, type GetOptions, type KeyLike } from '../kv.ts';
import type { Session } from './session.ts';

/** A lease ID as Go's `fmt.Sprintf("%x", id)` prints it: lowercase hex, no padding. */
export function leaseHex(leaseId: bigint): string {
  return leaseId.toString(16);
}

/** concurrency's waitDelete: watch `key` from `revision` until a DELETE event. */
export function waitDelete(client: Client, key: KeyLike, revision: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const watcher = client.watch(key, { revision }, (update) => {
      if (update.kind === 'events') {
        if (update.events.some((event) => event.type === 'DELETE')) {
          watcher.cancel();
          resolve();
        }
      } else if (update.kind === 'canceled') {
        reject(update.error);
      }
    });
  });
}

/**
 * concurrency's waitDeletes: wait until no key under `prefix` has a create
 * revision <= maxCreateRevision; returns the header of the last get.
 */
export function waitDeletes(client: Client, prefix: string, maxCreateRevision: number, options: CallOptions = {}): Promise<ResponseHeader> {
  return waitDeletesIn(client, prefixRange(prefix), maxCreateRevision, options);
}

/** A prefix as the key and range end of its range (what `{ prefix: true }` sends), made once for a recipe's many requests. */
interface PrefixRange {
  key: Bytes;
  rangeEnd: Bytes;
}

function prefixRange(prefix: string): PrefixRange {
  const key = utf8(prefix);
  return { key, rangeEnd: prefixEnd(key) };
}

/** Get options as `lastCreate` / `firstCreate` on a prefix, over its range already made (the same request). */
function createOrdered(range: PrefixRange, order: GetOptions): GetOptions {
  return { rangeEnd: range.rangeEnd, sort: order.sort!, limit: order.limit! };
}

async function waitDeletesIn(client: Client, range: PrefixRange, maxCreateRevision: number, options: CallOptions): Promise<ResponseHeader> {
  for (;;) {
    const response = await client.get(range.key, Object.assign(createOrdered(range, lastCreate), { maxCreateRevision }, options));
    const newest = response.kvs[0];
    if (newest === undefined) return response.header;
    await waitDelete(client, newest.key, response.header.revision);
  }
}

/** concurrency.Mutex as etcd 3.4 writes it: a key per waiter under a prefix, the lowest create revision holds. */
export class Mutex {
  readonly session: Session;
  /** The prefix given, plus '/'. */
  readonly prefix: string;
  /** The prefix's range and the session's key as bytes, made once: every lock sends them again. */
  readonly #prefixRange: PrefixRange;
  readonly #sessionKey: string;
  readonly #sessionKeyBytes: Bytes;
  #myKey = '';
  /** #myKey's bytes while it is the session's key. */
  #myKeyBytes: Bytes | undefined;
  #myRev = -1;
  #header: ResponseHeader | undefined;

  constructor(session: Session, prefix: string) {
    this.session = session;
    this.prefix = `${prefix}/`;
    this.#prefixRange = prefixRange(this.prefix);
    this.#sessionKey = `${this.prefix}${leaseHex(session.leaseId)}`;
    this.#sessionKeyBytes = utf8(this.#sessionKey);
  }

  /** The lock key: prefix + the session's lease ID in hex ('' before lock(), '\x00' after unlock()). */
  get key(): string {
    return this.#myKey;
  }

  /** The header of the response that made this mutex the owner (Go's Header()). */
  get header(): ResponseHeader | undefined {
    return this.#header;
  }

  /**
   * The key's create revision (myRev): the fencing token. -1 when not locked.
   * Go has no exported getter for it; etcd's docs name it the token.
   */
  get fencingToken(): number {
    return this.#myRev;
  }

  /** A compare that holds while this mutex's key is the one it created: guard writes with it in a txn. */
  isOwner(): Compare {
    return compare.createRevision(this.#myKey, '=', this.#myRev);
  }

  /**
   * Acquire, waiting behind older keys (3.4 semantics: no post-wait check).
   * On a failed wait it unlocks (ignoring that error) and rethrows.
   * @throws EtcdError, CallTimeoutError from any call; CompactedError if the wait's watch was compacted.
   */
  async lock(options: CallOptions = {}): Promise<void> {
    const { header, ownerCreateRevision } = await this.#tryAcquire(options);
    if (ownerCreateRevision === undefined || ownerCreateRevision === this.#myRev) {
      this.#header = header;
      return;
    }
    try {
      this.#header = await waitDeletesIn(this.session.client, this.#prefixRange, this.#myRev - 1, options);
    } catch (error) {
      await this.unlock(options).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Acquire only if free (3.5's TryLock): when another session holds it,
   * delete the key just made and throw MutexLockedError.
   */
  async tryLock(options: CallOptions = {}): Promise<void> {
    const { header, ownerCreateRevision } = await this.#tryAcquire(options);
    if (ownerCreateRevision === undefined || ownerCreateRevision === this.#myRev) {
      this.#header = header;
      return;
    }
    await this.session.client.delete(this.#myKeyBytes ?? this.#myKey, options);
    this.#myKey = '\x00';
    this.#myKeyBytes = undefined;
    this.#myRev = -1;
    throw new MutexLockedError();
  }

  /** Delete the key, unconditionally (no compare, as in etcd). */
  async unlock(options: CallOptions = {}): Promise<void> {
    await this.session.client.delete(this.#myKeyBytes ?? this.#myKey, options);
    this.#myKey = '\x00';
    this.#myKeyBytes = undefined;
    this.#myRev = -1;
  }

  async #tryAcquire(options: CallOptions): Promise<{ header: ResponseHeader; ownerCreateRevision: number | undefined }> {
    const client = this.session.client;
    const leaseId = this.session.leaseId;
    this.#myKey = this.#sessionKey;
    const myKey = this.#sessionKeyBytes;
    this.#myKeyBytes = myKey;
    const getOwner = op.get(this.#prefixRange.key, createOrdered(this.#prefixRange, firstCreate));
    const response = await client
      .txn()
      .if(compare.createRevision(myKey, '=', 0))
      .then(op.put(myKey, '', { lease: leaseId }), getOwner)
      .else(op.get(myKey), getOwner)
      .commit(options);
    this.#myRev = response.header.revision;
    if (!response.succeeded) {
      const mine = response.responses[0]?.response_range?.kvs[0];
      if (mine === undefined) throw new Error(`mutex: txn failed but ${this.#myKey} is missing`);
      this.#myRev = mine.create_revision;
    }
    const owner = response.responses[1]?.response_range?.kvs[0];
    return { header: response.header, ownerCreateRevision: owner?.create_revision };
  }
}
