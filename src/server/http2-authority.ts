/**
 * etcd's Go clients (etcdctl `endpoint status --cluster`, clientv3 given
 * an endpoint with a scheme) send the whole endpoint as HTTP/2's
 * `:authority`: `http://127.0.0.1:2379`. Go's server takes it; Node's
 * HTTP/2 (nghttp2) resets the stream with PROTOCOL_ERROR because `/` is
 * not allowed there, and no option turns that check off. So the bytes a
 * client sends are read frame by frame before they reach Node: each header
 * block (HEADERS + CONTINUATION) is decoded with the client's HPACK state,
 * a scheme in `:authority` is dropped (`http://h:p` → `h:p`), and the block
 * is re-encoded as literals that never touch the server's dynamic table.
 * Every other frame passes through unchanged; the server's bytes go
 * straight to the socket.
 *
 * Decoding and re-encoding every header block costs tens of microseconds of
 * CPU per request, and a client sends the same `:authority` on every stream
 * of a connection (gRPC fixes it per channel). So only a connection's first
 * header block is decoded: if its `:authority` is well-formed, that block
 * and every byte after it pass through untouched (both HPACK tables stay in
 * step, since nothing was changed); if it carries a scheme, every block of
 * the connection is rewritten as above from then on (a rewritten block
 * leaves the server's dynamic table behind the client's, so every later
 * block must be re-encoded too).
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
// @ts-expect-error hpack.js ships no types: its shape is HpackModule below. A static import, so that the CLI's bundle holds it (scripts/build-cli-bundle.mjs).
import hpackModule from 'hpack.js';

interface HpackHeader {
  name: string;
  value: string;
}
interface HpackDecompressor {
  write(block: Buffer): void;
  execute(): void;
  read(): HpackHeader | null;
}
interface HpackModule {
  decompressor: { create(options: { table: { size: number } }): HpackDecompressor };
}
const hpack = hpackModule as HpackModule;

const prefaceBytes = 24;
const frameHeaderBytes = 9;
const frameType = { headers: 0x1, continuation: 0x9 } as const;
const flag = { endStream: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;
/** SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 7540 §6.5.2); Node's server never asks clients for another. */
const hpackTableBytes = 4096;
/** SETTINGS_MAX_FRAME_SIZE's initial value: re-encoded blocks are split to fit it. */
const frameBytesMax = 16_384;

/** `http://host:port` → `host:port`; anything without a scheme is kept. */
export function authorityWithoutScheme(authority: string): string {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/]*)/i.exec(authority);
  return match === null ? authority : match[1]!;
}

function hpackInteger(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const bytes = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    bytes.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function hpackString(text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from(hpackInteger(bytes.length, 7, 0)), bytes]);
}

/** Headers as "literal without indexing, new name" representations (RFC 7541 §6.2.2). */
function encodeLiterals(headers: HpackHeader[]): Buffer {
  const parts: Buffer[] = [];
  for (const header of headers) parts.push(Buffer.from([0]), hpackString(header.name), hpackString(header.value));
  return Buffer.concat(parts);
}

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(frameHeaderBytes);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/** The header block fragment a HEADERS or CONTINUATION frame (whole, header included) carries: without a HEADERS frame's padding and priority. */
function headerBlockFragment(whole: Buffer): Buffer {
  const payload = whole.subarray(frameHeaderBytes);
  if (whole[3] !== frameType.headers) return payload;
  const flags = whole[4]!;
  let start = 0;
  let end = payload.length;
  if ((flags & flag.padded) !== 0) {
    start = 1;
    end -= payload[0]!;
  }
  if ((flags & flag.priority) !== 0) start += 5;
  return payload.subarray(start, end);
}

/**
 * The `:authority` of a connection's first header block (its HEADERS and
 * CONTINUATION frames, whole), decoded with a fresh HPACK table as the
 * server's would be; undefined when it has none. Throws when HPACK cannot read it.
 */
export function firstHeaderBlockAuthority(frames: Buffer[]): string | undefined {
  const decompressor = hpack.decompressor.create({ table: { size: hpackTableBytes } });
  decompressor.write(Buffer.concat(frames.map(headerBlockFragment)));
  decompressor.execute();
  let authority: string | undefined;
  for (let header = decompressor.read(); header !== null; header = decompressor.read()) if (header.name === ':authority') authority ??= header.value;
  return authority;
}

/** The client side of one HTTP/2 connection, its header blocks rewritten as above. */
export class AuthorityRewritingStream extends Duplex {
  readonly #socket: Socket;
  readonly #decompressor = hpack.decompressor.create({ table: { size: hpackTableBytes } });
  #pending: Buffer = Buffer.alloc(0);
  #prefaceDone = false;
  /** detect: until the first header block is read; pass: bytes go through untouched; rewrite: every header block is re-encoded. */
  #mode: 'detect' | 'pass' | 'rewrite' = 'detect';
  /** A header block being collected across CONTINUATION frames (its frames as received, while detecting). */
  #block: { streamId: number; endStream: boolean; fragments: Buffer[]; frames: Buffer[] } | undefined;

  constructor(socket: Socket) {
    super();
    this.#socket = socket;
    // Node's HTTP/2 would turn Nagle off on a socket it owned; it only sees this wrapper, so do it here (40 ms stalls otherwise).
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        if (!this.#feed(chunk)) socket.pause();
      } catch (error) {
        this.destroy(error as Error);
      }
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.destroy());
  }

  get remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#socket.remotePort;
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.destroy();
    callback(error);
  }

  /** (A method, so that TypeScript does not narrow #mode across the #headerFrame call that may change it.) */
  #passing(): boolean {
    return this.#mode === 'pass';
  }

  /** Pass on what is complete; false when the reader wants no more for now. */
  #feed(chunk: Buffer): boolean {
    if (this.#passing()) return this.push(chunk);
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let more = true;
    if (!this.#prefaceDone) {
      if (this.#pending.length < prefaceBytes) return true;
      more = this.push(this.#pending.subarray(0, prefaceBytes));
      this.#pending = this.#pending.subarray(prefaceBytes);
      this.#prefaceDone = true;
    }
    while (this.#pending.length >= frameHeaderBytes) {
      const length = this.#pending.readUIntBE(0, 3);
      if (this.#pending.length < frameHeaderBytes + length) break;
      const whole = this.#pending.subarray(0, frameHeaderBytes + length);
      this.#pending = this.#pending.subarray(frameHeaderBytes + length);
      const type = whole[3]!;
      if (type !== frameType.headers && type !== frameType.continuation) {
        more = this.push(whole);
        continue;
      }
      const out = this.#headerFrame(type, whole[4]!, whole.readUInt32BE(5) & 0x7fffffff, whole);
      if (out !== undefined) more = this.push(out);
      if (this.#passing()) {
        // The first block was well-formed: from here on the connection's bytes go through as they are.
        const rest = this.#pending;
        this.#pending = Buffer.alloc(0);
        return rest.length === 0 ? more : this.push(rest);
      }
    }
    return more;
  }

  #headerFrame(type: number, flags: number, streamId: number, whole: Buffer): Buffer | undefined {
    const fragment = headerBlockFragment(whole);
    if (type === frameType.headers) this.#block = { streamId, endStream: (flags & flag.endStream) !== 0, fragments: [], frames: [] };
    const block = this.#block;
    if (block === undefined) return whole; // out of order: let the server reject it
    block.fragments.push(fragment);
    if (this.#mode === 'detect') block.frames.push(whole);
    if ((flags & flag.endHeaders) === 0) return undefined;
    this.#block = undefined;
    this.#decompressor.write(Buffer.concat(block.fragments));
    this.#decompressor.execute();
    const headers: HpackHeader[] = [];
    let schemeDropped = false;
    for (let header = this.#decompressor.read(); header !== null; header = this.#decompressor.read()) {
      if (header.name !== ':authority') headers.push(header);
      else {
        const value = authorityWithoutScheme(header.value);
        if (value !== header.value) schemeDropped = true;
        headers.push({ name: header.name, value });
      }
    }
    if (this.#mode === 'detect') {
      if (!schemeDropped) {
        this.#mode = 'pass';
        return block.frames.length === 1 ? block.frames[0]! : Buffer.concat(block.frames);
      }
      this.#mode = 'rewrite';
    }
    const encoded = encodeLiterals(headers);
    const frames: Buffer[] = [];
    for (let offset = 0; offset === 0 || offset < encoded.length; offset += frameBytesMax) {
      const last = offset + frameBytesMax >= encoded.length;
      const piece = encoded.subarray(offset, offset + frameBytesMax);
      if (offset === 0) frames.push(frame(frameType.headers, (block.endStream ? flag.endStream : 0) | (last ? flag.endHeaders : 0), block.streamId, piece));
      else frames.push(frame(frameType.continuation, last ? flag.endHeaders : 0, block.streamId, piece));
    }
    return Buffer.concat(frames);
  }
}
