import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/lock-algorithm.ts';
import { Sim } from '../../src/sim/sim.ts';
import { bytes, transportSim } from './helpers.ts';

describe('Sim', () => {
  it('runs a scenario script: a paused holder wakes up believing it holds the lock, and fencing turns its write away', async () => {
    const sim = new Sim({ seed: 1, msMax: 60_000 });
    for (const name of ['alice', 'bob']) {
      sim.process(
        name,
        async ({ client, resource, sleep, log }) => {
          const lock = etcdMutexFenced.create(client, { lockName: '/lock', ttlSeconds: 5 });
          const { fencingToken = 0 } = await lock.acquire();
          log(`${name} holds the lock with token ${fencingToken}`);
          await sleep(3000); // alice is paused in here
          log(`${name} writes: ${await resource('storage').write(fencingToken, name)}`);
          await lock.release().catch(() => undefined);
        },
        { startAtMs: name === 'alice' ? 0 : 100 },
      );
    }
    sim.resource('storage', { fenced: true });
    sim.at(1000, (world) => world.pause('alice'));
    sim.at(12_000, (world) => world.resume('alice'));
    const { endedBy, trace, world, errors } = await sim.run();
    expect(endedBy).toBe('done');
    expect(errors).toEqual([]);
    const acquired = trace.clientEvents('lock-acquired').map((e) => `${e.process} token ${e.event.fencingToken}`);
    expect(acquired).toEqual(['alice token 2', 'bob token 3']);
    // alice's lease expired while she was paused; bob got the lock; alice's late write is stale
    expect(trace.ofKind('lease-expired').length).toBeGreaterThanOrEqual(1);
    expect(world.resource('storage').attempts.map((a) => `${a.process} ${a.fencingToken} ${a.accepted}`)).toEqual(['bob 3 true', 'alice 2 false']);
    expect(trace.toText()).toContain('REJECTED (stale: highest 3)');
  });

  it('an unfenced resource accepts the stale write', async () => {
    const sim = new Sim({ seed: 1, msMax: 60_000 });
    sim.resource('storage', { fenced: false });
    sim.process('alice', async ({ resource }) => {
      await resource('storage').write(9, 'new');
      await resource('storage').write(3, 'stale');
    });
    const { world } = await sim.run();
    expect(world.resource('storage').value).toBe('stale');
  });

  it('says which bound ended the run', async () => {
    const keepAliveForever = () => {
      const sim = new Sim({ seed: 1, msMax: 30_000 });
      sim.process('alice', async ({ client, sleep }) => {
        const { ID } = await client.grant(5);
        client.keepAlive(ID);
        await sleep(1_000_000);
      });
      return sim;
    };
    const byTime = await keepAliveForever().run();
    expect(byTime).toMatchObject({ endedBy: 'msMax', stats: { virtualMs: 30_000 } });

    const byEvents = new Sim({ seed: 1, msMax: 30_000, eventsMax: 50 });
    byEvents.process('alice', async ({ client, sleep }) => {
      client.keepAlive((await client.grant(5)).ID);
      await sleep(1_000_000);
    });
    expect(await byEvents.run()).toMatchObject({ endedBy: 'eventsMax', stats: { events: 50 } });

    // a call across a partition that never heals, with no deadline and no lease to expire: nothing can happen
    const idle = transportSim({ seed: 1, msMax: 30_000 });
    idle.process('alice', async ({ client }) => {
      await client.call('put', { key: bytes('k') });
    });
    idle.at(0, (world) => world.partition('alice', 'server'));
    expect(await idle.run()).toMatchObject({ endedBy: 'idle', stats: { virtualMs: 0 } });
  });

  it('records a process whose main throws', async () => {
    const sim = new Sim({ seed: 1 });
    sim.process('alice', async () => {
      throw new Error('boom');
    });
    const { errors, trace } = await sim.run();
    expect(errors).toEqual(['alice#1: Error: boom']);
    expect(trace.toText()).toContain('alice#1    exited with error: Error: boom');
  });

  it('applies a fault schedule given as data, and traces each fault', async () => {
    const sim = transportSim({ seed: 1, msMax: 5000 });
    sim.process('alice', (ctx) => ctx.sleep(4000));
    sim.faults([
      { atMs: 1000, fault: { kind: 'partition', from: 'alice', to: 'server', oneWay: true } },
      { atMs: 2000, fault: { kind: 'heal' } },
      { atMs: 3000, fault: { kind: 'drift', process: 'alice', driftRate: 1.5, jumpMs: -200 } },
    ]);
    const { trace } = await sim.run();
    expect(trace.ofKind('fault').map((event) => event.atMs)).toEqual([1000, 2000, 3000]);
    expect(
      trace
        .toText()
        .split('\n')
        .filter((line) => line.includes('fault'))
        .map((line) => line.trim()),
    ).toEqual(['1.000  fault      partition alice → server', '2.000  fault      heal everywhere', '3.000  fault      drift alice rate 1.5 jump -200ms']);
  });
});
