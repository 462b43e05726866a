/**
 * How the client reaches an etcd: unary calls and two kinds of bidirectional
 * stream. The simulator's network, the in-process transport (straight onto a
 * store) and the gRPC transport (a real etcd) implement it; the client never
 * imports any of them.
 *
 * A transport does not time out: a call crossing a partition, or sent to a
 * crashed server, may simply never settle. Deadlines are the client's job,
 * on its runtime's clock, and a call whose deadline passes ends `unknown`.
 */
import type { EtcdApi } from '../store/etcd-api.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';

/** The name of a unary call (`range`, `put`, `txn`, `leaseGrant`, …): etcd's API less its streams and the store's own revision. */
export type UnaryMethod = Exclude<keyof EtcdApi, 'leaseKeepAlive' | 'openWatchStream' | 'currentRevision'>;

/** Each unary call's request message. */
export type UnaryRequests = { [M in UnaryMethod]: Parameters<EtcdApi[M]>[0] };

/** Each unary call's response message. */
export type UnaryResponses = { [M in UnaryMethod]: ReturnType<EtcdApi[M]> };

/** The receiving half of a stream, supplied by whoever opens it. */
export interface StreamHandlers<Res> {
  /**
   * May return `settledNothing` (src/client/runtime.ts) when it ran no user code and settled no
   * promise (a keepalive answer that only moves a deadline): the simulator
   * then needs no yield after the delivery. Other transports ignore it.
   */
  message(response: Res): unknown;
  /** The stream ended: by the server, by a broken connection (with an error), or after close(). Called at most once. */
  end(error?: Error): void;
}

/** Options of a LeaseKeepAlive stream. */
export interface KeepAliveStreamOptions {
  /**
   * clientv3's WithRequireLeader (its keepalive loop sets it): a member
   * without a leader refuses the stream, and ends it once it has had none
   * for a while, with "etcdserver: no leader". A transport to a lone etcd may ignore it.
   */
  requireLeader?: boolean;
}

/** The sending half of an open stream. */
export interface BidiStream<Req> {
  send(request: Req): void;
  close(): void;
}

/**
 * Where {@link Transport.callWith} hands a call's answer: one of the two, at
 * most once. Either may return `settledNothing` (src/client/runtime.ts) when
 * it ran no user code and settled no promise (a recipe step that only sent
 * its next request); the simulator then needs no yield. Others ignore it.
 */
export interface CallHandlers<Res> {
  ok(response: Res): unknown;
  fail(error: unknown): unknown;
}

/** How a client reaches etcd: unary calls and bidirectional streams (Watch, LeaseKeepAlive). */
export interface Transport {
  /** Resolves with etcd's response, rejects with an EtcdError, or never settles (lost message, crashed server). */
  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]>;
  /**
   * Optional: the same call, answered through `handlers` (at most once, maybe never) instead of
   * a promise. The client uses it when present: it saves a promise and a microtask per call
   * (the simulator's transport has it).
   */
  callWith?<M extends UnaryMethod>(method: M, request: UnaryRequests[M], handlers: CallHandlers<UnaryResponses[M]>): void;
  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest>;
  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>, options?: KeepAliveStreamOptions): BidiStream<LeaseKeepAliveRequest>;
}
