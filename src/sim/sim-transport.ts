/**
 * The client's Transport for one process incarnation, over the simulated
 * network to the server node. Like a gRPC ClientConn it holds one connection
 * at a time; unary calls and streams ride on it, in order.
 *
 * When the server drops the connection (a restart), a `reset` arrives: the
 * connection's streams end with the error, its pending calls are lost (they
 * never settle; the client's deadline turns them into `unknown`), and the
 * next call or stream opens a new connection. A transport whose process
 * crashed is killed: nothing it started ever settles.
 */
import type {
  BidiStream,
  CallHandlers,
  KeepAliveStreamOptions,
  StreamHandlers,
  Transport,
  UnaryMethod,
  UnaryRequests,
  UnaryResponses,
} from '../client/transport.ts';
import { ConnectionLostError } from '../client/balanced-transport.ts';
import type { EtcdError } from '../store/errors.ts';
import { type Linked, LinkedList } from '../store/linked-list.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';
import type { FromServer, StreamService, ToServer } from './wire.ts';

export interface SimTransportDeps {
  process: string;
  incarnation: number;
  /** Put a message on the network to the server. */
  send(message: ToServer): void;
  /** A fresh connection ID. */
  newConnectionId(): number;
  /**
   * Fail calls pending on a connection that breaks (with ConnectionLostError)
   * instead of leaving them to their deadline: a cluster client's balancer
   * then tries another member. @defaultValue false
   */
  failCallsOnReset?: { endpoint: string };
  /** Number calls from a counter shared with the process's other transports (a cluster client's), so call IDs stay unique per process. */
  newCallId?: () => number;
}

/** A message to the server before the transport stamps who sent it. */
type Outgoing = ToServer extends infer M ? (M extends ToServer ? Omit<M, 'process' | 'incarnation'> : never) : never;

class PendingCall implements Linked<PendingCall> {
  readonly callId: number;
  readonly connection: number;
  readonly handlers: CallHandlers<unknown>;
  prev: PendingCall | undefined = undefined;
  next: PendingCall | undefined = undefined;
  linked = false;

  constructor(callId: number, connection: number, handlers: CallHandlers<unknown>) {
    this.callId = callId;
    this.connection = connection;
    this.handlers = handlers;
  }
}

interface ClientStream {
  connection: number;
  handlers: StreamHandlers<unknown>;
  ended: boolean;
}

export class SimTransport implements Transport {
  readonly #deps: SimTransportDeps;
  #connection: number | undefined;
  #nextCallId = 0;
  #nextStreamId = 0;
  /**
   * Calls waiting for an answer, oldest first. A list, not a Map by call ID: a process has a call or
   * two in flight, answered mostly in order, and a Map that empties reallocates its table on every delete.
   */
  readonly #calls = new LinkedList<PendingCall>();
  readonly #streams = new Map<number, ClientStream>();
  #killed = false;

  constructor(deps: SimTransportDeps) {
    this.#deps = deps;
  }

  /** Calls waiting for an answer. */
  get pendingCalls(): number {
    return this.#calls.size;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    return new Promise<UnaryResponses[M]>((resolve, reject) => this.callWith(method, request, { ok: resolve, fail: reject }));
  }

  /** The call without a promise: the answer's message calls a handler at once, in the event that delivers it. */
  callWith<M extends UnaryMethod>(method: M, request: UnaryRequests[M], handlers: CallHandlers<UnaryResponses[M]>): void {
    if (this.#killed) return;
    const callId = this.#deps.newCallId !== undefined ? this.#deps.newCallId() : ++this.#nextCallId;
    const connection = this.#currentConnection();
    this.#calls.add(new PendingCall(callId, connection, handlers as CallHandlers<unknown>));
    this.#deps.send({ type: 'unary', process: this.#deps.process, incarnation: this.#deps.incarnation, connection, callId, method, request });
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#open('watch', handlers as StreamHandlers<unknown>);
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>, options?: KeepAliveStreamOptions): BidiStream<LeaseKeepAliveRequest> {
    return this.#open('keepalive', handlers as StreamHandlers<unknown>, options?.requireLeader === true);
  }

  /** A message from the server reached this incarnation. Returns what a stream's handler returned (settledNothing: no yield needed). */
  receive(message: FromServer): unknown {
    if (this.#killed) return undefined;
    switch (message.type) {
      case 'unary-ok':
      case 'unary-error': {
        const call = this.#pendingCall(message.callId);
        if (call === undefined) return;
        this.#calls.remove(call);
        if (message.type === 'unary-ok') return call.handlers.ok(message.response);
        return call.handlers.fail(message.error);
      }
      case 'stream-message': {
        const stream = this.#streams.get(message.streamId);
        if (stream !== undefined && !stream.ended) return stream.handlers.message(message.response);
        return undefined;
      }
      case 'stream-end': {
        const stream = this.#streams.get(message.streamId);
        if (stream !== undefined) this.#end(message.streamId, stream, message.error);
        return;
      }
      case 'reset':
        return this.#reset(message.connection, message.error);
    }
  }

  /** The process crashed or exited: forget everything, settle nothing. */
  kill(): void {
    this.#killed = true;
    this.#calls.clear();
    this.#streams.clear();
  }

  /** The connection in use, if any (to tell the server it is going away). */
  get connection(): number | undefined {
    return this.#connection;
  }

  #open(service: StreamService, handlers: StreamHandlers<unknown>, requireLeader = false): BidiStream<never> {
    const streamId = ++this.#nextStreamId;
    if (this.#killed) return { send() {}, close() {} };
    const connection = this.#currentConnection();
    const stream: ClientStream = { connection, handlers, ended: false };
    this.#streams.set(streamId, stream);
    this.#send(requireLeader ? { type: 'stream-open', connection, streamId, service, requireLeader } : { type: 'stream-open', connection, streamId, service });
    return {
      send: (request: unknown) => {
        if (stream.ended || this.#killed) return;
        this.#deps.send({ type: 'stream-send', process: this.#deps.process, incarnation: this.#deps.incarnation, connection, streamId, request });
      },
      close: () => {
        if (stream.ended || this.#killed) return;
        this.#send({ type: 'stream-close', connection, streamId });
        // The client closed it: end() comes after close() returns, never inside it.
        stream.ended = true;
        this.#streams.delete(streamId);
        queueMicrotask(() => handlers.end());
      },
    };
  }

  #end(streamId: number, stream: ClientStream, error: Error | undefined): void {
    if (stream.ended) return;
    stream.ended = true;
    this.#streams.delete(streamId);
    stream.handlers.end(error);
  }

  #reset(connection: number, error: EtcdError): void {
    if (connection !== this.#connection) return;
    this.#connection = undefined;
    const failCalls = this.#deps.failCallsOnReset;
    for (const call of this.#calls.toArray()) {
      if (call.connection !== connection) continue;
      this.#calls.remove(call);
      if (failCalls !== undefined) call.handlers.fail(new ConnectionLostError(failCalls.endpoint));
    }
    for (const [streamId, stream] of [...this.#streams]) if (stream.connection === connection) this.#end(streamId, stream, error);
  }

  #pendingCall(callId: number): PendingCall | undefined {
    for (let call = this.#calls.first; call !== undefined; call = call.next) if (call.callId === callId) return call;
    return undefined;
  }

  #currentConnection(): number {
    this.#connection ??= this.#deps.newConnectionId();
    return this.#connection;
  }

  #send(message: Outgoing): void {
    // A clone, then stamped: `{ ...message, process }` would take V8's slow path.
    const stamped = { ...message } as ToServer;
    stamped.process = this.#deps.process;
    stamped.incarnation = this.#deps.incarnation;
    this.#deps.send(stamped);
  }
}
