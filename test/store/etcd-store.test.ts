// The store facade: KV + lessor (+ watch) wired together, through etcd's
// messages. docs/etcd-semantics.md §7 and §11 items 42–48, 50, 63–65, 69–70.
import { describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../src/store/bytes.ts';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from '../../src/store/errors.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { Bytes, KeyValue } from '../../src/store/messages.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

function setup() {
  const clock = new VirtualClock();
  const store = new EtcdStore({ clock });
  const get = (key: string): KeyValue | undefined => store.range({ key: utf8(key) }).kvs[0];
  const keys = (bytes: Bytes[]) => bytes.map(fromUtf8).sort();
  return { clock, store, get, keys };
}

const maxInt64 = (1n << 63n) - 1n;
const minInt64 = -(1n << 63n);

describe('grant', () => {
  it('answers the granted TTL and the current revision, without a new revision', () => {
    const { store } = setup();
    store.put({ key: utf8('x') });
    expect(store.leaseGrant({ TTL: 60, ID: 5n })).toEqual({ header: { revision: 2 }, ID: 5n, TTL: 60, error: '' });
    expect(store.currentRevision()).toBe(2);
  });

  it('raises small TTLs to the 2 s minimum (64)', () => {
    const { store } = setup();
    expect(store.leaseGrant({ TTL: 1, ID: 1n }).TTL).toBe(2);
    expect(store.leaseGrant({ TTL: 0, ID: 2n }).TTL).toBe(2);
    expect(store.leaseGrant({ TTL: -5, ID: 3n }).TTL).toBe(2);
    expect(store.leaseGrant({ ID: 4n }).TTL).toBe(2);
  });

  it('derives the minimum from heartbeat and election timeout', () => {
    const store = new EtcdStore({ clock: new VirtualClock(), heartbeatIntervalMs: 10, electionTimeoutMs: 100 });
    expect(store.leaseGrant({ TTL: 1, ID: 1n }).TTL).toBe(1);
  });

  it('chooses a positive ID for ID 0, from the seeded stream', () => {
    const first = setup().store.leaseGrant({ TTL: 10 }).ID;
    expect(first > 0n && first <= maxInt64).toBe(true);
    expect(setup().store.leaseGrant({ TTL: 10 }).ID).toBe(first);
    const other = new EtcdStore({ clock: new VirtualClock(), random: { int32: () => 7 } });
    expect(other.leaseGrant({ TTL: 10 }).ID).toBe((7n << 32n) | 7n);
  });

  it('refuses duplicates and too large TTLs (41, 46)', () => {
    const { store } = setup();
    store.leaseGrant({ TTL: 1, ID: 1n });
    expect(() => store.leaseGrant({ TTL: 1, ID: 1n })).toThrow(LeaseExistsError);
    expect(() => store.leaseGrant({ TTL: 9_000_000_001, ID: 9n })).toThrow(LeaseTtlTooLargeError);
    expect(store.leaseGrant({ TTL: 9_000_000_000, ID: 9n }).TTL).toBe(9_000_000_000);
  });
});

describe('keys and revoke', () => {
  it('round-trips negative and 64-bit extreme IDs through keys and revoke (42)', () => {
    const { store, get } = setup();
    for (const id of [-1n, maxInt64, minInt64]) {
      expect(store.leaseGrant({ TTL: 300, ID: id }).ID).toBe(id);
      store.put({ key: utf8(`k${id}`), value: utf8('v'), lease: id });
      expect(get(`k${id}`)?.lease).toBe(id);
      store.leaseRevoke({ ID: id });
      expect(get(`k${id}`)).toBeUndefined();
    }
  });

  it('refuses a put with an unknown lease (43)', () => {
    const { store } = setup();
    expect(() => store.put({ key: utf8('foo'), lease: 0x12345678n })).toThrow(LeaseNotFoundError);
  });

  it('deletes all keys in one revision, none → no revision (63)', () => {
    const { store, get } = setup();
    store.leaseGrant({ TTL: 60, ID: 1n });
    for (const key of ['b', 'a', 'c']) store.put({ key: utf8(key), value: utf8('v'), lease: 1n });
    expect(store.currentRevision()).toBe(4);
    expect(store.leaseRevoke({ ID: 1n })).toEqual({ header: { revision: 5 } });
    expect(get('a') ?? get('b') ?? get('c')).toBeUndefined();
    store.leaseGrant({ TTL: 60, ID: 2n });
    expect(store.leaseRevoke({ ID: 2n })).toEqual({ header: { revision: 5 } });
    expect(() => store.leaseRevoke({ ID: 2n })).toThrow('etcdserver: requested lease not found');
  });

  it('moves keys between leases and leaves deleted keys out (45, §7.8)', () => {
    const { store, get, keys } = setup();
    store.leaseGrant({ TTL: 60, ID: 1n });
    store.leaseGrant({ TTL: 60, ID: 2n });
    store.put({ key: utf8('foo'), value: utf8('a'), lease: 1n });
    store.put({ key: utf8('foo'), value: utf8('b'), lease: 2n });
    expect(keys(store.leaseTimeToLive({ ID: 1n, keys: true }).keys)).toEqual([]);
    expect(keys(store.leaseTimeToLive({ ID: 2n, keys: true }).keys)).toEqual(['foo']);
    store.put({ key: utf8('foo'), value: utf8('c'), ignore_lease: true });
    expect(get('foo')?.lease).toBe(2n);
    store.put({ key: utf8('gone'), lease: 1n });
    store.deleteRange({ key: utf8('gone') });
    expect(keys(store.leaseTimeToLive({ ID: 1n, keys: true }).keys)).toEqual([]);
    const before = store.currentRevision();
    store.leaseRevoke({ ID: 1n });
    expect(store.currentRevision()).toBe(before);
    expect(get('foo')?.value).toEqual(utf8('c'));
    store.leaseRevoke({ ID: 2n });
    expect(get('foo')).toBeUndefined();
  });

  it('after revoke: put refuses the lease, TimeToLive -1, KeepAlive 0 (44, 46)', () => {
    const { store } = setup();
    store.leaseGrant({ TTL: 10, ID: 3n });
    store.leaseRevoke({ ID: 3n });
    expect(() => store.put({ key: utf8('foo'), lease: 3n })).toThrow(LeaseNotFoundError);
    expect(store.leaseTimeToLive({ ID: 3n })).toEqual({ header: { revision: 1 }, ID: 3n, TTL: -1, grantedTTL: 0, keys: [] });
    expect(store.leaseKeepAlive({ ID: 3n })).toEqual({ header: { revision: 1 }, ID: 3n, TTL: 0 });
  });
});

describe('keepalive, time to live, leases', () => {
  it('answers TTL 0 for an unknown lease, without error (65)', () => {
    const { store } = setup();
    expect(store.leaseKeepAlive({ ID: 0x1234n })).toEqual({ header: { revision: 1 }, ID: 0x1234n, TTL: 0 });
  });

  it('lists binary keys as bytes (48)', () => {
    const { store } = setup();
    store.leaseGrant({ TTL: 10, ID: 1n });
    const binary = new Uint8Array([0xff, 0x00, 0x80]);
    store.put({ key: binary, lease: 1n });
    store.put({ key: utf8('foo1'), lease: 1n });
    const answer = store.leaseTimeToLive({ ID: 1n, keys: true });
    expect(answer.grantedTTL).toBe(10);
    expect(answer.keys).toEqual([utf8('foo1'), binary]);
    expect(answer.keys[1]).toBeInstanceOf(Uint8Array);
  });

  it('truncates remaining seconds (70) and lists leases soonest first (50)', () => {
    const { store, clock } = setup();
    store.leaseGrant({ TTL: 60, ID: 1n });
    store.leaseGrant({ TTL: 60, ID: 2n });
    store.leaseGrant({ TTL: 30, ID: 3n });
    clock.advance(3);
    expect(store.leaseTimeToLive({ ID: 1n })).toMatchObject({ TTL: 59, grantedTTL: 60 });
    expect(store.leaseLeases({}).leases).toEqual([{ ID: 3n }, { ID: 1n }, { ID: 2n }]);
  });

  it('an expired, unswept lease: keys readable, still attachable, KeepAlive 0, TTL 0 then -1 (69, 70)', () => {
    const { store, clock, get } = setup();
    store.leaseGrant({ TTL: 5, ID: 7n });
    store.put({ key: utf8('k'), lease: 7n });
    clock.advanceTo(5200);
    expect(store.leaseKeepAlive({ ID: 7n })).toEqual({ header: { revision: 2 }, ID: 7n, TTL: 0 });
    expect(store.leaseTimeToLive({ ID: 7n })).toMatchObject({ TTL: 0, grantedTTL: 5 });
    expect(get('k')?.lease).toBe(7n);
    store.put({ key: utf8('k2'), lease: 7n });
    clock.advanceTo(6100);
    expect(store.leaseTimeToLive({ ID: 7n }).TTL).toBe(-1);
    expect(store.sweepExpiredLeases()).toEqual([{ id: 7n, revision: 4 }]);
    expect(store.currentRevision()).toBe(4);
    expect(get('k') ?? get('k2')).toBeUndefined();
    expect(store.leaseKeepAlive({ ID: 7n }).TTL).toBe(0);
    expect(store.leaseTimeToLive({ ID: 7n }).TTL).toBe(-1);
  });

  it('reset tells whoever waits for a revoke on the old lessor; the new lessor hands revokes to its own waiters', () => {
    const { store, clock } = setup();
    store.leaseGrant({ TTL: 2, ID: 7n });
    clock.advanceTo(2100);
    const heard: string[] = [];
    store.lessor.whenRevoked(7n, () => heard.push('old 7'));
    store.reset();
    expect(heard).toEqual(['old 7']);
    expect(store.leaseKeepAlive({ ID: 7n }).TTL).toBe(0);
    store.leaseGrant({ TTL: 2, ID: 8n });
    clock.advanceTo(4100);
    store.lessor.whenRevoked(8n, () => heard.push('new 8'));
    expect(store.sweepExpiredLeases()).toEqual([{ id: 8n, revision: undefined }]);
    expect(heard).toEqual(['old 7', 'new 8']);
  });

  it('promote gives every lease now + election timeout + full TTL (52)', () => {
    const { store, clock } = setup();
    store.leaseGrant({ TTL: 300, ID: 1n });
    clock.advance(100_000);
    store.promoteLeases();
    expect(store.lessor.deadlineMs(1n)).toBe(100_000 + 1000 + 300_000);
    expect(store.leaseTimeToLive({ ID: 1n }).TTL).toBe(301);
  });
});
