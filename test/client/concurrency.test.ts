import { describe, expect, it } from 'vitest';
import { Election } from '../../src/client/concurrency/election.ts';
import { Mutex } from '../../src/client/concurrency/mutex.ts';
import { Session } from '../../src/client/concurrency/session.ts';
import { ElectionNoLeaderError, ElectionNotLeaderError, MutexLockedError } from '../../src/client/errors.ts';
import type { ClientEvent } from '../../src/client/events.ts';
import { op } from '../../src/client/kv.ts';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { LeaseNotFoundError } from '../../src/store/errors.ts';
import type { RangeResponse, WatchResponse } from '../../src/store/messages.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import { settledNothing } from '../../src/client/runtime.ts';
import { drive, flushMicrotasks, HandlerReturnsTransport, runFor, world } from './virtual-runtime.ts';

describe('Mutex steps as callbacks', () => {
  it('say settledNothing for answers that only lead to the next request, until the lock is held', async () => {
    const w = world();
    const transport = new HandlerReturnsTransport(new InProcessTransport(w.store));
    const holder = new Mutex(await drive(w.clock, Session.create(w.client())), '/m');
    await drive(w.clock, holder.lock());
    const waiter = new Mutex(await drive(w.clock, Session.create(w.client({ transport }))), '/m');
    const locked = waiter.lock();
    await runFor(w.clock, 100);
    await drive(w.clock, holder.unlock());
    await drive(w.clock, locked);
    const steps = transport.returns
      .filter(({ stream }) => stream !== 'keepalive' && stream !== 'leaseGrant')
      .map(({ stream, response, returned }) => {
        const what =
          stream === 'watch'
            ? (response as WatchResponse).events.map((e) => e.type).join() || 'ack'
            : `${stream} ${(response as RangeResponse).kvs?.length ?? ''}`.trim();
        return `${what} ${returned === settledNothing ? 'quiet' : 'settles'}`;
      });
    // The acquire txn finds an owner; the get finds the holder's key; the watch is created; the DELETE
    // cancels the watch (acknowledged) and makes the next get, which finds none and resolves lock().
    expect(steps).toEqual(['txn quiet', 'range 1 quiet', 'ack quiet', 'DELETE quiet', 'ack quiet', 'range 0 settles']);
  });
});

describe('Session', () => {
  it('grants 60 s by default, keeps the lease alive, and close() revokes it', async () => {
    const w = world();
    const client = w.client();
    const session = await drive(w.clock, Session.create(client));
    expect((await drive(w.clock, client.timeToLive(session.leaseId))).grantedTTL).toBe(60);
    await drive(w.clock, client.put('k', 'v', { lease: session.leaseId }));
    await runFor(w.clock, 5 * 60_000);
    expect(session.isDone).toBe(false);
    await drive(w.clock, session.close());
    expect(await session.done).toBe('closed');
    expect((await drive(w.clock, client.get('k'))).kvs).toEqual([]);
    expect((await drive(w.clock, client.timeToLive(session.leaseId))).TTL).toBe(-1);
    await expect(drive(w.clock, session.close())).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it('orphan() stops the keepalive without revoking; the lease then expires', async () => {
    const w = world();
    const client = w.client();
    const session = await drive(w.clock, Session.create(client, { ttlSeconds: 5 }));
    session.orphan();
    expect(await session.done).toBe('closed');
    expect((await drive(w.clock, client.timeToLive(session.leaseId))).grantedTTL).toBe(5);
    await runFor(w.clock, 6000);
    expect((await drive(w.clock, client.timeToLive(session.leaseId))).TTL).toBe(-1);
  });

  it('done resolves when the lease is revoked elsewhere', async () => {
    const w = world();
    const client = w.client();
    const session = await drive(w.clock, Session.create(client, { ttlSeconds: 6 }));
    await drive(w.clock, w.client().revoke(session.leaseId));
    expect(await drive(w.clock, session.done)).toBe('expired');
  });
});

describe('Mutex (etcd 3.4)', () => {
  it('keys the lock by prefix + "/" + lease hex, and the token is its create revision', async () => {
    const w = world();
    const client = w.client();
    const session = await drive(w.clock, Session.create(client, { leaseId: (await drive(w.clock, client.grant(30, 0x694d77aa9e38260fn))).ID }));
    const mutex = new Mutex(session, '/my-lock');
    await drive(w.clock, mutex.lock());
    expect(mutex.key).toBe('/my-lock/694d77aa9e38260f');
    expect(mutex.fencingToken).toBe(2);
    expect(mutex.header?.revision).toBe(2);
    const kv = (await drive(w.clock, client.get(mutex.key))).kvs[0]!;
    expect([kv.create_revision, kv.lease, kv.value.length]).toEqual([2, 0x694d77aa9e38260fn, 0]);
    // isOwner() guards a write in a txn.
    const guarded = await drive(w.clock, client.txn().if(mutex.isOwner()).then(op.put('data', 'x')).commit());
    expect(guarded.succeeded).toBe(true);
    await drive(w.clock, mutex.unlock());
    expect(mutex.key).toBe('\x00');
    expect(mutex.fencingToken).toBe(-1);
    expect((await drive(w.clock, client.get('/my-lock/', { prefix: true }))).kvs).toEqual([]);
  });

  it('tryLock: of 5 sessions exactly one wins, the rest get ErrLocked and leave no key', async () => {
    const w = world();
    const sessions = await Promise.all([0, 1, 2, 3, 4].map(() => drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }))));
    const results = await drive(
      w.clock,
      Promise.all(
        sessions.map((s) =>
          new Mutex(s, 'test-mutex').tryLock().then(
            () => 'locked',
            (e: unknown) => e,
          ),
        ),
      ),
    );
    expect(results.filter((r) => r === 'locked')).toHaveLength(1);
    const errors = results.filter((r) => r !== 'locked');
    expect(errors).toHaveLength(4);
    for (const error of errors) {
      expect(error).toBeInstanceOf(MutexLockedError);
      expect((error as Error).message).toBe('mutex: Locked by another session');
    }
    expect((await drive(w.clock, w.client().get('test-mutex/', { prefix: true }))).kvs).toHaveLength(1);
  });

  it('waiters acquire in create-revision order', async () => {
    const w = world();
    const order: number[] = [];
    const mutexes: Mutex[] = [];
    for (let i = 0; i < 4; i++) mutexes.push(new Mutex(await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 })), 'q'));
    await drive(w.clock, mutexes[0]!.lock());
    order.push(0);
    // Queue 3, 1, 2 in that order: that is their create-revision order.
    const waits = [3, 1, 2].map((i) => {
      const p = mutexes[i]!.lock().then(() => order.push(i));
      return p;
    });
    await runFor(w.clock, 100);
    expect(order).toEqual([0]);
    const revs = [3, 1, 2].map((i) => mutexes[i]!.fencingToken);
    expect([...revs].sort((a, b) => a - b)).toEqual(revs);
    for (const next of [0, 3, 1]) {
      await drive(w.clock, mutexes[next]!.unlock());
      await runFor(w.clock, 100);
    }
    await drive(w.clock, Promise.all(waits));
    expect(order).toEqual([0, 3, 1, 2]);
  });

  it('re-locking with the same session returns at once', async () => {
    const w = world();
    const session = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    const first = new Mutex(session, 'm');
    await drive(w.clock, first.lock());
    const second = new Mutex(session, 'm');
    const started = w.clock.nowMs();
    await drive(w.clock, second.lock());
    expect(w.clock.nowMs()).toBe(started);
    expect(second.key).toBe(first.key);
    expect(second.fencingToken).toBe(first.fencingToken);
  });

  it('3.4: a waiter whose session ended while it waited still "acquires" (issue #11456, Jepsen 3.4.3)', async () => {
    const w = world();
    const s1 = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    const s2 = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    const m1 = new Mutex(s1, 'expiring');
    const m2 = new Mutex(s2, 'expiring');
    await drive(w.clock, m1.lock());
    let m2Result: unknown = 'waiting';
    const waiting = m2.lock().then(
      () => (m2Result = 'locked'),
      (e: unknown) => (m2Result = e),
    );
    await runFor(w.clock, 100);
    await drive(w.clock, s2.close()); // revokes s2's lease: its key is gone
    await runFor(w.clock, 100);
    expect(m2Result).toBe('waiting');
    await drive(w.clock, m1.unlock());
    await drive(w.clock, waiting);
    // etcd 3.5 would reject with ErrSessionExpired; 3.4 returns success.
    expect(m2Result).toBe('locked');
    expect((await drive(w.clock, w.client().get(m2.key))).kvs).toEqual([]);
    expect(s2.isDone).toBe(true);
  });
});

describe('Election', () => {
  it('campaign, observe, proclaim, resign', async () => {
    const w = world();
    const sa = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    const sb = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    const a = new Election(sa, '/leader');
    const b = new Election(sb, '/leader');
    const observer = new Election(await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 })), '/leader');
    await expect(drive(w.clock, observer.leader())).rejects.toBeInstanceOf(ElectionNoLeaderError);
    await expect(drive(w.clock, a.proclaim('x'))).rejects.toThrow(new ElectionNotLeaderError());

    const seen: string[] = [];
    const observation = observer.observe((r: RangeResponse) => seen.push(fromUtf8(r.kvs[0]!.value)));
    await runFor(w.clock, 100);

    await drive(w.clock, a.campaign('a1'));
    expect(a.key.startsWith('/leader/')).toBe(true);
    expect(a.rev).toBeGreaterThan(0);
    let bElected = false;
    const bCampaign = b.campaign('b1').then(() => (bElected = true));
    await runFor(w.clock, 100);
    expect(bElected).toBe(false);
    expect(fromUtf8((await drive(w.clock, observer.leader())).kvs[0]!.value)).toBe('a1');

    await drive(w.clock, a.proclaim('a2'));
    await runFor(w.clock, 100);
    await drive(w.clock, a.resign());
    await drive(w.clock, bCampaign);
    expect(bElected).toBe(true);
    await runFor(w.clock, 100);
    expect(seen).toEqual(['a1', 'a2', 'b1']);
    observation.stop();
    expect(await observation.done).toBeUndefined();
    await flushMicrotasks();
  });

  it('the same session campaigning again with another value proclaims it', async () => {
    const w = world();
    const session = await drive(w.clock, Session.create(w.client(), { ttlSeconds: 30 }));
    await drive(w.clock, new Election(session, 'e').campaign('abc'));
    await drive(w.clock, new Election(session, 'e').campaign('def'));
    const leader = await drive(w.clock, new Election(session, 'e').leader());
    expect(fromUtf8(leader.kvs[0]!.value)).toBe('def');
  });
});

describe('lock events', () => {
  it('Session + Mutex never reports through the observer by itself', async () => {
    const w = world();
    const events: ClientEvent[] = [];
    const session = await drive(w.clock, Session.create(w.client({ events }), { ttlSeconds: 30 }));
    await drive(w.clock, new Mutex(session, 'x').lock());
    expect(events.some((e) => e.kind.startsWith('lock-'))).toBe(false);
  });
});
