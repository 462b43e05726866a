/**
 * The cluster part of the lock catalogue (test/explore/catalogue/index.ts,
 * clusterCatalogue): `explore --members 3` finds the stale-read bug of a
 * queue lock that reads its queue with serializable gets, and passes its twin
 * that reads with linearizable gets. Seed 1, 40 runs, no shrinking;
 * LEASELAB_LONG=1: 300 runs on seeds 1-3.
 */
import { describe, expect, it } from 'vitest';
import type { LockProperty } from '../../src/explore/judge.ts';
import { exploreProperties } from '../../src/explore/verdicts.ts';
import { clusterCatalogue } from './catalogue/index.ts';

const long = process.env.LEASELAB_LONG === '1';
const properties: LockProperty[] = ['belief', 'fenced', 'liveness', 'crash'];

describe('the lock catalogue against a three-member cluster', () => {
  for (const entry of clusterCatalogue) {
    it(`${entry.algorithm.name} (--members ${entry.members} --clients ${entry.clients}): ${entry.correct ? 'passes' : `${entry.bug} violated`}`, {
      timeout: long ? 3_600_000 : 120_000,
    }, async () => {
      const seeds = long ? [1, 2, 3] : [1];
      const runs = long ? 300 : 40;
      const found: string[] = [];
      for (const seed of seeds) {
        const result = await exploreProperties(entry.algorithm, { properties, members: entry.members, clients: entry.clients }, { seed, runs, shrink: false });
        for (const outcome of result.outcomes) {
          const want = entry.expected[outcome.property];
          const context = `${entry.algorithm.name} seed ${seed}: ${outcome.property} ${outcome.verdict}`;
          if (want === 'holds') expect(['ok', 'limitation'], context).toContain(outcome.verdict);
          if (want === 'violated' && outcome.property === entry.bug) expect(outcome.verdict, context).toBe('violated');
          if (outcome.verdict === 'violated') found.push(`${outcome.property}@${outcome.runsToFind}`);
        }
      }
      console.log(
        `${entry.algorithm.name}: ${entry.correct ? `no failure in ${seeds.length} x ${runs} runs` : `found ${found.join(' ')} over ${seeds.length} seeds x ${runs} runs`}`,
      );
    });
  }
});
