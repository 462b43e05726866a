/**
 * The synced watchers, indexed by key range so that a write's events find
 * their watchers without looking at the others (etcd's watcher_group.go):
 * single-key watchers by map lookup, range watchers in an interval tree.
 * Watchers on the same range share one set, so a write's events are matched
 * once per distinct range, not once per watcher.
 *
 *   add(w1 'foo'); add(w2 ['f','g')); add(w3 ['f','g'))
 *   setsFor('foo') → {w1}, {w2, w3}      setsFor('h') → nothing
 */
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';
import { IntervalTree, infiniteEnd } from './watcher-interval-tree.ts';
import type { Watcher } from './watcher.ts';

export class WatcherGroup {
  #singles = new Map<BinaryKey, Set<Watcher>>();
  #ranges = new IntervalTree<Set<Watcher>>();
  #size = 0;
  /** A key's emptied set, kept for the next key watched alone (watches on one key come and go). */
  #spareSet: Set<Watcher> | undefined;

  get size(): number {
    return this.#size;
  }

  add(watcher: Watcher): void {
    let set: Set<Watcher> | undefined;
    if (watcher.rangeEnd === undefined) {
      set = this.#singles.get(watcher.key);
      if (set === undefined) {
        set = this.#spareSet ?? new Set();
        this.#spareSet = undefined;
        this.#singles.set(watcher.key, set);
      }
    } else {
      const end = watcher.rangeEnd === '' ? infiniteEnd : watcher.rangeEnd;
      set = this.#ranges.get(watcher.key, end);
      if (set === undefined) this.#ranges.set(watcher.key, end, (set = new Set()));
    }
    if (set.has(watcher)) return;
    set.add(watcher);
    watcher.groupSet = set;
    this.#size++;
  }

  delete(watcher: Watcher): boolean {
    const set = watcher.groupSet;
    if (set === undefined || !set.delete(watcher)) return false;
    watcher.groupSet = undefined;
    this.#size--;
    if (set.size === 0) {
      if (watcher.rangeEnd === undefined) {
        this.#singles.delete(watcher.key);
        this.#spareSet = set;
      } else this.#ranges.delete(watcher.key, watcher.rangeEnd === '' ? infiniteEnd : watcher.rangeEnd);
    }
    return true;
  }

  /** Every set of watchers whose range holds `key` (each set shares one range). */
  setsFor(key: BinaryKey, visit: (set: Set<Watcher>) => void): void {
    const single = this.#singles.get(key);
    if (single !== undefined) visit(single);
    if (this.#ranges.size > 0) this.#ranges.stab(key, visit);
  }

  /** Check the group (for tests): every set non-empty and under its watchers' range, each watcher synced and pointing at its set, the size. */
  checkValid(): void {
    let count = 0;
    const checkSet = (set: Set<Watcher>, key: BinaryKey, rangeEnd: BinaryKey | undefined): void => {
      assert(set.size > 0, `watcher group: empty set for ${key}`);
      for (const watcher of set) {
        count++;
        assert(watcher.groupSet === set, `watcher group: watcher ${watcher.id} points at another set`);
        assert(watcher.state === 'synced', `watcher group: watcher ${watcher.id} is ${watcher.state}`);
        assert(watcher.key === key && watcher.rangeEnd === rangeEnd, `watcher group: watcher ${watcher.id} filed under another range`);
      }
    };
    for (const [key, set] of this.#singles) checkSet(set, key, undefined);
    this.#ranges.checkValid();
    this.#ranges.forEach((start, end, set) => checkSet(set, start, end === infiniteEnd ? '' : end));
    assert(count === this.#size, `watcher group: ${count} watchers, size says ${this.#size}`);
  }
}
