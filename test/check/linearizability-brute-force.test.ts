// The search (with its cache, no-op commitment and rejection memo) agrees with
// a brute-force search over every order of small random histories.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import { type KvAppendOperation, kvAppendModel } from '../../src/check/models/kv-append.ts';

function bruteForce(history: KvAppendOperation[]): boolean {
  const model = kvAppendModel();
  const used = new Array<boolean>(history.length).fill(false);
  const search = (state: ReturnType<typeof model.init>, placed: number): boolean => {
    if (placed === history.length) return true;
    for (let i = 0; i < history.length; i++) {
      if (used[i]) continue;
      const op = history[i]!;
      // every op still to place that returned before op was called must go first
      if (history.some((other, j) => !used[j] && j !== i && other.returnMs < op.invokeMs)) continue;
      const [ok, next] = model.step(state, op.input, op.outcome === 'unknown' ? undefined : op.output);
      if (!ok) continue;
      used[i] = true;
      const found = search(next, placed + 1);
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.init(), 0);
}

const operation = fc
  .record({
    kind: fc.constantFrom('get', 'get', 'put', 'append') as fc.Arbitrary<'get' | 'put' | 'append'>,
    value: fc.constantFrom('a', 'b'),
    seen: fc.constantFrom('', 'a', 'b', 'ab', 'ba', 'aa'),
    invokeMs: fc.integer({ min: 0, max: 12 }),
    durationMs: fc.integer({ min: 0, max: 6 }),
    unknown: fc.boolean(),
  })
  .map(({ kind, value, seen, invokeMs, durationMs, unknown }) => {
    const op: KvAppendOperation = {
      process: 0,
      invokeMs,
      returnMs: unknown && kind !== 'get' ? Infinity : invokeMs + durationMs,
      input: { op: kind, key: 'k', value },
      outcome: unknown && kind !== 'get' ? 'unknown' : 'ok',
    };
    if (op.outcome === 'ok') op.output = { value: kind === 'get' ? seen : '' };
    return op;
  });

describe('checkLinearizability against brute force', () => {
  it('agrees on random single-key histories of up to 7 ops', () => {
    const seen = { ok: 0, illegal: 0 };
    fc.assert(
      fc.property(fc.array(operation, { minLength: 1, maxLength: 7 }), (history) => {
        const expected = bruteForce(history) ? 'ok' : 'illegal';
        seen[expected]++;
        expect(checkLinearizability(history, kvAppendModel()).result).toBe(expected);
      }),
      { seed: 42, numRuns: 3000 },
    );
    // both verdicts are well represented
    expect(Math.min(seen.ok, seen.illegal)).toBeGreaterThan(300);
  });
});
