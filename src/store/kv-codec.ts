/**
 * Fast conversions between wire bytes and the store's binary strings
 * (src/store/bytes.ts explains the representation). The KV hot path converts
 * every key and value once per request, so these avoid Buffer allocations:
 * `latin1Slice` reads a Uint8Array straight into a one-byte string, and short
 * strings are copied back byte by byte.
 *
 *   binaryOf(Uint8Array [0x61, 0xc3, 0xa9]) === 'a\xc3\xa9'
 *   bytesOf('a\xc3\xa9') → Uint8Array [0x61, 0xc3, 0xa9] (a fresh copy)
 */
import { Buffer } from 'node:buffer';
import type { BinaryKey } from './bytes.ts';
import type { Bytes } from './messages.ts';

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, start: number, end: number): string }).latin1Slice;

export function binaryOf(bytes: Bytes): BinaryKey {
  return bytes.length === 0 ? '' : latin1Slice.call(bytes, 0, bytes.length);
}

/** A fresh Uint8Array holding the string's bytes (never shared with the store). */
export function bytesOf(text: BinaryKey): Bytes {
  const length = text.length;
  if (length === 0) return new Uint8Array(0);
  if (length > 64) return new Uint8Array(Buffer.from(text, 'latin1'));
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = text.charCodeAt(i);
  return out;
}
