/**
 * A Transport straight onto a store in the same process: no network, no
 * loss, no delay beyond a microtask. Every answer is delivered on a later
 * microtask, never inside the caller's own call, so code sees the same
 * asynchronous shape it will see over a network.
 *
 *   const store = new EtcdStore({ clock });
 *   const client = new Client({ transport: new InProcessTransport(store), runtime });
 *   await client.put('k', 'v');          // store.put runs on a microtask; the response on the next
 *
 * Streams: a Watch stream is store.openWatchStream with a sink that forwards
 * each response on a microtask (it never reports a full buffer); a keepalive
 * stream answers each request with store.leaseKeepAlive, in order; on a store
 * with a lessor (EtcdStore), a keepalive for a lease past its deadline but not
 * yet revoked is answered TTL 0 once the lessor revokes it, as etcd's Renew
 * waits (lessor.whenRevoked), and requests behind it wait. A request that throws
 * an EtcdError ends the keepalive stream with that error (gRPC ends a stream
 * on an error status). After close() nothing more is delivered except end().
 */
import type { EtcdApi, WatchStream } from '../store/etcd-api.ts';
import type { LeaseId, LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';
import type { BidiStream, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from './transport.ts';

const later = (fn: () => void): void => {
  void Promise.resolve().then(fn);
};

/** A {@link Transport} straight onto a store in the same process: no network, answers on a microtask. */
export class InProcessTransport implements Transport {
  readonly #api: EtcdApi;

  constructor(api: EtcdApi) {
    this.#api = api;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    return new Promise((resolve, reject) => {
      later(() => {
        try {
          const handler = this.#api[method] as (request: UnaryRequests[M]) => UnaryResponses[M];
          resolve(handler.call(this.#api, request));
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    const state = new StreamState(handlers);
    let stream: WatchStream | undefined;
    later(() => {
      if (state.closed) return;
      stream = this.#api.openWatchStream({
        send: (response) => {
          later(() => state.deliver(response));
          return true;
        },
      });
    });
    return {
      send: (request) => {
        later(() => {
          if (!state.closed) stream?.request(request);
        });
      },
      close: () => {
        if (state.closed) return;
        state.close();
        stream?.close();
      },
    };
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): BidiStream<LeaseKeepAliveRequest> {
    const state = new StreamState(handlers);
    /** Requests behind an answer that waits for a revoke (undefined: none waits). */
    let held: LeaseKeepAliveRequest[] | undefined;
    const serve = (request: LeaseKeepAliveRequest): void => {
      if (state.closed) return;
      if (held !== undefined) {
        held.push(request);
        return;
      }
      try {
        const waits = revokeWaitsOf(this.#api);
        const id = request.ID ?? 0n;
        const pastDeadline = waits !== undefined && (waits.lessor.deadlineMs(id) ?? Number.POSITIVE_INFINITY) <= waits.clock.nowMs();
        const response = this.#api.leaseKeepAlive(request);
        if (pastDeadline && response.TTL === 0) {
          // As etcd's Renew: an expired lease's TTL 0 comes once it is revoked (keys gone); later requests wait behind it.
          const behind: LeaseKeepAliveRequest[] = [];
          const waiting = waits.lessor.whenRevoked(id, () =>
            later(() => {
              held = undefined;
              state.deliver(response);
              for (const next of behind) serve(next);
            }),
          );
          if (waiting !== undefined) {
            held = behind;
            return;
          }
        }
        later(() => state.deliver(response));
      } catch (error) {
        later(() => state.fail(error instanceof Error ? error : new Error(String(error))));
      }
    };
    return {
      send: (request) => later(() => serve(request)),
      close: () => state.close(),
    };
  }
}

/** What a store offers for a keepalive to wait for a revoke (EtcdStore does: its clock and lessor). */
interface RevokeWaits {
  readonly clock: { nowMs(): number };
  readonly lessor: { deadlineMs(id: LeaseId): number | undefined; whenRevoked(id: LeaseId, waiter: () => void): (() => void) | undefined };
}

function revokeWaitsOf(api: EtcdApi): RevokeWaits | undefined {
  const candidate = api as Partial<RevokeWaits>;
  return typeof candidate.lessor?.whenRevoked === 'function' && typeof candidate.clock?.nowMs === 'function' ? (candidate as RevokeWaits) : undefined;
}

/** One stream's receiving side: messages until closed, then end() exactly once. */
class StreamState<Res> {
  closed = false;
  readonly #handlers: StreamHandlers<Res>;

  constructor(handlers: StreamHandlers<Res>) {
    this.#handlers = handlers;
  }

  deliver(response: Res): void {
    if (!this.closed) this.#handlers.message(response);
  }

  fail(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.#handlers.end(error);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    later(() => this.#handlers.end());
  }
}
