// The package's entries, as the repo's own tests and examples see them:
// `leaselab` resolves to src/ here (the leaselab-source condition), the root
// is exactly the union of the sub-entries but the server, and names are unique.
import { describe, expect, it } from 'vitest';
import * as root from 'leaselab';
import * as check from 'leaselab/check';
import * as client from 'leaselab/client';
import * as explore from 'leaselab/explore';
import * as server from 'leaselab/server';
import * as sim from 'leaselab/sim';
import * as store from 'leaselab/store';
import { Sim } from '../../src/sim/sim.ts';
import * as report from '../../src/report/index.ts';

describe('entries', () => {
  it('resolve to src/ inside the repo, so tests and examples share one copy of each class', () => {
    expect(root.Sim).toBe(Sim);
    expect(sim.Sim).toBe(Sim);
  });

  it('the root is the union of store, client, sim, report, check and explore, and nothing of the server', () => {
    const parts = [store, client, sim, report, check, explore];
    const union = new Set(parts.flatMap((part) => Object.keys(part)));
    expect(Object.keys(root).sort()).toEqual([...union].sort());
    for (const name of Object.keys(server)) expect(root, name).not.toHaveProperty(name);
    // One name per thing: a name two entries share is the same value.
    for (const name of union) {
      const values = new Set(parts.filter((part) => name in part).map((part) => (part as Record<string, unknown>)[name]));
      expect(values.size, name).toBe(1);
    }
  });

  it('exports every error class a caller can receive, and hides the World and leaseHex', () => {
    for (const name of [
      'ClientError',
      'ClientUsageError',
      'StreamEndedError',
      'WatchCanceledByServerError',
      'CallTimeoutError',
      'EtcdError',
      'LeaseNotFoundError',
      'NoLeaderError',
      'AssertionError',
      'LockPropertyError',
    ]) {
      expect(typeof (root as Record<string, unknown>)[name], name).toBe('function');
    }
    expect(typeof root.TxnBuilder).toBe('function');
    expect(root).not.toHaveProperty('World');
    expect(root).not.toHaveProperty('leaseHex');
    expect(typeof root.showLeaseId).toBe('function');
  });

  it("randomFaultSchedule takes a seed, the same as the seed's own faults stream", () => {
    const options = { processes: ['alice', 'bob'], untilMs: 30_000, count: 4 };
    const fromSeed = root.randomFaultSchedule(7, options);
    expect(fromSeed.length).toBeGreaterThan(0);
    expect(root.randomFaultSchedule(new root.RandomStream(7, 'faults'), options)).toEqual(fromSeed);
    expect(root.randomFaultSchedule(8, options)).not.toEqual(fromSeed);
  });
});
