/**
 * Keys and values are bytes and sort as bytes. Inside the store a key is a
 * "binary string": one char per byte (latin1), so JavaScript's string
 * comparison is exactly byte-wise lexicographic order and keys can be Map
 * keys. Conversions happen only at the message boundary.
 *
 *   toBinary(utf8('é')) === '\xc3\xa9'  sorts after 'z' ('\x7a'), as in etcd.
 */
import { Buffer } from 'node:buffer';
import type { Bytes } from './messages.ts';

export type BinaryKey = string;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** No bytes: shared, as a zero-length array has nothing to change (each fresh one costs ~200 bytes of heap). */
export const emptyBytes: Bytes = new Uint8Array(0);

/**
 * Short ASCII strings (keys, mostly) are converted by hand: TextEncoder and
 * TextDecoder cost about a microsecond a call (a trip into C++ and an
 * off-heap buffer), a loop over a few dozen chars a few dozen nanoseconds.
 * The results are the same bytes and strings.
 */
const shortMax = 64;

/** UTF-8 bytes of a string. */
export function utf8(text: string): Bytes {
  const length = text.length;
  if (length === 0) return emptyBytes;
  if (length <= shortMax) {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) return encoder.encode(text);
      out[i] = code;
    }
    return out;
  }
  return encoder.encode(text);
}

// The KV hot path converts every key and value once per request, so these
// avoid Buffer allocations: `latin1Slice` reads a Uint8Array straight into a
// one-byte string, and short strings are copied back byte by byte.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

/**
 * A string from UTF-8 bytes (invalid sequences become U+FFFD). ASCII is read
 * with latin1Slice into one flat string: appending char by char would build
 * a rope of cons strings (~20 bytes of heap per char), and the simulator's
 * trace keeps thousands of these keys.
 */
export function fromUtf8(bytes: Bytes): string {
  const length = bytes.length;
  if (length <= shortMax) {
    for (let i = 0; i < length; i++) if (bytes[i]! >= 0x80) return decoder.decode(bytes);
    return length === 0 ? '' : latin1Slice.call(bytes, 0, length);
  }
  return decoder.decode(bytes);
}

/** Wire bytes as the store's binary string: `toBinary(Uint8Array [0x61, 0xc3, 0xa9]) === 'a\xc3\xa9'`. */
export function toBinary(bytes: Bytes): BinaryKey {
  return bytes.length === 0 ? '' : latin1Slice.call(bytes, 0, bytes.length);
}

/** A fresh Uint8Array holding a binary string's bytes (never shared with the store; no bytes: the shared empty one). */
export function fromBinary(key: BinaryKey): Bytes {
  const length = key.length;
  if (length === 0) return emptyBytes;
  if (length > shortMax) return new Uint8Array(Buffer.from(key, 'latin1'));
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/**
 * The range_end that makes [key, end) the keys with this prefix: the last
 * byte incremented after dropping trailing 0xff bytes; "\0" (every key >= key)
 * when there is no such byte (clientv3 getPrefix).
 */
export function prefixEnd(prefix: Bytes): Bytes {
  const end = new Uint8Array(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
