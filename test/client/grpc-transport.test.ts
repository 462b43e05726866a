// leaselab's client over gRPC on real time: the same Session, Mutex and Election code
// against leaselab's gRPC server and against the installed etcd 3.4.23 (skipped without it).
// The lease-expiry story: a holder that stops its keepalive loses the lock when its lease
// expires, and the waiter gets it — on both servers, with the same revisions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.ts';
import { Election } from '../../src/client/concurrency/election.ts';
import { Mutex } from '../../src/client/concurrency/mutex.ts';
import { Session } from '../../src/client/concurrency/session.ts';
import { MutexLockedError } from '../../src/client/errors.ts';
import { errorOfStatus, GrpcTransport } from '../../src/server/grpc-transport.ts';
import { realRuntime } from '../../src/client/runtime.ts';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { CompactedError, EtcdError, LeaseNotFoundError } from '../../src/store/errors.ts';
import { etcdMissing, type EtcdProcess, fastDataRoot, startEtcd } from '../server/etcd-process.ts';

interface Endpoint {
  address: string;
  stop(): Promise<void>;
}

const missing = etcdMissing();
const endpoints: [string, () => Promise<Endpoint>, boolean][] = [
  [
    'leaselab serve',
    async () => {
      const server: GrpcEtcdServer = await startGrpcServer({ port: 0 });
      return { address: server.address, stop: () => server.close() };
    },
    false,
  ],
  [
    `etcd 3.4.23${missing === undefined ? '' : ` (skipped: ${missing})`}`,
    async () => {
      const etcd: EtcdProcess = await startEtcd([], fastDataRoot());
      return { address: etcd.address, stop: () => etcd.stop() };
    },
    missing !== undefined,
  ],
];

describe('errorOfStatus', () => {
  it("maps etcd's messages to their classes and anything else to a plain Error (outcome unknown)", () => {
    expect(errorOfStatus(5, 'etcdserver: requested lease not found')).toBeInstanceOf(LeaseNotFoundError);
    expect(errorOfStatus(11, 'etcdserver: mvcc: required revision has been compacted')).toBeInstanceOf(CompactedError);
    expect(errorOfStatus(3, 'etcdserver: something new')).toBeInstanceOf(EtcdError);
    const other = errorOfStatus(14, 'No connection established');
    expect(other).not.toBeInstanceOf(EtcdError);
    expect(other.message).toContain('UNAVAILABLE');
  });
});

for (const [name, start, skip] of endpoints) {
  describe.skipIf(skip)(`the client over gRPC: ${name}`, () => {
    let endpoint: Endpoint;
    const transports: GrpcTransport[] = [];
    const client = () => {
      const transport = new GrpcTransport(endpoint.address);
      transports.push(transport);
      return new Client({ transport, runtime: realRuntime });
    };
    beforeAll(async () => {
      endpoint = await start();
    }, 30_000);
    afterAll(async () => {
      for (const transport of transports) transport.close();
      await endpoint?.stop();
    });

    it('KV, txn, errors as EtcdError classes, watch', async () => {
      const c = client();
      const events: string[] = [];
      const watcher = c.watch('w/', { prefix: true }, (update) => {
        if (update.kind === 'events') for (const event of update.events) events.push(`${event.type} ${fromUtf8(event.kv.key)}`);
      });
      await watcher.created;
      const put = await c.put('w/a', '1');
      expect((await c.get('w/a')).kvs[0]?.mod_revision).toBe(put.header.revision);
      await c.delete('w/a');
      await expect(c.revoke(424242n)).rejects.toBeInstanceOf(LeaseNotFoundError);
      const deadline = Date.now() + 3000;
      while (events.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(events).toEqual(['PUT w/a', 'DELETE w/a']);
      watcher.cancel();
    });

    it('Mutex: one holder at a time; tryLock is refused while held; unlock hands over', async () => {
      const a = await Session.create(client(), { ttlSeconds: 10 });
      const b = await Session.create(client(), { ttlSeconds: 10 });
      const ma = new Mutex(a, '/m1');
      const mb = new Mutex(b, '/m1');
      await ma.lock();
      await expect(new Mutex(b, '/m1').tryLock()).rejects.toBeInstanceOf(MutexLockedError);
      const waiting = mb.lock();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await ma.unlock();
      await waiting;
      expect(mb.fencingToken).toBeGreaterThan(0);
      await mb.unlock();
      await a.close();
      await b.close();
    });

    it('lease expiry: a holder whose keepalive stops loses the lock at its lease expiry; the waiter gets it', async () => {
      const holder = await Session.create(client(), { ttlSeconds: 2 });
      const waiter = await Session.create(client(), { ttlSeconds: 10 });
      const held = new Mutex(holder, '/m2');
      await held.lock();
      holder.orphan(); // the holder's process stops renewing (a pause, a crash)
      const started = Date.now();
      const next = new Mutex(waiter, '/m2');
      await next.lock();
      const waitedMs = Date.now() - started;
      // Expiry comes at the lessor's sweep after the 2 s deadline: never sooner, however fast the machine.
      expect(waitedMs).toBeGreaterThan(1500);
      // The lock passed because the holder's lease expired (no upper bound on wall time: a loaded machine is slow).
      expect((await waiter.client.timeToLive(holder.leaseId)).TTL).toBe(-1);
      expect(next.fencingToken).toBeGreaterThan(held.fencingToken);
      await next.unlock();
      await waiter.close();
    }, 15_000);

    it('Election: campaign, leader, proclaim, resign', async () => {
      const s1 = await Session.create(client(), { ttlSeconds: 10 });
      const s2 = await Session.create(client(), { ttlSeconds: 10 });
      const e1 = new Election(s1, '/e');
      const e2 = new Election(s2, '/e');
      await e1.campaign('one');
      const second = e2.campaign('two');
      expect(fromUtf8((await e1.leader()).kvs[0]!.value)).toBe('one');
      await e1.proclaim('uno');
      expect(fromUtf8((await e2.leader()).kvs[0]!.value)).toBe('uno');
      await e1.resign();
      await second;
      expect(fromUtf8((await e1.leader()).kvs[0]!.value)).toBe('two');
      await e2.resign();
      await s1.close();
      await s2.close();
    });
  });
}
