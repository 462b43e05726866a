import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/client/events.ts';
import { fenceAccepts, readFencingToken } from '../../src/client/fencing.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import { etcdMutex, etcdMutexFenced, naiveLock, type LockAlgorithm } from '../../src/client/lock-algorithm.ts';
import { NaiveLock } from '../../src/client/naive-lock.ts';
import { drive, runFor, runUntil, SwitchableTransport, world } from './virtual-runtime.ts';

const lockEvents = (events: ClientEvent[]) => events.filter((e) => e.kind.startsWith('lock-')).map((e) => e.kind);

describe('NaiveLock', () => {
  it('under contention hands the key to one client at a time', async () => {
    const w = world();
    const locks = [0, 1, 2].map((i) => new NaiveLock(w.client(), { key: 'naive', ttlSeconds: 10, owner: `p${i}` }));
    let holders = 0;
    let maxHolders = 0;
    const order: number[] = [];
    const work = locks.map(async (lock, i) => {
      await lock.acquire();
      holders++;
      maxHolders = Math.max(maxHolders, holders);
      order.push(i);
      const value = (await lock.client.get('naive')).kvs[0]?.value;
      expect(new TextDecoder().decode(value)).toBe(`p${i}`);
      await new Promise<void>((resolve) => lock.client.runtime.setTimer(1000, resolve));
      holders--;
      await lock.release();
    });
    await drive(w.clock, Promise.all(work));
    expect(maxHolders).toBe(1);
    expect([...order].sort()).toEqual([0, 1, 2]);
  });

  it('counts a key already on its own lease as acquired (a retried put whose answer was lost)', async () => {
    const w = world();
    const lock = new NaiveLock(w.client(), { key: 'n', ttlSeconds: 10 });
    const first = await drive(w.clock, lock.acquire());
    const again = await drive(w.clock, lock.acquire());
    expect(again.fencingToken).toBe(first.fencingToken);
  });
});

describe('lock algorithms', () => {
  const algorithms: LockAlgorithm[] = [naiveLock, etcdMutex, etcdMutexFenced];

  for (const algorithm of algorithms) {
    it(`${algorithm.name}: reports acquired and released beliefs, one holder at a time`, async () => {
      const w = world();
      const events: ClientEvent[][] = [[], []];
      const locks = events.map((e) => algorithm.create(w.client({ events: e }), { lockName: '/jobs', ttlSeconds: 5 }));
      let holders = 0;
      let maxHolders = 0;
      const tokens: number[] = [];
      const run = locks.map(async (lock) => {
        for (let round = 0; round < 2; round++) {
          const acquired = await lock.acquire();
          if (acquired.fencingToken !== undefined) tokens.push(acquired.fencingToken);
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          holders--;
          await lock.release();
        }
      });
      await drive(w.clock, Promise.all(run));
      expect(maxHolders).toBe(1);
      for (const e of events) expect(lockEvents(e)).toEqual(['lock-acquired', 'lock-released', 'lock-acquired', 'lock-released']);
      const acquired = events.flat().filter((e) => e.kind === 'lock-acquired');
      for (const e of acquired) expect(e).toMatchObject({ lockName: '/jobs', fencingToken: expect.any(Number) });
      if (algorithm === etcdMutexFenced) {
        expect(tokens).toHaveLength(4);
        expect([...tokens].sort((a, b) => a - b)).toEqual(tokens);
      } else {
        expect(tokens).toEqual([]);
      }
    });

    it(`${algorithm.name}: reports lock-lost when the holder's lease is lost`, async () => {
      const w = world();
      const events: ClientEvent[] = [];
      const transport = new SwitchableTransport(new InProcessTransport(w.store));
      const lock = algorithm.create(w.client({ events, transport }), { lockName: 'L', ttlSeconds: 3 });
      await drive(w.clock, lock.acquire());
      let lost = false;
      void lock.lost.then(() => (lost = true));
      transport.answering = false; // partitioned: keepalives go unanswered
      await runUntil(w.clock, () => lost, 10_000);
      expect(lockEvents(events)).toEqual(['lock-acquired', 'lock-lost']);
      const leaseLost = events.find((e) => e.kind === 'lease-lost');
      expect(leaseLost).toMatchObject({ reason: 'deadline' });
      // Meanwhile another client took the lock: the classic overlap window is over by now.
      const other = algorithm.create(w.client(), { lockName: 'L', ttlSeconds: 3 });
      await drive(w.clock, other.acquire());
    });
  }

  it('etcd-mutex-fenced tokens let a resource reject a stale holder', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const a = etcdMutexFenced.create(w.client({ transport }), { lockName: 'F', ttlSeconds: 2 });
    const b = etcdMutexFenced.create(w.client(), { lockName: 'F', ttlSeconds: 2 });
    const tokenA = (await drive(w.clock, a.acquire())).fencingToken!;
    transport.answering = false; // A is cut off; its lease expires on the server
    const tokenB = (await drive(w.clock, b.acquire())).fencingToken!;
    expect(tokenB).toBeGreaterThan(tokenA);
    let highest: number | undefined;
    const write = (token: number) => {
      if (!fenceAccepts(highest, token)) return 'rejected';
      highest = token;
      return 'accepted';
    };
    expect(write(tokenB)).toBe('accepted');
    expect(write(tokenA)).toBe('rejected');
    const client = w.client();
    const keys = (await drive(w.clock, client.get('F/', { prefix: true }))).kvs;
    expect(await drive(w.clock, readFencingToken(client, keys[0]!.key))).toBe(tokenB);
    await runFor(w.clock, 100);
  });
});

describe('determinism', () => {
  it('the same contention run gives the same event log, event for event', async () => {
    const run = async () => {
      const w = world();
      const log: string[] = [];
      const clients = [0, 1, 2].map((i) =>
        w.client({
          events: {
            push: (e: ClientEvent) =>
              log.push(
                `${w.clock.nowMs()} c${i} ${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v))}`,
              ),
          } as unknown as ClientEvent[],
        }),
      );
      const locks = clients.map((c) => etcdMutex.create(c, { lockName: 'd', ttlSeconds: 4 }));
      await drive(
        w.clock,
        Promise.all(
          locks.map(async (lock) => {
            await lock.acquire();
            await lock.release();
          }),
        ),
      );
      await runFor(w.clock, 10_000);
      return log;
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(30);
    expect(await run()).toEqual(first);
  });
});
