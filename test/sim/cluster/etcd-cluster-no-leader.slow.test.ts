/**
 * What a member that lost its leader answers, asked of a real three-member
 * etcd 3.4 cluster (two members killed) with etcdctl, and of the simulated
 * cluster with leaselab's client: the same messages after the same 7 s
 * request timeout (5 s + 2 election timeouts).
 *
 *   put                      → "context deadline exceeded" after 7 s (raft takes no proposal without a leader)
 *   get (linearizable)       → "etcdserver: request timed out" after 7 s (no read index), retried by the
 *                              client until its deadline: "context deadline exceeded"
 *   get --consistency=s      → answered at once from the member's store
 *   lease keep-alive --once  → "etcdserver: no leader" after 7 s (the renewal waits for a leader to forward to)
 */
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { Sim } from '../../../src/sim/sim.ts';
import { type EtcdCluster, etcdOrEtcdctlMissing, fastDataRoot, startEtcdCluster } from '../../server/etcd-process.ts';

const missing = etcdOrEtcdctlMissing();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let cluster: EtcdCluster | undefined;

afterAll(async () => {
  await cluster?.stop();
});

/** Run etcdctl; resolve with its output and how long it took. */
function etcdctl(endpoint: string, args: string[]): Promise<{ out: string; ms: number }> {
  return new Promise((resolve) => {
    const startMs = Date.now();
    const child = spawn('etcdctl', ['--endpoints', endpoint, '--command-timeout=10s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    child.once('exit', () => resolve({ out, ms: Date.now() - startMs }));
  });
}

describe.skipIf(missing !== undefined)(
  `a member without a leader: real etcd 3.4 and the simulator${missing !== undefined ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('answers writes, reads and keepalives with the same errors after the same request timeout', { timeout: 120_000 }, async () => {
      cluster = await startEtcdCluster(3, fastDataRoot());
      const [m1, m2, m3] = cluster.members;
      const endpoint = m1!.url;
      expect((await etcdctl(endpoint, ['put', 'k', 'v'])).out).toContain('OK');
      const lease = /lease ([0-9a-f]+) granted/.exec((await etcdctl(endpoint, ['lease', 'grant', '60'])).out)![1]!;
      await Promise.all([m2!.kill(), m3!.kill()]);
      await sleep(3000); // m1 has no leader now (CheckQuorum, then elections it cannot win)
      const [put, get, serializable, keepAlive] = await Promise.all([
        etcdctl(endpoint, ['put', 'k', 'v2']),
        etcdctl(endpoint, ['get', 'k']),
        etcdctl(endpoint, ['get', 'k', '--consistency=s']),
        etcdctl(endpoint, ['lease', 'keep-alive', '--once', lease]),
      ]);
      expect(put.out).toContain('context deadline exceeded');
      expect(put.ms).toBeGreaterThan(6500);
      expect(put.ms).toBeLessThan(8500);
      // clientv3 logs the member's answer to its first attempt, retries, and gives up at the command's deadline.
      expect(get.out).toContain('etcdserver: request timed out');
      expect(get.out).toContain('context deadline exceeded');
      expect(get.ms).toBeGreaterThan(9500);
      expect(serializable.out).toBe('k\nv\n');
      expect(keepAlive.out).toContain('etcdserver: no leader');
      expect(keepAlive.ms).toBeGreaterThan(6500);
      expect(keepAlive.ms).toBeLessThan(8500);

      // The simulator, the same way.
      const sim = new Sim({ seed: 1, msMax: 60_000, callTimeoutMs: 10_000, cluster: { members: 3 } });
      const seen: Record<string, { error?: string; value?: string; ms: number }> = {};
      const timed = async (name: string, now: () => number, call: () => Promise<unknown>) => {
        const startMs = now();
        try {
          const response = await call();
          const kvs = (response as { kvs?: { value: Uint8Array }[] }).kvs;
          seen[name] = { ms: now() - startMs, ...(kvs !== undefined ? { value: new TextDecoder().decode(kvs[0]!.value) } : {}) };
        } catch (error) {
          seen[name] = { error: (error as Error).message, ms: now() - startMs };
        }
      };
      sim.process(
        'alice',
        async ({ client, sleep: pause, now }) => {
          await client.put('k', 'v');
          const { ID } = await client.grant(60);
          await pause(3000); // the others are killed at 3.5 s: etcd1 has no leader by 6 s
          await Promise.all([
            timed('put', now, () => client.put('k', 'v2')),
            timed('keepAlive', now, () => client.keepAliveOnce(ID)),
            timed('serializable', now, () => client.get('k', { serializable: true })),
          ]);
          // The member answers a linearizable get "request timed out" at 7 s; the client retries it until its own 10 s deadline.
          await timed('get', now, () => client.get('k'));
        },
        { startAtMs: 3000, endpoints: ['etcd1'] },
      );
      sim.at(3500, (world) => {
        world.crash('etcd2');
        world.crash('etcd3');
      });
      const result = await sim.run();
      expect(result.errors).toEqual([]);
      // 7 s in the member, plus the network's few ms each way.
      const afterRequestTimeout = (ms: number | undefined) => ms !== undefined && ms >= 7000 && ms < 7100;
      expect(seen.put?.error).toBe('context deadline exceeded');
      expect(afterRequestTimeout(seen.put?.ms), `put took ${seen.put?.ms} ms`).toBe(true);
      expect(seen.get).toEqual({ error: 'context deadline exceeded', ms: 10_000 });
      expect(seen.serializable?.value).toBe('v');
      expect(seen.keepAlive?.error).toBe('etcdserver: no leader');
      expect(afterRequestTimeout(seen.keepAlive?.ms), `keepalive took ${seen.keepAlive?.ms} ms`).toBe(true);
    });
  },
);
