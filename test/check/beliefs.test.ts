import { describe, expect, it } from 'vitest';
import { beliefIntervals, beliefOverlap, checkMutualExclusion, LockBeliefTracker, lockEventsOf, type LockEvent } from '../../src/check/index.ts';
import { lockBeliefs, overlappingBeliefs } from '../../src/report/index.ts';
import type { TraceEvent } from '../../src/sim/trace.ts';

const stamp = (atMs: number, process: string, incarnation = 1) => ({ atMs, process, incarnation });
const acquired = (atMs: number, process: string, fencingToken: number, incarnation = 1): TraceEvent => ({
  kind: 'client',
  ...stamp(atMs, process, incarnation),
  event: { kind: 'lock-acquired', lockName: 'L', key: `L/${process}`, leaseId: 1n, fencingToken },
});
const lost = (atMs: number, process: string): TraceEvent => ({
  kind: 'client',
  ...stamp(atMs, process),
  event: { kind: 'lock-lost', lockName: 'L', key: `L/${process}`, leaseId: 1n },
});
const released = (atMs: number, process: string): TraceEvent => ({
  kind: 'client',
  ...stamp(atMs, process),
  event: { kind: 'lock-released', lockName: 'L', key: `L/${process}`, leaseId: 1n },
});

/** The checkers' lock events of a trace, as the explorer derives them. */
function lockEventsOfTrace(events: readonly TraceEvent[]): LockEvent[] {
  const tracker = new LockBeliefTracker();
  return events.flatMap((event) => lockEventsOf(tracker.apply(event), 'L'));
}

describe('the instant rule', () => {
  it('touching ends do not overlap, in either order', () => {
    expect(beliefOverlap({ fromMs: 0, toMs: 10 }, { fromMs: 10, toMs: 20 })).toBeUndefined();
    expect(beliefOverlap({ fromMs: 10, toMs: 20 }, { fromMs: 0, toMs: 10 })).toBeUndefined();
    expect(beliefOverlap({ fromMs: 0, toMs: 11 }, { fromMs: 10, toMs: 20 })).toEqual({ fromMs: 10, toMs: 11 });
  });

  it('a zero-length belief overlaps a belief held strictly around it, and nothing else', () => {
    const point = { fromMs: 15, toMs: 15 };
    expect(beliefOverlap(point, { fromMs: 10, toMs: 20 })).toEqual({ fromMs: 15, toMs: 15 });
    expect(beliefOverlap({ fromMs: 10, toMs: Infinity }, point)).toEqual({ fromMs: 15, toMs: 15 });
    expect(beliefOverlap(point, { fromMs: 15, toMs: 20 })).toBeUndefined();
    expect(beliefOverlap(point, { fromMs: 10, toMs: 15 })).toBeUndefined();
    expect(beliefOverlap(point, { fromMs: 15, toMs: 15 })).toBeUndefined();
  });

  it('the trace facts and the mutual-exclusion checker agree on a zero-length belief', () => {
    // b acquires and loses the lock at 15 while a holds it from 10 to 20; c does the same at 20, as a releases.
    const trace: TraceEvent[] = [acquired(10, 'a', 2), acquired(15, 'b', 3), lost(15, 'b'), acquired(20, 'c', 4), released(20, 'a'), lost(20, 'c')];
    const overlaps = overlappingBeliefs(lockBeliefs(trace));
    expect(overlaps.map((o) => [o.fromMs, o.untilMs, o.holders.map((h) => h.process)])).toEqual([[15, 15, ['a', 'b']]]);
    const verdict = checkMutualExclusion(lockEventsOfTrace(trace));
    expect(verdict.violations.map((v) => [v.fromMs, v.toMs, v.first.process, v.second.process])).toEqual([[15, 15, 'a', 'b']]);
  });

  it('a zero-length belief inside a longer overlap joins it', () => {
    const trace: TraceEvent[] = [acquired(10, 'a', 2), acquired(12, 'b', 3), acquired(15, 'c', 4), lost(15, 'c'), lost(18, 'a'), released(30, 'b')];
    const overlaps = overlappingBeliefs(lockBeliefs(trace));
    expect(overlaps.map((o) => [o.fromMs, o.untilMs, o.holders.map((h) => h.process)])).toEqual([[12, 18, ['a', 'b', 'c']]]);
  });
});

describe('beliefs from a trace', () => {
  it('a crash ends every belief of the process, an exit only its incarnation', () => {
    const trace: TraceEvent[] = [
      acquired(10, 'a', 2),
      { kind: 'fault', atMs: 20, fault: { kind: 'crash', process: 'a' } },
      acquired(30, 'a', 5, 2),
      { kind: 'process-exited', ...stamp(40, 'a', 1) },
      { kind: 'process-exited', ...stamp(50, 'a', 2) },
    ];
    expect(lockBeliefs(trace).map((b) => [b.incarnation, b.fromMs, b.untilMs, b.end])).toEqual([
      [1, 10, 20, 'crashed'],
      [2, 30, 50, 'exited'],
    ]);
    expect(lockEventsOfTrace(trace).map((e) => [e.timeMs, e.kind])).toEqual([
      [10, 'acquired'],
      [20, 'lost'],
      [30, 'acquired'],
      [50, 'lost'],
    ]);
  });

  it('acquiring again while holding closes the old belief as released', () => {
    const tracker = new LockBeliefTracker();
    tracker.apply(acquired(10, 'a', 2));
    const change = tracker.apply(acquired(20, 'a', 3));
    expect(change.closed.map((b) => [b.fencingToken, b.untilMs, b.end])).toEqual([[2, 20, 'released']]);
    expect(tracker.holders('L').map((b) => b.fencingToken)).toEqual([3]);
  });

  it('a lock event history gives the same intervals as the trace', () => {
    const trace: TraceEvent[] = [acquired(10, 'a', 2), lost(40, 'a'), acquired(30, 'b', 3), released(60, 'b')];
    const fromTrace = lockBeliefs(trace).map((b) => [b.process, b.fromMs, b.untilMs]);
    const fromEvents = beliefIntervals(lockEventsOfTrace(trace)).intervals.map((b) => [b.process, b.fromMs, b.toMs]);
    expect(fromEvents).toEqual(fromTrace);
  });
});
