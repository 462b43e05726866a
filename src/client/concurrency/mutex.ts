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
import type { Bytes, Compare, DeleteRangeRequest, Event, RangeRequest, RangeResponse, ResponseHeader, TxnRequest } from '../../store/messages.ts';
import type { Client } from '../client.ts';
import { MutexLockedError } from '../errors.ts';
import { compare, deleteRequest, firstCreate, getRequest, lastCreate, op, type CallOptions, type GetOptions, type KeyLike } from '../kv.ts';
import { settledNothing } from '../runtime.ts';
import type { CallHandlers } from '../transport.ts';
import type { Session } from './session.ts';

/** A lease ID as Go's `fmt.Sprintf("%x", id)` prints it: lowercase hex, no padding. */
export function leaseHex(leaseId: bigint): string {
  return leaseId.toString(16);
}

/**
 * Where a recipe step that runs as callbacks hands its outcome: exactly one
 * of the two, once. Each returns `settledNothing` when all it did was send
 * the next request (no promise settled, no user code ran), else anything.
 */
export interface Outcome<T> {
  done(value: T): unknown;
  fail(error: unknown): unknown;
}

/** concurrency's waitDelete: watch `key` from `revision` until a DELETE event. */
export function waitDelete(client: Client, key: KeyLike, revision: number): Promise<void> {
  return new Promise((resolve, reject) => watchUntilDeleted(client, key, revision, { done: resolve, fail: reject }));
}

/**
 * waitDelete as callbacks: `then.done()` at the first DELETE (the watch is
 * canceled), `then.fail()` if the watch ends first. The watch's own promises
 * are never read, so its updates settle nothing but what `then` does.
 * Returns settledNothing unless the watch ended at once (a closed client).
 */
function watchUntilDeleted(client: Client, key: KeyLike, revision: number, then: Outcome<void>): typeof settledNothing | undefined {
  let settled = false;
  const watcher = client.watch(key, { revision }, (update) => {
    if (settled) return settledNothing;
    if (update.kind === 'events') {
      if (!hasDelete(update.events)) return settledNothing;
      settled = true;
      watcher.cancel();
      return then.done(undefined);
    }
    if (update.kind === 'canceled') {
      settled = true;
      return then.fail(update.error);
    }
    return settledNothing;
  });
  return settled ? undefined : settledNothing;
}

function hasDelete(events: readonly Event[]): boolean {
  for (const event of events) if (event.type === 'DELETE') return true;
  return false;
}

/**
 * concurrency's waitDeletes: wait until no key under `prefix` has a create
 * revision <= maxCreateRevision; returns the header of the last get.
 */
export function waitDeletes(client: Client, prefix: string, maxCreateRevision: number, options: CallOptions = {}): Promise<ResponseHeader> {
  return new Promise((resolve, reject) => new DeletesWait(client, prefixRange(prefix), maxCreateRevision, options, { done: resolve, fail: reject }).next());
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

/** The newest key under the prefix created at or before maxCreateRevision (concurrency's lastCreate with WithMaxCreateRev). */
function newestCreatedBy(range: PrefixRange, maxCreateRevision: number): RangeRequest {
  return getRequest(range.key, Object.assign(createOrdered(range, lastCreate), { maxCreateRevision }));
}

/**
 * waitDeletes as callbacks: get the newest key created by maxCreateRevision,
 * wait for its DELETE, repeat; `then.done(header)` once none is left.
 */
class DeletesWait implements CallHandlers<RangeResponse>, Outcome<void> {
  readonly #client: Client;
  readonly #options: CallOptions;
  /** The same get every round: the newest key created by maxCreateRevision. */
  readonly #request: RangeRequest;
  readonly #then: Outcome<ResponseHeader>;

  constructor(client: Client, range: PrefixRange, maxCreateRevision: number, options: CallOptions, then: Outcome<ResponseHeader>) {
    this.#client = client;
    this.#options = options;
    this.#request = newestCreatedBy(range, maxCreateRevision);
    this.#then = then;
  }

  next(): unknown {
    return this.#client.callWith('range', this.#request, this.#options, this);
  }

  ok(response: RangeResponse): unknown {
    const newest = response.kvs[0];
    if (newest === undefined) return this.#then.done(response.header);
    return watchUntilDeleted(this.#client, newest.key, response.header.revision, this);
  }

  /** The key watched was deleted: get again. */
  done(): unknown {
    return this.next();
  }

  /** The get or the watch failed: so does the wait. */
  fail(error: unknown): unknown {
    return this.#then.fail(error);
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
  readonly #acquireTxn: TxnRequest;
  readonly #unlockRequest: DeleteRangeRequest;
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
    // clientv3's acquire txn: if create_revision(myKey) == 0 then put(myKey, '', lease), get owner else get(myKey), get owner.
    const getOwner = op.get(this.#prefixRange.key, createOrdered(this.#prefixRange, firstCreate));
    this.#acquireTxn = {
      compare: [compare.createRevision(this.#sessionKeyBytes, '=', 0)],
      success: [op.put(this.#sessionKeyBytes, '', { lease: session.leaseId }), getOwner],
      failure: [op.get(this.#sessionKeyBytes), getOwner],
    };
    this.#unlockRequest = deleteRequest(this.#sessionKeyBytes);
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
   * Its steps run as callbacks: only the promise it returns costs a microtask.
   * @throws EtcdError, CallTimeoutError from any call; CompactedError if the wait's watch was compacted.
   */
  lock(options: CallOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => this.lockWith(options, { done: resolve, fail: reject }));
  }

  /**
   * lock() as callbacks: `then.done()` once this mutex holds the lock, `then.fail(error)` where
   * lock() would reject. They run inside the transport's delivery: they must not throw.
   */
  lockWith(options: CallOptions, then: Outcome<void>): void {
    this.#tryAcquire(options, {
      fail: then.fail,
      done: ({ header, ownerCreateRevision }) => {
        if (ownerCreateRevision === undefined || ownerCreateRevision === this.#myRev) {
          this.#header = header;
          return then.done(undefined);
        }
        const waited: Outcome<ResponseHeader> = {
          done: (lastHeader) => {
            this.#header = lastHeader;
            return then.done(undefined);
          },
          // As `await this.unlock(options).catch(() => undefined); throw error;`.
          fail: (error) =>
            void this.unlock(options)
              .then(ignore, ignore)
              .then(() => then.fail(error)),
        };
        return new DeletesWait(this.session.client, this.#prefixRange, this.#myRev - 1, options, waited).next();
      },
    });
  }

  /**
   * Acquire only if free (3.5's TryLock): when another session holds it,
   * delete the key just made and throw MutexLockedError.
   */
  async tryLock(options: CallOptions = {}): Promise<void> {
    const { header, ownerCreateRevision } = await new Promise<Acquisition>((resolve, reject) => this.#tryAcquire(options, { done: resolve, fail: reject }));
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
  unlock(options: CallOptions = {}): Promise<void> {
    return new Promise((resolve, reject) =>
      // Go's Unlock: Delete(myKey), no options; the session's key has its request made once.
      this.session.client.callWith('deleteRange', this.#myKeyBytes !== undefined ? this.#unlockRequest : deleteRequest(this.#myKey), options, {
        ok: () => {
          this.#myKey = '\x00';
          this.#myKeyBytes = undefined;
          this.#myRev = -1;
          resolve();
        },
        fail: reject,
      }),
    );
  }

  /** The acquire txn (its request is made once: the same key and lease every time), then myRev and the owner's create revision. */
  #tryAcquire(options: CallOptions, then: Outcome<Acquisition>): void {
    this.#myKey = this.#sessionKey;
    this.#myKeyBytes = this.#sessionKeyBytes;
    this.session.client.callWith('txn', this.#acquireTxn, options, {
      fail: then.fail,
      ok: (response) => {
        this.#myRev = response.header.revision;
        if (!response.succeeded) {
          const mine = response.responses[0]?.response_range?.kvs[0];
          if (mine === undefined) return then.fail(new Error(`mutex: txn failed but ${this.#myKey} is missing`));
          this.#myRev = mine.create_revision;
        }
        const owner = response.responses[1]?.response_range?.kvs[0];
        return then.done({ header: response.header, ownerCreateRevision: owner?.create_revision });
      },
    });
  }
}

/** What the acquire txn found: its header, and the oldest key's create revision under the prefix (undefined: none). */
interface Acquisition {
  header: ResponseHeader;
  ownerCreateRevision: number | undefined;
}

function ignore(): void {}
