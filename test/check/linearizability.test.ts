import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kvAppendHistoriesDir } from '../fixtures/shared-data.ts';
import type { Operation } from '../../src/check/history.ts';
import { checkLinearizability, searchSliceSteps, type Model } from '../../src/check/linearizability.ts';
import { kvAppendModel, kvAppendUnpartitionedModel, readKvAppendHistory, type KvAppendOperation } from '../../src/check/models/kv-append.ts';

const shared = (name: string) => readKvAppendHistory(readFileSync(join(kvAppendHistoriesDir, `${name}.txt`), 'utf8'));

let nextProcess = 0;
function op(
  kind: 'get' | 'put' | 'append',
  value: string,
  invokeMs: number,
  returnMs: number,
  outcome: Operation<unknown, unknown>['outcome'] = 'ok',
  key = 'x',
): KvAppendOperation {
  const operation: KvAppendOperation = {
    process: `p${nextProcess++}`,
    invokeMs,
    returnMs: outcome === 'unknown' ? Infinity : returnMs,
    input: { op: kind, key, value: kind === 'get' ? '' : value },
    outcome,
  };
  if (outcome === 'ok') operation.output = { value: kind === 'get' ? value : '' };
  return operation;
}

/** A register with compare-and-set, to show a model that is not kv-append. */
type RegisterInput = { kind: 'read' } | { kind: 'write'; value: number } | { kind: 'cas'; from: number; to: number };
const registerModel: Model<number, RegisterInput, number | boolean> = {
  init: () => 0,
  step(state, input, output) {
    if (input.kind === 'read') return [output === undefined || output === state, state];
    if (input.kind === 'write') return [true, input.value];
    const swapped = state === input.from;
    return [output === undefined || output === swapped, swapped ? input.to : state];
  },
};

describe('checkLinearizability', () => {
  it('accepts a sequential history and overlapping ops in some valid order', () => {
    expect(checkLinearizability([op('put', 'a', 0, 1), op('append', 'b', 2, 3), op('get', 'ab', 4, 5)], kvAppendModel()).result).toBe('ok');
    // the get overlaps both appends and sees only the first
    expect(checkLinearizability([op('append', 'a', 0, 10), op('append', 'b', 1, 10), op('get', 'b', 2, 3)], kvAppendModel()).result).toBe('ok');
  });

  it('rejects a stale read and names the prefix, the stuck op and why nothing else fits', () => {
    const history = [op('put', 'a', 0, 1), op('get', '', 2, 3)];
    const verdict = checkLinearizability(history, kvAppendModel());
    expect(verdict.result).toBe('illegal');
    if (verdict.result !== 'illegal') return;
    const { failure } = verdict;
    expect(failure.linearized.map((step) => step.index)).toEqual([0]);
    expect(failure.linearized[0]!.stateAfter.text).toBe('a');
    expect(failure.stuck.index).toBe(1);
    expect(failure.candidates).toEqual([expect.objectContaining({ index: 1, reason: 'illegal' })]);
    expect([failure.fromMs, failure.toMs]).toEqual([0, 3]);
  });

  it('counts ops that touch (one returns at t, the next is called at t) as concurrent', () => {
    expect(checkLinearizability([op('put', 'a', 0, 5), op('get', '', 5, 6)], kvAppendModel()).result).toBe('ok');
  });

  it('applies an unknown-outcome write when a read needs it', () => {
    const history = [op('put', 'a', 0, 0, 'unknown'), op('get', 'a', 5, 6)];
    expect(checkLinearizability(history, kvAppendModel()).result).toBe('ok');
    // and the read may come long after the call timed out
    expect(checkLinearizability([op('append', 'a', 0, 0, 'unknown'), op('get', '', 5, 6), op('get', 'a', 50, 60)], kvAppendModel()).result).toBe('ok');
  });

  it('leaves an unknown-outcome write out when reads show it did not happen', () => {
    const history = [op('append', 'a', 0, 0, 'unknown'), op('append', 'b', 1, 2), op('get', 'b', 5, 6), op('get', 'b', 10, 11)];
    expect(checkLinearizability(history, kvAppendModel()).result).toBe('ok');
    // but it cannot be applied twice, nor undone
    const undone = [op('append', 'a', 0, 0, 'unknown'), op('get', 'a', 5, 6), op('get', '', 10, 11)];
    expect(checkLinearizability(undone, kvAppendModel()).result).toBe('illegal');
  });

  it('leaves out error ops: definitely not applied', () => {
    expect(checkLinearizability([op('put', 'z', 0, 1, 'error'), op('get', '', 2, 3)], kvAppendModel()).result).toBe('ok');
    expect(checkLinearizability([op('put', 'z', 0, 1, 'error'), op('get', 'z', 2, 3)], kvAppendModel()).result).toBe('illegal');
  });

  it('treats an unknown-outcome compare-and-set as maybe applied in a register model', () => {
    const cas = (from: number, to: number, invokeMs: number): Operation<RegisterInput, number | boolean> => ({
      process: 'c',
      invokeMs,
      returnMs: Infinity,
      input: { kind: 'cas', from, to },
      outcome: 'unknown',
    });
    const read = (value: number, invokeMs: number): Operation<RegisterInput, number | boolean> => ({
      process: 'r',
      invokeMs,
      returnMs: invokeMs + 1,
      input: { kind: 'read' },
      output: value,
      outcome: 'ok',
    });
    expect(checkLinearizability([cas(0, 7, 0), read(7, 5)], registerModel).result).toBe('ok');
    expect(checkLinearizability([cas(0, 7, 0), read(0, 5), read(0, 9)], registerModel).result).toBe('ok');
    expect(checkLinearizability([cas(1, 7, 0), read(7, 5)], registerModel).result).toBe('illegal');
  });

  it('checks keys independently and reports the failing key only', () => {
    const history = [op('put', 'a', 0, 1, 'ok', 'k1'), op('put', 'b', 0, 1, 'ok', 'k2'), op('get', 'b', 2, 3, 'ok', 'k2'), op('get', 'b', 2, 3, 'ok', 'k1')];
    const verdict = checkLinearizability(history, kvAppendModel());
    expect(verdict).toMatchObject({ result: 'illegal', partitions: 2 });
    if (verdict.result === 'illegal') expect(verdict.failure.windowIndices).toEqual([0, 3]);
  });

  it('cuts the failing window down to a history that fails on its own', () => {
    const history: KvAppendOperation[] = [op('put', 'a', 0, 1), op('get', 'b', 2, 3)];
    for (let i = 0; i < 50; i++) history.push(op('append', String(i % 10), 10 + 2 * i, 11 + 2 * i));
    const verdict = checkLinearizability(history, kvAppendModel());
    expect(verdict.result).toBe('illegal');
    if (verdict.result !== 'illegal') return;
    expect(verdict.failure.window).toHaveLength(2);
    expect(checkLinearizability(verdict.failure.window, kvAppendModel()).result).toBe('illegal');
    const unshrunk = checkLinearizability(history, kvAppendModel(), { shrinkWindow: false });
    if (unshrunk.result === 'illegal') expect(unshrunk.failure.window).toHaveLength(52);
  });

  it('reports ops with impossible times as problems instead of throwing', () => {
    const bad = { ...op('put', 'a', 5, 1) };
    const nan = { ...op('get', '', Number.NaN, 1) };
    const verdict = checkLinearizability([bad, nan, op('get', '', 2, 3)], kvAppendModel());
    expect(verdict.result).toBe('ok');
    expect(verdict.problems.map((problem) => problem.index)).toEqual([0, 1]);
  });

  it('gives up with unknown when the step budget runs out', () => {
    const verdict = checkLinearizability(shared('c50-ok').operations, kvAppendModel(), { stepsMax: 0 });
    expect(verdict).toMatchObject({ result: 'unknown', reason: 'budget', steps: searchSliceSteps });
  });

  it('counts steps, not time: the same history and budget give the same verdict however slow the machine', () => {
    const history = shared('c50-ok').operations;
    const full = checkLinearizability(history, kvAppendModel());
    expect(full.result).toBe('ok');
    // A slower machine: every look at the clock finds another hour gone (the checker must not look).
    let fakeNowMs = 0;
    const slowModel = (): ReturnType<typeof kvAppendModel> => {
      const model = kvAppendModel();
      const step = model.step.bind(model);
      return {
        ...model,
        step: (state, input, output) => {
          fakeNowMs = performance.now();
          return step(state, input, output);
        },
      };
    };
    // A plain replacement, not vi.spyOn: a spy records every call, which made this test take seconds.
    const realNow = performance.now;
    performance.now = () => (fakeNowMs += 3_600_000);
    try {
      for (const stepsMax of [searchSliceSteps, full.steps - 1, full.steps]) {
        const fast = checkLinearizability(history, kvAppendModel(), { stepsMax });
        const slow = checkLinearizability(history, slowModel(), { stepsMax });
        expect({ result: slow.result, steps: slow.steps }).toEqual({ result: fast.result, steps: fast.steps });
      }
    } finally {
      performance.now = realNow;
    }
    expect(fakeNowMs).toBeGreaterThan(0);
    expect(checkLinearizability(history, kvAppendModel(), { stepsMax: full.steps }).result).toBe('ok');
  });

  describe('the shared kv-append histories (porcupine test data)', () => {
    for (const [name, expected] of [
      ['c01-ok', 'ok'],
      ['c01-bad', 'illegal'],
      ['c10-ok', 'ok'],
      ['c10-bad', 'illegal'],
      ['c50-ok', 'ok'],
      ['c50-bad', 'illegal'],
    ] as const) {
      it(`${name} is ${expected}`, () => {
        const { operations, problems } = shared(name);
        expect(problems).toEqual([]);
        const verdict = checkLinearizability(operations, kvAppendModel());
        expect(verdict.result).toBe(expected);
        if (verdict.result === 'illegal') {
          // the window stands on its own
          expect(checkLinearizability(verdict.failure.window, kvAppendModel()).result).toBe('illegal');
          expect(
            verdict.failure.windowIndices.every((index) => operations[index] === verdict.failure.window[verdict.failure.windowIndices.indexOf(index)]),
          ).toBe(true);
        }
      });
    }

    it('c01 gets the same verdicts without partitioning', () => {
      expect(checkLinearizability(shared('c01-ok').operations, kvAppendUnpartitionedModel()).result).toBe('ok');
      expect(checkLinearizability(shared('c01-bad').operations, kvAppendUnpartitionedModel()).result).toBe('illegal');
    });
  });
});
