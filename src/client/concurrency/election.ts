/**
 * Election: etcd's leader election recipe as etcd 3.4 writes it
 * (clientv3/concurrency/election.go, docs/etcd-semantics.md §8.3).
 *
 *   const e = new Election(session, '/leader');        // prefix '/leader/'
 *   await e.campaign('node-a');   // key '/leader/<lease hex>' = 'node-a'; waits behind older candidates
 *   await e.proclaim('node-a v2');// put, guarded by create_revision(key) == rev
 *   (await e.leader()).kvs[0]     // the oldest key under the prefix
 *   const o = e.observe((r) => …) // the leader now, every change of its value, each next leader
 *   await e.resign();             // delete, guarded the same way
 *
 * As in etcd (3.4 and 3.5), campaign() does not check after waiting that its
 * own key still exists, so it can return after the session died.
 */
import type { Event, RangeResponse, ResponseHeader } from '../../store/messages.ts';
import type { Client } from '../client.ts';
import { ElectionNoLeaderError, ElectionNotLeaderError } from '../errors.ts';
import { compare, firstCreate, op, type CallOptions } from '../kv.ts';
import type { Watcher } from '../watch.ts';
import { leaseHex, waitDeletes } from './mutex.ts';
import type { Session } from './session.ts';

/** A running observe(): stop it, or wait for it to end (on error or stop). */
export interface Observation {
  /** Resolves when observing stopped: with the error that ended it, or undefined after stop(). */
  readonly done: Promise<Error | undefined>;
  stop(): void;
}

/** concurrency.Election as etcd 3.4 writes it: campaign, proclaim, resign, leader, observe. */
export class Election {
  readonly session: Session;
  readonly prefix: string;
  #leaderKey = '';
  #leaderRev = -1;
  #leaderSession: Session | undefined;
  #header: ResponseHeader | undefined;

  constructor(session: Session, prefix: string) {
    this.session = session;
    this.prefix = `${prefix}/`;
  }

  /** concurrency.ResumeElection: an election already won elsewhere (prefix used as given). */
  static resume(session: Session, prefix: string, leaderKey: string, leaderRev: number): Election {
    const election = new Election(session, '');
    (election as { prefix: string }).prefix = prefix;
    election.#leaderKey = leaderKey;
    election.#leaderRev = leaderRev;
    election.#leaderSession = session;
    return election;
  }

  /** This candidate's key ('' when not leader). */
  get key(): string {
    return this.#leaderKey;
  }

  /** The key's create revision: usable as a fencing token. */
  get rev(): number {
    return this.#leaderRev;
  }

  get header(): ResponseHeader | undefined {
    return this.#header;
  }

  /**
   * Become a candidate with `value` and wait until elected. If the session
   * already has a key here with another value, proclaims `value`. On a failed
   * wait the candidacy is forgotten (the key stays until the session ends).
   */
  async campaign(value: string, options: CallOptions = {}): Promise<void> {
    const client = this.session.client;
    const key = `${this.prefix}${leaseHex(this.session.leaseId)}`;
    const response = await client
      .txn()
      .if(compare.createRevision(key, '=', 0))
      .then(op.put(key, value, { lease: this.session.leaseId }))
      .else(op.get(key))
      .commit(options);
    this.#leaderKey = key;
    this.#leaderRev = response.header.revision;
    this.#leaderSession = this.session;
    if (!response.succeeded) {
      const kv = response.responses[0]?.response_range?.kvs[0];
      if (kv === undefined) throw new Error(`election: txn failed but ${key} is missing`);
      this.#leaderRev = kv.create_revision;
      if (new TextDecoder().decode(kv.value) !== value) {
        try {
          await this.proclaim(value, options);
        } catch (error) {
          await this.resign(options).catch(() => undefined);
          throw error;
        }
      }
    }
    try {
      await waitDeletes(client, this.prefix, this.#leaderRev - 1, options);
    } catch (error) {
      this.#leaderSession = undefined;
      throw error;
    }
    this.#header = response.header;
  }

  /**
   * Change the leader's value without a new election.
   * @throws ElectionNotLeaderError when not leader (or no longer: the key was re-created or deleted).
   */
  async proclaim(value: string, options: CallOptions = {}): Promise<void> {
    const leaderSession = this.#leaderSession;
    if (leaderSession === undefined) throw new ElectionNotLeaderError();
    const response = await this.session.client
      .txn()
      .if(compare.createRevision(this.#leaderKey, '=', this.#leaderRev))
      .then(op.put(this.#leaderKey, value, { lease: leaderSession.leaseId }))
      .commit(options);
    if (!response.succeeded) {
      this.#leaderKey = '';
      throw new ElectionNotLeaderError();
    }
    this.#header = response.header;
  }

  /** Give up leadership (a no-op when not leader): delete the key if it is still ours. */
  async resign(options: CallOptions = {}): Promise<void> {
    if (this.#leaderSession === undefined) return;
    try {
      const response = await this.session.client
        .txn()
        .if(compare.createRevision(this.#leaderKey, '=', this.#leaderRev))
        .then(op.delete(this.#leaderKey))
        .commit(options);
      this.#header = response.header;
    } finally {
      this.#leaderKey = '';
      this.#leaderSession = undefined;
    }
  }

  /**
   * The current leader: the oldest key under the prefix.
   * @throws ElectionNoLeaderError when there is none.
   */
  async leader(options: CallOptions = {}): Promise<RangeResponse> {
    const response = await this.session.client.get(this.prefix, Object.assign({}, firstCreate, options));
    if (response.kvs.length === 0) throw new ElectionNoLeaderError();
    return response;
  }

  /**
   * Follow the leadership (Go's Observe): `onLeader` gets the current leader
   * (waiting for one if there is none), each new value it proclaims, and
   * after it goes, the next leader. Ends on the first error (or stop()).
   */
  observe(onLeader: (leader: RangeResponse) => void, options: CallOptions = {}): Observation {
    const client = this.session.client;
    let stopped = false;
    let current: Watcher | undefined;
    let resolveDone!: (error: Error | undefined) => void;
    const done = new Promise<Error | undefined>((resolve) => (resolveDone = resolve));
    const emit = (leader: RangeResponse) => {
      if (!stopped) onLeader(leader);
    };

    const run = async (): Promise<void> => {
      while (!stopped) {
        const response = await client.get(this.prefix, Object.assign({}, firstCreate, options));
        if (stopped) return;
        let leader = response.kvs[0];
        let header = response.header;
        if (leader === undefined) {
          // Wait for the first put under the prefix (a delete would make observe spin).
          const put = await watchUntil(client, this.prefix, { prefix: true, revision: response.header.revision }, (update) => {
            const event = update.events.find((e) => e.type === 'PUT');
            return event === undefined ? undefined : { header: Object.assign({}, update.header, { revision: event.kv.mod_revision }), kv: event.kv };
          });
          if (stopped) return;
          leader = put.kv;
          header = put.header;
        }
        emit({ header, kvs: [leader], more: false, count: 1 });
        // Follow the leader key until it is deleted, reporting each new value.
        await watchUntil(client, new TextDecoder().decode(leader.key), { revision: header.revision + 1 }, (update) => {
          for (const event of update.events) {
            if (event.type === 'DELETE') return true;
            emit({ header: update.header, kvs: [event.kv], more: false, count: 1 });
          }
          return undefined;
        });
      }
    };

    /** Watch until `step` returns a value; the watcher is kept in `current` so stop() can cancel it. */
    const watchUntil = <T>(
      watchClient: Client,
      key: string,
      watchOptions: { prefix?: boolean; revision: number },
      step: (update: { header: ResponseHeader; events: Event[] }) => T | undefined,
    ): Promise<T> =>
      new Promise<T>((resolve, reject) => {
        const watcher = watchClient.watch(key, watchOptions, (update) => {
          if (update.kind === 'canceled') {
            reject(update.error);
            return;
          }
          if (update.kind !== 'events') return;
          const result = step(update);
          if (result !== undefined) {
            watcher.cancel();
            resolve(result);
          }
        });
        current = watcher;
        if (stopped) watcher.cancel();
      });

    run().then(
      () => resolveDone(undefined),
      (error: unknown) => resolveDone(error instanceof Error ? error : new Error(String(error))),
    );
    return {
      done,
      stop: () => {
        if (stopped) return;
        stopped = true;
        current?.cancel();
        resolveDone(undefined);
      },
    };
  }
}
