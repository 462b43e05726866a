// exploreProperties end to end on the naive lock (check-then-act: two clients can both believe they
// hold it, a known flaw), and the sharding invariant: shards merged give the unsharded verdicts.
import { describe, expect, it } from 'vitest';
import { naiveLock } from '../../src/client/lock-algorithm.ts';
import { mergeShardReports, shardReport } from '../../src/explore/shard.ts';
import { exploreProperties } from '../../src/explore/verdicts.ts';

const properties = ['belief', 'fenced'] as const;

describe('exploreProperties', () => {
  it('finds the naive lock broken, and judges crashes too, unasked', async () => {
    const result = await exploreProperties(naiveLock, { properties: [...properties] }, { seed: 1, runs: 30, shrink: false });
    expect(result.outcomes.map((outcome) => outcome.property)).toEqual(['belief', 'fenced', 'crash']);
    const belief = result.outcomes[0]!;
    expect(belief.verdict).toBe('violated');
    expect(belief.failedRuns).toBeGreaterThanOrEqual(1);
    expect(belief.runsToFind).toBeLessThanOrEqual(result.runs);
    // once every asked property failed the search stops: the last run judged is the last first failure
    expect(result.runs).toBe(Math.max(...result.outcomes.slice(0, 2).map((outcome) => outcome.runsToFind ?? 0)));
  });

  it('two shards merged give the unsharded verdicts, runs to find and run count', async () => {
    const search = { seed: 2, runs: 12, shrink: false };
    const whole = await exploreProperties(naiveLock, { properties: [...properties] }, search);
    // something to agree on: a failure found part-way (the shards must not stop before it)
    expect(whole.outcomes.some((outcome) => outcome.verdict === 'violated')).toBe(true);
    const argv = ['--lock', 'naive', '--seed', '2', '--runs', '12'];
    const reports = [];
    for (const index of [0, 1]) {
      const part = await exploreProperties(naiveLock, { properties: [...properties] }, { ...search, shard: { index, count: 2 } });
      expect(part.outcomes).toEqual([]);
      reports.push({ source: `shard-${index + 1}.json`, report: shardReport(argv, { index, count: 2 }, part.shardLog!) });
    }
    const merged = mergeShardReports(reports);
    const fromShards = await exploreProperties(naiveLock, { properties: [...properties] }, { ...search, recorded: merged.recorded });
    const summary = (result: typeof whole) => ({
      runs: result.runs,
      outcomes: result.outcomes.map(({ property, verdict, runsToFind, failedRuns, limitationRuns }) => ({
        property,
        verdict,
        runsToFind,
        failedRuns,
        limitationRuns,
      })),
    });
    expect(summary(fromShards)).toEqual(summary(whole));
  });
});
