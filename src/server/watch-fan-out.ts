/**
 * Watch responses leave in slices: one put to 10,000 watchers produces
 * 10,000 responses in one synchronous call of the store, and encoding and
 * writing them all in that tick held every other client for the whole
 * fan-out. Up to `sliceMax` responses go out per turn of the event loop; the
 * rest wait in one first-in first-out queue and go out `sliceMax` at a time,
 * with setImmediate between slices (other clients' requests and timers run
 * in between).
 *
 *   put → 10,000 responses: 256 written now, 9,744 queued
 *         → (event loop) → 256 more → (event loop) → …
 *
 * Every response of a stream passes through this queue once anything of that
 * stream waits in it, so each stream still gets its responses in the order
 * the store made them, each one whole (the same responses etcd sends; only
 * when they are written changes). A stream with `bufferedMax` responses
 * waiting counts as full: the store keeps its watchers behind, as for a full
 * gRPC buffer, and catches them up when there is room again (`onRoom`).
 */
import type { WatchResponse } from '../store/messages.ts';
import { streamResponsesBufferedMax } from './limits.ts';

/** Responses written per turn of the event loop, at most. */
export const watchResponsesPerSliceMax = 256;

/** Where one stream's responses are written in the end. */
export interface FanOutTarget {
  /** No room in the stream's own buffer. */
  readonly full: boolean;
  /** Encode and write `response` (always accepted: the queue already said yes). */
  write(response: WatchResponse): void;
  /** Room again after this stream was refused. */
  onRoom(): void;
}

/** One stream's place in the fan-out queue. */
export interface FanOutLane {
  /** Send `response` now or after the queued ones; false (nothing sent) when the stream is full. */
  offer(response: WatchResponse): boolean;
  /** The stream is gone: drop what waits for it. */
  close(): void;
}

interface Lane extends FanOutLane {
  readonly target: FanOutTarget;
  queued: number;
  refused: boolean;
  open: boolean;
}

export class WatchFanOut {
  readonly #sliceMax: number;
  readonly #bufferedMax: number;
  /** Queued responses of every stream, oldest first: `lanes[i]` gets `responses[i]`. */
  #lanes: Lane[] = [];
  #responses: (WatchResponse | undefined)[] = [];
  #next = 0;
  #sentThisTurn = 0;
  #turnScheduled = false;

  constructor(options: { sliceMax?: number; bufferedMax?: number } = {}) {
    this.#sliceMax = options.sliceMax ?? watchResponsesPerSliceMax;
    this.#bufferedMax = options.bufferedMax ?? streamResponsesBufferedMax;
  }

  /** Responses waiting for a later slice. */
  get queued(): number {
    return this.#lanes.length - this.#next;
  }

  lane(target: FanOutTarget): FanOutLane {
    const lane: Lane = {
      target,
      queued: 0,
      refused: false,
      open: true,
      offer: (response) => this.#offer(lane, response),
      close: () => {
        lane.open = false;
      },
    };
    return lane;
  }

  #offer(lane: Lane, response: WatchResponse): boolean {
    if (lane.target.full || lane.queued >= this.#bufferedMax) {
      lane.refused = true;
      return false;
    }
    if (lane.queued === 0 && this.#sentThisTurn < this.#sliceMax) {
      this.#sentThisTurn++;
      lane.target.write(response);
    } else {
      lane.queued++;
      this.#lanes.push(lane);
      this.#responses.push(response);
    }
    this.#scheduleTurn();
    return true;
  }

  #scheduleTurn(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(() => this.#slice());
  }

  /** A new turn: write the next slice of queued responses. */
  #slice(): void {
    this.#turnScheduled = false;
    this.#sentThisTurn = 0;
    const end = Math.min(this.#lanes.length, this.#next + this.#sliceMax);
    const roomAgain = new Set<Lane>();
    for (let i = this.#next; i < end; i++) {
      const lane = this.#lanes[i]!;
      const response = this.#responses[i]!;
      this.#responses[i] = undefined; // written: let it go
      lane.queued--;
      this.#sentThisTurn++;
      if (!lane.open) continue;
      lane.target.write(response);
      if (lane.refused && lane.queued < this.#bufferedMax && !lane.target.full) roomAgain.add(lane);
    }
    this.#next = end;
    if (this.#next === this.#lanes.length) {
      this.#lanes = [];
      this.#responses = [];
      this.#next = 0;
    } else this.#scheduleTurn();
    for (const lane of roomAgain) {
      lane.refused = false;
      lane.target.onRoom();
    }
  }
}
