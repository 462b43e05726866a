/**
 * The interface a lock algorithm implements to be explored by leaselab's
 * simulator (issue 5), and three built-ins.
 *
 *   const lock = etcdMutex.create(client, { lockName: '/jobs', ttlSeconds: 2 });
 *   const { fencingToken } = await lock.acquire();   // observer: lock-acquired
 *   void lock.lost.then(() => stopWorking());         // observer: lock-lost, if the session dies
 *   await lock.release();                             // observer: lock-released
 *
 * Write your own against the Client only (any recipe, any txn), and report
 * beliefs with `client.report()`: lock-acquired when acquire() is about to
 * return, lock-released when release() gives it up, lock-lost when the holder
 * learns it no longer holds it. Checkers judge beliefs from those events and
 * safety from the fenced resource's accepted writes.
 *
 * Built-ins:
 * - `naiveLock`: NaiveLock on key `lockName` (no fencing token returned);
 * - `etcdMutex`: Session (TTL ttlSeconds) + Mutex on prefix `lockName`, as
 *   etcd 3.4 ships it (no fencing token returned: the runner writes unfenced);
 * - `etcdMutexFenced`: the same, returning the key's create revision as the
 *   fencing token, so the runner fences its writes.
 * A Lock is reused across acquire/release cycles; a Session is kept across
 * them while it lives, and a new one is made once it is done.
 */
import type { LeaseId } from '../store/messages.ts';
import type { Client } from './client.ts';
import { Mutex } from './concurrency/mutex.ts';
import { Session } from './concurrency/session.ts';
import type { FencingToken } from './fencing.ts';
import type { CallOptions } from './kv.ts';
import { NaiveLock } from './naive-lock.ts';

/** What every lock is created with: its name (an etcd key or prefix) and the lease TTL. */
export interface LockOptions {
  /** The lock's name: the key (naive lock) or the key prefix (Mutex). */
  lockName: string;
  /** The TTL of the lease behind the lock. */
  ttlSeconds: number;
}

/** What `acquire()` resolves with: the fencing token, if the algorithm hands one out. */
export interface Acquired {
  /** Present when the algorithm fences: pass it with every write to the protected resource. */
  fencingToken?: FencingToken;
  /**
   * The etcd key this holder owns the lock by, when it is neither the lock's
   * name nor under `name/`: the explorer then judges ownership by that key's
   * history on the server.
   */
  key?: string;
}

/** One client's handle on a lock: `acquire()`, `release()`, and `lost` (resolves when it learns it lost the lock). */
export interface Lock {
  /** Wait until this client believes it holds the lock. Throws if the attempt failed (the runner may retry). */
  acquire(): Promise<Acquired>;
  /** Give the lock up. */
  release(): Promise<void>;
  /**
   * Resolves when the holder learns it lost the lock it holds now. Read it
   * after acquire() returns: each acquisition has its own promise; one
   * released cleanly never resolves.
   */
  readonly lost: Promise<void>;
}

/**
 * What a lock gets from the world it runs in, so it never needs the globals
 * (Math.random, Date.now, setTimeout), which a simulated run cannot replay:
 *
 *   create(client, { lockName, ttlSeconds }, { sleep, random, now, log }) {
 *     …  await sleep(200 + random() * 100);  log('retrying at', now());
 *   }
 *
 * In the simulator: sleep and now run on the process's own (drifting) clock
 * and follow its pauses and crashes; random is a seeded stream of this
 * process incarnation; log lines go into the trace and the report. Outside
 * it (a real etcd), {@link lockContextFor} builds one from the client's runtime.
 */
export interface LockContext {
  /** Wait `ms` on the process's local clock. */
  sleep(ms: number): Promise<void>;
  /** A float in [0, 1) from a seeded stream (the same run, the same numbers). */
  random(): number;
  /** The process's local clock (ms): drifts when its clock does. */
  now(): number;
  /** A line in the trace, shown in reports next to the lock's calls. */
  log(...parts: unknown[]): void;
}

/** A lock algorithm the explorer can test: a name and `create(client, options, context)`. */
export interface LockAlgorithm {
  readonly name: string;
  /**
   * Make this client's lock. `context` is always given by leaselab's runners
   * (explore, replay, runLockWorkload); it is optional only so that modules
   * written as `create(client, { lockName, ttlSeconds })` keep working.
   */
  create(client: Client, options: LockOptions, context?: LockContext): Lock;
}

/**
 * A LockContext from a client's runtime, for running a lock outside the
 * simulator: sleep and now on the runtime's clock, random from a small
 * seeded generator (mulberry32) so even there a seed fixes the numbers.
 */
export function lockContextFor(client: Client, options: { seed?: number; log?: (line: string) => void } = {}): LockContext {
  let state = (options.seed ?? 1) >>> 0;
  const log = options.log;
  return {
    sleep: (ms) => new Promise<void>((resolve) => client.runtime.setTimer(ms, resolve)),
    random: () => {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    now: () => client.runtime.nowMs(),
    log: (...parts) => log?.(parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ')),
  };
}

const never = new Promise<void>(() => undefined);

/** lock()'s default options, shared: the adapters pass none. */
const noCallOptions: CallOptions = {};

/** One acquisition, and the belief it carries until released or lost. */
class Holding {
  believed = true;
  // `lost` is made only when read (a runner that never watches for loss pays nothing).
  #lost: Promise<void> | undefined = undefined;
  #resolveLost: (() => void) | undefined = undefined;
  #wasLost = false;
  readonly #client: Client;
  readonly #event: { lockName: string; key: string; leaseId: LeaseId };

  constructor(client: Client, event: { lockName: string; key: string; leaseId: LeaseId }, fencingToken: number) {
    this.#client = client;
    this.#event = event;
    // Field by field, not `{ kind, ...event, fencingToken }`: keys after a spread take V8's slow path.
    client.report({ kind: 'lock-acquired', lockName: event.lockName, key: event.key, leaseId: event.leaseId, fencingToken });
  }

  /** Resolves when the holder learns it lost the lock; never, once released. */
  get lost(): Promise<void> {
    if (this.#lost === undefined) {
      if (this.#wasLost) this.#lost = Promise.resolve();
      else this.#lost = new Promise((resolve) => (this.#resolveLost = resolve));
    }
    return this.#lost;
  }

  /** The holder learned its lease is gone. */
  lose(): void {
    if (!this.believed) return;
    this.believed = false;
    this.#wasLost = true;
    const { lockName, key, leaseId } = this.#event;
    this.#client.report({ kind: 'lock-lost', lockName, key, leaseId });
    this.#resolveLost?.();
  }

  /** The holder gives it up. */
  release(): void {
    if (!this.believed) return;
    this.believed = false;
    const { lockName, key, leaseId } = this.#event;
    this.#client.report({ kind: 'lock-released', lockName, key, leaseId });
  }
}

class NaiveLockAdapter implements Lock {
  readonly #client: Client;
  readonly #lockName: string;
  readonly #lock: NaiveLock;
  #holding: Holding | undefined;

  constructor(client: Client, options: LockOptions) {
    this.#client = client;
    this.#lockName = options.lockName;
    this.#lock = new NaiveLock(client, { key: options.lockName, ttlSeconds: options.ttlSeconds });
  }

  get lost(): Promise<void> {
    return this.#holding?.lost ?? never;
  }

  async acquire(): Promise<Acquired> {
    const { fencingToken, leaseId, keepAlive } = await this.#lock.acquire();
    const holding = new Holding(this.#client, { lockName: this.#lockName, key: this.#lock.key, leaseId }, fencingToken);
    this.#holding = holding;
    void keepAlive.done.then(() => holding.lose());
    return {};
  }

  async release(): Promise<void> {
    this.#holding?.release();
    await this.#lock.release();
  }
}

class MutexLockAdapter implements Lock {
  readonly #client: Client;
  readonly #options: LockOptions;
  readonly #fenced: boolean;
  #session: Session | undefined;
  #mutex: Mutex | undefined;
  #holding: Holding | undefined;

  constructor(client: Client, options: LockOptions, fenced: boolean) {
    this.#client = client;
    this.#options = options;
    this.#fenced = fenced;
  }

  get lost(): Promise<void> {
    return this.#holding?.lost ?? never;
  }

  acquire(): Promise<Acquired> {
    const session = this.#session;
    if (session === undefined || session.isDone) return this.#acquireInNewSession();
    // The session lives: lock as callbacks, so the caller's await is the only microtask.
    const mutex = this.#mutex!;
    return new Promise((resolve, reject) =>
      mutex.lockWith(noCallOptions, {
        done: () => {
          try {
            resolve(this.#hold(session, mutex));
          } catch (error) {
            reject(error);
          }
        },
        fail: reject,
      }),
    );
  }

  async #acquireInNewSession(): Promise<Acquired> {
    const session = await Session.create(this.#client, { ttlSeconds: this.#options.ttlSeconds });
    const mutex = new Mutex(session, this.#options.lockName);
    this.#session = session;
    this.#mutex = mutex;
    await mutex.lock();
    return this.#hold(session, mutex);
  }

  /** The mutex is held: believe it, until released or the session is lost. */
  #hold(session: Session, mutex: Mutex): Acquired {
    const fencingToken = mutex.fencingToken;
    const holding = new Holding(this.#client, { lockName: this.#options.lockName, key: mutex.key, leaseId: session.leaseId }, fencingToken);
    this.#holding = holding;
    void session.done.then(() => holding.lose());
    return this.#fenced ? { fencingToken } : {};
  }

  release(): Promise<void> {
    this.#holding?.release();
    return this.#mutex === undefined ? Promise.resolve() : this.#mutex.unlock();
  }
}

/** Put-if-absent with a kept-alive lease; release deletes the key. */
export const naiveLock: LockAlgorithm = {
  name: 'naive-lock',
  create: (client, options) => new NaiveLockAdapter(client, options),
};

/** etcd 3.4's Session + Mutex, unfenced. */
export const etcdMutex: LockAlgorithm = {
  name: 'etcd-mutex',
  create: (client, options) => new MutexLockAdapter(client, options, false),
};

/** etcd 3.4's Session + Mutex, returning the lock key's create revision as the fencing token. */
export const etcdMutexFenced: LockAlgorithm = {
  name: 'etcd-mutex-fenced',
  create: (client, options) => new MutexLockAdapter(client, options, true),
};

/** The built-in algorithms, by name. */
export const builtinLockAlgorithms: readonly LockAlgorithm[] = [naiveLock, etcdMutex, etcdMutexFenced];
