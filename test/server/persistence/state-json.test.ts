// A store's state as JSON and back: bigint lease IDs as exact decimal text, history with tombstones and
// compaction kept, and a store restored from it answers as the original does.
import { describe, expect, it } from 'vitest';
import { isSidePart, sideParts, storeSnapshotFromJson, storeSnapshotToJson } from '../../../src/server/persistence/state-json.ts';
import { utf8 } from '../../../src/store/bytes.ts';
import { EtcdStore } from '../../../src/store/etcd-store.ts';
import { VirtualClock } from '../../../src/store/virtual-clock.ts';

/** A store with a lease past 2^53 holding a key, overwrites, a delete and a compaction. */
function busyStore(): EtcdStore {
  const store = new EtcdStore({ clock: new VirtualClock() });
  const bigId = 2n ** 62n + 12345n; // not exact as a double
  store.leaseGrant({ ID: bigId, TTL: 60 });
  store.put({ key: utf8('/lock/a'), value: utf8('holder'), lease: bigId });
  for (let i = 0; i < 3; i++) store.put({ key: utf8('/counter'), value: utf8(String(i)) });
  store.put({ key: utf8('/gone'), value: utf8('x') });
  store.deleteRange({ key: utf8('/gone') });
  store.compact({ revision: 3, physical: false });
  store.put({ key: utf8('\u00ff bytes'), value: new Uint8Array([0, 255, 10]) });
  return store;
}

describe('store state as JSON', () => {
  it('survives JSON text exactly, lease IDs as decimal text', () => {
    const store = busyStore();
    const snapshot = store.snapshot();
    const text = JSON.stringify(storeSnapshotToJson(snapshot));
    expect(text).toContain(`"id":"${2n ** 62n + 12345n}"`);
    expect(storeSnapshotFromJson(JSON.parse(text))).toEqual(snapshot);
  });

  it('a store restored from it answers as the original: keys, versions, history past the compaction, leases', () => {
    const original = busyStore();
    const restored = new EtcdStore({ clock: new VirtualClock() });
    restored.restore(storeSnapshotFromJson(JSON.parse(JSON.stringify(storeSnapshotToJson(original.snapshot())))));
    const all = { key: utf8('\u0000'), range_end: utf8('\u0000') };
    for (const request of [all, { key: utf8('/counter'), revision: 4 }, { key: utf8('/gone') }])
      expect(restored.range(request)).toEqual(original.range(request));
    expect(() => restored.range({ key: utf8('/counter'), revision: 2 })).toThrow(/compacted/);
    expect(restored.leaseTimeToLive({ ID: 2n ** 62n + 12345n, keys: true })).toEqual(original.leaseTimeToLive({ ID: 2n ** 62n + 12345n, keys: true }));
  });
});

describe('side parts', () => {
  it('are auth, alarms and members, by name', () => {
    expect([...sideParts]).toEqual(['auth', 'alarms', 'members']);
    for (const part of sideParts) expect(isSidePart(part)).toBe(true);
    for (const other of ['store', 'Auth', '', 'leases']) expect(isSidePart(other)).toBe(false);
  });
});
