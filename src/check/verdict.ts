/**
 * What the checkers return. A checker never throws on a bad history: what it
 * could not make sense of (a release without an acquire, a NaN time) is a
 * `problem`, skipped and reported, and the verdict covers the rest.
 *
 *   { result: 'violated', violations: [{ kind: 'overlap', lockName: 'L', … }], problems: [] }
 */

/** Something in the input a checker skipped, with the index of the record in the input array. */
export interface HistoryProblem {
  index: number;
  message: string;
}

/** A safety or liveness property's verdict: `violated` as soon as there is one violation. */
export interface PropertyVerdict<Violation> {
  result: 'ok' | 'violated';
  violations: Violation[];
  problems: HistoryProblem[];
}

/** @internal Indices of `items` ordered by `timeOf`, ties in input order; records with a non-finite time are reported. */
export function timeOrder<T>(items: readonly T[], timeOf: (item: T) => number, problems: HistoryProblem[]): number[] {
  const order: number[] = [];
  items.forEach((item, index) => {
    const time = timeOf(item);
    if (typeof time !== 'number' || Number.isNaN(time) || time === Infinity || time === -Infinity) {
      problems.push({ index, message: `time is not a finite number: ${String(time)}` });
    } else order.push(index);
  });
  return order.sort((a, b) => timeOf(items[a]!) - timeOf(items[b]!) || a - b);
}

/** @internal Build a verdict from its violations and problems. */
export function propertyVerdict<V>(violations: V[], problems: HistoryProblem[]): PropertyVerdict<V> {
  return { result: violations.length > 0 ? 'violated' : 'ok', violations, problems };
}
