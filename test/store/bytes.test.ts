import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBinary, fromUtf8, prefixEnd, toBinary, utf8 } from '../../src/store/bytes.ts';

const compareBytes = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);

// Any code point, lone surrogates included, often ASCII. Not fast-check's `unit: 'binary'`:
// its first use builds tables for about 1.5 s.
const codePoint = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0, max: 0x10ffff })).map((code) => String.fromCodePoint(code));

describe('bytes', () => {
  it('utf8 and fromUtf8 agree with TextEncoder/TextDecoder, short and long, ASCII or not', () => {
    fc.assert(
      fc.property(fc.string({ unit: codePoint, maxLength: 100 }), (text) => {
        // Strings and Buffer.equals first: expect's deep equality on arrays costs more than what is tested.
        if (!Buffer.from(utf8(text)).equals(new TextEncoder().encode(text))) expect(utf8(text)).toEqual(new TextEncoder().encode(text));
        expect(fromUtf8(utf8(text))).toBe(new TextDecoder().decode(new TextEncoder().encode(text)));
      }),
      { seed: 1, numRuns: 300 },
    );
    expect(fromUtf8(new Uint8Array([0x61, 0xff]))).toBe('a\ufffd');
  });

  it('binary strings round-trip every byte and sort as the bytes do (é after z)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        if (!Buffer.from(fromBinary(toBinary(a))).equals(a)) expect(fromBinary(toBinary(a))).toEqual(a);
        const [x, y] = [toBinary(a), toBinary(b)];
        expect(Math.sign(x < y ? -1 : x > y ? 1 : 0)).toBe(Math.sign(compareBytes(a, b)));
      }),
      { seed: 1, numRuns: 300 },
    );
    expect(toBinary(utf8('é'))).toBe('\xc3\xa9');
    expect(toBinary(utf8('é')) > toBinary(utf8('z'))).toBe(true);
  });

  it('fromBinary returns a fresh array every time', () => {
    const key = toBinary(utf8('k'));
    const a = fromBinary(key);
    a[0] = 0;
    expect(fromBinary(key)).toEqual(utf8('k'));
  });

  it('prefixEnd: the last byte below 0xff incremented, or "\\0" when every byte is 0xff (clientv3 getPrefix)', () => {
    expect(prefixEnd(utf8('aa'))).toEqual(utf8('ab'));
    expect(prefixEnd(new Uint8Array([0x61, 0xff]))).toEqual(utf8('b'));
    expect(prefixEnd(new Uint8Array([0xff, 0xff]))).toEqual(new Uint8Array([0]));
    expect(prefixEnd(new Uint8Array(0))).toEqual(new Uint8Array([0]));
  });
});
