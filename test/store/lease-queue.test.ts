// Leases by deadline: earliest first, equal deadlines by sequence; re-keyed and removed in place.
// Checked against sorting the live entries outright, through random pushes, re-keys, removes and pops.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeadlineEntry, deadlineBefore, LeaseQueue } from '../../src/store/lease-queue.ts';
import { casesFor } from '../quick-tier.ts';

let nextSequence = 0;
const entry = (queuedDeadlineMs: number): DeadlineEntry => ({
  queuedDeadlineMs,
  sequence: nextSequence++,
  queueIndex: -1,
});

describe('LeaseQueue', () => {
  it('the example: earliest first, ties by sequence, a re-key and a remove', () => {
    const [a, b, c] = [entry(5000), entry(3000), entry(5000)];
    const queue = new LeaseQueue<DeadlineEntry>();
    for (const e of [a!, b!, c!]) queue.push(e);
    expect(queue.peek()).toBe(b);
    b!.queuedDeadlineMs = 8000;
    queue.update(b!);
    expect(queue.peek()).toBe(a);
    queue.remove(a!);
    expect(queue.peek()).toBe(c);
    expect(queue.sorted()).toEqual([c, b]);
    expect(a!.queueIndex).toBe(-1);
  });

  it('agrees with sorting the live entries, through any pushes, re-keys, removes and pops', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('push' as const), deadline: fc.nat({ max: 50 }) }),
      fc.record({ op: fc.constant('rekey' as const), pick: fc.nat(), deadline: fc.nat({ max: 50 }) }),
      fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ op: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const queue = new LeaseQueue<DeadlineEntry>();
        const live: DeadlineEntry[] = [];
        const order = () => live.slice().sort((x, y) => (deadlineBefore(x, y) ? -1 : deadlineBefore(y, x) ? 1 : 0));
        for (const s of steps) {
          if (s.op === 'push') {
            const e = entry(s.deadline);
            queue.push(e);
            live.push(e);
          } else if (s.op === 'pop') {
            const expected = order()[0];
            expect(queue.pop()).toBe(expected);
            if (expected !== undefined) live.splice(live.indexOf(expected), 1);
          } else if (live.length > 0) {
            const e = live[s.pick % live.length]!;
            if (s.op === 'rekey') {
              e.queuedDeadlineMs = s.deadline;
              queue.update(e);
            } else {
              queue.remove(e);
              live.splice(live.indexOf(e), 1);
              expect(e.queueIndex).toBe(-1);
            }
          }
          queue.checkValid();
          expect(queue.size).toBe(live.length);
          expect(queue.peek()).toBe(order()[0]);
        }
        expect(queue.sorted()).toEqual(order());
      }),
      { seed: 14, numRuns: casesFor(300, 60) },
    );
  });

  it('deadlineBefore: earlier deadline, then lower sequence; never both ways', () => {
    const early = { queuedDeadlineMs: 1, sequence: 9, queueIndex: -1 };
    const late = { queuedDeadlineMs: 2, sequence: 1, queueIndex: -1 };
    const tie = { queuedDeadlineMs: 1, sequence: 10, queueIndex: -1 };
    expect([deadlineBefore(early, late), deadlineBefore(late, early)]).toEqual([true, false]);
    expect([deadlineBefore(early, tie), deadlineBefore(tie, early)]).toEqual([true, false]);
    expect(deadlineBefore(early, early)).toBe(false);
  });
});
