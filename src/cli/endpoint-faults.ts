/**
 * The simulator's process and link faults, emulated at the client's edge so
 * a scenario that injects them can run against a real etcd
 * (`leaselab run <scenario> --endpoint`). Nothing here reaches into the
 * server, and the client does not know: it is handed a Transport and a
 * runtime that misbehave the way a paused process or a cut network does.
 *
 * - ProcessGate: one process's pause and crash. Paused, whatever would run in
 *   it (a timer coming due, an answer arriving) waits, in order, and runs on
 *   resume, one macrotask each: a stop-the-world pause. Crashed, nothing runs
 *   in it again.
 * - FaultyTransport: one process's link to etcd over a GrpcTransport. Each
 *   direction passes, drops (partition: the gRPC stream stays up but nothing
 *   passes, so calls time out at the client's deadline as in the simulator)
 *   or holds (hold: requests and answers queue until release, then go on in
 *   order). A crash closes its streams and channels, so the server sees the
 *   connection go; its leases expire there.
 *
 * A dropped watch or keepalive answer is lost for good on a stream that
 * stays up: a real network would break the connection instead (and the
 * simulator resets it); none of the stories that run here hold a watch open
 * across a partition.
 */
import type { BidiStream, KeepAliveStreamOptions, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from '../client/transport.ts';
import type { GrpcTransport } from '../server/grpc-transport.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';

/** What a link direction does with a message: let it pass, drop it (partition) or keep it until release (hold). */
export type LinkMode = 'pass' | 'drop' | 'hold';

/** One process's pause and crash, as a place where things run or wait. */
export class ProcessGate {
  #paused = false;
  #dead = false;
  #waiting: (() => void)[] = [];

  get paused(): boolean {
    return this.#paused;
  }

  get dead(): boolean {
    return this.#dead;
  }

  /** Run `fn` now, or on resume when paused; never once crashed. */
  run(fn: () => void): void {
    if (this.#dead) return;
    if (this.#paused) this.#waiting.push(fn);
    else fn();
  }

  pause(): void {
    if (!this.#dead) this.#paused = true;
  }

  /** Run what waited, in order, one macrotask each (promise continuations in between, as between simulator events). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const fn of waiting) setImmediate(() => this.run(fn));
  }

  crash(): void {
    this.#dead = true;
    this.#paused = false;
    this.#waiting = [];
  }
}

/** What reached the process's edge from the server, before the link's faults: the server did answer it. */
export type EdgeAnswer = { kind: 'unary'; method: UnaryMethod; request: unknown; response: unknown } | { kind: 'keepalive'; response: LeaseKeepAliveResponse };

/** One message the link kept or dropped, for the trace: which way it went and what it was. */
export interface LinkNotice {
  toServer: boolean;
  message: string;
}

/** A held message: how to let it go on. */
interface Held {
  go(): void;
}

/** One direction of a link: what it does with messages, and what it holds until release. */
export class LinkDirection {
  mode: LinkMode = 'pass';
  held: Held[] = [];

  /** Pass `go` on now, keep it, or drop it (then `dropped` is called). */
  through(go: () => void, dropped: () => void): void {
    if (this.mode === 'drop') dropped();
    else if (this.mode === 'hold') this.held.push({ go });
    else go();
  }

  /** Stop holding and let what was held go on, in order; how many went. */
  release(): number {
    if (this.mode === 'hold') this.mode = 'pass';
    const held = this.held;
    this.held = [];
    for (const message of held) message.go();
    return held.length;
  }
}

/**
 * A Transport that passes through a link with faults to a GrpcTransport, and
 * hands answers to the process through its gate.
 */
export class FaultyTransport implements Transport {
  readonly #inner: GrpcTransport;
  readonly #gate: ProcessGate;
  readonly #onDrop: (notice: LinkNotice) => void;
  readonly #onEdge: (answer: EdgeAnswer) => void;
  readonly #toServer = new LinkDirection();
  readonly #fromServer = new LinkDirection();
  readonly #streams = new Set<BidiStream<unknown>>();

  /** `onDrop` hears of each message a partition drops; `onEdge` of each answer that reached the edge (dropped, held or passed). */
  constructor(inner: GrpcTransport, gate: ProcessGate, onDrop: (notice: LinkNotice) => void, onEdge: (answer: EdgeAnswer) => void = () => {}) {
    this.#inner = inner;
    this.#gate = gate;
    this.#onDrop = onDrop;
    this.#onEdge = onEdge;
  }

  /** The link's two directions: requests (process → server) and answers (server → process). */
  get toServer(): LinkDirection {
    return this.#toServer;
  }

  get fromServer(): LinkDirection {
    return this.#fromServer;
  }

  /** The process crashed: its streams and channels close (the server sees the connection go); nothing reaches it again. */
  kill(): void {
    this.#toServer.held = [];
    this.#fromServer.held = [];
    for (const stream of this.#streams) stream.close();
    this.#streams.clear();
    this.#inner.close();
  }

  #send(what: string, go: () => void): void {
    if (this.#gate.dead) return;
    this.#through(this.#toServer, true, what, go);
  }

  #answer(what: string, go: () => void): void {
    if (this.#gate.dead) return;
    this.#through(this.#fromServer, false, what, () => this.#gate.run(go));
  }

  #through(direction: LinkDirection, toServer: boolean, what: string, go: () => void): void {
    direction.through(go, () => this.#onDrop({ toServer, message: what }));
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    return new Promise((resolve, reject) => {
      this.#send(`${method} request`, () =>
        this.#inner.call(method, request).then(
          (response) => {
            if (!this.#gate.dead) this.#onEdge({ kind: 'unary', method, request, response });
            this.#answer(`${method} response`, () => resolve(response));
          },
          (error: unknown) => this.#answer(`${method} error`, () => reject(error)),
        ),
      );
    });
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#stream('watch', (inner) => this.#inner.openWatch(inner), handlers);
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>, options?: KeepAliveStreamOptions): BidiStream<LeaseKeepAliveRequest> {
    return this.#stream(
      'keepalive',
      (inner) =>
        this.#inner.openKeepAlive(
          {
            message: (response) => {
              if (!this.#gate.dead) this.#onEdge({ kind: 'keepalive', response });
              inner.message(response);
            },
            end: (error) => inner.end(error),
          },
          options,
        ),
      handlers,
    );
  }

  #stream<Req, Res>(what: string, open: (handlers: StreamHandlers<Res>) => BidiStream<Req>, handlers: StreamHandlers<Res>): BidiStream<Req> {
    let stream: BidiStream<Req> | undefined;
    const forget = () => {
      if (stream !== undefined) this.#streams.delete(stream as BidiStream<unknown>);
    };
    stream = open({
      message: (response) => this.#answer(`${what} response`, () => handlers.message(response)),
      // The stream's end is never dropped (the connection's own signal), but waits behind what the link holds.
      end: (error) => {
        forget();
        if (this.#gate.dead) return;
        if (this.#fromServer.mode === 'hold') this.#fromServer.held.push({ go: () => this.#gate.run(() => handlers.end(error)) });
        else this.#gate.run(() => handlers.end(error));
      },
    });
    this.#streams.add(stream as BidiStream<unknown>);
    const inner = stream;
    return {
      send: (request) => this.#send(`${what} request`, () => inner.send(request)),
      close: () => {
        forget();
        inner.close();
      },
    };
  }
}
