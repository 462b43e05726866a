/**
 * How well the explorer finds the catalogue's bugs (test/explore/catalogue):
 * each buggy lock searched for its bug's property on seeds 1-5 (quick: 1-2),
 * up to 500 runs (quick: 100), shrunk; detection rate, median runs to find,
 * median shrunk faults, seconds. Correct locks: runs without a false alarm.
 * Goal (issue 8): every bug in 5/5 seeds within 500 runs, 0 false alarms.
 */
import { exploreProperties } from '../src/explore/verdicts.ts';
import { catalogue } from '../test/explore/catalogue/index.ts';
import type { BenchOptions, BenchTable } from './table.ts';

const median = (values: number[]) => (values.length === 0 ? '-' : String([...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]));

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const seeds = quick ? 2 : 5;
  const runs = quick ? 100 : 500;
  const correctRuns = quick ? 50 : 500;
  const rows: (string | number)[][] = [];
  for (const entry of catalogue) {
    const startMs = performance.now();
    if (entry.correct) {
      const result = await exploreProperties(
        entry.algorithm,
        { properties: ['belief', 'fenced', 'liveness', 'crash'] },
        { seed: 1, runs: correctRuns, shrink: false },
      );
      const alarms = result.outcomes.filter((o) => o.verdict === 'violated' || o.verdict === 'unknown').length;
      rows.push([
        `${entry.algorithm.name} (correct)`,
        'all',
        alarms === 0 ? `0 false alarms / ${result.runs} runs` : `${alarms} FALSE ALARM(S)`,
        '-',
        '-',
        (performance.now() - startMs) / 1000,
      ]);
      continue;
    }
    const property = entry.bug!;
    const found: number[] = [];
    const faults: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const outcome = (await exploreProperties(entry.algorithm, { properties: [property] }, { seed, runs })).outcomes.find((o) => o.property === property)!;
      if (outcome.verdict !== 'violated') continue;
      found.push(outcome.runsToFind!);
      if (outcome.faults !== undefined) faults.push(outcome.faults);
    }
    rows.push([entry.algorithm.name, property, `${found.length}/${seeds}`, median(found), median(faults), (performance.now() - startMs) / 1000]);
  }
  return [
    {
      title: `explore: the lock catalogue's bugs found (seeds 1-${seeds}, up to ${runs} runs each, default faults)`,
      columns: ['lock', 'property', 'found', 'median runs to find', 'median shrunk faults', 'seconds'],
      rows,
      notes: ['Goal (issue 8): each bug in 5/5 seeds within 500 runs; correct locks: no false alarm.'],
    },
  ];
}
