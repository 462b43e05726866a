/**
 * A list a hot path reuses from call to call so that it allocates nothing:
 * items are written over in place and `clear` empties their slots but keeps
 * the storage. (Truncating a JavaScript array, `array.length = 0`, frees its
 * storage, and the next push allocates it again: ~150 bytes for two items.)
 * For code that never runs inside itself, such as a write's delivery.
 *
 *   const sets = new ScratchList<Set<Watcher>>();
 *   group.setsFor(key, sets.push);   // push is bound: a callback as it is
 *   for (let i = 0; i < sets.length; i++) send(sets.at(i));
 *   sets.clear();
 */
export class ScratchList<T> {
  readonly #items: (T | undefined)[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  readonly push = (item: T): void => {
    this.#items[this.#length++] = item;
  };

  /** The item at i (0 <= i < length). */
  at(i: number): T {
    return this.#items[i] as T;
  }

  /** Empty the list, dropping its references to the items. */
  clear(): void {
    const items = this.#items;
    for (let i = 0; i < this.#length; i++) items[i] = undefined;
    this.#length = 0;
  }
}
