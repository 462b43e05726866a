// Limits that follow from etcd's formats, checked against what they stand for.
import { describe, expect, it } from 'vitest';
import { defaultRaftRequestIdBytes, raftRequestIdBytes } from '../../src/store/limits.ts';

/** Bytes of `value` as a protobuf varint: 7 bits a byte. */
function varintBytes(value: bigint): number {
  let bytes = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes++;
  return bytes;
}

describe('raftRequestIdBytes: the varint size of the IDs etcd proposes with (pkg/idutil)', () => {
  // An ID is the member ID's low 16 bits, then 40 bits of milliseconds, then an 8-bit counter.
  const idOf = (memberId: bigint, millis: bigint, count: bigint) => ((memberId & 0xffffn) << 48n) | ((millis & (2n ** 40n - 1n)) << 8n) | count;

  it("is 9 bytes for etcd's default member ID (8e9e05c52164694d: bit 15 of its low 16 bits is clear)", () => {
    expect(defaultRaftRequestIdBytes).toBe(9);
    expect(varintBytes(idOf(0x8e9e05c52164694dn, 1_796_000_000_000n, 0n))).toBe(9);
  });

  it('matches the varint size of real IDs for member IDs across the 16-bit prefix', () => {
    for (const low16 of [0x8000n, 0xffffn, 0x7fffn, 0x4000n, 0x0100n, 0x00ffn, 0x0080n, 0x0001n]) {
      const memberId = (0xabcdn << 48n) | low16;
      // The time bits never reach the prefix's bits, so any time and counter give the same size.
      for (const millis of [0n, 1_796_000_000_000n, 2n ** 40n - 1n]) {
        for (const count of [0n, 255n]) {
          if (low16 >= 0x100n) expect(raftRequestIdBytes(memberId)).toBe(varintBytes(idOf(memberId, millis, count)));
        }
      }
      // Under 0x100 the time's top bits can decide; the bound counted is the longest such ID.
      if (low16 < 0x100n) expect(raftRequestIdBytes(memberId)).toBe(varintBytes(idOf(memberId, 2n ** 40n - 1n, 255n)));
    }
  });

  it('is 10 bytes when bit 15 is set, 9 when clear, 8 or fewer for tiny prefixes', () => {
    expect(raftRequestIdBytes(0x8000n)).toBe(10);
    expect(raftRequestIdBytes(0x7fffn)).toBe(9);
    expect(raftRequestIdBytes(0x0100n)).toBe(9);
    expect(raftRequestIdBytes(0x00ffn)).toBe(8);
    expect(raftRequestIdBytes(0n)).toBe(7);
  });
});
