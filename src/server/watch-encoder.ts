/**
 * WatchResponses to bytes, with the parts a fan-out repeats encoded once.
 * One put to 10,000 watchers makes 10,000 responses that differ only in
 * watch_id: the same header (this member, the write's revision) and the
 * same events array (the store shares it between watchers with one view).
 * Protobuf writes fields one after another in field-number order, so such a
 * response is the concatenation of its fields' bytes:
 *
 *   header (1, per revision) + watch_id (2, per watcher) + fragment (7) + events (11, per array)
 *
 * Each part is made by the plain encoder (grpc-encoder.ts) over a response
 * holding that field alone, and kept: the header for the last revision
 * seen, the events for as long as their array lives. Only the watch_id's
 * varint is written here. Any other response (created, canceled,
 * compact_revision, cancel_reason, a negative or bigint watch_id: control
 * responses, a few per watcher) goes through the plain encoder whole.
 * test/server/watch-encoder.test.ts checks the bytes against it.
 */
import { Buffer } from 'node:buffer';
import type { Event, WatchResponse } from '../store/messages.ts';
import type { ResponseHeaderFields } from './grpc-encoder.ts';

type ResponseEncoder = (response: object, memberHeader: ResponseHeaderFields) => Buffer;

/** watch_id's tag (field 2, varint) and fragment's whole field (7, varint, true). */
const watchIdTag = 0x10;
const fragmentTrue = Buffer.from([0x38, 0x01]);
/** The largest watch_id written here (its varint is at most 5 bytes); larger ones take the plain path. */
const watchIdFastMax = 0x7fffffff;

export class WatchResponseEncoder {
  readonly #plain: ResponseEncoder;
  readonly #memberHeader: ResponseHeaderFields;
  #headerRevision = Number.NaN;
  #headerBytes: Buffer = Buffer.alloc(0);
  readonly #eventsBytes = new WeakMap<Event[], Buffer>();

  /** `plain`: the WatchResponse encoder of grpc-encoder.ts; `memberHeader`: this member's header fields (fixed for the server's life). */
  constructor(plain: ResponseEncoder, memberHeader: ResponseHeaderFields) {
    this.#plain = plain;
    this.#memberHeader = memberHeader;
  }

  /** The same bytes as `plain(response, memberHeader)`. */
  encode(response: WatchResponse): Buffer {
    const id = response.watch_id;
    if (
      response.created ||
      response.canceled ||
      response.compact_revision !== 0 ||
      response.cancel_reason !== '' ||
      typeof id !== 'number' ||
      !(id >= 0 && id <= watchIdFastMax) ||
      !Number.isInteger(id) ||
      response.header === undefined
    ) {
      return this.#plain(response, this.#memberHeader);
    }
    const header = this.#header(response.header.revision);
    const events = response.events.length === 0 ? undefined : this.#events(response.events);
    const idBytes = id === 0 ? 0 : 1 + varintLength(id);
    const fragment = response.fragment === true;
    const out = Buffer.allocUnsafe(header.length + idBytes + (fragment ? fragmentTrue.length : 0) + (events === undefined ? 0 : events.length));
    header.copy(out, 0);
    let at = header.length;
    if (id !== 0) {
      out[at++] = watchIdTag;
      at = writeVarint(out, at, id);
    }
    if (fragment) {
      fragmentTrue.copy(out, at);
      at += fragmentTrue.length;
    }
    if (events !== undefined) events.copy(out, at);
    return out;
  }

  /** Field 1 (the header) for `revision`. */
  #header(revision: number): Buffer {
    if (revision !== this.#headerRevision) {
      this.#headerBytes = this.#plain({ header: { revision } }, this.#memberHeader);
      this.#headerRevision = revision;
    }
    return this.#headerBytes;
  }

  /** Field 11 (every event of the array). */
  #events(events: Event[]): Buffer {
    let bytes = this.#eventsBytes.get(events);
    if (bytes === undefined) {
      bytes = this.#plain({ events }, this.#memberHeader);
      this.#eventsBytes.set(events, bytes);
    }
    return bytes;
  }
}

/** Bytes of `value`'s varint (0 ≤ value ≤ 2^31 - 1). */
function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Write `value`'s varint (0 ≤ value ≤ 2^31 - 1) at `at`; where it ends. */
function writeVarint(out: Buffer, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value >>>= 7;
  }
  out[at++] = value;
  return at;
}
