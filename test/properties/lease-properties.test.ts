// Lease properties, model-based (fc.commands): random grants, puts,
// keepalives, revokes, deletes and time passing against a store with its
// loops on a virtual clock, checked after every command:
//   1. no key attached to a lease is readable once the lease's deadline plus
//      one sweep interval has passed;
//   2. a lease once revoked (or expired) never answers alive again;
//   3. every revoke or expiry creates exactly one revision iff it had keys.
// Replay a failure with LEASELAB_SEED=<seed> and the printed path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/store/bytes.ts';
import { isEtcdError, LeaseNotFoundError } from '../../src/store/errors.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { leaseSweepIntervalMs } from '../../src/store/limits.ts';
import type { LeaseId } from '../../src/store/messages.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { casesFor } from '../quick-tier.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

interface Model {
  /** Grants so far, in order (index = lease handle used by commands). */
  ids: LeaseId[];
  /** Deadline by lease as the client saw it: grant or last successful keepalive + TTL. */
  deadlineMs: Map<LeaseId, number>;
  /** Leases seen revoked (explicitly or by the sweep): never alive again. */
  dead: Set<LeaseId>;
}

interface Real {
  clock: VirtualClock;
  store: EtcdStore;
}

const allKeys = { key: new Uint8Array([0]), range_end: new Uint8Array([0]) };

/** Live keys by lease. */
function keysByLease(store: EtcdStore): Map<LeaseId, string[]> {
  const byLease = new Map<LeaseId, string[]>();
  for (const kv of store.range(allKeys).kvs) {
    if (kv.lease === 0n) continue;
    const keys = byLease.get(kv.lease) ?? [];
    keys.push(fromUtf8(kv.key));
    byLease.set(kv.lease, keys);
  }
  return byLease;
}

/** Check properties 1 and 2 in the current state; learn which leases are now gone. */
function checkInvariants(model: Model, { clock, store }: Real): void {
  store.checkValid();
  clock.checkValid();
  const nowMs = clock.nowMs();
  for (const [lease, keys] of keysByLease(store)) {
    const deadlineMs = model.deadlineMs.get(lease)!;
    expect(nowMs, `keys ${keys.join(',')} of lease ${lease} readable at ${nowMs}, deadline ${deadlineMs}`).toBeLessThan(deadlineMs + leaseSweepIntervalMs);
  }
  for (const id of model.ids) {
    const ttl = store.leaseTimeToLive({ ID: id });
    if (model.dead.has(id)) expect(ttl.TTL, `dead lease ${id} alive again`).toBe(-1);
    if (ttl.TTL === -1) model.dead.add(id);
  }
}

class GrantCommand implements fc.Command<Model, Real> {
  constructor(
    readonly ttlSeconds: number,
    readonly serverChosenId: boolean,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const id = this.serverChosenId ? 0n : BigInt(model.ids.length + 1) * 1_000_000_007n;
    const answer = real.store.leaseGrant({ TTL: this.ttlSeconds, ID: id });
    expect(answer.TTL).toBe(Math.max(this.ttlSeconds, 2));
    model.ids.push(answer.ID);
    model.deadlineMs.set(answer.ID, real.clock.nowMs() + answer.TTL * 1000);
    checkInvariants(model, real);
  }
  toString = () => `grant(${this.ttlSeconds}${this.serverChosenId ? ', id 0' : ''})`;
}

class PutCommand implements fc.Command<Model, Real> {
  constructor(
    readonly key: string,
    readonly lease: number | undefined,
  ) {}
  check = () => true;
  run(model: Model, real: Real): void {
    const lease = this.lease === undefined || model.ids.length === 0 ? 0n : model.ids[this.lease % model.ids.length]!;
    try {
      real.store.put({ key: utf8(this.key), value: utf8('v'), lease });
      expect(model.dead.has(lease), `put attached to dead lease ${lease}`).toBe(false);
    } catch (error) {
      expect(error).toBeInstanceOf(LeaseNotFoundError);
      // Only a lease past its deadline (revoked by the sweep) can be missing.
      expect(model.dead.has(lease) || real.clock.nowMs() >= model.deadlineMs.get(lease)!).toBe(true);
      model.dead.add(lease);
    }
    checkInvariants(model, real);
  }
  toString = () => `put(${this.key}, lease #${this.lease})`;
}

class DeleteCommand implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check = () => true;
  run(model: Model, real: Real): void {
    real.store.deleteRange({ key: utf8(this.key) });
    checkInvariants(model, real);
  }
  toString = () => `delete(${this.key})`;
}

class KeepAliveCommand implements fc.Command<Model, Real> {
  constructor(readonly lease: number) {}
  check = (model: Readonly<Model>) => model.ids.length > 0;
  run(model: Model, real: Real): void {
    const id = model.ids[this.lease % model.ids.length]!;
    const nowMs = real.clock.nowMs();
    const answer = real.store.leaseKeepAlive({ ID: id });
    const expired = model.dead.has(id) || nowMs >= model.deadlineMs.get(id)!;
    if (expired) {
      // The model deadline never moves again, so every later keepalive is refused too.
      expect(answer.TTL, `keepalive revived lease ${id}`).toBe(0);
    } else {
      expect(answer.TTL).toBeGreaterThan(0);
      model.deadlineMs.set(id, nowMs + answer.TTL * 1000);
    }
    checkInvariants(model, real);
  }
  toString = () => `keepalive(#${this.lease})`;
}

class RevokeCommand implements fc.Command<Model, Real> {
  constructor(readonly lease: number) {}
  check = (model: Readonly<Model>) => model.ids.length > 0;
  run(model: Model, real: Real): void {
    const id = model.ids[this.lease % model.ids.length]!;
    const before = real.store.currentRevision();
    const hadKeys = keysByLease(real.store).has(id);
    try {
      const answer = real.store.leaseRevoke({ ID: id });
      expect(model.dead.has(id), `revoked a dead lease ${id}`).toBe(false);
      expect(answer.header.revision).toBe(before + (hadKeys ? 1 : 0));
    } catch (error) {
      if (!isEtcdError(error)) throw error;
      expect(error).toBeInstanceOf(LeaseNotFoundError);
      expect(real.store.currentRevision()).toBe(before);
    }
    model.dead.add(id);
    checkInvariants(model, real);
  }
  toString = () => `revoke(#${this.lease})`;
}

/** Let time pass timer by timer, checking that each sweep adds one revision per lease with keys it revoked. */
class AdvanceCommand implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(model: Model, real: Real): void {
    advance(model, real, real.clock.nowMs() + this.ms);
  }
  toString = () => `advance(${this.ms})`;
}

/** Move time to just around a lease's deadline: where expiry, keepalive and the sweep race. */
class AdvanceNearDeadlineCommand implements fc.Command<Model, Real> {
  constructor(
    readonly lease: number,
    readonly offsetMs: number,
  ) {}
  check = (model: Readonly<Model>) => model.ids.length > 0;
  run(model: Model, real: Real): void {
    const deadlineMs = model.deadlineMs.get(model.ids[this.lease % model.ids.length]!)!;
    advance(model, real, Math.max(real.clock.nowMs(), deadlineMs + this.offsetMs));
  }
  toString = () => `advanceNearDeadline(#${this.lease}, ${this.offsetMs})`;
}

function advance(model: Model, real: Real, limitMs: number): void {
  const { clock, store } = real;
  for (;;) {
    const withKeys = new Set(keysByLease(store).keys());
    const alive = new Set(store.leaseLeases({}).leases.map((lease) => lease.ID));
    const before = store.currentRevision();
    if (!clock.fireNext(limitMs)) break;
    const nowAlive = new Set(store.leaseLeases({}).leases.map((lease) => lease.ID));
    const gone = [...alive].filter((id) => !nowAlive.has(id));
    for (const id of gone) expect(clock.nowMs(), `lease ${id} expired early`).toBeGreaterThanOrEqual(model.deadlineMs.get(id)!);
    const goneWithKeys = gone.filter((id) => withKeys.has(id));
    expect(store.currentRevision(), `revisions after expiring ${goneWithKeys.join(',')}`).toBe(before + goneWithKeys.length);
    checkInvariants(model, real);
  }
  clock.advanceTo(limitMs);
  checkInvariants(model, real);
}

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
const commands = [
  fc.record({ ttl: fc.integer({ min: -1, max: 6 }), zero: fc.boolean() }).map(({ ttl, zero }) => new GrantCommand(ttl, zero)),
  fc.tuple(keyArb, fc.option(fc.nat(), { nil: undefined })).map(([key, lease]) => new PutCommand(key, lease)),
  keyArb.map((key) => new DeleteCommand(key)),
  fc.nat().map((lease) => new KeepAliveCommand(lease)),
  fc.nat().map((lease) => new RevokeCommand(lease)),
  fc.integer({ min: 0, max: 4000 }).map((ms) => new AdvanceCommand(ms)),
  fc.integer({ min: 0, max: 600 }).map((ms) => new AdvanceCommand(ms)),
  fc.tuple(fc.nat(), fc.integer({ min: -100, max: 600 })).map(([lease, offsetMs]) => new AdvanceNearDeadlineCommand(lease, offsetMs)),
];

describe('lease properties', () => {
  for (const exactExpiry of [false, true]) {
    it(`keys vanish by deadline + one sweep, dead leases stay dead, one revision per revoke with keys (exactExpiry ${exactExpiry})`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 499 }), fc.commands(commands, { maxCommands: 60, size: 'max' }), (startMs, cmds) => {
          const clock = new VirtualClock(startMs);
          const store = new EtcdStore({ clock, exactExpiry });
          const stop = runStoreLoops(store, clock);
          const model: Model = { ids: [], deadlineMs: new Map(), dead: new Set() };
          fc.modelRun(() => ({ model, real: { clock, store } }), cmds);
          stop();
        }),
        { seed, numRuns: casesFor(100, 25) },
      );
    });
  }
});
