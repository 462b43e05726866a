import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../src/check/history.ts';
import { checkMutualExclusion } from '../../src/check/mutual-exclusion.ts';

const acquired = (timeMs: number, process: string, fencingToken: number, lockName = 'L'): LockEvent => ({
  timeMs,
  process,
  kind: 'acquired',
  lockName,
  fencingToken,
});
const released = (timeMs: number, process: string, lockName = 'L'): LockEvent => ({ timeMs, process, kind: 'released', lockName });
const lost = (timeMs: number, process: string, lockName = 'L'): LockEvent => ({ timeMs, process, kind: 'lost', lockName });

describe('checkMutualExclusion', () => {
  it('accepts holders one after the other, touching endpoints included, in either recorded order', () => {
    const verdict = checkMutualExclusion([acquired(0, 'p1', 1), acquired(10, 'p2', 2), released(10, 'p1'), released(20, 'p2')]);
    expect(verdict.result).toBe('ok');
    expect(verdict.intervals).toHaveLength(2);
  });

  it('reports an overlap with both processes, the shared instants and the tokens', () => {
    const verdict = checkMutualExclusion([acquired(10, 'p1', 5), acquired(30, 'p2', 6), lost(40, 'p1'), released(60, 'p2')]);
    expect(verdict.result).toBe('violated');
    expect(verdict.violations).toEqual([
      expect.objectContaining({
        kind: 'overlap',
        lockName: 'L',
        fromMs: 30,
        toMs: 40,
        first: expect.objectContaining({ process: 'p1', fencingToken: 5, endedBy: 'lost' }),
        second: expect.objectContaining({ process: 'p2', fencingToken: 6, endedBy: 'released' }),
      }),
    ]);
  });

  it('keeps a belief open to the end of the run', () => {
    const verdict = checkMutualExclusion([acquired(0, 'p1', 1), acquired(50, 'p2', 2), released(70, 'p2')], { endMs: 100 });
    expect(verdict.violations[0]).toMatchObject({ fromMs: 50, toMs: 70, first: { endedBy: 'end-of-run', toMs: 100 } });
  });

  it('counts a zero-length critical section inside another belief, not one touching it', () => {
    const inside = checkMutualExclusion([acquired(0, 'p1', 1), acquired(5, 'p2', 2), released(5, 'p2'), released(10, 'p1')]);
    expect(inside.violations).toEqual([expect.objectContaining({ fromMs: 5, toMs: 5 })]);
    const touching = checkMutualExclusion([acquired(0, 'p2', 1), released(0, 'p2'), acquired(0, 'p1', 2), released(10, 'p1')]);
    expect(touching.result).toBe('ok');
  });

  it('treats locks independently and reports malformed events as problems', () => {
    const verdict = checkMutualExclusion([
      acquired(0, 'p1', 1, 'A'),
      acquired(1, 'p2', 1, 'B'),
      released(2, 'p3', 'A'),
      acquired(3, 'p1', 1, 'A'),
      { ...released(4, 'p1', 'A'), timeMs: Number.NaN },
    ]);
    expect(verdict.result).toBe('ok');
    expect(verdict.problems.map((problem) => problem.index).sort()).toEqual([2, 3, 4]);
  });

  it('reports every overlapping pair among three holders', () => {
    const verdict = checkMutualExclusion([
      acquired(0, 'a', 1),
      acquired(1, 'b', 2),
      acquired(2, 'c', 3),
      released(10, 'a'),
      released(10, 'b'),
      released(10, 'c'),
    ]);
    expect(verdict.violations.map((v) => `${v.first.process}${v.second.process}`)).toEqual(['ab', 'ac', 'bc']);
  });
});
