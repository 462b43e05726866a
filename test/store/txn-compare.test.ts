import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { compareHolds, compareOperand } from '../../src/store/txn-compare.ts';

describe('compareOperand', () => {
  it("reads the operand of the compare's target, each defaulting to zero", () => {
    expect(compareOperand({ target: 'VALUE', value: utf8('é') })).toBe('\u00c3\u00a9'); // a binary string: one char per byte
    expect(compareOperand({ target: 'VALUE' })).toBe('');
    expect(compareOperand({ version: 3 })).toBe(3); // no target: VERSION
    expect(compareOperand({ target: 'CREATE', create_revision: 4, version: 9 })).toBe(4);
    expect(compareOperand({ target: 'MOD' })).toBe(0);
    expect(compareOperand({ target: 'LEASE', lease: 7n })).toBe(7n);
    expect(compareOperand({ target: 42, version: 3 })).toBe(0); // an unknown target
  });
});

describe('compareHolds', () => {
  it('orders numbers, bigints and binary strings by the result', () => {
    expect([compareHolds('EQUAL', 2, 2), compareHolds('NOT_EQUAL', 2, 2), compareHolds('GREATER', 3, 2), compareHolds('LESS', 3, 2)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(compareHolds('LESS', 5n, 7n)).toBe(true);
    expect(compareHolds('GREATER', 'y', 'x')).toBe(true);
    expect(compareHolds('GREATER', '\u0080', 'z')).toBe(true); // byte order: 0x80 after 0x7a
  });

  it('lets an unknown result hold, as etcd does', () => {
    expect(compareHolds(17, 1, 2)).toBe(true);
  });
});
