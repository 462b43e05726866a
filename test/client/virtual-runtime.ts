/**
 * Test helpers for the client on virtual time: a ClientRuntime over the
 * store's VirtualClock, a loop that lets promise continuations settle
 * between timers, a store world (EtcdStore + runStoreLoops) and a transport
 * wrapper that can stop answering or break its streams.
 *
 *   const w = world();
 *   const client = w.client();
 *   const response = await drive(w.clock, client.put('k', 'v'));   // settles microtasks, fires timers
 *   await runFor(w.clock, 60_000);                                  // one virtual minute, step by step
 */
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { Client } from '../../src/client/client.ts';
import type { ClientEvent } from '../../src/client/events.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import type { ClientRuntime } from '../../src/client/runtime.ts';
import type { BidiStream, CallHandlers, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from '../../src/client/transport.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../../src/store/messages.ts';

/** A ClientRuntime whose time and timers are the VirtualClock's. */
export class VirtualRuntime implements ClientRuntime {
  readonly clock: VirtualClock;
  constructor(clock: VirtualClock) {
    this.clock = clock;
  }
  nowMs(): number {
    return this.clock.nowMs();
  }
  setTimer(delayMs: number, fn: () => void): () => void {
    const id = this.clock.setTimer(delayMs, fn);
    return () => this.clock.cancelTimer(id);
  }
}

/** Let every pending promise continuation run (a macrotask turn drains the microtask queue). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Fire timers one at a time, settling continuations between them, until
 * `promise` settles; fails if virtual time would pass now + msMax first.
 */
export async function drive<T>(clock: VirtualClock, promise: Promise<T>, msMax = 10 * 60_000): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  const limitMs = clock.nowMs() + msMax;
  for (;;) {
    await flushMicrotasks();
    if (settled) return promise;
    if (!clock.fireNext(limitMs)) throw new Error(`drive: nothing settled by t=${limitMs} ms`);
  }
}

/** Move virtual time forward by `ms`, firing timers one at a time and settling continuations between them. */
export async function runFor(clock: VirtualClock, ms: number): Promise<void> {
  const targetMs = clock.nowMs() + ms;
  for (;;) {
    await flushMicrotasks();
    if (!clock.fireNext(targetMs)) break;
  }
  clock.advanceTo(targetMs);
  await flushMicrotasks();
}

/** Run until `predicate()` holds; fails if virtual time would pass now + msMax first. */
export async function runUntil(clock: VirtualClock, predicate: () => boolean, msMax = 10 * 60_000): Promise<void> {
  const limitMs = clock.nowMs() + msMax;
  for (;;) {
    await flushMicrotasks();
    if (predicate()) return;
    if (!clock.fireNext(limitMs)) throw new Error(`runUntil: predicate still false at t=${limitMs} ms`);
  }
}

export interface World {
  clock: VirtualClock;
  store: EtcdStore;
  runtime: VirtualRuntime;
  stopLoops: () => void;
  /** A client straight onto the store; `events` collects what it reports. */
  client(options?: { callTimeoutMs?: number; transport?: Transport; events?: ClientEvent[] }): Client;
}

/** A store with etcd's loops on a virtual clock, and clients over the in-process transport. */
export function world(): World {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const stopLoops = runStoreLoops(store, clock);
  const runtime = new VirtualRuntime(clock);
  return {
    clock,
    store,
    runtime,
    stopLoops,
    client: (options = {}) => {
      const events = options.events;
      return new Client({
        transport: options.transport ?? new InProcessTransport(store),
        runtime,
        ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
        ...(events !== undefined ? { observer: (event: ClientEvent) => events.push(event) } : {}),
      });
    },
  };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);

/**
 * A transport in front of another that can go silent (calls never settle,
 * stream messages are dropped both ways: a partition) and can break its open
 * streams (a connection reset).
 */
export class SwitchableTransport implements Transport {
  answering = true;
  readonly #inner: Transport;
  readonly #breakers = new Set<(error: Error) => void>();

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    if (!this.answering) return never();
    return this.#inner.call(method, request).then(
      (response) => (this.answering ? response : never()),
      (error: unknown) => (this.answering ? Promise.reject(error) : never()),
    );
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#wrap(handlers, (h) => this.#inner.openWatch(h));
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): BidiStream<LeaseKeepAliveRequest> {
    return this.#wrap(handlers, (h) => this.#inner.openKeepAlive(h));
  }

  /** End every open stream with `error`, as a broken connection does. */
  breakStreams(error = new Error('connection reset')): void {
    for (const breaker of [...this.#breakers]) breaker(error);
  }

  #wrap<Req, Res>(handlers: StreamHandlers<Res>, open: (h: StreamHandlers<Res>) => BidiStream<Req>): BidiStream<Req> {
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      this.#breakers.delete(breaker);
      handlers.end(error);
    };
    const inner = open({
      message: (response) => {
        if (!ended && this.answering) handlers.message(response);
      },
      end,
    });
    const breaker = (error: Error) => {
      inner.close();
      end(error);
    };
    this.#breakers.add(breaker);
    return {
      send: (request) => {
        if (!ended && this.answering) inner.send(request);
      },
      close: () => {
        this.#breakers.delete(breaker);
        inner.close();
      },
    };
  }
}

/**
 * A transport in front of another that records what the client's handlers
 * return for each answer and stream message: `settledNothing` says it ran no
 * user code and settled no promise (the simulator then needs no yield). It
 * has callWith, as the simulator's transport does.
 */
export class HandlerReturnsTransport implements Transport {
  /** One entry per answer or message delivered: the call's method or the stream kind, the response, and what the handler returned. */
  readonly returns: { stream: 'watch' | 'keepalive' | UnaryMethod; response: unknown; returned: unknown }[] = [];
  readonly #inner: Transport;

  constructor(inner: Transport) {
    this.#inner = inner;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    return this.#inner.call(method, request);
  }

  callWith<M extends UnaryMethod>(method: M, request: UnaryRequests[M], handlers: CallHandlers<UnaryResponses[M]>): void {
    this.#inner.call(method, request).then(
      (response) => this.returns.push({ stream: method, response, returned: handlers.ok(response) }),
      (error: unknown) => this.returns.push({ stream: method, response: error, returned: handlers.fail(error) }),
    );
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#inner.openWatch({
      message: (response) => this.returns.push({ stream: 'watch', response, returned: handlers.message(response) }),
      end: (error) => handlers.end(error),
    });
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>): BidiStream<LeaseKeepAliveRequest> {
    return this.#inner.openKeepAlive({
      message: (response) => this.returns.push({ stream: 'keepalive', response, returned: handlers.message(response) }),
      end: (error) => handlers.end(error),
    });
  }
}
