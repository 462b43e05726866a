// VisitedSet against the plainest set that could do its job: a Set of (first, words, state) strings.
// Keys are deliberately weak (a few values for many pairs) so that most lookups meet a slot whose key
// matches and must compare words and states; bitsets run past the inline words into the pool; and
// over 1024 distinct states stop the interning half-way.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VisitedSet } from '../../src/check/visited-set.ts';
import { casesFor } from '../quick-tier.ts';

interface Pair {
  bits: number[];
  first: number;
  end: number;
  state: number;
}

/** The pair as the reference set sees it: the words the set stores, and the state. */
const identity = (pair: Pair) => `${pair.first}|${pair.bits.slice(pair.first, Math.max(pair.first, pair.end)).join(',')}|${pair.state}`;
/** A caller's hash of the pair: equal pairs get equal keys; here, many unequal ones do too. */
const weakKey = (pair: Pair) =>
  (pair.bits.slice(pair.first, Math.max(pair.first, pair.end)).reduce((sum, word) => sum + word, 0) + pair.first + pair.state) & 3;

const pairArbitrary = (states: number) =>
  fc
    .record({
      bits: fc.array(fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.nat({ max: 0xffffffff })), { minLength: 0, maxLength: 9 }),
      cut: fc.tuple(fc.nat(), fc.nat()),
      state: fc.nat({ max: states - 1 }),
    })
    .map(({ bits, cut, state }): Pair => {
      const first = bits.length === 0 ? 0 : cut[0] % bits.length;
      const end = bits.length === 0 ? 0 : first + (cut[1] % (bits.length - first + 1));
      return { bits, first, end, state };
    });

/** States as objects (so `===` is not equality) with the model's `equal` and, when asked, its `hash`. */
function runAgainstReference(pairs: Pair[], withHash: boolean, expected: number): void {
  const boxes = new Map<number, { value: number }[]>();
  const box = (value: number) => {
    // a fresh object each time a value comes back: only `equal` says two states are the same
    const made = { value };
    boxes.set(value, [...(boxes.get(value) ?? []), made]);
    return made;
  };
  const set = new VisitedSet<{ value: number }>(
    (a, b) => a.value === b.value, // a weak state hash too: equal states hash alike, and so do half of all the others
    withHash ? (state) => state.value & 1 : undefined,
    expected,
  );
  const seen = new Set<string>();
  for (const pair of pairs) {
    const fresh = !seen.has(identity(pair));
    seen.add(identity(pair));
    const added = set.add(weakKey(pair), Uint32Array.from(pair.bits), pair.first, pair.end, box(pair.state));
    expect(added, identity(pair)).toBe(fresh);
  }
  expect(set.size).toBe(seen.size);
}

describe('VisitedSet', () => {
  it('adds a pair once: add says whether it was new, with or without a state hash, through growth', () => {
    fc.assert(
      fc.property(fc.array(pairArbitrary(6), { maxLength: 300 }), fc.boolean(), fc.constantFrom(1, 64), (pairs, withHash, expected) => {
        // each pair twice, the second time in another order: half the adds find it there
        runAgainstReference([...pairs, ...pairs.slice().reverse()], withHash, expected);
      }),
      { seed: 14, numRuns: casesFor(200, 40) },
    );
  });

  it('keeps exact answers when more than 1024 distinct states stop the interning', () => {
    const pairs: Pair[] = [];
    for (let state = 0; state < 1500; state++) pairs.push({ bits: [0, state & 7], first: 0, end: 2, state });
    // the same bits with every state again, and the first 100 once more with other bits
    for (let state = 0; state < 1500; state++) pairs.push({ bits: [0, state & 7], first: 0, end: 2, state });
    for (let state = 0; state < 100; state++) pairs.push({ bits: [1, state & 7], first: 0, end: 2, state });
    runAgainstReference(pairs, true, 16);
    runAgainstReference(pairs, false, 16);
  });

  it('compares states with === when it has no equal', () => {
    const set = new VisitedSet<object>(undefined, undefined);
    const bits = Uint32Array.of(5);
    const state = {};
    expect(set.add(7, bits, 0, 1, state)).toBe(true);
    expect(set.add(7, bits, 0, 1, state)).toBe(false);
    expect(set.add(7, bits, 0, 1, {})).toBe(true);
    expect(set.size).toBe(2);
  });

  it('compares long bitsets (past the inline words) word by word', () => {
    const set = new VisitedSet<number>(undefined, undefined);
    const words = [1, 2, 3, 4, 5, 6, 7];
    expect(set.add(9, Uint32Array.from(words), 0, 7, 0)).toBe(true);
    for (let w = 0; w < words.length; w++) {
      const other = words.slice();
      other[w] = 100;
      expect(set.add(9, Uint32Array.from(other), 0, 7, 0), `word ${w}`).toBe(true);
    }
    expect(set.add(9, Uint32Array.from(words), 0, 7, 0)).toBe(false);
    expect(set.size).toBe(8);
  });

  it('tells pairs apart by where their words start, not only by the words', () => {
    const set = new VisitedSet<number>(undefined, undefined);
    // words [1..2) of [0xffffffff, 3] and words [0..1) of [3]: the same stored word, a different first
    expect(set.add(1, Uint32Array.of(0xffffffff, 3), 1, 2, 0)).toBe(true);
    expect(set.add(1, Uint32Array.of(3), 0, 1, 0)).toBe(true);
    expect(set.add(1, Uint32Array.of(0xffffffff, 3), 1, 2, 0)).toBe(false);
  });
});
