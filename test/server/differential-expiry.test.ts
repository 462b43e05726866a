// Timed differential for lease expiry: the same leases (TTL 2 and 3 s, one kept alive once)
// on the installed etcd 3.4.23 and on leaselab's gRPC server, polled side by side every
// 100 ms of real time. Both must revoke each lease after its deadline and within etcd's
// sweep window (500 ms loop, plus the revoke's own write), agree on the remaining TTL at
// every poll (±1 s: truncation at different instants), and end with the same DELETE events
// and the same answers for the expired leases. Skipped without etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { etcdMissing, type EtcdProcess, fastDataRoot, startEtcd } from './etcd-process.ts';
import { type RawClient, rawClient } from './raw-grpc.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const B = (s: string) => Buffer.from(s);

interface Lease {
  id: string;
  ttlSeconds: number;
  key: string;
  /** Renewed once at this many ms after the grant. */
  keepAliveAtMs?: number;
}

const leases: Lease[] = [
  { id: '2001', ttlSeconds: 2, key: 'x/two' },
  { id: '3001', ttlSeconds: 3, key: 'x/three' },
  { id: '2002', ttlSeconds: 2, key: 'x/renewed', keepAliveAtMs: 1000 },
];
/** etcd's lessor looks every 500 ms; the revoke is a raft write and our poll is 100 ms coarse. */
const lateMsMax = 500 + 250 + 100;

interface Observed {
  goneAtMs: Map<string, number>;
  ttls: Map<string, number[]>;
}

const missing = etcdMissing();
describe.skipIf(missing !== undefined)(`lease expiry side by side with etcd 3.4.23${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let etcd: EtcdProcess;
  let server: GrpcEtcdServer;
  let clients: RawClient[];
  beforeAll(async () => {
    [etcd, server] = await Promise.all([startEtcd([], fastDataRoot()), startGrpcServer({ port: 0 })]);
    clients = [rawClient(etcd.address), rawClient(server.address)];
  }, 30_000);
  afterAll(async () => {
    for (const client of clients ?? []) client.close();
    await Promise.all([etcd?.stop(), server?.close()]);
  });

  it('revokes at the same moments, within the sweep window, with the same events and answers', async () => {
    const watches = clients.map((client) => {
      const watch = client.watch();
      watch.send({ create_request: { key: B('x/'), range_end: B('x0') } });
      return watch;
    });
    const keepAlives = clients.map((client) => client.keepAlive());
    const start = Date.now();
    // Each server starts a lease's clock somewhere between sending the grant and its answer: the
    // deadline is known to lie in [earliest, latest] per side (wide on a busy machine, never wrong).
    const grantedAt = new Map<string, number>();
    const earliestDeadlineMs: Map<string, number>[] = clients.map(() => new Map());
    const latestDeadlineMs: Map<string, number>[] = clients.map(() => new Map());
    for (const lease of leases) {
      for (const [side, client] of clients.entries()) {
        const sentMs = Date.now() - start;
        expect(await client.unary('Lease', 'LeaseGrant', { ID: lease.id, TTL: String(lease.ttlSeconds) })).toMatchObject({
          res: { ID: lease.id, TTL: String(lease.ttlSeconds) },
        });
        const answeredMs = Date.now() - start;
        earliestDeadlineMs[side]!.set(lease.id, sentMs + lease.ttlSeconds * 1000);
        latestDeadlineMs[side]!.set(lease.id, answeredMs + lease.ttlSeconds * 1000);
        expect(await client.unary('KV', 'Put', { key: B(lease.key), value: B('v'), lease: lease.id })).toHaveProperty('res');
      }
      grantedAt.set(lease.id, Date.now() - start);
    }
    const observed: Observed[] = clients.map(() => ({ goneAtMs: new Map(), ttls: new Map() }));
    const renewed = new Set<string>();
    while (Date.now() - start < 5200) {
      const now = Date.now() - start;
      for (const lease of leases) {
        if (lease.keepAliveAtMs !== undefined && !renewed.has(lease.id) && now >= grantedAt.get(lease.id)! + lease.keepAliveAtMs) {
          renewed.add(lease.id);
          const sentMs = Date.now() - start;
          const answers = await Promise.all(keepAlives.map((keepAlive) => keepAlive.once({ ID: lease.id })));
          for (const answer of answers) expect(answer).toMatchObject({ res: { ID: lease.id, TTL: String(lease.ttlSeconds) } });
          for (const side of clients.keys()) {
            earliestDeadlineMs[side]!.set(lease.id, sentMs + lease.ttlSeconds * 1000);
            latestDeadlineMs[side]!.set(lease.id, Date.now() - start + lease.ttlSeconds * 1000);
          }
        }
      }
      await Promise.all(
        clients.map(async (client, side) => {
          for (const lease of leases) {
            const seen = observed[side]!;
            if (seen.goneAtMs.has(lease.id)) continue;
            const ttl = await client.unary('Lease', 'LeaseTimeToLive', { ID: lease.id });
            const remaining = 'res' in ttl ? Number(ttl.res.TTL ?? 0) : NaN;
            if (remaining === -1) seen.goneAtMs.set(lease.id, Date.now() - start);
            else seen.ttls.set(lease.id, [...(seen.ttls.get(lease.id) ?? []), remaining]);
          }
        }),
      );
      await sleep(100);
    }
    for (const lease of leases) {
      for (const [side, seen] of observed.entries()) {
        const gone = seen.goneAtMs.get(lease.id);
        const label = `${side === 0 ? 'etcd' : 'leaselab'} lease ${lease.id}`;
        expect(gone, `${label} never expired`).toBeDefined();
        expect(gone!, `${label} revoked before its deadline`).toBeGreaterThanOrEqual(earliestDeadlineMs[side]!.get(lease.id)! - 20);
        expect(gone!, `${label} revoked too late`).toBeLessThanOrEqual(latestDeadlineMs[side]!.get(lease.id)! + lateMsMax);
      }
      const [etcdTtls, labTtls] = observed.map((seen) => seen.ttls.get(lease.id) ?? []);
      const shared = Math.min(etcdTtls!.length, labTtls!.length);
      for (let i = 0; i < shared; i++)
        expect(Math.abs(etcdTtls![i]! - labTtls![i]!), `TTL poll ${i} of lease ${lease.id}: ${etcdTtls} vs ${labTtls}`).toBeLessThanOrEqual(1);
    }
    // After expiry: the same answers (keys gone, keepalive 0, TimeToLive -1) and the same DELETEs.
    for (const lease of leases) {
      const answers = await Promise.all(
        clients.map(async (client, side) => ({
          range: await client.unary('KV', 'Range', { key: B(lease.key), count_only: true }),
          keepAlive: await keepAlives[side]!.once({ ID: lease.id }),
          timeToLive: await client.unary('Lease', 'LeaseTimeToLive', { ID: lease.id }),
        })),
      );
      const shape = (a: (typeof answers)[number]) => ({
        count: 'res' in a.range ? (a.range.res.count ?? '0') : a.range,
        keepAliveTtl: 'res' in a.keepAlive ? (a.keepAlive.res.TTL ?? '0') : a.keepAlive,
        ttl: 'res' in a.timeToLive ? a.timeToLive.res.TTL : a.timeToLive,
      });
      expect(shape(answers[1]!)).toEqual(shape(answers[0]!));
      expect(shape(answers[0]!)).toEqual({ count: '0', keepAliveTtl: '0', ttl: '-1' });
    }
    const deletes = watches.map((watch) =>
      watch.messages
        .flatMap((message) =>
          ((message.events as { type?: string; kv: { key: string } }[] | undefined) ?? []).map(
            (event) => `${event.type ?? 'PUT'} ${Buffer.from(event.kv.key, 'base64').toString()}`,
          ),
        )
        .sort(),
    );
    expect(deletes[1]).toEqual(deletes[0]);
    expect(deletes[0]).toEqual(['DELETE x/renewed', 'DELETE x/three', 'DELETE x/two', 'PUT x/renewed', 'PUT x/three', 'PUT x/two']);
    for (const watch of watches) watch.close();
    for (const keepAlive of keepAlives) keepAlive.close();
  }, 30_000);
});
