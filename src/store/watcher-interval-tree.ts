/**
 * Half-open key intervals [start, end) mapped to values, answering "which
 * intervals contain this key?" in O(log n + matches): etcd's adt.IntervalTree,
 * which its watcher group uses for range watchers.
 *
 * A treap ordered by (start, end), each node also holding the largest end in
 * its subtree, so a stabbing query skips every subtree that ends at or before
 * the key. Keys are binary strings (one char per byte, src/store/bytes.ts);
 * an open end ("every key >= start", the wire's "\0") is `infiniteEnd`, a
 * char above every byte. Priorities come from a fixed xorshift sequence, so
 * the shape depends only on the order of operations.
 *
 *   set('a','c',A); set('b',infiniteEnd,B); set('x','y',C)
 *   stab('b') → A, B    stab('c') → B    stab('x') → B, C    stab('0') → nothing
 */
import { assert } from './assert.ts';
import type { BinaryKey } from './bytes.ts';

/** Sorts after every binary key: the end of an interval with no upper bound. */
export const infiniteEnd: BinaryKey = '\u0100';

interface Node<V> {
  start: BinaryKey;
  end: BinaryKey;
  value: V;
  priority: number;
  maxEnd: BinaryKey;
  left: Node<V> | undefined;
  right: Node<V> | undefined;
}

function compare(aStart: BinaryKey, aEnd: BinaryKey, bStart: BinaryKey, bEnd: BinaryKey): number {
  if (aStart !== bStart) return aStart < bStart ? -1 : 1;
  if (aEnd !== bEnd) return aEnd < bEnd ? -1 : 1;
  return 0;
}

function update<V>(node: Node<V>): void {
  let maxEnd = node.end;
  if (node.left !== undefined && node.left.maxEnd > maxEnd) maxEnd = node.left.maxEnd;
  if (node.right !== undefined && node.right.maxEnd > maxEnd) maxEnd = node.right.maxEnd;
  node.maxEnd = maxEnd;
}

function rotateRight<V>(node: Node<V>): Node<V> {
  const left = node.left!;
  node.left = left.right;
  left.right = node;
  update(node);
  update(left);
  return left;
}

function rotateLeft<V>(node: Node<V>): Node<V> {
  const right = node.right!;
  node.right = right.left;
  right.left = node;
  update(node);
  update(right);
  return right;
}

function merge<V>(a: Node<V> | undefined, b: Node<V> | undefined): Node<V> | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    update(a);
    return a;
  }
  b.left = merge(a, b.left);
  update(b);
  return b;
}

export class IntervalTree<V> {
  #root: Node<V> | undefined;
  #size = 0;
  #seed = 0x9e3779b9;

  get size(): number {
    return this.#size;
  }

  get(start: BinaryKey, end: BinaryKey): V | undefined {
    let node = this.#root;
    while (node !== undefined) {
      const c = compare(start, end, node.start, node.end);
      if (c === 0) return node.value;
      node = c < 0 ? node.left : node.right;
    }
    return undefined;
  }

  /** Add the interval, or replace its value if present. */
  set(start: BinaryKey, end: BinaryKey, value: V): void {
    this.#root = this.#insert(this.#root, start, end, value);
  }

  /** Remove the interval; false if it was absent. */
  delete(start: BinaryKey, end: BinaryKey): boolean {
    const before = this.#size;
    this.#root = this.#remove(this.#root, start, end);
    return this.#size < before;
  }

  /** Call `visit` with the value of every interval containing `key`, in (start, end) order. */
  stab(key: BinaryKey, visit: (value: V) => void): void {
    stabFrom(this.#root, key, visit);
  }

  #nextPriority(): number {
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed;
  }

  #insert(node: Node<V> | undefined, start: BinaryKey, end: BinaryKey, value: V): Node<V> {
    if (node === undefined) {
      this.#size++;
      return { start, end, value, priority: this.#nextPriority(), maxEnd: end, left: undefined, right: undefined };
    }
    const c = compare(start, end, node.start, node.end);
    if (c === 0) {
      node.value = value;
      return node;
    }
    if (c < 0) {
      node.left = this.#insert(node.left, start, end, value);
      if (node.left.priority > node.priority) return rotateRight(node);
    } else {
      node.right = this.#insert(node.right, start, end, value);
      if (node.right.priority > node.priority) return rotateLeft(node);
    }
    update(node);
    return node;
  }

  #remove(node: Node<V> | undefined, start: BinaryKey, end: BinaryKey): Node<V> | undefined {
    if (node === undefined) return undefined;
    const c = compare(start, end, node.start, node.end);
    if (c === 0) {
      this.#size--;
      return merge(node.left, node.right);
    }
    if (c < 0) node.left = this.#remove(node.left, start, end);
    else node.right = this.#remove(node.right, start, end);
    update(node);
    return node;
  }

  /** Call `visit` for every interval, in (start, end) order. */
  forEach(visit: (start: BinaryKey, end: BinaryKey, value: V) => void): void {
    const walk = (node: Node<V> | undefined): void => {
      if (node === undefined) return;
      walk(node.left);
      visit(node.start, node.end, node.value);
      walk(node.right);
    };
    walk(this.#root);
  }

  /** Check the treap (for tests): search order, heap order on priorities, each subtree's largest end, the size. */
  checkValid(): void {
    let count = 0;
    const walk = (node: Node<V> | undefined, low: Node<V> | undefined, high: Node<V> | undefined): void => {
      if (node === undefined) return;
      count++;
      assert(low === undefined || compare(low.start, low.end, node.start, node.end) < 0, `interval tree: [${node.start}, ${node.end}) out of order`);
      assert(high === undefined || compare(node.start, node.end, high.start, high.end) < 0, `interval tree: [${node.start}, ${node.end}) out of order`);
      for (const child of [node.left, node.right]) assert(child === undefined || child.priority <= node.priority, 'interval tree: heap order broken');
      let maxEnd = node.end;
      if (node.left !== undefined && node.left.maxEnd > maxEnd) maxEnd = node.left.maxEnd;
      if (node.right !== undefined && node.right.maxEnd > maxEnd) maxEnd = node.right.maxEnd;
      assert(node.maxEnd === maxEnd, `interval tree: maxEnd of [${node.start}, ${node.end}) is stale`);
      walk(node.left, low, node);
      walk(node.right, node, high);
    };
    walk(this.#root, undefined, undefined);
    assert(count === this.#size, `interval tree: ${count} nodes, size says ${this.#size}`);
  }
}

/** IntervalTree.stab below `node`: a function of its arguments, so a stab allocates no closure (one runs per write). */
function stabFrom<V>(node: Node<V> | undefined, key: BinaryKey, visit: (value: V) => void): void {
  if (node === undefined || node.maxEnd <= key) return;
  stabFrom(node.left, key, visit);
  if (node.start > key) return;
  if (key < node.end) visit(node.value);
  stabFrom(node.right, key, visit);
}
