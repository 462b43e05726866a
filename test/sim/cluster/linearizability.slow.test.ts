/**
 * The KV history of a lock workload on a three-member cluster, under member
 * partitions, member crashes, leader changes, slow member links, clients cut
 * from a member and paused clients, is linearizable (the etcd KV model of
 * src/check). 200 runs here; LEASELAB_LONG=1 runs 1000.
 */
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../../src/check/linearizability.ts';
import { etcdKvModel } from '../../../src/check/models/kv-etcd.ts';
import { etcdMutex, naiveLock } from '../../../src/client/lock-algorithm.ts';
import { etcdKvHistory } from '../../../src/explore/history.ts';
import { clientNames, runLockWorkload } from '../../../src/explore/workload.ts';
import { randomClusterFaultSchedule } from '../../../src/sim/cluster/cluster-faults.ts';

const runs = process.env.LEASELAB_LONG === '1' ? 1000 : 200;

describe('linearizability of cluster runs', () => {
  it(`${runs} fault-injected three-member runs give linearizable KV histories`, { timeout: 600_000 }, async () => {
    const clients = 3;
    const durationMs = 12_000;
    let operations = 0;
    let unknown = 0;
    let expiries = 0;
    let leaderChanges = 0;
    for (let seed = 1; seed <= runs; seed++) {
      const algorithm = seed % 2 === 0 ? etcdMutex : naiveLock;
      const schedule = randomClusterFaultSchedule(seed, { members: 3, processes: clientNames(clients), untilMs: 8000, count: 3 });
      const run = await runLockWorkload(algorithm, { seed, clients, durationMs, quietMs: 4000, members: 3 }, schedule);
      const history = etcdKvHistory(run.history);
      expect(history.unfollowed).toBe(0);
      const verdict = checkLinearizability(history.operations, etcdKvModel(), { stepsMax: 10_000_000 });
      if (verdict.result !== 'ok') expect.fail(`seed ${seed} (${algorithm.name}): ${verdict.result} ${JSON.stringify(schedule)}`);
      operations += history.operations.length;
      unknown += history.operations.filter((op) => op.outcome === 'unknown').length;
      expiries += history.operations.filter((op) => op.input.kind === 'leaseRevoke' && op.input.expiry).length;
      leaderChanges += run.trace.ofKind('member').filter((event) => event.role === 'leader').length - 1;
    }
    // The runs exercise what matters: ambiguous outcomes, expiries through the log, new leaders.
    expect(operations).toBeGreaterThan(runs * 20);
    expect(unknown).toBeGreaterThan(0);
    expect(expiries).toBeGreaterThan(0);
    expect(leaderChanges).toBeGreaterThan(runs / 4);
    console.log(`cluster linearizability: ${runs} runs, ${operations} operations (${unknown} unknown), ${expiries} expiries, ${leaderChanges} leader changes`);
  });
});
