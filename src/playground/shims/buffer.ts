/**
 * The part of Node's Buffer that leaselab's store and explorer use, for the
 * browser bundle (scripts/build-playground.mjs aliases `node:buffer` here):
 * latin1 and UTF-8 text, base64url, compare, byteLength.
 */
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

type Encoding = 'utf8' | 'utf-8' | 'latin1' | 'binary' | 'base64' | 'base64url';

function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  for (let i = start; i < end; i += 4096) text += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, Math.min(end, i + 4096))));
  return text;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** The bytes a shimmed Buffer hands out: a Uint8Array with Buffer's text methods. */
class BufferBytes extends Uint8Array {
  latin1Slice(this: Uint8Array, start: number, end: number): string {
    return latin1Text(this, start, end);
  }

  override toString(encoding: Encoding = 'utf8'): string {
    if (encoding === 'latin1' || encoding === 'binary') return latin1Text(this);
    if (encoding === 'base64' || encoding === 'base64url') {
      const base64 = btoa(latin1Text(this));
      return encoding === 'base64' ? base64 : base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    }
    return utf8Decoder.decode(this);
  }
}

export const Buffer = {
  prototype: BufferBytes.prototype,

  from(value: string | ArrayLike<number> | ArrayBuffer, encoding: Encoding = 'utf8'): BufferBytes {
    if (typeof value !== 'string') return new BufferBytes(value instanceof ArrayBuffer ? new Uint8Array(value) : Array.from(value));
    if (encoding === 'latin1' || encoding === 'binary') return new BufferBytes(Array.from(value, (ch) => ch.charCodeAt(0) & 0xff));
    if (encoding === 'base64' || encoding === 'base64url') return new BufferBytes(base64Bytes(value));
    return new BufferBytes(utf8Encoder.encode(value));
  },

  compare(a: Uint8Array, b: Uint8Array): number {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  },

  byteLength(text: string): number {
    return utf8Encoder.encode(text).length;
  },

  isBuffer(value: unknown): value is BufferBytes {
    return value instanceof BufferBytes;
  },
};
