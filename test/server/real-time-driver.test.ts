// The serve clock: virtual time follows the wall clock, runs ahead when fast-forwarded (leases a live
// client keeps alive are carried across, others expire on the way), refuses a bad fast-forward without
// moving, and stops. The wall clock here is a number the test moves.
import { afterEach, describe, expect, it } from 'vitest';
import { fastForwardTotalMsMax } from '../../src/server/fast-forward-limits.ts';
import { RealTimeDriver } from '../../src/server/real-time-driver.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

const drivers: RealTimeDriver[] = [];
afterEach(() => {
  for (const driver of drivers.splice(0)) driver.stop();
});

function setUp() {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const wall = { ms: 1_000_000 };
  // a tick interval no test waits for: the test moves time itself
  const driver = new RealTimeDriver(store, clock, { wallNowMs: () => wall.ms, tickIntervalMs: 3_600_000 });
  drivers.push(driver);
  return { clock, store, wall, driver };
}

const alive = (store: EtcdStore, id: bigint) => store.leaseTimeToLive({ ID: id }).TTL > 0;

describe('RealTimeDriver', () => {
  it('virtual time is wall time since the start', () => {
    const { clock, wall, driver } = setUp();
    const start = clock.nowMs();
    wall.ms += 1500;
    expect(driver.nowMs()).toBe(start + 1500);
    wall.ms += 250;
    driver.tick();
    expect(clock.nowMs()).toBe(start + 1750);
  });

  it('a fast-forward runs ahead of the wall clock, cumulatively; an unkept lease expires on the way', () => {
    const { clock, store, wall, driver } = setUp();
    const start = clock.nowMs();
    const { ID } = store.leaseGrant({ TTL: 10 });
    store.put({ key: utf8('/job'), value: utf8('x'), lease: ID });
    driver.advance(5000);
    expect([driver.fastForwardMs, clock.nowMs() - start]).toEqual([5000, 5000]);
    expect(alive(store, ID)).toBe(true);
    driver.advance(6000); // past the deadline, and the next 500 ms sweep
    wall.ms += 10;
    driver.tick();
    expect(driver.fastForwardMs).toBe(11_000);
    expect(clock.nowMs() - start).toBe(11_010);
    expect(alive(store, ID)).toBe(false);
    expect(store.range({ key: utf8('/job') }).kvs).toEqual([]);
  });

  it('a lease a live client keeps alive is carried across a fast-forward', () => {
    const { store, driver } = setUp();
    const { ID } = store.leaseGrant({ TTL: 10 });
    const stream = driver.keepers.openStream();
    driver.keepers.renewed(stream, ID, 10);
    driver.advance(60_000);
    expect(alive(store, ID)).toBe(true);
    expect(store.leaseTimeToLive({ ID }).TTL).toBeGreaterThan(8);
  });

  it('refuses a negative, non-finite or too large fast-forward, and does not move', () => {
    const { clock, driver } = setUp();
    driver.advance(1000);
    const before = [clock.nowMs(), driver.fastForwardMs];
    for (const bad of [-1, Number.NaN, Infinity])
      expect(() => driver.advance(bad)).toThrow(new RangeError(`can only fast-forward by a finite, non-negative number of ms, got ${bad}`));
    expect(() => driver.advance(fastForwardTotalMsMax)).toThrow(
      new RangeError(`can only fast-forward ${fastForwardTotalMsMax} ms in total; 1000 ms used, ${fastForwardTotalMsMax} ms asked`),
    );
    expect([clock.nowMs(), driver.fastForwardMs]).toEqual(before);
  });

  it('stopped, the clock stays where it is', () => {
    const { clock, wall, driver } = setUp();
    wall.ms += 100;
    driver.tick();
    const at = clock.nowMs();
    driver.stop();
    wall.ms += 5000;
    driver.tick();
    expect(clock.nowMs()).toBe(at);
  });
});
