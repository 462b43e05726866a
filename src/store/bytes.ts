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
export const emptyBytes: Bytes = new Uint8Array(0);

/** UTF-8 bytes of a string. */
export function utf8(text: string): Bytes {
  return encoder.encode(text);
}

/** A string from UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Bytes): string {
  return decoder.decode(bytes);
}

export function toBinary(bytes: Bytes): BinaryKey {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function fromBinary(key: BinaryKey): Bytes {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

/** Byte-wise comparison, -1 / 0 / 1. */
export function compareBytes(a: Bytes, b: Bytes): number {
  return Buffer.compare(a, b);
}

export function bytesEqual(a: Bytes, b: Bytes): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
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
