import { describe, expect, it } from 'vitest';
import { checkFencedSafety } from '../../src/check/fenced-safety.ts';
import type { FencedWrite } from '../../src/check/history.ts';

const write = (timeMs: number, process: string, fencingToken: number | undefined, accepted = true): FencedWrite =>
  fencingToken === undefined ? { timeMs, process, accepted } : { timeMs, process, fencingToken, accepted };

describe('checkFencedSafety', () => {
  it('accepts non-decreasing tokens and rightly rejected stale ones', () => {
    const verdict = checkFencedSafety({ writes: [write(10, 'p1', 5), write(20, 'p2', 6), write(25, 'p2', 6), write(30, 'p1', 5, false)] });
    expect(verdict).toMatchObject({ result: 'ok', violations: [], problems: [] });
  });

  it('reports an accepted token below one accepted before, with both writes', () => {
    const verdict = checkFencedSafety({ writes: [write(10, 'p1', 5), write(20, 'p2', 6), write(30, 'p1', 5)] });
    expect(verdict.result).toBe('violated');
    expect(verdict.violations).toEqual([
      {
        kind: 'token-regression',
        write: { timeMs: 30, process: 'p1', fencingToken: 5, accepted: true, index: 2 },
        overtaken: expect.objectContaining({ process: 'p2', fencingToken: 6, index: 1 }),
      },
    ]);
  });

  it('lets a holder whose lease expired write while its successor has not (fenced mode judges by tokens only)', () => {
    const verdict = checkFencedSafety({
      writes: [write(10, 'p1', 5), write(30, 'p1', 5), write(40, 'p2', 6)],
      holders: [
        { process: 'p1', fencingToken: 5, fromMs: 0, toMs: 25 },
        { process: 'p2', fencingToken: 6, fromMs: 25 },
      ],
    });
    expect(verdict.result).toBe('ok');
  });

  it('in unfenced mode, reports a write from a process the server no longer counted as holder', () => {
    const holders = [
      { process: 'p1', fencingToken: 5, fromMs: 0, toMs: 25 },
      { process: 'p2', fencingToken: 6, fromMs: 25 },
    ];
    const verdict = checkFencedSafety({
      mode: 'unfenced',
      writes: [write(10, 'p1', undefined), write(30, 'p1', undefined), write(40, 'p2', undefined)],
      holders,
    });
    expect(verdict.violations).toEqual([
      { kind: 'stale-write', write: expect.objectContaining({ process: 'p1', timeMs: 30 }), holder: holders[1], writerLastHeld: holders[0] },
    ]);
  });

  it('in unfenced mode, reports the interleaving as a token regression when writes carry tokens', () => {
    const verdict = checkFencedSafety({ mode: 'unfenced', writes: [write(10, 'p2', 6), write(20, 'p1', 5)] });
    expect(verdict.violations.map((v) => v.kind)).toEqual(['token-regression']);
  });

  it('reports a tokenless write slipping past the fence, and a wrongful rejection as a problem', () => {
    const verdict = checkFencedSafety({ writes: [write(10, 'p1', 5), write(20, 'p2', undefined), write(30, 'p3', 7, false)] });
    expect(verdict.violations).toEqual([expect.objectContaining({ kind: 'token-regression', write: expect.objectContaining({ process: 'p2' }) })]);
    expect(verdict.problems).toEqual([expect.objectContaining({ index: 2 })]);
  });
});
