// The synced watchers by key range: setsFor(key) visits exactly the watchers whose range holds the key
// (one key; [key, end); every key from key on), checked against a plain list through adds and deletes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WatchStreamSession } from '../../src/store/watch-stream.ts';
import { Watcher } from '../../src/store/watcher.ts';
import { WatcherGroup } from '../../src/store/watcher-group.ts';
import { casesFor } from '../quick-tier.ts';

const options = { noPut: false, noDelete: false, prevKv: false, progressNotify: false, fragment: false };
let nextId = 1n;
function synced(key: string, rangeEnd: string | undefined): Watcher {
  const watcher = new Watcher({} as WatchStreamSession, nextId++, key, rangeEnd, 0, 1, options);
  watcher.state = 'synced';
  return watcher;
}

/** Whether `watcher`'s range holds `key`, from the definition: one key; [key, end); every key from key on. */
function holds(watcher: Watcher, key: string): boolean {
  if (watcher.rangeEnd === undefined) return key === watcher.key;
  return key >= watcher.key && (watcher.rangeEnd === '' || key < watcher.rangeEnd);
}

function visited(group: WatcherGroup, key: string): string[] {
  const ids: string[] = [];
  group.setsFor(key, (set) => {
    for (const watcher of set) ids.push(String(watcher.id));
  });
  return ids.sort();
}

const keys = ['', 'a', 'a\u0000', 'ab', 'b', 'ba', 'c', '\u00ff'];

describe('WatcherGroup', () => {
  it('visits the watchers whose range holds a key, through any adds and deletes', () => {
    const step = fc.oneof(
      fc.record({ add: fc.constant(true), key: fc.constantFrom(...keys.slice(1)), end: fc.constantFrom<string | undefined>(undefined, '', ...keys.slice(1)) }),
      fc.record({ add: fc.constant(false), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const group = new WatcherGroup();
        const live: Watcher[] = [];
        const gone: Watcher[] = [];
        for (const s of steps) {
          if ('key' in s) {
            // an empty range ([key, end) with end <= key) is one etcd never files: skip it
            if (s.end !== undefined && s.end !== '' && s.end <= s.key) continue;
            const watcher = synced(s.key, s.end);
            group.add(watcher);
            group.add(watcher); // twice: still once
            live.push(watcher);
          } else if (live.length > 0) {
            const [watcher] = live.splice(s.pick % live.length, 1);
            expect(group.delete(watcher!)).toBe(true);
            expect(group.delete(watcher!)).toBe(false);
            gone.push(watcher!);
          }
          group.checkValid();
          expect(group.size).toBe(live.length);
        }
        for (const key of keys)
          expect(visited(group, key), JSON.stringify(key)).toEqual(
            live
              .filter((w) => holds(w, key))
              .map((w) => String(w.id))
              .sort(),
          );
        for (const watcher of gone) expect(watcher.groupSet).toBeUndefined();
      }),
      { seed: 14, numRuns: casesFor(300, 60) },
    );
  });

  it('watchers of one range share one set', () => {
    const group = new WatcherGroup();
    const [a, b, c] = [synced('k', 'z'), synced('k', 'z'), synced('k', undefined)];
    for (const watcher of [a!, b!, c!]) group.add(watcher);
    expect(a!.groupSet).toBe(b!.groupSet);
    expect(a!.groupSet).not.toBe(c!.groupSet);
    let sets = 0;
    group.setsFor('k', () => sets++);
    expect(sets).toBe(2);
  });
});
