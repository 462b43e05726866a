// The per-property verdicts' pure parts: which violation decides a property in one run, and the table.
import { describe, expect, it } from 'vitest';
import type { Violation } from '../../src/explore/judge.ts';
import { type ExploreResult, findingsOf, renderOutcomeTable } from '../../src/explore/verdicts.ts';

const violation = (property: Violation['property'], verdict: Violation['verdict'], atMs: number): Violation => ({
  property,
  verdict,
  atMs,
  processes: ['alice', 'bob'],
  message: `${property} ${verdict} at ${atMs}`,
});

describe('findingsOf', () => {
  it('one finding per property, in order of first appearance: its first failing violation, else its first limitation', () => {
    const violations = [
      violation('belief', 'limitation', 1),
      violation('fenced', 'bug', 2),
      violation('belief', 'bug', 3),
      violation('belief', 'bug', 4),
      violation('liveness', 'limitation', 5),
      violation('liveness', 'limitation', 6),
      violation('crash', 'unknown', 7),
    ];
    expect(findingsOf(violations)).toEqual([
      { property: 'belief', failing: true, violation: violations[2] },
      { property: 'fenced', failing: true, violation: violations[1] },
      { property: 'liveness', failing: false, violation: violations[4] },
      // a run that could not be judged fails its property: it is not a pass
      { property: 'crash', failing: true, violation: violations[6] },
    ]);
    expect(findingsOf([])).toEqual([]);
  });
});

describe('renderOutcomeTable', () => {
  it('one row per property with its verdict, the run that found it, its faults and a note saying what it means for the exit code', () => {
    const result: ExploreResult = {
      runs: 40,
      shrinkRuns: 12,
      outcomes: [
        { property: 'belief', verdict: 'violated', runsToFind: 7, faults: 2, shrinks: 5, limitationRuns: 0, failedRuns: 3 },
        { property: 'fenced', verdict: 'ok', limitationRuns: 0, failedRuns: 0 },
        { property: 'liveness', verdict: 'limitation', runsToFind: 12, faults: 1, limitationRuns: 4, failedRuns: 0 },
        { property: 'crash', verdict: 'unknown', runsToFind: 30, limitationRuns: 0, failedRuns: 1 },
      ],
    };
    expect(renderOutcomeTable(result).split('\n')).toEqual([
      'property  verdict     runs to find  faults  note',
      'belief    violated    7             2       bug (exit 1), faults shrunk 5 time(s); 3 failing run(s)',
      'fenced    ok          -             -       none in 40 run(s)',
      'liveness  limitation  12            1       4 run(s), each explained by a fault longer than the lease (exit 0)',
      'crash     unknown     30            -       cannot be judged: not a pass (exit 1)',
      '',
    ]);
  });

  it('a violation found without shrinking, in one failing run, says just bug', () => {
    const table = renderOutcomeTable({
      runs: 3,
      shrinkRuns: 0,
      outcomes: [{ property: 'fenced', verdict: 'violated', runsToFind: 3, limitationRuns: 0, failedRuns: 1 }],
    });
    expect(table.split('\n')[1]).toBe('fenced    violated  3             -       bug (exit 1)');
  });
});
