import { describe, expect, it } from 'vitest';
import type { LeaseKeepAliveResponse } from '../../src/store/messages.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { bytes, transportSim } from './helpers.ts';

describe('server node', () => {
  it('sweeps expired leases every 500 ms and traces each expiry with the revision its revoke made', async () => {
    const sim = transportSim({ seed: 1, msMax: 10_000 });
    sim.process('alice', async ({ client, sleep }) => {
      const { ID } = await client.call('leaseGrant', { TTL: 2 }); // applied at 1: deadline 2001
      await client.call('put', { key: bytes('a'), lease: ID }); // rev 2
      await client.call('leaseGrant', { TTL: 3 }); // no keys: deadline 3005
      await sleep(5000);
    });
    const { trace } = await sim.run();
    expect(trace.ofKind('lease-expired').map((event) => `${event.atMs} rev ${event.revision}`)).toEqual(['2500 rev 3', '3500 rev 3']);
  });

  it('holds a keepalive on an expired, unswept lease until the sweep revokes it, then answers TTL 0 with the revision from before; requests behind it wait too', async () => {
    const sim = transportSim({ seed: 1, msMax: 10_000, network: { latencyMs: 10 } });
    sim.process('alice', async ({ client, log, sleep }) => {
      const { ID } = await client.call('leaseGrant', { TTL: 2 }); // applied at 10: deadline 2010
      await client.call('put', { key: bytes('a'), lease: ID }); // rev 2
      await client.call('leaseGrant', { ID: 99n, TTL: 10 });
      await sleep(2050); // three calls took 60 ms: now 2110
      const stream = client.openKeepAlive({
        message: (response) => log(`TTL ${response.TTL} for ${response.ID === 99n ? 'the other lease' : 'the expired one'} at rev ${response.header.revision}`),
        end: () => log('stream ended'),
      });
      stream.send({ ID }); // arrives after the 2010 deadline, before the 2500 sweep
      stream.send({ ID: 99n }); // queued behind it
      void client.call('range', { key: bytes('a') }).then(({ kvs }) => log(`while waiting: ${kvs.length} key`));
      await sleep(1000);
      stream.close();
    });
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual([
      '2130 while waiting: 1 key',
      '2510 TTL 0 for the expired one at rev 2',
      '2510 TTL 10 for the other lease at rev 3',
      '3110 stream ended',
    ]);
    expect(trace.ofKind('lease-expired').map((event) => `${event.atMs} rev ${event.revision}`)).toEqual(['2500 rev 3']);
  });

  it('a keepalive held for a revoke is answered after a LeaseRevoke, and forgotten when its stream closes', async () => {
    const sim = transportSim({ seed: 1, msMax: 10_000, network: { latencyMs: 10 } });
    sim.process('alice', async ({ client, log, sleep }) => {
      const first = await client.call('leaseGrant', { TTL: 2 }); // deadline 2010
      const second = await client.call('leaseGrant', { TTL: 2 }); // deadline 2030
      await sleep(2040);
      const held = client.openKeepAlive({ message: (response) => log(`TTL ${response.TTL} after the revoke`), end: () => {} });
      held.send({ ID: first.ID });
      const closed = client.openKeepAlive({ message: () => log('answered on a closed stream'), end: () => {} });
      closed.send({ ID: second.ID });
      await sleep(100);
      closed.close();
      await client.call('leaseRevoke', { ID: first.ID });
      log('revoked');
      await sleep(1000);
      held.close();
    });
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => event.message)).toEqual(['TTL 0 after the revoke', 'revoked']);
  });

  it('with exactExpiry, revokes a lease at its deadline', async () => {
    const sim = transportSim({ seed: 1, msMax: 10_000, store: { exactExpiry: true } });
    sim.process('alice', async ({ client, sleep }) => {
      await client.call('leaseGrant', { TTL: 2 }); // applied at 1
      await sleep(3000);
    });
    const { trace } = await sim.run();
    expect(trace.ofKind('lease-expired').map((event) => event.atMs)).toEqual([2001]);
  });

  it('serverRestart keeps data, promotes leases, ends streams with an error and loses unapplied requests', async () => {
    const sim = transportSim({ seed: 1, msMax: 60_000, network: { latencyMs: 10 } });
    sim.process('alice', async ({ client, log, sleep }) => {
      const { ID } = await client.call('leaseGrant', { TTL: 10 }); // applied at 10: deadline 10_010
      await client.call('put', { key: bytes('k'), value: bytes('v'), lease: ID });
      const answers: LeaseKeepAliveResponse[] = [];
      const ended = new Promise<string>((resolve) => {
        const stream = client.openKeepAlive({ message: (response) => answers.push(response), end: (error) => resolve(error?.message ?? 'clean') });
        stream.send({ ID });
      });
      log(`stream ended: ${await ended}`, answers.length);
      // in flight when the server goes down: lost
      void client.call('range', { key: bytes('k') }).then(() => log('lost call answered'));
      await sleep(3000);
      const { kvs } = await client.call('range', { key: bytes('k') });
      log(`after restart: ${kvs.length} key(s)`);
    });
    sim.at(5000, (world) => world.serverRestart({ downMs: 1000 }));
    const { trace, world, endedBy } = await sim.run();
    expect(endedBy).toBe('done');
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual([
      '5010 stream ended: etcdserver: server stopped 1',
      '8030 after restart: 1 key(s)',
    ]);
    expect(trace.ofKind('server-up')).toEqual([{ kind: 'server-up', atMs: 6000, leases: 1 }]);
    // promoted at 6000: now + election timeout (1 s) + full TTL (10 s)
    const store = world.store as EtcdStore;
    expect(store.lessor.deadlineMs(store.leaseLeases({}).leases[0]!.ID)).toBe(17_000);
    expect(trace.ofKind('message-dropped').map((event) => `${event.atMs} ${event.message} ${event.reason}`)).toEqual(['5020 range #3 server-down']);
  });

  it('answers a message on a connection from before the restart with a reset, and the client reconnects', async () => {
    const sim = transportSim({ seed: 1, msMax: 60_000, network: { latencyMs: 10 } });
    sim.process('alice', async ({ client, log, sleep }) => {
      await client.call('put', { key: bytes('k'), value: bytes('1') });
      await sleep(5000); // the restart's reset is dropped by the partition
      void client.call('put', { key: bytes('k'), value: bytes('lost') });
      await sleep(1000);
      const { header } = await client.call('put', { key: bytes('k'), value: bytes('2') });
      log(`rev ${header.revision}`);
    });
    sim.at(1000, (world) => world.partition('alice', 'server'));
    sim.at(2000, (world) => world.serverRestart());
    sim.at(4000, (world) => world.heal());
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual(['6040 rev 3']);
    expect(trace.ofKind('message-dropped').map((event) => `${event.atMs} ${event.from}->${event.to} ${event.message} ${event.reason}`)).toEqual([
      '2000 server->alice connection reset partition',
      '5030 alice->server put #2 stale-connection',
    ]);
  });

  it('slowApply delays each request before it is applied, in order', async () => {
    const sim = transportSim({ seed: 1, msMax: 60_000 });
    sim.process('alice', async ({ client, log }) => {
      const answers = await Promise.all([1, 2, 3].map((i) => client.call('put', { key: bytes(`k${i}`) })));
      log(answers.map((answer) => answer.header.revision).join(','));
    });
    sim.at(0, (world) => world.slowApply(500));
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual(['502 2,3,4']);
  });

  it('hosts watch streams: a watcher sees a lease expiry delete its key', async () => {
    const sim = transportSim({ seed: 1, msMax: 60_000 });
    sim.process('alice', async ({ client, log }) => {
      const { ID } = await client.call('leaseGrant', { TTL: 2 });
      await client.call('put', { key: bytes('k'), lease: ID });
      await new Promise<void>((resolve) => {
        const stream = client.openWatch({
          message: (response) => {
            for (const event of response.events) log(`${event.type} rev ${event.kv.mod_revision}`);
            if (response.events.length > 0) resolve();
          },
          end: () => undefined,
        });
        stream.send({ create_request: { key: bytes('k') } });
      });
    });
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual(['2501 DELETE rev 3']);
  });
});
