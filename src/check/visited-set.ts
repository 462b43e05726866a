/**
 * The linearizability search's cache of explored configurations: (set of
 * linearized ops, model state) pairs, exact, in flat typed arrays so that a
 * lookup touches few cache lines (it is most of a search's time on large
 * histories, and most lookups find the pair already there).
 *
 * - an open-addressing table of (32-bit key, entry) slots, probed linearly;
 *   the key is the caller's hash of the pair (a Zobrist hash of the bitset,
 *   mixed with the state's hash), so a slot whose key differs costs no
 *   further reads;
 * - one 8-word record per entry: the bitset's first stored word, its length
 *   and up to four words inline (longer ones in a shared pool);
 * - states interned when the model hashes them and they are few (a
 *   register's values): each distinct state (by `equal`) gets a small id,
 *   kept in the record, so a lookup compares integers and never reads a
 *   state object. Past `internedMax` distinct states (an append log's ever
 *   longer values) interning stops: each entry's state also sits in an array
 *   beside the records and is compared with `equal` (or `===`) when key and
 *   bits match.
 *
 * The caller stores only the bitset's words from `first` (the first word not
 * all ones: ops are numbered by call order, so a prefix of words fills up)
 * to `end` (after the last non-zero word).
 */

/** Words per record: first, length, pool offset, up to `inlineWords` bitset words, the state's id. */
const recordWords = 8;
const inlineWords = 4;
const stateWord = 7;
/** Distinct states interned before interning stops (it costs a lookup per add, worth it only when states repeat). */
const internedMax = 1024;

export class VisitedSet<State> {
  /** Pairs added. */
  size = 0;
  /** Two words a slot: the key, and the entry + 1 (0: empty). */
  private slots: Int32Array;
  private mask: number;
  /** 32 − log2(slot count). */
  private shift: number;
  private records: Int32Array;
  /** Each entry's state. */
  private readonly states: State[] = [];
  /** Each distinct state interned, by id; undefined once interning stopped (or without a hash). */
  private interned: State[] | undefined;
  /** Interning (with a hash): slots of (state hash, id + 1). */
  private internSlots = new Int32Array(2 * 16);
  private internMask = 15;
  private pool = new Uint32Array(0);
  private poolUsed = 0;

  /** @param equal - state equality (`===` when absent); @param expected - about how many pairs to size for */
  constructor(
    private readonly equal: ((a: State, b: State) => boolean) | undefined,
    private readonly hash: ((state: State) => number) | undefined,
    expected = 64,
  ) {
    if (hash !== undefined) this.interned = [];
    let slotCount = 16;
    while (slotCount < 2 * expected) slotCount *= 2;
    this.slots = new Int32Array(2 * slotCount);
    this.mask = slotCount - 1;
    this.shift = 32 - Math.log2(slotCount);
    this.records = new Int32Array(recordWords * Math.max(8, expected));
  }

  /**
   * Add the pair (bits[first..end), state) under `key`.
   * @returns false when it was there already
   */
  add(key: number, bits: Uint32Array, first: number, end: number, state: State): boolean {
    const length = end > first ? end - first : 0;
    const stateId = this.interned === undefined ? -1 : this.intern(state, this.hash!(state) | 0);
    const slots = this.slots;
    const records = this.records;
    const mask = this.mask;
    const wanted = key | 0;
    // Fibonacci hashing: the product's high bits depend on every bit of the key (its low bits may cluster).
    let slot = Math.imul(wanted, 0x9e3779b1) >>> this.shift;
    for (;;) {
      const entry = slots[2 * slot + 1]! - 1;
      if (entry < 0) break;
      if (slots[2 * slot] === wanted) {
        const r = entry * recordWords;
        const otherId = records[r + stateWord]!;
        if (records[r] === first && records[r + 1] === length && (stateId < 0 || otherId === stateId) && this.sameBits(r, bits, first, length)) {
          if (stateId >= 0) return false;
          const other = this.states[entry]!;
          if (other === state || (this.equal !== undefined && this.equal(other, state))) return false;
        }
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    if ((entry + 1) * recordWords > records.length) this.growRecords();
    const r = entry * recordWords;
    const stored = this.records;
    stored[r] = first;
    stored[r + 1] = length;
    if (length <= inlineWords) for (let w = 0; w < length; w++) stored[r + 3 + w] = bits[first + w]! | 0;
    else {
      if (this.poolUsed + length > this.pool.length) {
        const pool = new Uint32Array(Math.max(2 * this.pool.length, this.poolUsed + length, 1024));
        pool.set(this.pool);
        this.pool = pool;
      }
      stored[r + 2] = this.poolUsed;
      this.pool.set(bits.subarray(first, end), this.poolUsed);
      this.poolUsed += length;
    }
    stored[r + stateWord] = stateId;
    this.states.push(state);
    slots[2 * slot] = wanted;
    slots[2 * slot + 1] = entry + 1;
    // At most half full: linear probing stays short.
    if (2 * this.size > mask) this.grow();
    return true;
  }

  /** The id of `state` (hashing to `hash`): the first equal state's, or a new one; -1 once there are too many. */
  private intern(state: State, hash: number): number {
    const slots = this.internSlots;
    const mask = this.internMask;
    const interned = this.interned!;
    let slot = (Math.imul(hash, 0x9e3779b1) >>> 0) & mask;
    for (;;) {
      const id = slots[2 * slot + 1]! - 1;
      if (id < 0) break;
      if (slots[2 * slot] === hash) {
        const other = interned[id]!;
        if (other === state || (this.equal !== undefined && this.equal(other, state))) return id;
      }
      slot = (slot + 1) & mask;
    }
    if (interned.length >= internedMax) {
      // From here on states are compared, not interned; entries already added keep their ids, which no lookup compares any more.
      this.interned = undefined;
      return -1;
    }
    const id = interned.length;
    interned.push(state);
    slots[2 * slot] = hash;
    slots[2 * slot + 1] = id + 1;
    if (2 * interned.length > mask) {
      const bigger = new Int32Array(4 * (mask + 1));
      const biggerMask = 2 * (mask + 1) - 1;
      for (let s = 0; s < slots.length; s += 2) {
        if (slots[s + 1] === 0) continue;
        let to = (Math.imul(slots[s]!, 0x9e3779b1) >>> 0) & biggerMask;
        while (bigger[2 * to + 1] !== 0) to = (to + 1) & biggerMask;
        bigger[2 * to] = slots[s]!;
        bigger[2 * to + 1] = slots[s + 1]!;
      }
      this.internSlots = bigger;
      this.internMask = biggerMask;
    }
    return id;
  }

  private sameBits(r: number, bits: Uint32Array, first: number, length: number): boolean {
    const records = this.records;
    if (length <= inlineWords) {
      for (let w = 0; w < length; w++) if (records[r + 3 + w] !== (bits[first + w]! | 0)) return false;
      return true;
    }
    const offset = records[r + 2]!;
    const pool = this.pool;
    for (let w = 0; w < length; w++) if (pool[offset + w] !== bits[first + w]) return false;
    return true;
  }

  private growRecords(): void {
    const records = new Int32Array(2 * this.records.length);
    records.set(this.records);
    this.records = records;
  }

  private grow(): void {
    const old = this.slots;
    const slotCount = 2 * (this.mask + 1);
    const slots = new Int32Array(2 * slotCount);
    const mask = slotCount - 1;
    const shift = this.shift - 1;
    for (let s = 0; s < old.length; s += 2) {
      if (old[s + 1] === 0) continue;
      let slot = Math.imul(old[s]!, 0x9e3779b1) >>> shift;
      while (slots[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = old[s]!;
      slots[2 * slot + 1] = old[s + 1]!;
    }
    this.slots = slots;
    this.mask = mask;
    this.shift = shift;
  }
}
