/**
 * Go 1.19's `sort.Sort` (pattern-defeating quicksort), step for step, so
 * that elements that compare equal end in the order etcd 3.4.23 (built with
 * Go 1.19) leaves them: etcd sorts a Range's results with sort.Sort, which
 * is not stable, and with a limit the ties decide which keys come back.
 *
 *   goSort(n, (i, j) => version[i] < version[j], swap)
 *
 * The element type is the caller's: `less(i, j)` compares positions, `swap`
 * exchanges them. Deterministic: the only "random" step is a xorshift
 * seeded with the length, as in Go.
 */

type Less = (i: number, j: number) => boolean;
type Swap = (i: number, j: number) => void;

const enum Hint {
  unknown,
  increasing,
  decreasing,
}

/** Bits needed to hold n (Go's bits.Len). */
function bitLength(n: number): number {
  return n <= 0 ? 0 : 32 - Math.clz32(n);
}

/** Sort positions [0, n) as Go's sort.Sort does. */
export function goSort(n: number, less: Less, swap: Swap): void {
  if (n <= 1) return;
  new GoSorter(less, swap).pdqsort(0, n, bitLength(n));
}

class GoSorter {
  readonly less: Less;
  readonly swap: Swap;

  constructor(less: Less, swap: Swap) {
    this.less = less;
    this.swap = swap;
  }

  insertionSort(a: number, b: number): void {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && this.less(j, j - 1); j--) this.swap(j, j - 1);
    }
  }

  siftDown(lo: number, hi: number, first: number): void {
    let root = lo;
    for (;;) {
      let child = 2 * root + 1;
      if (child >= hi) return;
      if (child + 1 < hi && this.less(first + child, first + child + 1)) child++;
      if (!this.less(first + root, first + child)) return;
      this.swap(first + root, first + child);
      root = child;
    }
  }

  heapSort(a: number, b: number): void {
    const first = a;
    const hi = b - a;
    for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) this.siftDown(i, hi, first);
    for (let i = hi - 1; i >= 0; i--) {
      this.swap(first, first + i);
      this.siftDown(0, i, first);
    }
  }

  pdqsort(a: number, b: number, limit: number): void {
    const maxInsertion = 12;
    let wasBalanced = true;
    let wasPartitioned = true;
    for (;;) {
      const length = b - a;
      if (length <= maxInsertion) {
        this.insertionSort(a, b);
        return;
      }
      if (limit === 0) {
        this.heapSort(a, b);
        return;
      }
      if (!wasBalanced) {
        this.breakPatterns(a, b);
        limit--;
      }
      let [pivot, hint] = this.choosePivot(a, b);
      if (hint === Hint.decreasing) {
        this.reverseRange(a, b);
        pivot = b - 1 - (pivot - a);
        hint = Hint.increasing;
      }
      if (wasBalanced && wasPartitioned && hint === Hint.increasing && this.partialInsertionSort(a, b)) return;
      // Many equal elements: split off those equal to the pivot.
      if (a > 0 && !this.less(a - 1, pivot)) {
        a = this.partitionEqual(a, b, pivot);
        continue;
      }
      const [mid, alreadyPartitioned] = this.partition(a, b, pivot);
      wasPartitioned = alreadyPartitioned;
      const leftLength = mid - a;
      const rightLength = b - mid;
      const balanceThreshold = Math.trunc(length / 8);
      if (leftLength < rightLength) {
        wasBalanced = leftLength >= balanceThreshold;
        this.pdqsort(a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = rightLength >= balanceThreshold;
        this.pdqsort(mid + 1, b, limit);
        b = mid;
      }
    }
  }

  partition(a: number, b: number, pivot: number): [number, boolean] {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    while (i <= j && this.less(i, a)) i++;
    while (i <= j && !this.less(j, a)) j--;
    if (i > j) {
      this.swap(j, a);
      return [j, true];
    }
    this.swap(i, j);
    i++;
    j--;
    for (;;) {
      while (i <= j && this.less(i, a)) i++;
      while (i <= j && !this.less(j, a)) j--;
      if (i > j) break;
      this.swap(i, j);
      i++;
      j--;
    }
    this.swap(j, a);
    return [j, false];
  }

  partitionEqual(a: number, b: number, pivot: number): number {
    this.swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    for (;;) {
      while (i <= j && !this.less(a, i)) i++;
      while (i <= j && this.less(a, j)) j--;
      if (i > j) break;
      this.swap(i, j);
      i++;
      j--;
    }
    return i;
  }

  partialInsertionSort(a: number, b: number): boolean {
    const maxSteps = 5;
    const shortestShifting = 50;
    let i = a + 1;
    for (let step = 0; step < maxSteps; step++) {
      while (i < b && !this.less(i, i - 1)) i++;
      if (i === b) return true;
      if (b - a < shortestShifting) return false;
      this.swap(i, i - 1);
      if (i - a >= 2) {
        for (let j = i - 1; j >= 1; j--) {
          if (!this.less(j, j - 1)) break;
          this.swap(j, j - 1);
        }
      }
      if (b - i >= 2) {
        for (let j = i + 1; j < b; j++) {
          if (!this.less(j, j - 1)) break;
          this.swap(j, j - 1);
        }
      }
    }
    return false;
  }

  breakPatterns(a: number, b: number): void {
    const length = b - a;
    if (length < 8) return;
    // Go's xorshift on a uint64 seeded with the length.
    let random = BigInt(length);
    const mask64 = (1n << 64n) - 1n;
    const modulus = 2 ** bitLength(length);
    const middle = a + Math.trunc(length / 4) * 2;
    for (let idx = middle - 1; idx <= middle + 1; idx++) {
      random ^= (random << 13n) & mask64;
      random ^= random >> 17n;
      random ^= (random << 5n) & mask64;
      let other = Number(random & BigInt(modulus - 1));
      if (other >= length) other -= length;
      this.swap(idx, a + other);
    }
  }

  choosePivot(a: number, b: number): [number, Hint] {
    const shortestNinther = 50;
    const maxSwaps = 4 * 3;
    const l = b - a;
    const swaps = { count: 0 };
    const quarter = Math.trunc(l / 4);
    let i = a + quarter;
    let j = a + quarter * 2;
    let k = a + quarter * 3;
    if (l >= 8) {
      if (l >= shortestNinther) {
        i = this.medianAdjacent(i, swaps);
        j = this.medianAdjacent(j, swaps);
        k = this.medianAdjacent(k, swaps);
      }
      j = this.median(i, j, k, swaps);
    }
    if (swaps.count === 0) return [j, Hint.increasing];
    if (swaps.count === maxSwaps) return [j, Hint.decreasing];
    return [j, Hint.unknown];
  }

  median(a: number, b: number, c: number, swaps: { count: number }): number {
    if (this.less(b, a)) {
      swaps.count++;
      [a, b] = [b, a];
    }
    if (this.less(c, b)) {
      swaps.count++;
      [b, c] = [c, b];
    }
    if (this.less(b, a)) {
      swaps.count++;
      [a, b] = [b, a];
    }
    return b;
  }

  medianAdjacent(a: number, swaps: { count: number }): number {
    return this.median(a - 1, a, a + 1, swaps);
  }

  reverseRange(a: number, b: number): void {
    for (let i = a, j = b - 1; i < j; i++, j--) this.swap(i, j);
  }
}
