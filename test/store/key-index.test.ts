// KeyIndex: etcd's worked example from key_index.go, in the flattened form.
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/store/key-index.ts';
import { mainOf, packRevision } from '../../src/store/revision.ts';

const rev = (main: number, sub = 0) => packRevision(main, sub);

function example(): KeyIndex {
  const ki = new KeyIndex('foo');
  ki.put(rev(1), 'a', 0n);
  ki.put(rev(2), 'b', 7n);
  ki.tombstone(rev(3));
  ki.put(rev(4), 'c', 0n);
  ki.tombstone(rev(5));
  return ki;
}

const state = (ki: KeyIndex, main: number) => {
  const i = ki.indexAt(main);
  if (i < 0 || ki.valueAt(i) === null) return undefined;
  return { value: ki.valueAt(i), create: ki.createAt(i), mod: mainOf(ki.revAt(i)), version: ki.versionAt(i), lease: ki.leaseAt(i) };
};

describe('KeyIndex', () => {
  it('reads every revision of the example', () => {
    const ki = example();
    expect(state(ki, 0)).toBeUndefined();
    expect(state(ki, 1)).toEqual({ value: 'a', create: 1, mod: 1, version: 1, lease: 0n });
    expect(state(ki, 2)).toEqual({ value: 'b', create: 1, mod: 2, version: 2, lease: 7n });
    expect(state(ki, 3)).toBeUndefined();
    expect(state(ki, 4)).toEqual({ value: 'c', create: 4, mod: 4, version: 1, lease: 0n });
    expect(state(ki, 5)).toBeUndefined();
    expect(ki.isLive()).toBe(false);
  });

  it('compacts as the opening comment says', () => {
    const ki = example();
    expect(ki.compact(2)).toBe(false);
    expect(ki.revisions().map(mainOf)).toEqual([2, 3, 4, 5]);
    expect(state(ki, 2)).toEqual({ value: 'b', create: 1, mod: 2, version: 2, lease: 7n });
    expect(state(ki, 4)).toEqual({ value: 'c', create: 4, mod: 4, version: 1, lease: 0n });
    expect(ki.compact(4)).toBe(false);
    expect(ki.revisions().map(mainOf)).toEqual([4, 5]);
    expect(ki.leases).toBeUndefined();
    expect(ki.compact(5)).toBe(false);
    expect(ki.revisions().map(mainOf)).toEqual([5]);
    expect(ki.compact(6)).toBe(true);
    expect(ki.length).toBe(0);
  });

  it('keeps every change at the compaction revision, sub-revisions included', () => {
    const ki = new KeyIndex('k');
    ki.put(rev(2), 'x', 0n);
    ki.put(rev(3, 0), 'y', 0n);
    ki.tombstone(rev(3, 1));
    expect(ki.compact(3)).toBe(false);
    expect(ki.revisions()).toEqual([rev(3, 0), rev(3, 1)]);
    expect(ki.indexOf(rev(3, 1))).toBe(1);
    expect(state(ki, 3)).toBeUndefined();
  });

  it('versions survive compaction inside a long generation', () => {
    const ki = new KeyIndex('k');
    for (let main = 2; main <= 11; main++) ki.put(rev(main), `v${main}`, 0n);
    ki.compact(8);
    expect(state(ki, 8)).toEqual({ value: 'v8', create: 2, mod: 8, version: 7, lease: 0n });
    expect(state(ki, 11)).toMatchObject({ version: 10, create: 2 });
    ki.tombstone(rev(12));
    ki.put(rev(13), 'again', 0n);
    expect(state(ki, 13)).toMatchObject({ version: 1, create: 13 });
    ki.compact(12);
    expect(state(ki, 13)).toMatchObject({ version: 1, create: 13 });
    expect(state(ki, 12)).toBeUndefined();
  });
});
