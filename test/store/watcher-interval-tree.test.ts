// The interval tree behind range watchers, against a brute-force model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntervalTree, infiniteEnd } from '../../src/store/watcher-interval-tree.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

describe('IntervalTree', () => {
  it('answers the worked example', () => {
    const tree = new IntervalTree<string>();
    tree.set('a', 'c', 'A');
    tree.set('b', infiniteEnd, 'B');
    tree.set('x', 'y', 'C');
    const stab = (key: string) => {
      const out: string[] = [];
      tree.stab(key, (value) => out.push(value));
      return out;
    };
    expect(stab('b')).toEqual(['A', 'B']);
    expect(stab('c')).toEqual(['B']);
    expect(stab('x')).toEqual(['B', 'C']);
    expect(stab('0')).toEqual([]);
    expect(stab('\xff\xff')).toEqual(['B']);
    expect(tree.delete('b', infiniteEnd)).toBe(true);
    expect(tree.delete('b', infiniteEnd)).toBe(false);
    expect(stab('x')).toEqual(['C']);
    expect(tree.size).toBe(2);
  });

  it('matches a brute-force model under random sets and deletes', () => {
    const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 3 });
    const op = fc.oneof(fc.record({ set: fc.tuple(key, fc.oneof(key, fc.constant(infiniteEnd))) }), fc.record({ del: fc.nat(40) }), fc.record({ stab: key }));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const tree = new IntervalTree<string>();
        const model = new Map<string, [string, string]>();
        for (const o of ops) {
          if ('set' in o) {
            const [start, end] = o.set;
            const id = `${start}|${end}`;
            tree.set(start, end, id);
            model.set(id, [start, end]);
          } else if ('del' in o) {
            const entries = [...model.entries()];
            const victim = entries[o.del % Math.max(1, entries.length)];
            if (victim === undefined) continue;
            expect(tree.delete(victim[1][0], victim[1][1])).toBe(true);
            model.delete(victim[0]);
          } else {
            const got: string[] = [];
            tree.stab(o.stab, (value) => got.push(value));
            const want = [...model.entries()].filter(([, [s, e]]) => s <= o.stab && o.stab < e).map(([id]) => id);
            expect(got.sort()).toEqual(want.sort());
          }
          expect(tree.size).toBe(model.size);
          tree.checkValid();
        }
      }),
      { seed, numRuns: 200 },
    );
  });
});
