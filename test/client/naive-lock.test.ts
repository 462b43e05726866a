// The naive lease lock on a real store: put-if-absent with a kept-alive lease, wait for the holder's
// key to go, the key's create revision as the fencing token.
import { describe, expect, it } from 'vitest';
import { NaiveLock } from '../../src/client/naive-lock.ts';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { drive, runFor, world } from './virtual-runtime.ts';

describe('NaiveLock', () => {
  it('one holder at a time: the second waits until the first releases, and gets a higher token', async () => {
    const w = world();
    const alice = new NaiveLock(w.client(), { key: '/lock', ttlSeconds: 10 });
    const bob = new NaiveLock(w.client(), { key: '/lock', ttlSeconds: 10 });
    const first = await drive(w.clock, alice.acquire());
    const kv = w.store.range({ key: Buffer.from('/lock') }).kvs[0]!;
    expect(first.fencingToken).toBe(kv.create_revision);
    expect(alice.fencingToken).toBe(first.fencingToken);
    // the key holds the lease ID in hex (Go's %x, as clientv3's mutex writes it) unless an owner is given
    expect(fromUtf8(kv.value)).toBe(first.leaseId.toString(16));
    expect(kv.lease).toBe(first.leaseId);

    let bobHolds = false;
    const bobAcquire = bob.acquire().then((held) => {
      bobHolds = true;
      return held;
    });
    await runFor(w.clock, 30_000); // alice keeps her lease alive: bob waits
    expect(bobHolds).toBe(false);
    await drive(w.clock, alice.release());
    expect(alice.fencingToken).toBe(-1);
    const second = await drive(w.clock, bobAcquire);
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
    await drive(w.clock, Promise.all([alice.close(), bob.close()]));
  });

  it('acquiring again while holding gives the same token; close revokes the lease and its key goes', async () => {
    const w = world();
    const lock = new NaiveLock(w.client(), { key: '/job', ttlSeconds: 5, owner: 'worker-1' });
    const first = await drive(w.clock, lock.acquire());
    const again = await drive(w.clock, lock.acquire());
    expect([again.fencingToken, again.leaseId]).toEqual([first.fencingToken, first.leaseId]);
    expect(fromUtf8(w.store.range({ key: Buffer.from('/job') }).kvs[0]!.value)).toBe('worker-1');
    await drive(w.clock, lock.close());
    expect(w.store.range({ key: Buffer.from('/job') }).kvs).toEqual([]);
    expect(lock.leaseId).toBeUndefined();
  });
});
