// Serializable reads may be stale, but only as etcd allows: each answer is the
// store as it was at the revision in its header (a state the cluster really
// had), and one member's answers never go back in time.
import { describe, expect, it } from 'vitest';
import { internalWorldOf, Sim } from '../../../src/sim/sim.ts';
import { fromUtf8, utf8 } from '../../../src/store/bytes.ts';
import { randomClusterFaultSchedule } from '../../../src/sim/cluster/cluster-faults.ts';

interface Read {
  process: string;
  revision: number;
  values: string[];
}

describe('serializable reads in a cluster', () => {
  it('each answer is a state the cluster had (at its header revision), and never older than the last from that member', async () => {
    let reads = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const sim = new Sim({ seed, msMax: 20_000, callTimeoutMs: 2000, cluster: { members: 3 } });
      const seen: Read[] = [];
      for (const [process, member] of [
        ['alice', 'etcd1'],
        ['bob', 'etcd2'],
        ['carol', 'etcd3'],
      ] as const)
        sim.process(
          process,
          async ({ client, sleep, random }) => {
            for (let i = 0; i < 60; i++) {
              try {
                if (random.chance(0.4)) await client.put(`/k/${random.int(0, 3)}`, `${process}-${i}`);
                else {
                  const { header, kvs } = await client.get('/k/', { prefix: true, serializable: true });
                  seen.push({ process, revision: header.revision, values: kvs.map((kv) => `${fromUtf8(kv.key)}=${fromUtf8(kv.value)}`) });
                }
              } catch {
                // no leader, timed out: go on
              }
              await sleep(random.int(50, 300));
            }
          },
          { startAtMs: 2500, endpoints: [member] },
        );
      sim.faults(
        randomClusterFaultSchedule(seed, {
          members: 3,
          processes: ['alice', 'bob', 'carol'],
          untilMs: 15_000,
          count: 3,
          kinds: ['isolateMember', 'crashMember', 'leaderChange', 'slowMemberLink'],
        }),
      );
      const result = await sim.run();
      expect(result.errors).toEqual([]);
      const cluster = internalWorldOf(sim).cluster!;
      const truth = [...cluster.members].sort((a, b) => b.appliedIndex - a.appliedIndex)[0]!.store;
      const lastRevision = new Map<string, number>();
      for (const read of seen) {
        const then = truth.range({ key: utf8('/k/'), range_end: utf8('/k0'), revision: read.revision });
        expect(read.values, `seed ${seed} ${read.process} at rev ${read.revision}`).toEqual(then.kvs.map((kv) => `${fromUtf8(kv.key)}=${fromUtf8(kv.value)}`));
        expect(read.revision).toBeGreaterThanOrEqual(lastRevision.get(read.process) ?? 0);
        lastRevision.set(read.process, read.revision);
        reads++;
      }
    }
    expect(reads).toBeGreaterThan(200);
  });
});
