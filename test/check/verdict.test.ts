// The checkers' shared verdict shape and time ordering: a bad time is a problem, not a throw.
import { describe, expect, it } from 'vitest';
import { type HistoryProblem, propertyVerdict, timeOrder } from '../../src/check/verdict.ts';

describe('timeOrder', () => {
  it('orders indices by time, equal times in input order, without touching the input', () => {
    const items = [{ t: 30 }, { t: 10 }, { t: 20 }, { t: 10 }, { t: -5 }, { t: 20 }];
    const before = JSON.stringify(items);
    const problems: HistoryProblem[] = [];
    expect(timeOrder(items, (item) => item.t, problems)).toEqual([4, 1, 3, 2, 5, 0]);
    expect(problems).toEqual([]);
    expect(JSON.stringify(items)).toBe(before);
  });

  it('reports records whose time is not a finite number by their index, and orders the rest', () => {
    const times: unknown[] = [5, Number.NaN, Infinity, 1, -Infinity, '3', undefined, 2];
    const problems: HistoryProblem[] = [{ index: 99, message: 'already there' }];
    const order = timeOrder(times, (time) => time as number, problems);
    expect(order).toEqual([3, 7, 0]);
    expect(problems).toEqual([
      { index: 99, message: 'already there' },
      { index: 1, message: 'time is not a finite number: NaN' },
      { index: 2, message: 'time is not a finite number: Infinity' },
      { index: 4, message: 'time is not a finite number: -Infinity' },
      { index: 5, message: 'time is not a finite number: 3' },
      { index: 6, message: 'time is not a finite number: undefined' },
    ]);
  });

  it('an empty history is an empty order', () => {
    const problems: HistoryProblem[] = [];
    expect(timeOrder([], () => 0, problems)).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('propertyVerdict', () => {
  it('is violated as soon as there is one violation, whatever the problems; ok otherwise', () => {
    const problem = { index: 0, message: 'time is not a finite number: NaN' };
    expect(propertyVerdict([], [])).toEqual({ result: 'ok', violations: [], problems: [] });
    expect(propertyVerdict([], [problem])).toEqual({ result: 'ok', violations: [], problems: [problem] });
    expect(propertyVerdict(['overlap'], [problem])).toEqual({ result: 'violated', violations: ['overlap'], problems: [problem] });
  });
});
