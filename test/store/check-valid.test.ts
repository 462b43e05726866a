// The invariant checks (checkValid) catch what they claim to: each is shown a
// valid structure, then one broken behind its back. The model-based tests
// (test/properties/*) call them after every command.
import { describe, expect, it } from 'vitest';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { KeyIndex } from '../../src/store/key-index.ts';
import { packRevision } from '../../src/store/revision.ts';
import { TreeIndex } from '../../src/store/tree-index.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { b, newStore } from './kv-fixtures.ts';

const history = () => {
  const ki = new KeyIndex('a');
  ki.put(packRevision(2, 0), 'x', 0n);
  ki.tombstone(packRevision(3, 0));
  ki.put(packRevision(4, 0), 'y', 7n);
  return ki;
};

describe('checkValid', () => {
  it('KeyIndex: a generation start must follow every tombstone', () => {
    const ki = history();
    ki.checkValid();
    ki.generationStarts = undefined;
    expect(() => ki.checkValid()).toThrow('key index a: no generation start after the tombstone at 1');
  });

  it('KeyIndex: leases as long as the entries', () => {
    const ki = history();
    ki.leases!.pop();
    expect(() => ki.checkValid()).toThrow('key index a: 2 leases for 3 entries');
  });

  it('TreeIndex: a history filed under another key', () => {
    const index = new TreeIndex();
    index.set('a', history());
    index.checkValid();
    index.set('b', history());
    expect(() => index.checkValid()).toThrow('tree index: b holds the history of a');
  });

  it('KvStore: valid after real work, and a live key on an unknown lease is caught', () => {
    const { store, leases } = newStore(1n);
    store.put({ key: b('k'), value: b('v'), lease: 1n });
    store.put({ key: b('j'), value: b('v') });
    store.deleteRange({ key: b('j') });
    store.compact({ revision: store.currentRevision() });
    store.checkValid();
    leases.granted.delete(1n);
    expect(() => store.checkValid()).toThrow('kv store: live key k on unknown lease 1');
  });

  it('EtcdStore: the KV store, the lessor and the watch hub together', () => {
    const clock = new VirtualClock();
    const store = new EtcdStore({ clock });
    const { ID } = store.leaseGrant({ TTL: 5 });
    store.put({ key: b('k'), value: b('v'), lease: ID });
    store.openWatchStream({ send: () => true }).request({ create_request: { key: b('k'), start_revision: 1 } });
    store.checkValid();
    store.syncWatchers();
    store.checkValid();
    clock.advance(10_000);
    store.sweepExpiredLeases();
    store.checkValid();
  });

  it('VirtualClock: cancelled timers leave the heap valid', () => {
    const clock = new VirtualClock();
    const ids = [30, 10, 20, 10].map((ms) => clock.setTimer(ms, () => {}));
    clock.cancelTimer(ids[1]!);
    clock.checkValid();
    clock.advance(15);
    clock.checkValid();
    expect(clock.pendingTimers).toBe(2);
  });
});
