// The lessor alone, against a fake KV store (RangeDeleter) on a virtual clock:
// docs/etcd-semantics.md §7 and §11 items 41–50, 52, 63–65, 69–70.
import { describe, expect, it } from 'vitest';
import seedrandom from 'seedrandom';
import type { BinaryKey } from '../../src/store/bytes.ts';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from '../../src/store/errors.ts';
import type { RangeDeleter } from '../../src/store/kv-contract.ts';
import { LeaseQueue, type DeadlineEntry } from '../../src/store/lease-queue.ts';
import { Lessor } from '../../src/store/lessor.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

/** Just enough KV store: live keys with their lease, a revision, and one write per deleteKeys. */
class FakeKv implements RangeDeleter {
  revision = 1;
  readonly keys = new Map<BinaryKey, bigint>();
  readonly writes: BinaryKey[][] = [];
  constructor(readonly lessor: Lessor) {}
  put(key: BinaryKey, lease: bigint): void {
    const old = this.keys.get(key);
    if (old !== undefined && old !== 0n) this.lessor.detach(old, key);
    if (lease !== 0n) {
      if (!this.lessor.exists(lease)) throw new LeaseNotFoundError();
      this.lessor.attach(lease, key);
    }
    this.keys.set(key, lease);
    this.revision++;
  }
  delete(key: BinaryKey): void {
    const lease = this.keys.get(key);
    if (lease === undefined) return;
    if (lease !== 0n) this.lessor.detach(lease, key);
    this.keys.delete(key);
    this.revision++;
  }
  deleteKeys(keys: BinaryKey[]): number {
    const deleted = keys.filter((key) => this.keys.has(key));
    for (const key of deleted) {
      this.lessor.detach(this.keys.get(key)!, key);
      this.keys.delete(key);
    }
    if (deleted.length > 0) {
      this.revision++;
      this.writes.push(deleted);
    }
    return this.revision;
  }
}

function setup(minTtlSeconds = 2) {
  const clock = new VirtualClock();
  const lessor = new Lessor({ clock, random: seedrandom('lessor-test'), minTtlSeconds });
  const kv = new FakeKv(lessor);
  lessor.setRangeDeleter(kv);
  return { clock, lessor, kv };
}

describe('grant', () => {
  it('uses explicit IDs and refuses an existing one (41)', () => {
    const { lessor } = setup();
    expect(lessor.grant(1n, 1)).toEqual({ id: 1n, ttlSeconds: 2 });
    expect(() => lessor.grant(1n, 1)).toThrow(LeaseExistsError);
    expect(() => lessor.grant(1n, 1)).toThrow('etcdserver: lease already exists');
    expect(lessor.grant(2n, 1).id).toBe(2n);
  });

  it('accepts negative, MaxInt64 and MinInt64 IDs exactly (42)', () => {
    const { lessor } = setup();
    for (const id of [-1n, (1n << 63n) - 1n, -(1n << 63n), 9_007_199_254_740_993n]) {
      expect(lessor.grant(id, 300).id).toBe(id);
      expect(lessor.exists(id)).toBe(true);
    }
    expect(lessor.leases()).toEqual([-1n, (1n << 63n) - 1n, -(1n << 63n), 9_007_199_254_740_993n]);
  });

  it('chooses distinct positive 63-bit IDs for ID 0, deterministically', () => {
    const ids = (() => {
      const { lessor } = setup();
      return Array.from({ length: 200 }, () => lessor.grant(0n, 10).id);
    })();
    expect(new Set(ids).size).toBe(200);
    for (const id of ids) expect(id > 0n && id < 1n << 63n).toBe(true);
    expect(ids.some((id) => id > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true);
    const { lessor } = setup();
    expect(Array.from({ length: 200 }, () => lessor.grant(0n, 10).id)).toEqual(ids);
  });

  it('retries a chosen ID that is taken', () => {
    const { lessor, clock } = setup();
    const first = lessor.grant(0n, 10).id;
    // Same stream again: the first draw collides with the lease above.
    const again = new Lessor({ clock, random: seedrandom('lessor-test'), minTtlSeconds: 2 });
    again.grant(first, 10);
    const chosen = again.grant(0n, 10).id;
    expect(chosen).not.toBe(first);
    expect(chosen > 0n).toBe(true);
  });

  it('raises TTLs below the minimum, including 0 and negatives (49, 64)', () => {
    const { lessor } = setup();
    expect(lessor.grant(1n, 1).ttlSeconds).toBe(2);
    expect(lessor.grant(2n, 0).ttlSeconds).toBe(2);
    expect(lessor.grant(3n, -5).ttlSeconds).toBe(2);
    expect(lessor.grant(4n, 3).ttlSeconds).toBe(3);
    const five = setup(5).lessor;
    expect(five.grant(1n, 1).ttlSeconds).toBe(5);
    expect(() => five.grant(1n, 1)).toThrow(LeaseExistsError);
    five.grant(2n, 1);
    expect(five.leases()).toEqual([1n, 2n]);
  });

  it('refuses TTLs above 9e9 seconds, before checking the ID (46)', () => {
    const { lessor, clock } = setup();
    lessor.grant(1n, 10);
    expect(() => lessor.grant(2n, 9_000_000_001)).toThrow(LeaseTtlTooLargeError);
    expect(() => lessor.grant(1n, 9_000_000_001)).toThrow('etcdserver: too large lease TTL');
    expect(lessor.grant(3n, 9_000_000_000).ttlSeconds).toBe(9_000_000_000);
    expect(lessor.deadlineMs(3n)).toBe(clock.nowMs() + 9_000_000_000_000);
    expect(lessor.exists(2n)).toBe(false);
  });
});

describe('revoke', () => {
  it('deletes every attached key in one write, ascending; no keys, no write (63)', () => {
    const { lessor, kv } = setup();
    lessor.grant(1n, 60);
    kv.put('b', 1n);
    kv.put('a', 1n);
    kv.put('c', 1n);
    kv.put('other', 0n);
    expect(kv.revision).toBe(5);
    lessor.revoke(1n);
    expect(kv.writes).toEqual([['a', 'b', 'c']]);
    expect(kv.revision).toBe(6);
    expect([...kv.keys.keys()]).toEqual(['other']);
    lessor.grant(2n, 60);
    lessor.revoke(2n);
    expect(kv.revision).toBe(6);
    expect(kv.writes).toHaveLength(1);
  });

  it('sorts keys as bytes', () => {
    const { lessor, kv } = setup();
    lessor.grant(1n, 60);
    for (const key of ['\xc3\xa9', 'z', 'a', '\x00']) kv.put(key, 1n);
    lessor.revoke(1n);
    expect(kv.writes).toEqual([['\x00', 'a', 'z', '\xc3\xa9']]);
  });

  it('refuses unknown and already revoked leases (44, 46)', () => {
    const { lessor } = setup();
    expect(() => lessor.revoke(9n)).toThrow(LeaseNotFoundError);
    lessor.grant(9n, 10);
    lessor.revoke(9n);
    expect(() => lessor.revoke(9n)).toThrow('etcdserver: requested lease not found');
    expect(lessor.exists(9n)).toBe(false);
    expect(lessor.timeToLive(9n, true)).toBeUndefined();
    expect(lessor.renew(9n)).toBe(0);
  });

  it('deletes only the keys attached at that moment (45, §7.8)', () => {
    const { lessor, kv } = setup();
    lessor.grant(1n, 60);
    lessor.grant(2n, 60);
    kv.put('foo', 1n);
    kv.put('foo', 2n);
    kv.put('bar', 1n);
    kv.put('bar', 0n);
    kv.put('baz', 1n);
    kv.delete('baz');
    lessor.revoke(1n);
    expect(kv.writes).toEqual([]);
    expect([...kv.keys.keys()].sort()).toEqual(['bar', 'foo']);
    lessor.revoke(2n);
    expect(kv.writes).toEqual([['foo']]);
  });
});

describe('keepalive', () => {
  it('resets the deadline and answers the granted TTL', () => {
    const { lessor, clock } = setup();
    lessor.grant(9n, 3);
    clock.advance(1014);
    expect(lessor.renew(9n)).toBe(3);
    expect(lessor.deadlineMs(9n)).toBe(4014);
    clock.advance(2999);
    expect(lessor.renew(9n)).toBe(3);
    expect(lessor.deadlineMs(9n)).toBe(7013);
  });

  it('answers 0 for unknown leases (65) and expired ones, which it never revives (69)', () => {
    const { lessor, clock, kv } = setup();
    expect(lessor.renew(12345n)).toBe(0);
    lessor.grant(5n, 5);
    kv.put('k', 5n);
    clock.advance(5000);
    expect(lessor.renew(5n)).toBe(0);
    expect(lessor.deadlineMs(5n)).toBe(5000);
    // Still there until the sweep: exists, attachable, keys readable.
    expect(lessor.exists(5n)).toBe(true);
    kv.put('k2', 5n);
    expect(kv.keys.has('k')).toBe(true);
    expect(lessor.sweepExpired()).toEqual([{ id: 5n, revision: 4 }]);
    expect(kv.writes).toEqual([['k', 'k2']]);
    expect(lessor.renew(5n)).toBe(0);
  });
});

describe('time to live', () => {
  it('truncates the remaining seconds (70)', () => {
    const { lessor, clock, kv } = setup();
    lessor.grant(1n, 10);
    kv.put('k', 1n);
    expect(lessor.timeToLive(1n, false)).toEqual({ id: 1n, remainingSeconds: 10, grantedTtlSeconds: 10, keys: [] });
    clock.advance(3);
    expect(lessor.timeToLive(1n, false)?.remainingSeconds).toBe(9);
    clock.advance(297);
    expect(lessor.timeToLive(1n, false)?.remainingSeconds).toBe(9);
    clock.advanceTo(10_000);
    expect(lessor.timeToLive(1n, false)?.remainingSeconds).toBe(0);
    clock.advanceTo(10_200);
    const expired = lessor.timeToLive(1n, true)!;
    expect(Object.is(expired.remainingSeconds, 0)).toBe(true);
    expect(expired.keys).toEqual(['k']);
    clock.advanceTo(11_000);
    expect(lessor.timeToLive(1n, false)?.remainingSeconds).toBe(-1);
  });

  it('lists keys sorted, only when asked (48)', () => {
    const { lessor, kv } = setup();
    lessor.grant(1n, 10);
    kv.put('foo2', 1n);
    kv.put('foo1', 1n);
    expect(lessor.timeToLive(1n, true)?.keys).toEqual(['foo1', 'foo2']);
    expect(lessor.timeToLive(1n, false)?.keys).toEqual([]);
  });
});

describe('leases list', () => {
  it('orders by deadline, ties in grant order (50)', () => {
    const { lessor, clock } = setup();
    lessor.grant(1n, 30);
    lessor.grant(2n, 30);
    lessor.grant(3n, 10);
    clock.advance(1);
    lessor.grant(4n, 30);
    lessor.grant(5n, 30);
    expect(lessor.leases()).toEqual([3n, 1n, 2n, 4n, 5n]);
    lessor.renew(1n);
    expect(lessor.leases()).toEqual([3n, 2n, 1n, 4n, 5n]);
  });
});

describe('expiry sweep', () => {
  it('revokes due leases soonest first, one write each, keyless ones without a write', () => {
    const { lessor, clock, kv } = setup();
    lessor.grant(1n, 5);
    lessor.grant(2n, 3);
    lessor.grant(3n, 4);
    lessor.grant(4n, 10);
    kv.put('one', 1n);
    kv.put('two', 2n);
    clock.advanceTo(2999);
    expect(lessor.sweepExpired()).toEqual([]);
    clock.advanceTo(5000);
    // Soonest first, each with the revision its revoke made; lease 3 held no keys, so it made none.
    expect(lessor.sweepExpired()).toEqual([
      { id: 2n, revision: 4 },
      { id: 3n, revision: undefined },
      { id: 1n, revision: 5 },
    ]);
    expect(kv.writes).toEqual([['two'], ['one']]);
    expect(lessor.leases()).toEqual([4n]);
  });

  it('revokes at most the limit per sweep', () => {
    const { lessor, clock } = setup();
    for (let i = 1n; i <= 1200n; i++) lessor.grant(i, 2);
    clock.advance(2000);
    expect(lessor.sweepExpired().length).toBe(500);
    expect(lessor.sweepExpired().length).toBe(500);
    expect(lessor.sweepExpired().map((lease) => lease.id)).toEqual(Array.from({ length: 200 }, (_, i) => 1001n + BigInt(i)));
    expect(lessor.size).toBe(0);
    lessor.grant(1n, 2);
    clock.advance(2000);
    expect(lessor.sweepExpired(0)).toEqual([]);
  });
});

describe('keepalive without queue work', () => {
  it('sweeps in true deadline order however stale the queue entries are', () => {
    const { lessor, clock } = setup();
    const random = seedrandom('renewals');
    const deadlines = new Map<bigint, number>();
    for (let id = 1n; id <= 300n; id++) {
      const ttl = 2 + Math.floor(random.double() * 20);
      lessor.grant(id, ttl);
      deadlines.set(id, ttl * 1000);
    }
    const swept: bigint[] = [];
    let heard = lessor.nextDeadlineMs();
    lessor.onEarliestDeadlineChange((ms) => (heard = ms));
    while (lessor.size > 0) {
      clock.advance(97);
      for (const [id, deadline] of deadlines) {
        if (clock.nowMs() < 30_000 && deadline > clock.nowMs() && random.double() < 0.05) {
          expect(lessor.renew(id)).toBeGreaterThan(0);
          deadlines.set(id, clock.nowMs() + lessor.timeToLive(id, false)!.grantedTtlSeconds * 1000);
        }
      }
      const due = [...deadlines].filter(([, d]) => d <= clock.nowMs()).sort((a, b) => a[1] - b[1] || Number(a[0] - b[0]));
      const before = lessor.leases().slice(0, due.length);
      expect(before).toEqual(due.map(([id]) => id));
      expect(heard).toBe(Math.min(...deadlines.values()));
      expect(lessor.nextDeadlineMs()).toBe(Math.min(...deadlines.values()));
      lessor.sweepExpired();
      for (const [id] of due) {
        swept.push(id);
        deadlines.delete(id);
        expect(lessor.exists(id)).toBe(false);
      }
      expect(heard, 'the listener heard every change of the earliest deadline').toBe(lessor.nextDeadlineMs());
    }
    expect(swept).toHaveLength(300);
  });
});

describe('promote', () => {
  it('moves every deadline to now + extension + full TTL (52)', () => {
    const { lessor, clock } = setup();
    lessor.grant(1n, 300);
    lessor.grant(2n, 10);
    clock.advance(11_000); // lease 2 expired but not swept: promote revives its deadline, as etcd does
    lessor.promote(1000);
    expect(lessor.deadlineMs(1n)).toBe(11_000 + 1000 + 300_000);
    expect(lessor.deadlineMs(2n)).toBe(11_000 + 1000 + 10_000);
    expect(lessor.timeToLive(1n, false)?.remainingSeconds).toBe(301);
    expect(lessor.leases()).toEqual([2n, 1n]);
  });

  it('spreads a pile-up of 1000+ leases to at most 750 expiries a second', () => {
    const { lessor } = setup();
    for (let i = 1n; i <= 3000n; i++) lessor.grant(i, 10);
    lessor.promote(1000);
    const deadlines = lessor.leases().map((id) => lessor.deadlineMs(id)!);
    expect(deadlines[0]).toBe(11_000);
    for (let i = 1; i < deadlines.length; i++) expect(deadlines[i]!).toBeGreaterThanOrEqual(deadlines[i - 1]!);
    // etcd TestLessorRenewExtendPileup: windows of one second hold at most 750 + 1 expiries.
    for (let start = 11_000; start < deadlines.at(-1)!; start += 1000) {
      const inWindow = deadlines.filter((d) => d >= start && d < start + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(751);
    }
    expect(deadlines.at(-1)!).toBe(11_000 + (3000 / 750) * 1000);
  });
});

describe('keepalive after promote', () => {
  it('moves the deadline earlier, and the sweep and the listener see it', () => {
    const { lessor, clock, kv } = setup();
    const heard: (number | undefined)[] = [];
    lessor.onEarliestDeadlineChange((ms) => heard.push(ms));
    lessor.grant(1n, 2);
    lessor.grant(2n, 2);
    kv.put('b', 2n);
    lessor.promote(1000); // both at 0 + 1000 + 2000
    expect(lessor.renew(2n)).toBe(2); // 0 + 2000: earlier than promote's deadline
    expect(lessor.leases()).toEqual([2n, 1n]);
    expect(lessor.nextDeadlineMs()).toBe(2000);
    clock.advanceTo(2000);
    expect(lessor.sweepExpired()).toEqual([{ id: 2n, revision: 3 }]);
    expect([lessor.exists(2n), lessor.exists(1n), kv.writes]).toEqual([false, true, [['b']]]);
    expect(heard).toEqual([2000, 3000, 2000, 3000]);
  });
});

describe('waiting for a revoke (what Renew of an expired lease waits on)', () => {
  it('runs each waiter once, after the keys are gone, on a sweep or a LeaseRevoke', () => {
    const { lessor, clock, kv } = setup();
    lessor.grant(1n, 2);
    lessor.grant(2n, 10);
    kv.put('a', 1n);
    const heard: string[] = [];
    const waiter = () => heard.push(`1 revoked, a ${kv.keys.has('a') ? 'still there' : 'gone'}`);
    lessor.whenRevoked(1n, waiter);
    lessor.whenRevoked(1n, waiter); // the same function twice: told twice
    const stop = lessor.whenRevoked(2n, () => heard.push('2, after it stopped waiting'));
    lessor.whenRevoked(2n, () => heard.push('2 revoked'));
    clock.advanceTo(1999);
    expect(lessor.sweepExpired()).toEqual([]);
    expect(heard).toEqual([]);
    clock.advanceTo(2000);
    expect(lessor.sweepExpired()).toEqual([{ id: 1n, revision: 3 }]);
    expect(heard).toEqual(['1 revoked, a gone', '1 revoked, a gone']);
    stop?.();
    lessor.revoke(2n);
    expect(heard).toEqual(['1 revoked, a gone', '1 revoked, a gone', '2 revoked']);
    lessor.grant(2n, 2); // a new lease with the old ID: nobody waits for it
    lessor.revoke(2n);
    expect(heard.length).toBe(3);
  });

  it('refuses to wait for a lease it does not know (undefined: answer at once)', () => {
    const { lessor } = setup();
    let told = 0;
    expect(lessor.whenRevoked(9n, () => told++)).toBeUndefined();
    expect(told).toBe(0);
  });

  it('a lessor thrown away (store reset) tells every waiter at once', () => {
    const { lessor } = setup();
    lessor.grant(1n, 2);
    let told = 0;
    lessor.whenRevoked(1n, () => told++);
    lessor.releaseRevokeWaiters();
    expect(told).toBe(1);
    lessor.revoke(1n);
    expect(told).toBe(1);
  });
});

describe('directory', () => {
  it('attach is idempotent; detach of unknown keys or leases changes nothing', () => {
    const { lessor } = setup();
    lessor.grant(1n, 10);
    lessor.attach(1n, 'a');
    lessor.attach(1n, 'a');
    lessor.detach(1n, 'zzz');
    lessor.detach(77n, 'a');
    expect(lessor.timeToLive(1n, true)?.keys).toEqual(['a']);
    expect(() => lessor.attach(77n, 'a')).toThrow(/unknown lease/);
  });

  it('holds none, one and many keys through attaches and detaches in any order', () => {
    const { lessor } = setup();
    lessor.grant(1n, 10);
    const keys = () => lessor.timeToLive(1n, true)?.keys;
    expect(keys()).toEqual([]);
    lessor.attach(1n, 'b');
    expect(keys()).toEqual(['b']);
    lessor.detach(1n, 'a'); // not attached: nothing changes
    expect(keys()).toEqual(['b']);
    lessor.attach(1n, 'c');
    lessor.attach(1n, 'a');
    lessor.attach(1n, 'c');
    expect(keys()).toEqual(['a', 'b', 'c']);
    lessor.detach(1n, 'b');
    lessor.detach(1n, 'a');
    expect(keys()).toEqual(['c']);
    lessor.attach(1n, 'a');
    expect(keys()).toEqual(['a', 'c']);
    lessor.detach(1n, 'a');
    lessor.detach(1n, 'c');
    expect(keys()).toEqual([]);
    lessor.attach(1n, 'd');
    lessor.checkValid((key) => (key === 'd' ? 1n : undefined));
    expect(lessor.timeToLive(1n, true)?.keys).toEqual(['d']);
  });
});

describe('earliest-deadline listener', () => {
  it('hears grants that come sooner, renewals and revokes of the first lease, and sweeps', () => {
    const { lessor, clock } = setup();
    const heard: (number | undefined)[] = [];
    const stop = lessor.onEarliestDeadlineChange((ms) => heard.push(ms));
    lessor.grant(1n, 10);
    lessor.grant(2n, 20); // later: no change
    lessor.grant(3n, 5);
    clock.advance(1000);
    lessor.renew(2n); // not first: no change
    lessor.renew(3n);
    lessor.revoke(3n);
    clock.advanceTo(10_000);
    lessor.sweepExpired();
    lessor.revoke(2n);
    expect(heard).toEqual([10_000, 5000, 6000, 10_000, 21_000, undefined]);
    stop();
    lessor.grant(4n, 10);
    expect(heard).toHaveLength(6);
  });
});

describe('lease queue', () => {
  it('keeps heap order and slots through pushes, updates and removals', () => {
    const random = seedrandom('queue');
    const queue = new LeaseQueue<DeadlineEntry>();
    const live: DeadlineEntry[] = [];
    for (let step = 0; step < 5000; step++) {
      const choice = random.double();
      if (choice < 0.5 || live.length === 0) {
        const entry = { queuedDeadlineMs: Math.floor(random.double() * 1000), sequence: step, queueIndex: -1 };
        queue.push(entry);
        live.push(entry);
      } else if (choice < 0.75) {
        const entry = live[Math.floor(random.double() * live.length)]!;
        entry.queuedDeadlineMs = Math.floor(random.double() * 1000);
        queue.update(entry);
      } else if (choice < 0.9) {
        const index = Math.floor(random.double() * live.length);
        queue.remove(live[index]!);
        live.splice(index, 1);
      } else {
        const top = queue.pop()!;
        const expected = [...live].sort((a, b) => a.queuedDeadlineMs - b.queuedDeadlineMs || a.sequence - b.sequence)[0];
        expect(top).toBe(expected);
        live.splice(live.indexOf(top), 1);
      }
      if (step % 97 === 0) queue.checkValid();
    }
    queue.checkValid();
    expect(queue.sorted()).toEqual([...live].sort((a, b) => a.queuedDeadlineMs - b.queuedDeadlineMs || a.sequence - b.sequence));
  });
});
