/**
 * A Transport over several etcd endpoints, as clientv3 3.4 balances and
 * retries (clientv3/balancer, retry_interceptor.go, retry.go):
 *
 * - every call and stream goes to the next endpoint in turn (round robin);
 * - a call that etcd may repeat (Range, LeaseGrant, LeaseRevoke,
 *   LeaseTimeToLive, LeaseLeases) and fails with UNAVAILABLE ("etcdserver:
 *   no leader", "etcdserver: request timed out", "etcdserver: leader
 *   changed", a dropped connection) is tried again on the next endpoint, up
 *   to 100 attempts, pausing 25 ms after each round of a quorum of endpoints;
 * - Put, DeleteRange, Txn and Compact are never retried once sent: their
 *   failure is handed back (a dropped connection as a plain Error, since the
 *   write may have been applied);
 * - a stream (watch, keepalive) lives on one endpoint; when it ends, whoever
 *   opened it opens another, which goes to the next endpoint (so keepalives
 *   move away from a member that lost its leader).
 *
 *   const transport = new BalancedTransport([{ name: 'etcd1', transport: t1 }, { name: 'etcd2', transport: t2 }], runtime);
 */
import { GrpcCode, isEtcdError } from '../store/errors.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';
import type { ClientRuntime } from './runtime.ts';
import type { BidiStream, KeepAliveStreamOptions, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from './transport.ts';

/** One endpoint: a member's name and the transport that reaches it. */
export interface Endpoint {
  name: string;
  transport: Transport;
}

/** clientv3's defaultUnaryMaxRetries. */
export const unaryAttemptsMax = 100;
/** clientv3's defaultBackoffWaitBetween. */
export const retryBackoffMs = 25;

/** The calls clientv3 marks repeatable (retry.go): safe to send again after any UNAVAILABLE. */
const repeatable: ReadonlySet<UnaryMethod> = new Set<UnaryMethod>(['range', 'leaseGrant', 'leaseRevoke', 'leaseTimeToLive', 'leaseLeases']);

/** A connection that broke under a call (gRPC's "transport is closing"): not an etcd answer, so a write may have happened. */
export class ConnectionLostError extends Error {
  constructor(endpoint: string) {
    super(`transport is closing (${endpoint})`);
    this.name = 'ConnectionLostError';
  }
}

export class BalancedTransport implements Transport {
  readonly endpoints: readonly Endpoint[];
  readonly #runtime: ClientRuntime;
  #next = 0;

  constructor(endpoints: readonly Endpoint[], runtime: ClientRuntime) {
    if (endpoints.length === 0) throw new RangeError('a balanced transport needs at least one endpoint');
    this.endpoints = endpoints;
    this.#runtime = runtime;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    return new Promise<UnaryResponses[M]>((resolve, reject) => {
      const quorum = Math.floor(this.endpoints.length / 2) + 1;
      const attempt = (n: number): void => {
        const endpoint = this.#pick();
        endpoint.transport.call(method, request).then(resolve, (error: unknown) => {
          const unavailable = !isEtcdError(error) || error.code === GrpcCode.UNAVAILABLE;
          if (!repeatable.has(method) || !unavailable || n + 1 >= unaryAttemptsMax)
            return reject(isEtcdError(error) || error instanceof Error ? error : new ConnectionLostError(endpoint.name));
          const waitMs = (n + 1) % quorum === 0 ? retryBackoffMs : 0;
          if (waitMs === 0) attempt(n + 1);
          else this.#runtime.setTimer(waitMs, () => attempt(n + 1));
        });
      };
      attempt(0);
    });
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#pick().transport.openWatch(handlers);
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>, options?: KeepAliveStreamOptions): BidiStream<LeaseKeepAliveRequest> {
    return this.#pick().transport.openKeepAlive(handlers, options);
  }

  #pick(): Endpoint {
    const endpoint = this.endpoints[this.#next % this.endpoints.length]!;
    this.#next++;
    return endpoint;
  }
}
