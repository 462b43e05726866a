/**
 * The ordered index of every key with history: a B+ tree (sorted-btree) from
 * binary key to its KeyIndex (etcd's treeIndex, server/mvcc/index.go). Keys
 * are binary strings, so string order is byte order.
 *
 *   put a, put c, put b  →  tree: a → {2.0}  b → {4.0}  c → {3.0}
 *   visit('a', 'c')      →  a, b            (range_end exclusive)
 *   visit('b', '')       →  b, c            ('' = every key >= 'b')
 *
 * A new key goes into the hash map at once and into the tree later: keys
 * wait in a list until something needs order (a range, a scan, `all`), then
 * go in sorted, as one batch. Inserting in order touches one leaf after
 * another instead of a random path each time, so a burst of new keys (a
 * load, a restore) costs about what the map costs, and the tree catches up
 * on the next ordered read. The list is bounded (pendingKeysMax): a server
 * that took 100k new keys and then served one range sorted and inserted
 * them all in that request (~160 ms, every other client waiting).
 */
import btree from 'sorted-btree';
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';
import type { KeyIndex } from './key-index.ts';
import { pendingKeysMax } from './limits.ts';

// sorted-btree is CommonJS: Node hands its exports object (class under
// `default`), bundlers such as vitest's hand the class itself.
const loaded = btree as unknown as typeof btree.default | { default: typeof btree.default };
const BTree: typeof btree.default = typeof loaded === 'function' ? loaded : loaded.default;

/** What the tree's forRange calls for each key: returning `{ break: true }` stops the walk (sorted-btree's own callback type). */
// biome-ignore lint/suspicious/noConfusingVoidType: a callback that returns nothing is what scan passes
type RangeCallback = (key: BinaryKey, index: KeyIndex) => { break: true } | undefined | void;

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class TreeIndex {
  private readonly tree: btree.default<BinaryKey, KeyIndex> = new BTree<BinaryKey, KeyIndex>(undefined, compareKeys);
  /**
   * The same entries by hash, for point lookups: a put or get of one key is a
   * hash probe instead of a B-tree descent, and a new key costs one descent
   * (its insert) instead of two.
   */
  private readonly byKey = new Map<BinaryKey, KeyIndex>();
  /** Keys in `byKey` that may not be in `tree` yet (in arrival order; may repeat, may since be deleted). */
  private pending: BinaryKey[] = [];

  get size(): number {
    return this.byKey.size;
  }

  get(key: BinaryKey): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  set(key: BinaryKey, index: KeyIndex): void {
    // One hash operation: the map's size says whether the key is new (no has() first).
    const sizeBefore = this.byKey.size;
    this.byKey.set(key, index);
    if (this.byKey.size > sizeBefore) {
      if (this.pending.push(key) >= pendingKeysMax) this.catchUp();
    }
    // A key already there may be in the tree: replace it there too (a pending one goes in with its latest index).
    else this.tree.set(key, index);
  }

  delete(key: BinaryKey): void {
    this.byKey.delete(key);
    this.tree.delete(key);
  }

  /** Put the pending keys into the tree, in order. */
  private catchUp(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    // Binary strings: the default sort's code-unit order is byte order, as compareKeys's.
    pending.sort();
    const { tree, byKey } = this;
    let last: BinaryKey | undefined;
    for (const key of pending) {
      if (key === last) continue;
      last = key;
      const index = byKey.get(key);
      if (index !== undefined) tree.set(key, index);
    }
  }

  /**
   * Call `visit` for every key in the range, ascending; stop early when it
   * returns false. `end` undefined → only `key`; '' → every key >= key;
   * otherwise [key, end) (nothing when end <= key).
   */
  visit(key: BinaryKey, end: BinaryKey | undefined, visit: (index: KeyIndex) => boolean | void): void {
    this.#forRange(key, end, (_k, index) => (visit(index) === false ? { break: true } : undefined));
  }

  /**
   * Call `onFound` for every key in the range, ascending, as `visit` does but
   * without stopping early: the callback goes to the tree as it is, so a
   * caller that keeps one callback allocates nothing per scan.
   */
  scan(key: BinaryKey, end: BinaryKey | undefined, onFound: (key: BinaryKey, index: KeyIndex) => void): void {
    this.#forRange(key, end, onFound);
  }

  /** The range walk of `visit` and `scan`: `onFound` may return `{ break: true }` to stop (sorted-btree's forRange). */
  #forRange(key: BinaryKey, end: BinaryKey | undefined, onFound: RangeCallback): void {
    if (end === undefined) {
      const index = this.byKey.get(key);
      if (index !== undefined) onFound(key, index);
      return;
    }
    if (end !== '' && end <= key) return;
    this.catchUp();
    const tree = this.tree;
    if (end === '') {
      const max = tree.maxKey();
      if (max === undefined || max < key) return;
      tree.forRange(key, max, true, onFound);
    } else {
      tree.forRange(key, end, false, onFound);
    }
  }

  /** Every key index, ascending (for dumps and tests). */
  *all(): IterableIterator<KeyIndex> {
    this.catchUp();
    for (const [, index] of this.tree.entries()) yield index;
  }

  /** Check the index (for tests): the tree and the hash hold the same entries, each under its own key, none empty, each valid. */
  checkValid(): void {
    // pending new keys are part of the index: order them in first (no change a caller can see)
    this.catchUp();
    assert(this.pending.length === 0, 'tree index: keys left pending after a catch-up');
    assert(this.tree.size === this.byKey.size, `tree index: ${this.tree.size} keys in the tree, ${this.byKey.size} by hash`);
    let previous: BinaryKey | undefined;
    for (const [key, index] of this.tree.entries()) {
      assert(previous === undefined || previous < key, `tree index: keys out of order at ${key}`);
      previous = key;
      assert(this.byKey.get(key) === index, `tree index: ${key} differs between the tree and the hash`);
      assert(index.key === key, `tree index: ${key} holds the history of ${index.key}`);
      assert(index.count > 0, `tree index: ${key} has no history`);
      index.checkValid();
    }
  }
}
