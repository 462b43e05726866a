/**
 * An etcd v3 client over a Transport, shaped like Go's clientv3: KV, Lease
 * (with the keepalive loop) and Watch on one object.
 *
 *   const client = new Client({ transport, runtime });
 *   const { ID } = await client.grant(10);                  // LeaseGrantResponse
 *   await client.put('k', 'v', { lease: ID });
 *   const keepAlive = client.keepAlive(ID);                 // renews every TTL/3
 *   (await client.get('k')).kvs[0]?.value                   // utf8('v')
 *   await client.txn().if(compare.value('k', '=', 'v')).then(op.delete('k')).commit();
 *
 * Every unary call has a deadline on the runtime's clock (callTimeoutMs,
 * 5 s unless set, or per call `{ timeoutMs }`). A call ends one of three
 * ways, reported to the observer as {kind:'call'} then {kind:'return'}:
 *   ok      the response;
 *   error   an EtcdError: the server refused, nothing changed;
 *   unknown CallTimeoutError (deadline passed), ClientClosedError (closed
 *           while in flight) or a transport failure: it may have been applied.
 */
import { fromUtf8 } from '../store/bytes.ts';
import { type Linked, LinkedList } from '../store/linked-list.ts';
import { isEtcdError, LeaseNotFoundError } from '../store/errors.ts';
import type {
  CompactionResponse,
  DeleteRangeResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseId,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  PutResponse,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from '../store/messages.ts';
import { CallTimeoutError, ClientClosedError, isIndeterminateEtcdError, StreamEndedError } from './errors.ts';
import type { CallOutcome, ClientEvent, ClientObserver, WatchEventSummary } from './events.ts';
import {
  deleteRequest,
  getRequest,
  putRequest,
  TxnBuilder,
  type CallOptions,
  type DeleteOptions,
  type GetOptions,
  type KeyLike,
  type PutOptions,
} from './kv.ts';
import { KeepAliveLoop, type KeepAliveHandle } from './lease.ts';
import { armTimer, type ClientRuntime, settledNothing, type TimerHandle } from './runtime.ts';
import type { CallHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from './transport.ts';
import { WatchManager, watchCreateRequest, type WatchHandler, type WatchOptions, type Watcher } from './watch.ts';

/** A call's deadline unless the client or the call sets one. */
export const defaultCallTimeoutMs = 5000;

/** Options of {@link Client}: how it reaches etcd, its clock, its deadline and who observes it. */
export interface ClientOptions {
  transport: Transport;
  /** The client's clock and timers (a simulated process's drifting clock, or `realRuntime`). */
  runtime: ClientRuntime;
  /** @defaultValue 5000 */
  callTimeoutMs?: number;
  /** Told of every call, keepalive and lock belief (src/client/events.ts). */
  observer?: ClientObserver;
}

/** Options of {@link Client.compact}. */
export interface CompactOptions extends CallOptions {
  physical?: boolean;
}

/** Options of {@link Client.timeToLive}. */
export interface TimeToLiveOptions extends CallOptions {
  /** Also list the keys attached to the lease. */
  keys?: boolean;
}

/** Something a tracked call runs: the answer, and what to tidy once it settles either way. */
interface Attempt<T> {
  promise: Promise<T>;
  cleanup?: () => void;
}

/** How a call that failed ended: `error` when etcd refused it (nothing changed), `unknown` when it may have been applied. */
function failedOutcome(error: unknown): CallOutcome {
  return isEtcdError(error) && !isIndeterminateEtcdError(error) ? 'error' : 'unknown';
}

type Settle = (call: TrackedCall, outcome: CallOutcome, response: unknown, error: unknown) => unknown;

/**
 * A tracked call until it settles (once: ok, error or unknown). It is also the
 * transport's handlers of a callWith call, so an answer settles it at once.
 * It answers either a promise (resolve/reject) or the caller's own handlers.
 */
class TrackedCall implements CallHandlers<unknown>, Linked<TrackedCall> {
  readonly callId: number;
  readonly method: string;
  settled = false;
  prev: TrackedCall | undefined = undefined;
  next: TrackedCall | undefined = undefined;
  linked = false;
  /** Its deadline's timer, and the timeout it was armed with (for the error). */
  deadline: TimerHandle | undefined = undefined;
  timeoutMs = 0;
  cleanup: (() => void) | undefined = undefined;
  resolve: ((response: unknown) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  answer: CallHandlers<unknown> | undefined = undefined;
  readonly #settle: Settle;

  constructor(callId: number, method: string, settle: Settle) {
    this.callId = callId;
    this.method = method;
    this.#settle = settle;
  }

  ok(response: unknown): unknown {
    return this.#settle(this, 'ok', response, undefined);
  }

  fail(error: unknown): unknown {
    return this.#settle(this, failedOutcome(error), undefined, error);
  }

  /** Its deadline passed unanswered: the outcome is unknown. */
  expire(): unknown {
    return this.#settle(this, 'unknown', undefined, new CallTimeoutError(this.method, this.timeoutMs));
  }
}

/** Every call's deadline timer runs this with the call (no closure per call). */
function expireCall(call: TrackedCall): unknown {
  return call.expire();
}

/** A watch the observer is told of: canceling it reports its end (once), as the server ending it does. */
class ObservedWatcher implements Watcher {
  inner!: Watcher;
  ended = false;
  readonly #client: Client;
  readonly #watchNo: number;

  constructor(client: Client, watchNo: number) {
    this.#client = client;
    this.#watchNo = watchNo;
  }

  get created(): Promise<ResponseHeader | undefined> {
    return this.inner.created;
  }

  get done(): Promise<void> {
    return this.inner.done;
  }

  cancel(): void {
    if (!this.ended) {
      this.ended = true;
      this.#client.report({ kind: 'watch-ended', watchNo: this.#watchNo, reason: 'canceled by the caller' });
    }
    this.inner.cancel();
  }
}

/** leaselab's etcd client (clientv3's shape): KV, txn, compaction, leases with keepalive, and watch over a {@link Transport}. */
export class Client {
  readonly transport: Transport;
  readonly runtime: ClientRuntime;
  readonly callTimeoutMs: number;
  readonly #observer: ClientObserver | undefined;
  readonly #keepAlives: KeepAliveLoop;
  readonly #watches: WatchManager;
  /** Calls in flight: close() ends them. */
  readonly #inFlight = new LinkedList<TrackedCall>();
  #nextCallId = 1;
  #watchCount = 0;
  #closed = false;
  /** Settles a tracked call (one closure per client, shared by its calls). */
  readonly #settleCall: Settle = (call, outcome, response, error) => this.#settle(call, outcome, response, error);

  constructor(options: ClientOptions) {
    this.transport = options.transport;
    this.runtime = options.runtime;
    this.callTimeoutMs = options.callTimeoutMs ?? defaultCallTimeoutMs;
    this.#observer = options.observer;
    this.#keepAlives = new KeepAliveLoop(this.transport, this.runtime, (event) => this.report(event));
    this.#watches = new WatchManager(this.transport, this.runtime);
  }

  /** Whether close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Hand an event to the observer. The recipes and lock algorithms report their beliefs through this. */
  report(event: ClientEvent): void {
    this.#observer?.(event);
  }

  // ---------------------------------------------------------------- KV

  /** Range (clientv3 Get). */
  get(key: KeyLike, options: GetOptions = {}): Promise<RangeResponse> {
    return this.call('range', getRequest(key, options), options);
  }

  put(key: KeyLike, value: KeyLike, options: PutOptions = {}): Promise<PutResponse> {
    return this.call('put', putRequest(key, value, options), options);
  }

  /** DeleteRange (clientv3 Delete). */
  delete(key: KeyLike, options: DeleteOptions = {}): Promise<DeleteRangeResponse> {
    return this.call('deleteRange', deleteRequest(key, options), options);
  }

  /** A txn builder (`.if().then().else().commit()`), or, given a TxnRequest, that txn sent as is. */
  txn(): TxnBuilder;
  txn(request: TxnRequest, options?: CallOptions): Promise<TxnResponse>;
  txn(request?: TxnRequest, options: CallOptions = {}): TxnBuilder | Promise<TxnResponse> {
    if (request === undefined) return new TxnBuilder((built, callOptions) => this.call('txn', built, callOptions));
    return this.call('txn', request, options);
  }

  compact(revision: number, options: CompactOptions = {}): Promise<CompactionResponse> {
    return this.call('compact', options.physical === true ? { revision, physical: true } : { revision }, options);
  }

  // ---------------------------------------------------------------- Lease

  /** LeaseGrant; `id` 0 or absent lets the server choose. The granted TTL is at least etcd's minimum (2 s by default). */
  grant(ttlSeconds: number, id?: LeaseId, options: CallOptions = {}): Promise<LeaseGrantResponse> {
    const request: LeaseGrantRequest = { TTL: ttlSeconds };
    if (id !== undefined && id !== 0n) request.ID = id;
    return this.call('leaseGrant', request, options);
  }

  revoke(id: LeaseId, options: CallOptions = {}): Promise<LeaseRevokeResponse> {
    return this.call('leaseRevoke', { ID: id }, options);
  }

  /** TTL -1 (no error) for an unknown lease, as in etcd. */
  timeToLive(id: LeaseId, options: TimeToLiveOptions = {}): Promise<LeaseTimeToLiveResponse> {
    return this.call('leaseTimeToLive', options.keys === true ? { ID: id, keys: true } : { ID: id }, options);
  }

  leases(options: CallOptions = {}): Promise<LeaseLeasesResponse> {
    return this.call('leaseLeases', {}, options);
  }

  /**
   * One keepalive round on a stream of its own (clientv3 KeepAliveOnce).
   * @throws LeaseNotFoundError when the server answers TTL <= 0, as clientv3 does.
   */
  keepAliveOnce(id: LeaseId, options: CallOptions = {}): Promise<LeaseKeepAliveResponse> {
    return this.#track('leaseKeepAlive', { ID: id }, options, () => {
      let resolve!: (response: LeaseKeepAliveResponse) => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<LeaseKeepAliveResponse>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const stream = this.transport.openKeepAlive({
        message: (response) => {
          this.report({ kind: 'keepalive-answered', leaseId: response.ID, ttlSeconds: response.TTL });
          if (response.TTL <= 0) reject(new LeaseNotFoundError());
          else resolve(response);
        },
        end: (error) => reject(error ?? new StreamEndedError('lease keepalive')),
      });
      this.report({ kind: 'keepalive-sent', leaseId: id });
      stream.send({ ID: id });
      return { promise, cleanup: () => stream.close() };
    });
  }

  /**
   * Keep a lease alive in the background until it is lost or stopped
   * (clientv3 KeepAlive; the loop is described in src/client/lease.ts).
   * @throws LeaseKeepAliveHaltedError after close().
   */
  keepAlive(id: LeaseId): KeepAliveHandle {
    return this.#keepAlives.keepAlive(id);
  }

  // ---------------------------------------------------------------- Watch

  /** Watch a key or range; `handler` gets events in revision order (src/client/watch.ts). */
  watch(key: KeyLike, options: WatchOptions, handler: WatchHandler): Watcher {
    const request = watchCreateRequest(key, options);
    if (this.#observer === undefined) return this.#watches.watchRequest(request, handler);
    // Observed: the trace learns of the watch, each batch of events and its end.
    const watchNo = ++this.#watchCount;
    this.report({
      kind: 'watch-started',
      watchNo,
      key: fromUtf8(request.key!),
      rangeEnd: request.range_end === undefined ? undefined : fromUtf8(request.range_end),
    });
    const observed = new ObservedWatcher(this, watchNo);
    observed.inner = this.#watches.watchRequest(request, (update) => {
      if (update.kind === 'events') {
        const events: WatchEventSummary[] = update.events.map((event) => ({
          type: event.type === 'DELETE' ? 'DELETE' : 'PUT',
          key: fromUtf8(event.kv.key),
          modRevision: event.kv.mod_revision,
        }));
        this.report({ kind: 'watch-events', watchNo, revision: update.header.revision, events });
      } else if (update.kind === 'canceled' && !observed.ended) {
        observed.ended = true;
        this.report({ kind: 'watch-ended', watchNo, reason: update.reason === '' ? update.error.message : update.reason });
      }
      return handler(update);
    });
    return observed;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Close the client: calls in flight end `unknown` with ClientClosedError,
   * keepalives end (`closed`), watches are canceled with ClientClosedError,
   * and later calls fail with ClientClosedError. Leases are not revoked.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#inFlight.toArray()) this.#settle(call, 'unknown', undefined, new ClientClosedError());
    this.#keepAlives.halt('context canceled');
    this.#watches.close();
  }

  /** Send one unary request with a deadline; the building block of every KV and Lease method. */
  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M], options: CallOptions = {}): Promise<UnaryResponses[M]> {
    // A transport with callWith answers the tracked call itself: no promise of its own, no hop through a microtask.
    if (this.transport.callWith !== undefined) return this.#track(method, request, options, undefined);
    return this.#track(method, request, options, () => ({ promise: this.transport.call(method, request) }));
  }

  /**
   * The same call answered through `handlers` instead of a promise: exactly
   * once, `ok` or `fail` with what call() would reject with. Recipes run their
   * steps this way, so only the promise their caller awaits costs a microtask.
   * The handlers run inside the transport's delivery (or the deadline's timer): they must not throw.
   * Returns settledNothing while the call is in flight (it did not fail at once).
   */
  callWith<M extends UnaryMethod>(
    method: M,
    request: UnaryRequests[M],
    options: CallOptions,
    handlers: CallHandlers<UnaryResponses[M]>,
  ): typeof settledNothing | undefined {
    const call = this.#newCall(method, request);
    call.answer = handlers as CallHandlers<unknown>;
    if (this.transport.callWith !== undefined) this.#start(call, request, options, undefined);
    else this.#start(call, request, options, () => ({ promise: this.transport.call(method, request) }));
    return call.settled ? undefined : settledNothing;
  }

  /** Track one call: report it, arm its deadline, start it (`start`, or callWith when undefined), settle it once. */
  #track<T>(method: string, request: unknown, options: CallOptions, start: (() => Attempt<T>) | undefined): Promise<T> {
    const call = this.#newCall(method, request);
    return new Promise<T>((resolve, reject) => {
      call.resolve = resolve as (response: unknown) => void;
      call.reject = reject;
      this.#start(call, request, options, start);
    });
  }

  #newCall(method: string, request: unknown): TrackedCall {
    const callId = this.#nextCallId++;
    this.report({ kind: 'call', callId, method, request });
    return new TrackedCall(callId, method, this.#settleCall);
  }

  #start<T>(call: TrackedCall, request: unknown, options: CallOptions, start: (() => Attempt<T>) | undefined): void {
    const method = call.method;
    if (this.#closed) {
      this.#settle(call, 'error', undefined, new ClientClosedError());
      return;
    }
    const timeoutMs = options.timeoutMs ?? this.callTimeoutMs;
    this.#inFlight.add(call);
    call.timeoutMs = timeoutMs;
    call.deadline = armTimer(this.runtime, timeoutMs, expireCall, call);
    try {
      if (start === undefined) {
        this.transport.callWith!(method as UnaryMethod, request as never, call);
        return;
      }
      const attempt = start();
      call.cleanup = attempt.cleanup;
      if (call.settled) call.cleanup?.();
      attempt.promise.then(
        (response) => this.#settle(call, 'ok', response, undefined),
        (error: unknown) => call.fail(error),
      );
    } catch (error) {
      call.fail(error);
    }
  }

  /** Settle a call once; returns what its handlers returned (a promise's resolve: undefined). */
  #settle(call: TrackedCall, outcome: CallOutcome, response: unknown, error: unknown): unknown {
    if (call.settled) return undefined;
    call.settled = true;
    call.deadline?.cancel();
    this.#inFlight.remove(call);
    call.cleanup?.();
    const { callId, method } = call;
    const answer = call.answer;
    if (outcome === 'ok') {
      this.report({ kind: 'return', callId, method, outcome, response });
      if (answer !== undefined) return answer.ok(response);
      call.resolve!(response);
    } else {
      this.report({ kind: 'return', callId, method, outcome, error: error instanceof Error ? error.message : String(error) });
      if (answer !== undefined) return answer.fail(error);
      call.reject!(error);
    }
    return undefined;
  }
}
