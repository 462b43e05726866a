// Scenarios that reproduce a published analysis say so, and `run` prints it.
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenarios/index.ts';

describe('scenario analyses', () => {
  it('the pause, delayed-write, fencing and clock stories cite Kleppmann; the partition stories cite Jepsen', () => {
    const cites = (name: string) => (scenarios.find((scenario) => scenario.name === name)?.analyses ?? []).map((analysis) => analysis.url);
    const kleppmann = 'https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html';
    const jepsen = 'https://jepsen.io/analyses/etcd-3.4.3';
    for (const name of ['pause-breaks-lock', 'delayed-write', 'fencing-saves-the-day', 'client-clock-drift']) expect(cites(name), name).toContain(kleppmann);
    for (const name of ['pause-breaks-lock', 'partition-expires-lease', 'one-way-partition']) expect(cites(name), name).toContain(jepsen);
    for (const scenario of scenarios)
      for (const analysis of scenario.analyses ?? []) {
        expect(analysis.url).toMatch(/^https:\/\/\S+$/);
        expect(analysis.shows.length, `${scenario.name}: ${analysis.title}`).toBeGreaterThan(30);
      }
  });
});
