import { describe, expect, it } from 'vitest';
import { Sim } from '../../../src/sim/sim.ts';

describe('a client against a cluster (clientv3 3.4 balancing and retry)', () => {
  it('sends calls round robin over its endpoints, and retries a read cut off on one on the next', async () => {
    const sim = new Sim({ seed: 21, msMax: 10_000, cluster: { members: 3 } });
    sim.process(
      'alice',
      async ({ client }) => {
        for (let i = 0; i < 6; i++) await client.get('k', { serializable: true });
      },
      { startAtMs: 3000 },
    );
    sim.at(2000, (world) => world.partition('alice', 'etcd2'));
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    // etcd1, etcd2 (cut: reset, retried on etcd3), etcd1, etcd2 → etcd3, etcd1, etcd2 → etcd3: every get answered.
    const returns = result.trace.ofKind('client').filter((event) => event.event.kind === 'return');
    expect(returns.map((event) => (event.event.kind === 'return' ? event.event.outcome : ''))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    const cut = result.trace.ofKind('message-dropped').filter((event) => event.from === 'alice' && event.to === 'etcd2');
    expect(cut).toHaveLength(3);
  });

  it('a write sent to a member that is down ends unknown ("transport is closing"); reads move on', async () => {
    const sim = new Sim({ seed: 22, msMax: 15_000, cluster: { members: 3 } });
    const outcomes: string[] = [];
    sim.process(
      'alice',
      async ({ client }) => {
        for (let i = 0; i < 3; i++) {
          outcomes.push(
            await client.put('k', `v${i}`).then(
              () => 'put ok',
              (error: Error) => `put ${error.message}`,
            ),
          );
          outcomes.push(
            await client.get('k').then(
              ({ kvs }) => `get ${kvs.length}`,
              (error: Error) => `get ${error.message}`,
            ),
          );
        }
      },
      { startAtMs: 5000 },
    );
    sim.at(4000, (world) => world.crash('etcd1'));
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    // Picks: put→etcd1 (down), get→etcd2, put→etcd3, get→etcd1 (refused) → etcd2, put→etcd3, get→etcd1 → etcd2.
    expect(outcomes).toEqual(['put transport is closing (etcd1)', 'get 0', 'put ok', 'get 1', 'put ok', 'get 1']);
    const unknown = result.trace.ofKind('client').filter((event) => event.event.kind === 'return' && event.event.outcome === 'unknown');
    expect(unknown).toHaveLength(1);
  });

  it('retries a linearizable read that a member cut off from the others answers "etcdserver: request timed out" (after 7 s) on the next member', async () => {
    const sim = new Sim({ seed: 23, msMax: 30_000, callTimeoutMs: 10_000, cluster: { members: 3 } });
    let answer = '';
    let tookMs = 0;
    sim.process(
      'bob',
      async ({ client }) => {
        await client.put('k', 'v');
      },
      { startAtMs: 3000, endpoints: ['etcd2'] },
    );
    sim.process(
      'alice',
      async ({ client, now }) => {
        const startMs = now();
        const { kvs } = await client.get('k'); // etcd1 first: it cannot get a read index; then etcd2
        tookMs = now() - startMs;
        answer = kvs.length === 1 ? 'found' : 'missing';
      },
      { startAtMs: 4000, endpoints: ['etcd1', 'etcd2'] },
    );
    sim.at(3500, (world) => {
      world.partition('etcd1', 'etcd2');
      world.partition('etcd1', 'etcd3');
    });
    const result = await sim.run();
    expect(result.errors).toEqual([]);
    expect(answer).toBe('found');
    expect(tookMs).toBeGreaterThanOrEqual(7000);
    expect(tookMs).toBeLessThan(7100);
  });
});
