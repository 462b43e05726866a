// Replaying WAL records into a store: each record's write, the lease-ID stream's position, the side
// state; a record that leaves the store at another revision than it names, or that cannot be read,
// is a corrupt data dir, said with the record's number.
import { describe, expect, it } from 'vitest';
import { DataDirCorruptError, type LeaseIdState, replayRecord, type WalRecord } from '../../../src/server/persistence/records.ts';
import type { SideState } from '../../../src/server/persistence/state-json.ts';
import { fromUtf8, utf8 } from '../../../src/store/bytes.ts';
import { EtcdStore } from '../../../src/store/etcd-store.ts';
import { VirtualClock } from '../../../src/store/virtual-clock.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function replay(records: WalRecord[]) {
  const store = new EtcdStore({ clock: new VirtualClock() });
  const ids: LeaseIdState = { seed: undefined, draws: 0 };
  const side: SideState = {};
  for (const record of records) replayRecord(store, record, ids, side);
  return { store, ids, side };
}

const value = (store: EtcdStore, key: string) => {
  const kv = store.range({ key: utf8(key) }).kvs[0];
  return kv === undefined ? undefined : fromUtf8(kv.value);
};

describe('replayRecord', () => {
  it('replays writes, grants and revokes to the revisions the records name', () => {
    const { store, ids } = replay([
      { seq: 1, type: 'seed', seed: 42, rev: 1 },
      { seq: 2, type: 'grant', id: '7587869238400090122', ttl: 30, draws: 1, rev: 1 },
      { seq: 3, type: 'put', request: { key: b64('a'), value: b64('1'), lease: '7587869238400090122' }, rev: 2 },
      { seq: 4, type: 'put', request: { key: b64('b'), value: b64('2') }, rev: 3 },
      { seq: 5, type: 'txn', request: { success: [{ request_put: { key: b64('b'), value: b64('3') } }] }, rev: 4 },
      { seq: 6, type: 'delete', request: { key: b64('c') }, rev: 4 }, // nothing to delete: no new revision
      { seq: 7, type: 'compact', revision: 3, rev: 4 },
      { seq: 8, type: 'expire', id: '7587869238400090122', rev: 5 }, // its key goes with it
    ]);
    expect([value(store, 'a'), value(store, 'b')]).toEqual([undefined, '3']);
    expect(store.currentRevision()).toBe(5);
    expect(store.kv.compactRevision()).toBe(3);
    expect(ids).toEqual({ seed: 42, draws: 1 });
  });

  it('a reset empties the store and keeps the lease-ID stream going; side parts are kept as written', () => {
    const { store, ids, side } = replay([
      { seq: 1, type: 'seed', seed: 7, rev: 1 },
      { seq: 2, type: 'grant', id: '5', ttl: 10, draws: 3, rev: 1 },
      { seq: 3, type: 'put', request: { key: b64('a'), value: b64('1') }, rev: 2 },
      { seq: 4, type: 'reset', rev: 1 },
      { seq: 5, type: 'side', part: 'alarms', value: [{ alarm: 'NOSPACE', memberID: '1' }], rev: 1 },
    ]);
    expect(value(store, 'a')).toBeUndefined();
    expect(ids).toEqual({ seed: 7, draws: 3 });
    expect(side).toEqual({ alarms: [{ alarm: 'NOSPACE', memberID: '1' }] });
  });

  it('a record that does not leave the store at its revision is corruption, named by its number', () => {
    expect(() => replay([{ seq: 9, type: 'put', request: { key: b64('a'), value: b64('1') }, rev: 3 }])).toThrow(
      new DataDirCorruptError('record 9 (put) should leave the store at revision 3, replay left it at 2'),
    );
  });

  it('a record that cannot be read is corruption, saying what is wrong', () => {
    expect(() => replay([{ seq: 4, type: 'side', part: 'users' as 'auth', value: {}, rev: 1 }])).toThrow(
      'data dir corrupt: record 4 names an unknown part "users"',
    );
    expect(() => replay([{ seq: 5, type: 'revoke', id: '12abc', rev: 1 }])).toThrow('data dir corrupt: lease ID "12abc" is not an integer');
    expect(() => replay([{ seq: 6, type: 'rename', rev: 1 } as unknown as WalRecord])).toThrow(
      'data dir corrupt: unknown record type in {"seq":6,"type":"rename","rev":1}',
    );
    expect(new DataDirCorruptError('x').name).toBe('DataDirCorruptError');
  });
});
