/**
 * The ordered index of every key with history: a B+ tree (sorted-btree) from
 * binary key to its KeyIndex (etcd's treeIndex, server/mvcc/index.go). Keys
 * are binary strings, so string order is byte order.
 *
 *   put a, put c, put b  →  tree: a → {2.0}  b → {4.0}  c → {3.0}
 *   visit('a', 'c')      →  a, b            (range_end exclusive)
 *   visit('b', '')       →  b, c            ('' = every key >= 'b')
 */
import btree from 'sorted-btree';
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';
import type { KeyIndex } from './key-index.ts';

// sorted-btree is CommonJS: Node hands its exports object (class under
// `default`), bundlers such as vitest's hand the class itself.
const loaded = btree as unknown as typeof btree.default | { default: typeof btree.default };
const BTree: typeof btree.default = typeof loaded === 'function' ? loaded : loaded.default;

const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class TreeIndex {
  private readonly tree: btree.default<BinaryKey, KeyIndex> = new BTree<BinaryKey, KeyIndex>(undefined, compareKeys);
  /**
   * The same entries by hash, for point lookups: a put or get of one key is a
   * hash probe instead of a B-tree descent, and a new key costs one descent
   * (its insert) instead of two.
   */
  private readonly byKey = new Map<BinaryKey, KeyIndex>();

  get size(): number {
    return this.byKey.size;
  }

  get(key: BinaryKey): KeyIndex | undefined {
    return this.byKey.get(key);
  }

  set(key: BinaryKey, index: KeyIndex): void {
    this.byKey.set(key, index);
    this.tree.set(key, index);
  }

  delete(key: BinaryKey): void {
    this.byKey.delete(key);
    this.tree.delete(key);
  }

  /**
   * Call `visit` for every key in the range, ascending; stop early when it
   * returns false. `end` undefined → only `key`; '' → every key >= key;
   * otherwise [key, end) (nothing when end <= key).
   */
  visit(key: BinaryKey, end: BinaryKey | undefined, visit: (index: KeyIndex) => boolean | void): void {
    if (end === undefined) {
      const index = this.byKey.get(key);
      if (index !== undefined) visit(index);
      return;
    }
    if (end !== '' && end <= key) return;
    const tree = this.tree;
    if (end === '') {
      const max = tree.maxKey();
      if (max === undefined || max < key) return;
      tree.forRange(key, max, true, (_k: BinaryKey, index: KeyIndex) => (visit(index) === false ? { break: true } : undefined));
    } else {
      tree.forRange(key, end, false, (_k: BinaryKey, index: KeyIndex) => (visit(index) === false ? { break: true } : undefined));
    }
  }

  /** Every key index, ascending (for dumps and tests). */
  *all(): IterableIterator<KeyIndex> {
    for (const [, index] of this.tree.entries()) yield index;
  }

  /** Check the index (for tests): the tree and the hash hold the same entries, each under its own key, none empty, each valid. */
  checkValid(): void {
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
