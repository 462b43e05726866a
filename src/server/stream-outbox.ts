/**
 * The way out of one gRPC stream (LeaseKeepAlive, Watch), with the two
 * brakes etcd has:
 *
 * - Backpressure: when the stream's write buffer is full
 *   (limits.streamResponsesBufferedMax unsent responses, the client is not
 *   reading) the server stops reading that stream's requests until it drains,
 *   so a client that sends without reading costs a bounded buffer, not one
 *   response per request. grpc-js reads a stream only as fast as it is
 *   consumed, so a paused stream leaves requests in HTTP/2's flow-control
 *   window, on the client's side.
 * - Durability (with --data-dir): a response is written only once every
 *   change applied before it was produced is on disk (`whenSynced`), in
 *   order; responses waiting for that count as buffered too.
 */
import type * as grpc from '@grpc/grpc-js';
import type { GrpcObject } from './grpc-codec.ts';
import { streamResponsesBufferedMax } from './limits.ts';

/** Where the data dir's log stands (DataDir). */
export interface Durability {
  /** Seq of the last change applied (and logged). */
  appendedSeq(): number;
  /** Resolves once every change up to `seq` is on disk; undefined when it already is. */
  whenSynced(seq: number): Promise<void> | undefined;
}

/** A response as proto-loader serializes it, or already encoded (grpc-encoder.ts). */
export type OutgoingMessage = GrpcObject | Buffer;

export interface StreamOutboxOptions {
  /** Without it (no data dir) responses are written at once. */
  durability?: Durability | undefined;
  /** Room again after the outbox was full (the write buffer drained, held responses went out). */
  onRoom?: () => void;
  /** Responses held for the disk at most before the outbox counts as full. @defaultValue streamResponsesBufferedMax */
  heldMax?: number;
}

export class StreamOutbox {
  readonly #call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>;
  readonly #durability: Durability | undefined;
  readonly #onRoom: (() => void) | undefined;
  readonly #heldMax: number;
  /** Held responses, each with the log seq it must wait for (0: not known yet, set after the current synchronous work). */
  #held: { message: OutgoingMessage; seq: number }[] = [];
  #sealScheduled = false;
  #waitingFor = 0;
  #bufferFull = false;
  #wasFull = false;
  #endWhenFlushed = false;
  /** How often the write buffer filled up (reading then paused until it drained). */
  bufferFullCount = 0;

  constructor(call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>, options: StreamOutboxOptions = {}) {
    this.#call = call;
    this.#durability = options.durability;
    this.#onRoom = options.onRoom;
    this.#heldMax = options.heldMax ?? streamResponsesBufferedMax;
    call.on('drain', () => {
      this.#bufferFull = false;
      this.#update();
    });
  }

  /** No room: the client is not reading (or the disk is behind); requests are not read meanwhile. */
  get full(): boolean {
    return this.#bufferFull || this.#held.length >= this.#heldMax;
  }

  /** Write `message` (in order, once the disk has what it reflects), even when full. */
  write(message: OutgoingMessage): void {
    if (this.#durability === undefined) this.#send(message);
    else {
      this.#held.push({ message, seq: 0 });
      // The change that produced this message is logged by the end of the current synchronous work.
      if (!this.#sealScheduled) {
        this.#sealScheduled = true;
        queueMicrotask(() => this.#seal());
      }
    }
    this.#update();
  }

  /** Write `message` unless full; false (nothing written) when full. */
  offer(message: OutgoingMessage): boolean {
    if (this.full) return false;
    this.write(message);
    return true;
  }

  /** End the stream once every held response is written. */
  end(): void {
    this.#endWhenFlushed = true;
    if (this.#held.length === 0) this.#call.end();
  }

  #seal(): void {
    this.#sealScheduled = false;
    const seq = this.#durability!.appendedSeq();
    for (let i = this.#held.length - 1; i >= 0 && this.#held[i]!.seq === 0; i--) this.#held[i]!.seq = seq;
    this.#flush();
  }

  /** Send the held responses whose changes are on disk, in order; wait for the next one's. */
  #flush(): void {
    let sent = 0;
    while (sent < this.#held.length) {
      const { message, seq } = this.#held[sent]!;
      if (seq === 0) break; // sealed later
      const synced = this.#durability!.whenSynced(seq);
      if (synced !== undefined) {
        if (this.#waitingFor < seq) {
          this.#waitingFor = seq;
          void synced.then(() => this.#flush());
        }
        break;
      }
      this.#send(message);
      sent++;
    }
    if (sent > 0) this.#held.splice(0, sent);
    if (this.#endWhenFlushed && this.#held.length === 0 && !this.#call.writableEnded) this.#call.end();
    this.#update();
  }

  #send(message: OutgoingMessage): void {
    const call = this.#call;
    if (call.cancelled || call.writableEnded || call.destroyed) return;
    if (!call.write(message) && !this.#bufferFull) {
      this.#bufferFull = true;
      this.bufferFullCount++;
    }
  }

  /** Read requests only while there is room for their answers; say so when room comes back. */
  #update(): void {
    const full = this.full;
    if (full === this.#wasFull) return;
    this.#wasFull = full;
    if (full) this.#call.pause();
    else {
      this.#call.resume();
      this.#onRoom?.();
    }
  }
}
