// etcd's background loops on a VirtualClock: the 500 ms expiry sweep, and
// exactExpiry's wake-up at each lease's deadline.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore, type EtcdStoreOptions } from '../../src/store/etcd-store.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

function setup(options: Partial<EtcdStoreOptions> = {}, startMs = 0) {
  const clock = new VirtualClock(startMs);
  const store = new EtcdStore({ clock, ...options });
  const stop = runStoreLoops(store, clock);
  /** When (virtual ms) the lease's key disappeared, stepping 1 ms at a time. */
  const revokedAt = (key: string, untilMs: number): number | undefined => {
    while (clock.nowMs() < untilMs) {
      clock.advance(1);
      if (store.range({ key: utf8(key) }).count === 0) return clock.nowMs();
    }
    return undefined;
  };
  return { clock, store, stop, revokedAt };
}

describe('expiry sweep every 500 ms', () => {
  it('revokes at the first tick at or after the deadline', () => {
    const { store, clock, revokedAt } = setup();
    store.leaseGrant({ TTL: 2, ID: 1n }); // deadline 2000: a tick
    store.put({ key: utf8('a'), lease: 1n });
    expect(revokedAt('a', 5000)).toBe(2000);
    clock.advanceTo(2010);
    store.leaseGrant({ TTL: 2, ID: 2n }); // deadline 4010
    store.put({ key: utf8('b'), lease: 2n });
    expect(revokedAt('b', 10_000)).toBe(4500);
  });

  it('replays lease-expiry.json: readable at 4030, gone in one revision by 6536', () => {
    const { store, clock } = setup();
    store.leaseGrant({ TTL: 5, ID: 7n });
    clock.advanceTo(5);
    store.put({ key: utf8('/cron/lock/job1'), lease: 7n });
    clock.advanceTo(2524);
    expect(store.leaseTimeToLive({ ID: 7n, keys: true }).TTL).toBe(2);
    clock.advanceTo(4030);
    expect(store.range({ key: utf8('/cron/lock/job1') }).count).toBe(1);
    clock.advanceTo(6536);
    expect(store.range({ key: utf8('/cron/lock/job1') })).toMatchObject({ header: { revision: 3 }, count: 0 });
    expect(store.leaseTimeToLive({ ID: 7n }).TTL).toBe(-1);
    expect(store.leaseKeepAlive({ ID: 7n })).toEqual({ header: { revision: 3 }, ID: 7n, TTL: 0 });
  });

  it('ticks from the time the loops started', () => {
    const { store, revokedAt } = setup({}, 130);
    store.leaseGrant({ TTL: 2, ID: 1n }); // deadline 2130
    store.put({ key: utf8('a'), lease: 1n });
    expect(revokedAt('a', 5000)).toBe(2130);
  });

  it('drains a backlog at 500 leases a sweep', () => {
    const { store, clock } = setup();
    for (let id = 1n; id <= 1200n; id++) store.leaseGrant({ TTL: 2, ID: id });
    clock.advanceTo(2000);
    expect(store.lessor.size).toBe(700);
    clock.advanceTo(2500);
    expect(store.lessor.size).toBe(200);
    clock.advanceTo(3000);
    expect(store.lessor.size).toBe(0);
  });

  it('stops', () => {
    const { store, clock, stop } = setup();
    store.leaseGrant({ TTL: 2, ID: 1n });
    stop();
    stop();
    clock.advance(10_000);
    expect(store.lessor.size).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keepalives keep the key; revoke happens at the tick after keepalives stop', () => {
    const { store, clock, revokedAt } = setup();
    store.leaseGrant({ TTL: 3, ID: 9n });
    clock.advanceTo(8);
    store.put({ key: utf8('k'), lease: 9n });
    for (const t of [1014, 2019, 3028, 4032]) {
      clock.advanceTo(t);
      expect(store.leaseKeepAlive({ ID: 9n }).TTL).toBe(3);
    }
    expect(revokedAt('k', 20_000)).toBe(7500); // deadline 7032
  });
});

describe('exactExpiry', () => {
  it('revokes at the exact deadline', () => {
    const { store, clock, revokedAt } = setup({ exactExpiry: true });
    clock.advanceTo(10);
    store.leaseGrant({ TTL: 2, ID: 2n }); // deadline 2010
    store.put({ key: utf8('b'), lease: 2n });
    expect(revokedAt('b', 10_000)).toBe(2010);
  });

  it('follows sooner grants, keepalives and revokes', () => {
    const { store, clock, revokedAt } = setup({ exactExpiry: true });
    store.leaseGrant({ TTL: 10, ID: 1n }); // 10000
    store.put({ key: utf8('long'), lease: 1n });
    clock.advanceTo(7);
    store.leaseGrant({ TTL: 3, ID: 2n }); // 3007
    store.put({ key: utf8('short'), lease: 2n });
    clock.advanceTo(1333);
    store.leaseKeepAlive({ ID: 2n }); // 4333
    store.leaseGrant({ TTL: 2, ID: 3n }); // 3333
    store.leaseRevoke({ ID: 3n });
    expect(revokedAt('short', 20_000)).toBe(4333);
    expect(revokedAt('long', 20_000)).toBe(10_000);
    expect(clock.pendingTimers).toBe(3); // just the three loops
  });

  it('wakes at deadlines after a promote', () => {
    const { store, clock, revokedAt } = setup({ exactExpiry: true });
    store.leaseGrant({ TTL: 5, ID: 1n });
    store.put({ key: utf8('k'), lease: 1n });
    clock.advanceTo(4321);
    store.promoteLeases(); // 4321 + 1000 + 5000
    expect(revokedAt('k', 20_000)).toBe(10_321);
  });

  it('leaves a backlog to the 500 ms sweep rate', () => {
    const { store, clock } = setup({ exactExpiry: true });
    clock.advanceTo(10);
    for (let id = 1n; id <= 1200n; id++) store.leaseGrant({ TTL: 2, ID: id });
    clock.advanceTo(2010);
    expect(store.lessor.size).toBe(700);
    clock.advanceTo(2499);
    expect(store.lessor.size).toBe(700);
    clock.advanceTo(2500);
    expect(store.lessor.size).toBe(200);
    clock.advanceTo(3000);
    expect(store.lessor.size).toBe(0);
  });
});
