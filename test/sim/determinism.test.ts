import { describe, expect, it } from 'vitest';
import { casesFor } from '../quick-tier.ts';
import { runFaultyWorkload } from './workload.ts';

describe('determinism', () => {
  it('gives the same trace, byte for byte, for the same seed, and different traces for different seeds', async () => {
    const traces = new Set<string>();
    const seeds = casesFor(200, 20);
    for (let seed = 1; seed <= seeds; seed++) {
      const first = (await runFaultyWorkload(seed)).trace.toText();
      const second = (await runFaultyWorkload(seed)).trace.toText();
      if (first !== second) expect.fail(`seed ${seed}: two runs differ`);
      traces.add(first);
    }
    expect(traces.size).toBe(seeds);
  });
});
