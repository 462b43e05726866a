import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { inRange, rangeEndOf } from '../../src/store/key-range.ts';

describe('key ranges (docs/etcd-semantics.md §2.2)', () => {
  it('reads range_end as etcd does: absent or empty is the one key, "\\0" is every key from key on', () => {
    expect(rangeEndOf(undefined)).toBeUndefined();
    expect(rangeEndOf(null)).toBeUndefined();
    expect(rangeEndOf(new Uint8Array(0))).toBeUndefined();
    expect(rangeEndOf(new Uint8Array([0]))).toBe('');
    expect(rangeEndOf(utf8('c'))).toBe('c');
    expect(rangeEndOf(new Uint8Array([0, 0]))).toBe('\0\0');
  });

  it('membership: the key alone, [key, end), every key >= key, nothing when end <= key', () => {
    expect([inRange('a', 'a', undefined), inRange('ab', 'a', undefined)]).toEqual([true, false]);
    expect(['a', 'b', 'bz', 'c'].map((k) => inRange(k, 'b', 'c'))).toEqual([false, true, true, false]);
    expect(['a', 'b', '\xff'].map((k) => inRange(k, 'b', ''))).toEqual([false, true, true]);
    expect(['a', 'b', 'c'].map((k) => inRange(k, 'c', 'a'))).toEqual([false, false, false]);
  });
});
