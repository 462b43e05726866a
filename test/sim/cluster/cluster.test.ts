import { describe, expect, it } from 'vitest';
import type { Client } from '../../../src/client/client.ts';
import type { Cluster } from '../../../src/sim/cluster/cluster.ts';
import { internalWorldOf, Sim } from '../../../src/sim/sim.ts';
import { fromUtf8 } from '../../../src/store/bytes.ts';
import type { RangeResponse } from '../../../src/store/messages.ts';

function clusterOf(sim: Sim): Cluster {
  return internalWorldOf(sim).cluster!;
}

function storedValueOf(response: RangeResponse): string | undefined {
  const kv = response.kvs[0];
  return kv === undefined ? undefined : fromUtf8(kv.value);
}

async function errorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('a three-member cluster', () => {
  it('elects one leader, commits on a majority and every member applies the same revisions', async () => {
    const sim = new Sim({ seed: 1, msMax: 10_000, cluster: { members: 3 } });
    const answers: { revision: number; term: number | undefined }[] = [];
    sim.process('alice', async ({ client, sleep }) => {
      await sleep(3000);
      for (let i = 0; i < 5; i++) {
        const { header } = await client.put('k', `v${i}`);
        answers.push({ revision: header.revision, term: header.raft_term });
      }
      await sleep(500);
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    const cluster = clusterOf(sim);
    const leaders = cluster.members.filter((member) => member.raft.isLeader);
    expect(leaders).toHaveLength(1);
    expect(answers.map((answer) => answer.revision)).toEqual([2, 3, 4, 5, 6]);
    expect(answers.every((answer) => answer.term === leaders[0]!.raft.term)).toBe(true);
    for (const member of cluster.members) expect(member.store.currentRevision()).toBe(6);
    const elected = result.trace.ofKind('member').filter((event) => event.role === 'leader');
    expect(elected.length).toBeGreaterThanOrEqual(1);
  });

  it('forwards a write sent to a follower, and elects a new leader when the leader crashes', async () => {
    const sim = new Sim({ seed: 2, msMax: 20_000, cluster: { members: 3 } });
    let crashed = '';
    const revisions: number[] = [];
    sim.process('alice', async ({ client, sleep }) => {
      await sleep(3000);
      revisions.push((await client.put('k', 'before')).header.revision);
      await sleep(4000); // the leader crashes at 4 s
      revisions.push((await client.put('k', 'after')).header.revision);
    });
    sim.at(4000, (world) => {
      const cluster = internalWorldOf(sim).cluster!;
      crashed = cluster.leader!.name;
      world.crash(crashed);
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(revisions).toEqual([2, 3]);
    const cluster = clusterOf(sim);
    expect(cluster.leader?.name).not.toBe(crashed);
    expect(result.trace.ofKind('member').some((event) => event.member === crashed && event.role === 'down')).toBe(true);
  });

  it('a restarted member catches up from its log and the leader', async () => {
    const sim = new Sim({ seed: 3, msMax: 20_000, cluster: { members: 3 } });
    sim.process('alice', async ({ client, sleep }) => {
      await sleep(3000);
      await client.put('a', '1');
      await sleep(4000); // etcd3 is down from 4 s to 6 s; by 7 s a new leader leads if etcd3 led
      await client.put('b', '2');
      await sleep(3000);
    });
    sim.at(4000, (world) => world.crash('etcd3'));
    sim.at(6000, (world) => world.restart('etcd3'));
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    const etcd3 = clusterOf(sim).member('etcd3')!;
    expect(etcd3.store.currentRevision()).toBe(3);
    expect(etcd3.up).toBe(true);
  });

  it('serves a serializable read from a partitioned follower (stale), while a linearizable one there times out', async () => {
    const sim = new Sim({ seed: 4, msMax: 30_000, callTimeoutMs: 10_000, cluster: { members: 3 } });
    const seen: Record<string, string | undefined> = {};
    let linearizableError = '';
    let linearizableMs = 0;
    sim.process('writer', async ({ client, sleep }) => {
      await sleep(3000);
      await client.put('k', 'old');
      await sleep(2000); // etcd3 is cut off at 4 s
      await client.put('k', 'new');
    });
    sim.process(
      'reader',
      async ({ client, sleep, now }) => {
        await sleep(6000);
        seen.serializable = storedValueOf(await client.get('k', { serializable: true }));
        const startMs = now();
        linearizableError = await errorOf(client.get('k'));
        linearizableMs = now() - startMs;
      },
      { endpoints: ['etcd3'] },
    );
    sim.at(4000, (world) => {
      world.partition('etcd3', 'etcd1');
      world.partition('etcd3', 'etcd2');
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(seen.serializable).toBe('old');
    // etcd3 answers "etcdserver: request timed out" after 7 s; the client retries (a range is repeatable) until its own deadline.
    expect(linearizableError).toBe('context deadline exceeded');
    expect(linearizableMs).toBe(10_000);
    const member = clusterOf(sim).member('etcd3')!;
    expect(storedValueOf(member.store.range({ key: new TextEncoder().encode('k') }))).toBe('old');
  });

  it('answers a write with no leader anywhere with "context deadline exceeded" after the request timeout', async () => {
    const sim = new Sim({ seed: 5, msMax: 30_000, callTimeoutMs: 10_000, cluster: { members: 3 } });
    let error = '';
    let tookMs = 0;
    sim.process(
      'alice',
      async ({ client, sleep, now }) => {
        await sleep(3000);
        await client.put('k', 'v');
        await sleep(3000); // the other two crash at 4 s; etcd1 loses its leader
        const startMs = now();
        error = await errorOf(client.put('k', 'w'));
        tookMs = now() - startMs;
      },
      { endpoints: ['etcd1'] },
    );
    sim.at(4000, (world) => {
      for (const member of ['etcd2', 'etcd3']) world.crash(member);
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(error).toBe('context deadline exceeded');
    expect(tookMs).toBeGreaterThanOrEqual(7000);
    expect(tookMs).toBeLessThan(7100);
  });

  it('gives the same trace, byte for byte, for the same seed', async () => {
    const run = async (seed: number) => {
      const sim = new Sim<Client>({ seed, msMax: 15_000, cluster: { members: 3 } });
      sim.process('alice', async ({ client, sleep }) => {
        const { ID } = await client.grant(3);
        client.keepAlive(ID);
        for (let i = 0; i < 10; i++) {
          await client.put('k', `v${i}`, { lease: ID }).catch(() => undefined);
          await sleep(700);
        }
      });
      sim.at(4000, (world) => world.serverRestart({ downMs: 1500 }));
      sim.at(8000, (world) => world.partition('etcd1', 'etcd2'));
      return (await sim.run()).trace.toText();
    };
    const first = await run(7);
    expect(await run(7)).toBe(first);
    expect(await run(8)).not.toBe(first);
  });
});
