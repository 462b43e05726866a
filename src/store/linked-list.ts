/**
 * An insertion-ordered set of nodes that carry their own links: adding and
 * removing allocate nothing. A Set on the same path (add, then delete soon
 * after) reallocates its table each time it empties (V8 shrinks it in a
 * runtime call), which the simulator's per-call bookkeeping did thousands of
 * times a run.
 *
 *   list.add(a); list.add(b); list.remove(a)   → [b]
 *   list.remove(a)                              → false (not in it)
 */

/** What a node of a {@link LinkedList} carries (the list owns these fields). */
export interface Linked<T> {
  prev: T | undefined;
  next: T | undefined;
  linked: boolean;
}

export class LinkedList<T extends Linked<T>> {
  #head: T | undefined;
  #tail: T | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  has(node: T): boolean {
    return node.linked;
  }

  /** Add at the end; a node already in a list must not be added again. */
  add(node: T): void {
    node.linked = true;
    node.prev = this.#tail;
    node.next = undefined;
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
    this.#size++;
  }

  /** Remove it; false when it was not in the list. */
  remove(node: T): boolean {
    if (!node.linked) return false;
    node.linked = false;
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#size--;
    return true;
  }

  /** The nodes in insertion order, copied (so the caller may remove them as it goes). */
  toArray(): T[] {
    const nodes: T[] = [];
    for (let node = this.#head; node !== undefined; node = node.next) nodes.push(node);
    return nodes;
  }

  clear(): void {
    for (const node of this.toArray()) this.remove(node);
  }
}
