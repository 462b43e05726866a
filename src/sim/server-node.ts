/**
 * The etcd server as a node on the simulated network: it hosts one store and
 * runs etcd's loops (src/store/etcd-loops.ts) on the simulator's clock: the
 * lessor's expiry sweep every 500 ms (its revokes go through this node's
 * apply path, which traces them), the watch resync every 100 ms, progress
 * notifications every 10 minutes.
 *
 * Requests arrive as messages on connections (one per process incarnation)
 * and are applied in arrival order; responses go back over the network.
 *
 * serverRestart (docs/etcd-semantics.md §7.7): the data is kept; every connection is
 * dropped (streams end with an error, requests not yet applied are lost);
 * while down, arriving messages are dropped and their connection refused (a
 * reset, so the client reconnects); on coming back up every lease is
 * promoted (deadline = now + election timeout + its full TTL), as a new
 * leader does. A message on a connection from before the restart is answered
 * with a reset, as TCP would, and the client reconnects.
 *
 * slowApply: each request waits this long before it is applied (in order).
 *
 * Every revision the server applies is traced as `kv-applied` (the keys put
 * or deleted, with create revision and lease, and the client call or lease
 * expiry that did it), from a watch on every key the node keeps on its own
 * store: the explorer judges lock ownership by it.
 */
import type { UnaryMethod } from '../client/transport.ts';
import type { Clock, RandomSource } from '../store/clock.ts';
import type { ExpiredLease } from '../store/lessor.ts';
import type { EtcdApi, EtcdMaintenance, WatchStream } from '../store/etcd-api.ts';
import { EtcdError, GrpcCode, isEtcdError, ServerStoppedError } from '../store/errors.ts';
import { type EarliestDeadline, type LessorTick, startEtcdLoops } from '../store/etcd-loops.ts';
import type { LeaseGrantResponse, LeaseId, LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest } from '../store/messages.ts';
import { type ScheduleOptions, type Scheduler, upkeepTimers } from './scheduler.ts';
import { fromUtf8 } from '../store/bytes.ts';
import type { Event } from '../store/messages.ts';
import type { AppliedCause, DropReason, KvChange, Trace } from './trace.ts';
import type { FromServer, ToServer } from './wire.ts';

/** Where a store's lease deadlines can be read and a revoke waited for (EtcdStore's lessor). */
export interface LeaseDeadlines extends EarliestDeadline {
  /** A lease's deadline, or undefined when unknown. */
  deadlineMs(id: LeaseId): number | undefined;
  /** Run `waiter` when the lease is revoked; returns how to stop waiting, or undefined for an unknown lease. */
  whenRevoked(id: LeaseId, waiter: () => void): (() => void) | undefined;
}

/** What the server node needs of a store. */
export interface ServerStore extends EtcdApi, EtcdMaintenance {
  /** Teaching mode: the server also sweeps at each lease's exact deadline (needs `lessor`). */
  readonly exactExpiry?: boolean;
  readonly lessor?: LeaseDeadlines;
}

/** Builds the store a simulated server hosts, on the clock and randomness it is given. */
export type StoreFactory = (deps: { clock: Clock; random: RandomSource }) => ServerStore;

/**
 * A cluster member's node answers through its member (src/sim/cluster/member.ts)
 * what a lone server applies at once: unary calls and keepalives go through
 * consensus, the member's lessor sweeps only while it leads, and a restart
 * promotes nothing.
 */
export interface ServerRouting {
  unary(call: RoutedCall<unknown>, method: UnaryMethod, request: unknown): void;
  keepAlive(call: RoutedCall<LeaseKeepAliveResponse>, request: LeaseKeepAliveRequest): void;
  /** The lessor's tick, instead of the lone server's sweep (src/store/etcd-loops.ts). */
  readonly lessor: LessorTick;
  /** The node came back up after a restart. */
  up(): void;
  /** Refuse a new keepalive stream at once (etcd: a require-leader stream on a member without a leader), or undefined to accept it. */
  refuseKeepAliveStream(): EtcdError | undefined;
}

/** One routed request: answer it once, or fail it (a keepalive's failure ends its stream). */
export interface RoutedCall<R> {
  readonly process: string;
  readonly incarnation: number;
  readonly callId: number;
  answer(response: R): void;
  fail(error: EtcdError): void;
}

export interface ServerNodeDeps {
  /** Set on a cluster member's node: see {@link ServerRouting}. */
  routing?: ServerRouting;
  scheduler: Scheduler;
  trace: Trace;
  store: ServerStore;
  /** Send a message to a process over the network. */
  send(to: string, message: FromServer): void;
  /** Note a message the server discarded. */
  dropped(message: ToServer, reason: DropReason): void;
}

/**
 * A keepalive stream answers in order: while one answer waits for a revoke
 * (`held`), later requests queue behind it, as etcd's one receive loop per
 * stream does.
 */
type ServerStream =
  | { service: 'watch'; watch: WatchStream }
  | { service: 'keepalive'; requireLeader?: boolean; held?: { requests: LeaseKeepAliveRequest[]; stopWaiting: () => void } | undefined };

interface Connection {
  id: number;
  process: string;
  incarnation: number;
  streams: Map<number, ServerStream>;
}

/** A request waiting for its apply time under slowApply, from the server's `life` then. */
interface DelayedApply {
  life: number;
  connection: Connection;
  callId: number;
  method: UnaryMethod;
  request: unknown;
}

/** Scheduling options of the server's own work: it runs no user code. */
const quietWork: ScheduleOptions = { quiet: true };

export class ServerNode {
  readonly store: ServerStore;
  readonly #scheduler: Scheduler;
  readonly #trace: Trace;
  readonly #send: ServerNodeDeps['send'];
  readonly #dropped: ServerNodeDeps['dropped'];
  readonly #routing: ServerRouting | undefined;
  readonly #connections = new Map<number, Connection>();
  /** Connections the server dropped when it restarted. */
  readonly #closedConnections = new Set<number>();
  #up = true;
  /** Bumped by each restart: a delayed apply from an earlier life is lost. */
  #life = 0;
  #slowApplyMs = 0;
  #lastApplyAtMs = 0;
  /** Keepalive answers a revoke released, sent once the write that revoked is done. */
  #afterRevokes: (() => void)[] = [];
  /** Events the server's own watch on every key heard, not yet traced as `kv-applied`. */
  #appliedEvents = new HeardEvents();
  /** Where #traceApplied gathers one revision's changes (reused; what it holds is in the trace anyway). */
  readonly #changesScratch: KvChange[] = [];
  /** #traceApplied calls under way (a traced event can make an aimed fault write again, inside one). */
  #tracingApplied = 0;

  constructor(deps: ServerNodeDeps) {
    this.store = deps.store;
    this.#scheduler = deps.scheduler;
    this.#trace = deps.trace;
    this.#send = deps.send;
    this.#dropped = deps.dropped;
    this.#routing = deps.routing;
    // A watch on every key (as `etcdctl watch --prefix ''` would), heard synchronously on each commit: the trace's
    // record of which revision changed which key, for whom.
    const appliedWatch = this.store.openWatchStream({
      send: (response) => {
        for (const event of response.events) this.#appliedEvents.push(event);
        return true;
      },
    });
    appliedWatch.request({ create_request: { key: new Uint8Array([0]), range_end: new Uint8Array([0]) } } as WatchRequest);
  }

  get up(): boolean {
    return this.#up;
  }

  /** Start etcd's loops (src/store/etcd-loops.ts) on the simulator's clock, as background upkeep. */
  start(): void {
    const routing = this.#routing;
    const lessor = this.store.lessor;
    startEtcdLoops(
      {
        lessor: routing?.lessor ?? { revokeExpired: () => this.#sweepExpiredLeases() },
        syncWatchers: () => this.store.syncWatchers(),
        notifyWatchProgress: () => this.store.notifyWatchProgress(),
        running: () => this.#up,
        exactExpiry: routing === undefined && this.store.exactExpiry === true ? lessor : undefined,
      },
      upkeepTimers(this.#scheduler),
    );
  }

  /** The network hands the server a message. */
  deliver(message: ToServer): void {
    if (!this.#up) {
      this.#dropped(message, 'server-down');
      // Nothing listens while down: the connection is refused (as TCP answers), so the client reconnects later.
      if (message.type !== 'disconnect' && !this.#closedConnections.has(message.connection)) {
        this.#closedConnections.add(message.connection);
        this.#send(message.process, { type: 'reset', incarnation: message.incarnation, connection: message.connection, error: new ServerStoppedError() });
      }
      return;
    }
    const connection = this.#connection(message);
    if (connection === undefined) return;
    switch (message.type) {
      case 'unary':
        return this.#unary(connection, message.callId, message.method, message.request);
      case 'stream-open':
        return this.#openStream(connection, message.streamId, message.service, message.requireLeader === true);
      case 'stream-send':
        return this.#streamRequest(connection, message.streamId, message.request);
      case 'stream-close': {
        const stream = connection.streams.get(message.streamId);
        connection.streams.delete(message.streamId);
        if (stream !== undefined) closeStream(stream);
        return;
      }
      case 'disconnect':
        return this.#close(connection);
    }
  }

  /** Restart: drop every connection, go down for `downMs`, come back promoting every lease. */
  restart(downMs: number): void {
    this.goDown();
    this.#scheduler.after(downMs, () => this.comeUp(), { quiet: true });
  }

  /** Go down (a crashed member): every connection dropped, messages refused until comeUp(). */
  goDown(): void {
    for (const connection of [...this.#connections.values()]) {
      this.#send(connection.process, { type: 'reset', incarnation: connection.incarnation, connection: connection.id, error: new ServerStoppedError() });
      this.#close(connection);
      this.#closedConnections.add(connection.id);
    }
    this.#up = false;
    this.#life++;
    this.#lastApplyAtMs = 0;
  }

  /** Come back up: a lone server promotes every lease (as a new leader does); a member's routing takes over. */
  comeUp(): void {
    this.#up = true;
    if (this.#routing !== undefined) return this.#routing.up();
    this.store.promoteLeases();
    this.#trace.record({ kind: 'server-up', atMs: this.#scheduler.nowMs(), leases: this.store.leaseLeases({}).leases.length });
  }

  /**
   * A message on this connection was lost (partition or loss). TCP never
   * skips a segment: a connection that lost one is dead. The server forgets
   * it (later messages on it are answered with a reset). Returns false when
   * it was already gone.
   */
  breakConnection(connectionId: number): boolean {
    if (this.#closedConnections.has(connectionId)) return false;
    const connection = this.#connections.get(connectionId);
    if (connection !== undefined) this.#close(connection);
    this.#closedConnections.add(connectionId);
    return true;
  }

  /** Wait `delayMs` before applying each request (0: apply on arrival). */
  setSlowApply(delayMs: number): void {
    this.#slowApplyMs = Math.max(0, delayMs);
  }

  /** A cluster member applied an entry: trace what it changed as `kv-applied` (`cause`), or forget it (another member traced it). */
  recordApplied(cause: AppliedCause | undefined, onlyRevision?: number): void {
    if (cause === undefined) this.#forgetApplied();
    else if (this.#appliedEvents.size > 0) this.#traceApplied(cause, onlyRevision);
  }

  /** End every open require-leader keepalive stream with `error` (etcd cancels them when the member has had no leader for a while). */
  endKeepAliveStreams(error: EtcdError): void {
    for (const connection of this.#connections.values())
      for (const [streamId, stream] of [...connection.streams]) {
        if (stream.service !== 'keepalive' || stream.requireLeader !== true) continue;
        connection.streams.delete(streamId);
        this.#send(connection.process, { type: 'stream-end', incarnation: connection.incarnation, connection: connection.id, streamId, error });
      }
  }

  #routedCall(connection: Connection, callId: number): RoutedCall<unknown> {
    let settled = false;
    const live = () => !settled && this.#up && this.#connections.get(connection.id) === connection;
    return {
      process: connection.process,
      incarnation: connection.incarnation,
      callId,
      answer: (response) => {
        if (live()) this.#send(connection.process, { type: 'unary-ok', incarnation: connection.incarnation, connection: connection.id, callId, response });
        settled = true;
      },
      fail: (error) => {
        if (live()) this.#send(connection.process, { type: 'unary-error', incarnation: connection.incarnation, connection: connection.id, callId, error });
        settled = true;
      },
    };
  }

  #routedKeepAlive(connection: Connection, streamId: number): RoutedCall<LeaseKeepAliveResponse> {
    const live = () => this.#up && this.#connections.get(connection.id) === connection && connection.streams.has(streamId);
    return {
      process: connection.process,
      incarnation: connection.incarnation,
      callId: streamId,
      answer: (response) => {
        if (!live()) return;
        if (response.TTL > 0) this.#trace.record({ kind: 'lease-renewed', atMs: this.#scheduler.nowMs(), leaseId: response.ID, ttlSeconds: response.TTL });
        this.#send(connection.process, { type: 'stream-message', incarnation: connection.incarnation, connection: connection.id, streamId, response });
      },
      fail: (error) => {
        if (!live()) return;
        connection.streams.delete(streamId);
        this.#send(connection.process, { type: 'stream-end', incarnation: connection.incarnation, connection: connection.id, streamId, error });
      },
    };
  }

  #connection(message: ToServer): Connection | undefined {
    const known = this.#connections.get(message.connection);
    if (known !== undefined) return known;
    if (this.#closedConnections.has(message.connection)) {
      this.#dropped(message, 'stale-connection');
      if (message.type !== 'disconnect')
        this.#send(message.process, { type: 'reset', incarnation: message.incarnation, connection: message.connection, error: new ServerStoppedError() });
      return undefined;
    }
    if (message.type === 'disconnect') return undefined;
    const connection: Connection = { id: message.connection, process: message.process, incarnation: message.incarnation, streams: new Map() };
    this.#connections.set(connection.id, connection);
    return connection;
  }

  #close(connection: Connection): void {
    for (const stream of connection.streams.values()) closeStream(stream);
    connection.streams.clear();
    this.#connections.delete(connection.id);
  }

  #unary(connection: Connection, callId: number, method: UnaryMethod, request: unknown): void {
    if (this.#routing !== undefined) return this.#routing.unary(this.#routedCall(connection, callId), method, request);
    const nowMs = this.#scheduler.nowMs();
    if (this.#slowApplyMs === 0 && this.#lastApplyAtMs <= nowMs) return this.#apply(connection, callId, method, request);
    const life = this.#life;
    const applyAtMs = Math.max(nowMs + this.#slowApplyMs, this.#lastApplyAtMs);
    this.#lastApplyAtMs = applyAtMs;
    this.#scheduler.atWith(applyAtMs, this.#applyDelayed, { life, connection, callId, method, request }, quietWork);
  }

  /** A request slowApply delayed (one function for all of them: no closure per request); lost if the server restarted or dropped its connection meanwhile. */
  readonly #applyDelayed = (delayed: DelayedApply): void => {
    if (this.#life === delayed.life && this.#connections.get(delayed.connection.id) === delayed.connection)
      this.#apply(delayed.connection, delayed.callId, delayed.method, delayed.request);
  };

  #apply(connection: Connection, callId: number, method: UnaryMethod, request: unknown): void {
    let response: unknown;
    try {
      response = (this.store[method] as (request: unknown) => unknown).call(this.store, request);
    } catch (error) {
      if (!isEtcdError(error)) throw error;
      return this.#send(connection.process, { type: 'unary-error', incarnation: connection.incarnation, connection: connection.id, callId, error });
    } finally {
      if (this.#appliedEvents.size > 0)
        this.#traceApplied({ kind: 'request', process: connection.process, incarnation: connection.incarnation, callId, method });
      this.#answerAfterRevokes();
    }
    if (method === 'leaseGrant') {
      const granted = response as LeaseGrantResponse;
      this.#trace.record({
        kind: 'lease-granted',
        atMs: this.#scheduler.nowMs(),
        leaseId: granted.ID,
        ttlSeconds: granted.TTL,
        process: connection.process,
        incarnation: connection.incarnation,
      });
    }
    this.#send(connection.process, { type: 'unary-ok', incarnation: connection.incarnation, connection: connection.id, callId, response });
  }

  #openStream(connection: Connection, streamId: number, service: 'watch' | 'keepalive', requireLeader: boolean): void {
    const refused = service === 'keepalive' && requireLeader ? this.#routing?.refuseKeepAliveStream() : undefined;
    if (refused !== undefined) {
      connection.streams.set(streamId, { service: 'keepalive' });
      return this.#routedKeepAlive(connection, streamId).fail(refused);
    }
    if (service === 'keepalive') {
      connection.streams.set(streamId, requireLeader ? { service, requireLeader } : { service });
      return;
    }
    const watch = this.store.openWatchStream({
      send: (response) => {
        this.#send(connection.process, { type: 'stream-message', incarnation: connection.incarnation, connection: connection.id, streamId, response });
        return true;
      },
    });
    connection.streams.set(streamId, { service, watch });
  }

  #streamRequest(connection: Connection, streamId: number, request: unknown): void {
    const stream = connection.streams.get(streamId);
    if (stream === undefined) {
      // Its open was lost: end it, as gRPC resets an unknown stream.
      return this.#send(connection.process, {
        type: 'stream-end',
        incarnation: connection.incarnation,
        connection: connection.id,
        streamId,
        error: new EtcdError(GrpcCode.UNAVAILABLE, 'stream reset'),
      });
    }
    try {
      if (stream.service === 'watch') stream.watch.request(request as WatchRequest);
      else if (this.#routing !== undefined) this.#routing.keepAlive(this.#routedKeepAlive(connection, streamId), request as LeaseKeepAliveRequest);
      else this.#keepAlive(connection, streamId, stream, request as LeaseKeepAliveRequest);
    } catch (error) {
      if (!isEtcdError(error)) throw error;
      connection.streams.delete(streamId);
      closeStream(stream);
      this.#send(connection.process, { type: 'stream-end', incarnation: connection.incarnation, connection: connection.id, streamId, error });
    }
  }

  /**
   * One keepalive. For a lease past its deadline but not yet revoked, etcd's
   * Renew waits until the revoke is applied (lease/lessor.go Renew), then
   * answers TTL 0 with the header taken before the wait: the answer is held
   * until the lessor revokes it (its next sweep, or a LeaseRevoke), and
   * later requests on the stream wait behind it.
   */
  #keepAlive(connection: Connection, streamId: number, stream: ServerStream & { service: 'keepalive' }, request: LeaseKeepAliveRequest): void {
    if (stream.held !== undefined) {
      stream.held.requests.push(request);
      return;
    }
    const lessor = this.store.lessor;
    const deadlineMs = lessor?.deadlineMs(request.ID ?? 0n);
    const response = this.store.leaseKeepAlive(request);
    if (response.TTL > 0) this.#trace.record({ kind: 'lease-renewed', atMs: this.#scheduler.nowMs(), leaseId: response.ID, ttlSeconds: response.TTL });
    else if (
      lessor !== undefined &&
      deadlineMs !== undefined &&
      deadlineMs <= this.#scheduler.nowMs() &&
      this.#answerWhenRevoked(connection, streamId, stream, lessor, response)
    )
      return;
    this.#answerKeepAlive(connection, streamId, response);
  }

  /** Hold a TTL-0 answer until its lease's revoke is done (see #keepAlive); false when the lease is unknown (answer now). */
  #answerWhenRevoked(
    connection: Connection,
    streamId: number,
    stream: ServerStream & { service: 'keepalive' },
    lessor: LeaseDeadlines,
    response: LeaseKeepAliveResponse,
  ): boolean {
    const held: LeaseKeepAliveRequest[] = [];
    // Told inside the revoke; answered once the sweep or LeaseRevoke that revoked it is done.
    const stopWaiting = lessor.whenRevoked(response.ID, () =>
      this.#afterRevokes.push(() => {
        stream.held = undefined;
        // A stream or connection closed meanwhile has nobody to answer.
        if (this.#connections.get(connection.id) !== connection || connection.streams.get(streamId) !== stream) return;
        this.#answerKeepAlive(connection, streamId, response);
        for (const next of held) {
          if (connection.streams.get(streamId) !== stream) return;
          this.#streamRequest(connection, streamId, next);
        }
      }),
    );
    if (stopWaiting === undefined) return false;
    stream.held = { requests: held, stopWaiting };
    return true;
  }

  #answerKeepAlive(connection: Connection, streamId: number, response: LeaseKeepAliveResponse): void {
    this.#send(connection.process, { type: 'stream-message', incarnation: connection.incarnation, connection: connection.id, streamId, response });
  }

  /**
   * One pass of the lessor's loop. The trace gets each lease the sweep
   * revoked with the store revision after its revoke (a lease without keys
   * makes none), then the revisions the revokes made.
   */
  #sweepExpiredLeases(): void {
    const revisionBefore = this.store.currentRevision();
    const expired = this.store.sweepExpiredLeases();
    try {
      if (expired.length > 0) this.#traceExpired(revisionBefore, expired);
    } finally {
      // Also answers released by a revoke made outside a request (a test calling the store).
      this.#answerAfterRevokes();
    }
  }

  #traceExpired(revisionBefore: number, expired: readonly ExpiredLease[]): void {
    // Events heard while these are recorded are not traced (they go to a queue dropped after).
    const appliedEvents = this.#appliedEvents;
    this.#appliedEvents = new HeardEvents();
    const leaseOfRevision = new Map<number, LeaseId>();
    let revision = revisionBefore;
    for (const lease of expired) {
      if (lease.revision !== undefined) leaseOfRevision.set((revision = lease.revision), lease.id);
      this.#trace.record({ kind: 'lease-expired', atMs: this.#scheduler.nowMs(), leaseId: lease.id, revision });
    }
    this.#appliedEvents = appliedEvents;
    while (this.#appliedEvents.size > 0) {
      const applied = this.#appliedEvents.first().kv.mod_revision;
      this.#traceApplied({ kind: 'lease-expiry', leaseId: leaseOfRevision.get(applied) ?? 0n }, applied);
    }
  }

  /** Send the keepalive answers that revokes released (held requests behind them may wait again). */
  #answerAfterRevokes(): void {
    while (this.#afterRevokes.length > 0) {
      const answers = this.#afterRevokes;
      this.#afterRevokes = [];
      for (const answer of answers) answer();
    }
  }

  /** Trace the events heard (all of them, or those of one revision) as `kv-applied`, one per revision. */
  #traceApplied(cause: AppliedCause, onlyRevision?: number): void {
    const heard = this.#appliedEvents;
    const events = heard.items;
    let index = heard.from;
    this.#tracingApplied++;
    while (index < heard.end) {
      const revision = events[index]!.kv.mod_revision;
      if (onlyRevision !== undefined && revision !== onlyRevision) break;
      const scratch = this.#changesScratch;
      let count = 0;
      for (; index < heard.end && events[index]!.kv.mod_revision === revision; index++) {
        const { type, kv } = events[index]!;
        const key = fromUtf8(kv.key);
        if (type === 'DELETE') {
          scratch[count++] = { type: 'delete', key };
          continue;
        }
        const change: KvChange = { type: 'put', key, createRevision: kv.create_revision, version: kv.version, value: tracedValue(kv.value) };
        if (kv.lease !== 0n) change.lease = kv.lease;
        scratch[count++] = change;
      }
      // The trace keeps the list: an exact-size copy (one grown by push would keep room for 17).
      const changes = scratch.slice(0, count);
      this.#trace.record({ kind: 'kv-applied', atMs: this.#scheduler.nowMs(), revision, changes, cause });
    }
    this.#tracingApplied--;
    // Reuse the queue unless a call outside this one is still reading it (or a nested one replaced it).
    if (this.#tracingApplied === 0 && this.#appliedEvents === heard) heard.consumedTo(index);
    else this.#appliedEvents = heard.remainder(index);
  }

  #forgetApplied(): void {
    if (this.#tracingApplied === 0) this.#appliedEvents.clear();
    else this.#appliedEvents = new HeardEvents();
  }
}

/**
 * Watch events heard and not yet traced, from `from` to `end` of `items`: one array reused write after write
 * (emptying an array by `length = 0` or replacing it costs a new backing store per write).
 */
class HeardEvents {
  readonly items: (Event | undefined)[] = [];
  from = 0;
  end = 0;

  get size(): number {
    return this.end - this.from;
  }

  push(event: Event): void {
    if (this.end === this.items.length) this.items.push(event);
    else this.items[this.end] = event;
    this.end++;
  }

  first(): Event {
    return this.items[this.from]!;
  }

  /** A new queue with those from `index` on. */
  remainder(index: number): HeardEvents {
    const rest = new HeardEvents();
    for (let i = index; i < this.end; i++) rest.push(this.items[i]!);
    return rest;
  }

  /** Those before `index` are traced. */
  consumedTo(index: number): void {
    if (index === this.end) return this.clear();
    for (let i = this.from; i < index; i++) this.items[i] = undefined;
    this.from = index;
  }

  clear(): void {
    for (let i = this.from; i < this.end; i++) this.items[i] = undefined;
    this.from = 0;
    this.end = 0;
  }
}

/** A stream ends: a watch's watchers go; a keepalive waiting for a revoke stops waiting. */
function closeStream(stream: ServerStream): void {
  if (stream.service === 'watch') stream.watch.close();
  else {
    stream.held?.stopWaiting();
    stream.held = undefined;
  }
}

/** Values in the trace's kv-applied events are cut to this many characters. */
const tracedValueCharsMax = 40;

function tracedValue(bytes: Uint8Array): string {
  const value = fromUtf8(bytes);
  return value.length > tracedValueCharsMax ? `${value.slice(0, tracedValueCharsMax - 1)}…` : value;
}
