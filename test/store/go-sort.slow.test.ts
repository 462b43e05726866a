// goSort against Go itself: etcd sorts a range with sort.Sort (sort.Reverse for descending), which is
// not stable, so keys that tie come back in the order Go's pdqsort leaves them. The same cases go to
// a Go program (test/store/go-sort/main.go, built by the Go installed here) and to goSort; the orders
// of the tied items must match.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { goSort } from '../../src/store/go-sort.ts';

const goMissing = spawnSync('go', ['version']).status !== 0 ? 'go not installed: apt-get install golang-go' : undefined;
const program = fileURLToPath(new URL('./go-sort/main.go', import.meta.url));

interface Item {
  key: number;
  tag: number;
}

/** A small seeded generator (xorshift32), so the cases are the same each run. */
function generator(seed: number): (below: number) => number {
  let x = seed >>> 0 || 1;
  return (below) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % below;
  };
}

function cases(): { items: Item[]; reverse: boolean }[] {
  const next = generator(14);
  const shapes: ((i: number, n: number) => number)[] = [
    () => next(4), // many ties
    () => next(1000),
    (i) => i, // sorted
    (i, n) => n - i, // reversed
    () => 7, // all equal
    (i) => i % 5, // sawtooth
    (i, n) => (i < n / 2 ? i : n - i), // up then down
  ];
  const all: { items: Item[]; reverse: boolean }[] = [];
  for (const n of [0, 1, 2, 3, 5, 12, 13, 20, 49, 50, 51, 100, 257, 1000])
    for (const shape of shapes)
      for (const reverse of [false, true]) all.push({ items: Array.from({ length: n }, (_, i) => ({ key: shape(i, n), tag: i })), reverse });
  return all;
}

function sortedTags({ items, reverse }: { items: Item[]; reverse: boolean }): number[] {
  const a = items.map((item) => ({ ...item }));
  goSort(
    a.length,
    (i, j) => (reverse ? a[j]!.key < a[i]!.key : a[i]!.key < a[j]!.key),
    (i, j) => {
      [a[i], a[j]] = [a[j]!, a[i]!];
    },
  );
  return a.map((item) => item.tag);
}

describe('goSort', () => {
  it.skipIf(goMissing !== undefined)(`leaves items in the order Go's sort.Sort does, ties included (${goMissing ?? 'go run'})`, () => {
    const input = cases();
    const go = spawnSync('go', ['run', program], {
      input: JSON.stringify(input),
      encoding: 'utf8',
      env: Object.assign({}, process.env, { GO111MODULE: 'off', GOFLAGS: '' }),
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(go.status, go.stderr).toBe(0);
    const goOrders = go.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as number[] | null);
    expect(goOrders).toHaveLength(input.length);
    let withTies = 0;
    input.forEach((testCase, k) => {
      const expected = goOrders[k] ?? [];
      expect(sortedTags(testCase), `case ${k}: ${testCase.items.length} items, reverse ${testCase.reverse}`).toEqual(expected);
      if (new Set(testCase.items.map((item) => item.key)).size < testCase.items.length) withTies++;
    });
    expect(withTies).toBeGreaterThan(50);
  });
});
