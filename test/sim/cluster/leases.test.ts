import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../../src/sim/cluster/cluster.ts';
import { internalWorldOf, Sim } from '../../../src/sim/sim.ts';
import type { LeaseId } from '../../../src/store/messages.ts';

function clusterOf(sim: Sim): Cluster {
  return internalWorldOf(sim).cluster!;
}

describe('leases in a cluster', () => {
  it('a keepalive sent to a follower is answered by the leader; only the leader sweeps, and its revoke reaches every member through the log', async () => {
    const sim = new Sim({ seed: 11, msMax: 30_000, cluster: { members: 3 } });
    let leaseId: LeaseId = 0n;
    let answeredTtl: number | undefined;
    sim.process(
      'alice',
      async ({ client, sleep }) => {
        const { ID } = await client.grant(3);
        leaseId = ID;
        await client.put('k', 'v', { lease: ID });
        answeredTtl = (await client.keepAliveOnce(ID)).TTL;
        await sleep(10_000); // no more keepalives: the lease expires
      },
      { startAtMs: 3000, endpoints: ({ leader, members }) => [members.find((member) => member !== leader)!] },
    );
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(answeredTtl).toBe(3);
    const expired = result.trace.ofKind('lease-expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]!.leaseId).toBe(leaseId);
    for (const member of clusterOf(sim).members) {
      expect(member.store.leaseLeases({}).leases).toEqual([]);
      expect(member.store.range({ key: new TextEncoder().encode('k') }).kvs).toEqual([]);
    }
    // One revoke, one revision, traced once: by the first member to apply it.
    expect(result.trace.ofKind('kv-applied').filter((event) => event.cause.kind === 'lease-expiry')).toHaveLength(1);
  });

  it('a new leader promotes every lease to its full TTL plus the election timeout', async () => {
    const sim = new Sim({ seed: 12, msMax: 30_000, cluster: { members: 3 } });
    const ttls: { atMs: number; ttl: number }[] = [];
    sim.process(
      'alice',
      async ({ client, sleep, now }) => {
        const { ID } = await client.grant(10);
        for (let i = 0; i < 12; i++) {
          await sleep(1000);
          try {
            ttls.push({ atMs: now(), ttl: (await client.timeToLive(ID, { timeoutMs: 900 })).TTL });
          } catch {
            // during the election
          }
        }
      },
      { startAtMs: 3000 },
    );
    let changedAtMs = 0;
    sim.at(8000, (world) => {
      changedAtMs = world.nowMs;
      world.serverRestart({ downMs: 3000 });
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    const before = ttls.filter((poll) => poll.atMs < changedAtMs).at(-1)!;
    const after = ttls.find((poll) => poll.atMs > changedAtMs + 3000)!;
    expect(before.ttl).toBeLessThanOrEqual(6);
    // The new leader promoted it: at least the full 10 s again, though 5 s had gone.
    expect(after.ttl).toBeGreaterThanOrEqual(8);
    expect(result.trace.ofKind('member').filter((event) => event.role === 'leader' && event.atMs > changedAtMs)).toHaveLength(1);
  });

  it('with lease checkpointing a promoted lease keeps its checkpointed remaining TTL', async () => {
    const run = async (leaseCheckpoint: boolean) => {
      const sim = new Sim({ seed: 13, msMax: 60_000, cluster: { members: 3, leaseCheckpoint, leaseCheckpointIntervalMs: 10_000 } });
      let ttlAfter = 0;
      sim.process(
        'alice',
        async ({ client, sleep }) => {
          const { ID } = await client.grant(30);
          await sleep(20_000); // checkpointed at 10 s (20 s left), leader change at 15 s
          ttlAfter = (await client.timeToLive(ID)).TTL;
        },
        { startAtMs: 3000 },
      );
      sim.at(18_000, (world) => world.serverRestart({ downMs: 2000 }));
      const result = await sim.run();
      expect(result.errors).toEqual([]);
      return ttlAfter;
    };
    const withoutCheckpoints = await run(false);
    const withCheckpoints = await run(true);
    // Without: a full 30 s from the new leader (elected ~19-21 s) at 23 s. With: the 20 s checkpointed at 13 s.
    expect(withoutCheckpoints).toBeGreaterThanOrEqual(27);
    expect(withCheckpoints).toBeGreaterThanOrEqual(16);
    expect(withCheckpoints).toBeLessThanOrEqual(20);
  });

  it('a keepalive on a member without a leader ends with "etcdserver: no leader" after the request timeout', async () => {
    const sim = new Sim({ seed: 14, msMax: 30_000, cluster: { members: 3 } });
    let ended = '';
    let tookMs = 0;
    sim.process(
      'alice',
      async ({ client, sleep, now }) => {
        const { ID } = await client.grant(60);
        await sleep(3000); // both other members crash at 3.9 s: no leader by 6 s
        const startMs = now();
        ended = await client.keepAliveOnce(ID, { timeoutMs: 20_000 }).then(
          () => 'answered',
          (error: Error) => error.message,
        );
        tookMs = now() - startMs;
      },
      { startAtMs: 3000, endpoints: ['etcd1'] },
    );
    sim.at(3900, (world) => {
      world.crash('etcd2');
      world.crash('etcd3');
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(ended).toBe('etcdserver: no leader');
    expect(tookMs).toBeGreaterThanOrEqual(7000);
    expect(tookMs).toBeLessThan(7100);
  });
});
