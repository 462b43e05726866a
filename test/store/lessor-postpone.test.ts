// Lessor.postpone: a fast-forward carries a kept-alive lease across a jump.
import { describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

describe('Lessor.postpone', () => {
  it('moves a live lease’s deadline later, keeping its remaining TTL; expired or unknown leases stay as they are', () => {
    const clock = new VirtualClock();
    const store = new EtcdStore({ clock, exactExpiry: true });
    runStoreLoops(store, clock);
    store.leaseGrant({ ID: 1n, TTL: 5 });
    store.leaseGrant({ ID: 2n, TTL: 5 });
    clock.advanceTo(1_000);
    expect(store.lessor.postpone(1n, 60_000)).toBe(true);
    clock.advanceTo(61_000);
    expect(store.leaseTimeToLive({ ID: 1n }).TTL).toBe(4);
    expect(store.leaseTimeToLive({ ID: 2n }).TTL).toBe(-1); // not postponed: revoked at its deadline
    expect(store.lessor.postpone(2n, 1_000)).toBe(false);
    clock.advanceTo(65_000);
    expect(store.lessor.postpone(1n, 1_000)).toBe(false); // at its deadline: expired, never revived
    expect(() => store.lessor.postpone(1n, -1)).toThrow();
  });
});
