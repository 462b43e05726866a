/**
 * Lock beliefs, in one place: who believed they held which lock, from when
 * to when, and when two beliefs share an instant. The mutual-exclusion and
 * liveness checkers, the explorer's history, the trace facts, both timelines
 * and the scenarios' claims all read beliefs from here.
 *
 * Two inputs, one rule:
 * - a trace (`LockBeliefTracker`, `lockBeliefs`): a belief opens at a client's
 *   `lock-acquired` and closes at its `lock-released` or `lock-lost`, when the
 *   holder's incarnation exits, or when its process crashes (a crashed
 *   process believes nothing); an `acquired` while the same incarnation holds
 *   the lock closes the old belief (as released) and opens a new one;
 * - plain lock events (`beliefIntervals`), as src/check/history.ts defines
 *   them, for histories written by hand or converted from a trace.
 *
 * The instant rule (`beliefOverlap`): beliefs are half-open intervals
 * [from, to), so p1 releasing at t and p2 acquiring at t touch but do not
 * overlap, whatever order the two events were recorded in (the simulator may
 * stamp both with one instant). A belief of zero length (acquired and lost at
 * the same instant t) is still a belief: acquire() returned, and the caller
 * may have acted on it in that instant. It is the point t and overlaps a
 * belief held strictly around it (from < t < to); two points never overlap,
 * and a point at either end of an interval only touches it.
 *
 *   p1  [10 ────────────── 40)
 *   p2            [30 ─────────── 60)     overlap [30, 40)
 *   p3                  • 35              overlap [35, 35] with p1 and p2
 *   p4                             • 60   touches p2's end: no overlap
 */
import type { TraceEvent } from '../sim/trace.ts';
import type { LeaseId } from '../store/messages.ts';
import type { LockEvent, ProcessName } from './history.ts';
import type { HistoryProblem } from './verdict.ts';
import { timeOrder } from './verdict.ts';

// ---------------------------------------------------------------- the instant rule

/** A stretch of virtual time; `toMs` may be `Infinity` (still held). */
export interface BeliefSpan {
  fromMs: number;
  toMs: number;
}

/** The instants two beliefs share, or undefined (see the file comment for the rule). */
export function beliefOverlap(a: BeliefSpan, b: BeliefSpan): { fromMs: number; toMs: number } | undefined {
  const aPoint = a.fromMs === a.toMs;
  const bPoint = b.fromMs === b.toMs;
  if (aPoint && bPoint) return undefined;
  if (aPoint) return b.fromMs < a.fromMs && a.fromMs < b.toMs ? { fromMs: a.fromMs, toMs: a.fromMs } : undefined;
  if (bPoint) return a.fromMs < b.fromMs && b.fromMs < a.toMs ? { fromMs: b.fromMs, toMs: b.fromMs } : undefined;
  const fromMs = Math.max(a.fromMs, b.fromMs);
  const toMs = Math.min(a.toMs, b.toMs);
  return fromMs < toMs ? { fromMs, toMs } : undefined;
}

// ---------------------------------------------------------------- beliefs from a trace

/** How a belief read from a trace ended; `held` when it still stood at the end of the run. */
export type LockBeliefEnd = 'released' | 'lost' | 'crashed' | 'exited' | 'held';

/** A process's belief that it holds a lock, from acquire to release or loss, as the trace shows it. */
export interface LockBelief {
  process: string;
  incarnation: number;
  lockName: string;
  key: string;
  leaseId: LeaseId;
  fencingToken: number;
  fromMs: number;
  /** Undefined when still believed at the end of the run. */
  untilMs: number | undefined;
  end: LockBeliefEnd;
}

/** What one trace event did to the beliefs. */
export interface BeliefChange {
  /** The belief the event opened (a `lock-acquired`). */
  opened: LockBelief | undefined;
  /** Beliefs the event closed, in the order they were held. */
  closed: LockBelief[];
}

const noChange: BeliefChange = Object.freeze({ opened: undefined, closed: Object.freeze([]) as unknown as LockBelief[] });

/**
 * Follows beliefs event by event: `apply` each trace event in order; the
 * holders of a lock at any point are `holders(lockName)`, in the order they
 * came to believe.
 */
export class LockBeliefTracker {
  /** Every belief seen, in the order they began. */
  readonly beliefs: LockBelief[] = [];
  /** Beliefs now held, by lock, in the order the locks were first acquired. */
  private readonly open = new Map<string, LockBelief[]>();

  /** The beliefs now held on `lockName`. */
  holders(lockName: string): readonly LockBelief[] {
    return this.open.get(lockName) ?? [];
  }

  /** Apply one trace event (events must come in trace order). */
  apply(event: TraceEvent): BeliefChange {
    if (event.kind === 'client') {
      const e = event.event;
      if (e.kind === 'lock-acquired') {
        const closed = this.close(
          event.atMs,
          'released',
          (belief) => belief.lockName === e.lockName && belief.process === event.process && belief.incarnation === event.incarnation,
        );
        const belief: LockBelief = {
          process: event.process,
          incarnation: event.incarnation,
          lockName: e.lockName,
          key: e.key,
          leaseId: e.leaseId,
          fencingToken: e.fencingToken,
          fromMs: event.atMs,
          untilMs: undefined,
          end: 'held',
        };
        this.beliefs.push(belief);
        let holders = this.open.get(e.lockName);
        if (holders === undefined) this.open.set(e.lockName, (holders = []));
        holders.push(belief);
        return { opened: belief, closed };
      }
      if (e.kind === 'lock-released' || e.kind === 'lock-lost') {
        const closed = this.close(
          event.atMs,
          e.kind === 'lock-released' ? 'released' : 'lost',
          (belief) => belief.lockName === e.lockName && belief.process === event.process && belief.incarnation === event.incarnation,
        );
        return closed.length === 0 ? noChange : { opened: undefined, closed };
      }
      return noChange;
    }
    if (event.kind === 'process-exited') {
      const closed = this.close(event.atMs, 'exited', (belief) => belief.process === event.process && belief.incarnation === event.incarnation);
      return closed.length === 0 ? noChange : { opened: undefined, closed };
    }
    if (event.kind === 'fault' && event.fault.kind === 'crash') {
      const name = event.fault.process;
      const closed = this.close(event.atMs, 'crashed', (belief) => belief.process === name);
      return closed.length === 0 ? noChange : { opened: undefined, closed };
    }
    return noChange;
  }

  private close(atMs: number, end: LockBeliefEnd, matches: (belief: LockBelief) => boolean): LockBelief[] {
    const closed: LockBelief[] = [];
    for (const [lockName, holders] of this.open) {
      if (!holders.some(matches)) continue;
      const kept: LockBelief[] = [];
      for (const belief of holders) {
        if (!matches(belief)) {
          kept.push(belief);
          continue;
        }
        belief.untilMs = atMs;
        belief.end = end;
        closed.push(belief);
      }
      this.open.set(lockName, kept);
    }
    return closed;
  }
}

/** Every lock belief in the trace, in the order they began. */
export function lockBeliefs(events: readonly TraceEvent[]): LockBelief[] {
  const tracker = new LockBeliefTracker();
  for (const event of events) tracker.apply(event);
  return tracker.beliefs;
}

/** A stretch of time in which two or more processes believed they held the same lock. */
export interface BeliefOverlap {
  lockName: string;
  fromMs: number;
  /** Undefined when the overlap lasted to the end of the run. */
  untilMs: number | undefined;
  holders: LockBelief[];
}

/**
 * Stretches where two or more holders (process and incarnation) believed they
 * held the same lock at once, by the instant rule above; a zero-length belief
 * inside another holder's belief is a stretch of zero length (`fromMs` =
 * `untilMs`) unless a longer stretch already covers it.
 */
export function overlappingBeliefs(beliefs: readonly LockBelief[]): BeliefOverlap[] {
  const overlaps: BeliefOverlap[] = [];
  const holderOf = (belief: LockBelief) => `${belief.process}#${belief.incarnation}`;
  const end = (belief: LockBelief) => belief.untilMs ?? Number.POSITIVE_INFINITY;
  const names = [...new Set(beliefs.map((belief) => belief.lockName))];
  for (const lockName of names) {
    const mine = beliefs.filter((belief) => belief.lockName === lockName);
    const lasting = mine.filter((belief) => end(belief) > belief.fromMs);
    const stretches: BeliefOverlap[] = [];
    // Stretches of positive length: cut time at every start and end, count the holders of each piece.
    const times = [...new Set(lasting.flatMap((belief) => [belief.fromMs, end(belief)]))].sort((a, b) => a - b);
    let current: BeliefOverlap | undefined;
    for (let i = 0; i < times.length - 1; i++) {
      const fromMs = times[i]!;
      const untilMs = times[i + 1]!;
      const holders = lasting.filter((belief) => belief.fromMs <= fromMs && end(belief) >= untilMs);
      if (new Set(holders.map(holderOf)).size >= 2) {
        if (current !== undefined && current.untilMs === fromMs) {
          current.untilMs = untilMs === Number.POSITIVE_INFINITY ? undefined : untilMs;
          for (const holder of holders) if (!current.holders.includes(holder)) current.holders.push(holder);
        } else {
          current = { lockName, fromMs, untilMs: untilMs === Number.POSITIVE_INFINITY ? undefined : untilMs, holders: [...holders] };
          stretches.push(current);
        }
      } else current = undefined;
    }
    // Zero-length beliefs: a point inside another holder's belief.
    for (const point of mine) {
      if (end(point) !== point.fromMs) continue;
      const around = lasting.filter(
        (belief) =>
          holderOf(belief) !== holderOf(point) &&
          beliefOverlap({ fromMs: point.fromMs, toMs: point.fromMs }, { fromMs: belief.fromMs, toMs: end(belief) }) !== undefined,
      );
      if (around.length === 0) continue;
      const covering = stretches.find((stretch) => stretch.fromMs < point.fromMs && point.fromMs < (stretch.untilMs ?? Number.POSITIVE_INFINITY));
      if (covering !== undefined) covering.holders.push(point);
      else stretches.push({ lockName, fromMs: point.fromMs, untilMs: point.fromMs, holders: [...around, point] });
    }
    overlaps.push(...stretches);
  }
  return overlaps.sort((a, b) => a.fromMs - b.fromMs);
}

// ---------------------------------------------------------------- beliefs from lock events

/** How a belief read from lock events ended. */
export type BeliefEnd = 'released' | 'lost' | 'end-of-run';

/** One process's belief that it held a lock, from `fromMs` to `toMs`, read from lock events. */
export interface BeliefInterval {
  lockName: string;
  process: ProcessName;
  /** The token it acquired with; undefined if the `acquired` event had none. */
  fencingToken: number | undefined;
  fromMs: number;
  toMs: number;
  endedBy: BeliefEnd;
}

/**
 * Belief intervals from lock events, by lock, in order of acquisition; one
 * still open at the end of the run lasts until `endMs` (default: the latest
 * event's time).
 *
 * Problems (skipped): an `acquired` while the process already holds that lock
 * (the first belief goes on), a `released` without an `acquired`, a bad time.
 * A `lost` without a belief is ignored silently (a client may learn its lease
 * is gone after it released).
 */
export function beliefIntervals(events: readonly LockEvent[], endMs?: number): { intervals: BeliefInterval[]; problems: HistoryProblem[] } {
  const problems: HistoryProblem[] = [];
  const order = timeOrder(events, (event) => event?.timeMs, problems);
  const lastMs = order.length > 0 ? events[order[order.length - 1]!]!.timeMs : 0;
  const end = endMs ?? lastMs;
  const open = new Map<string, Map<ProcessName, BeliefInterval>>();
  const intervals: BeliefInterval[] = [];
  for (const index of order) {
    const event = events[index]!;
    let holders = open.get(event.lockName);
    if (holders === undefined) open.set(event.lockName, (holders = new Map()));
    const current = holders.get(event.process);
    if (event.kind === 'acquired') {
      if (current !== undefined) {
        problems.push({ index, message: `${String(event.process)} acquired ${event.lockName} again while holding it since ${current.fromMs}` });
        continue;
      }
      const interval: BeliefInterval = {
        lockName: event.lockName,
        process: event.process,
        fencingToken: event.fencingToken,
        fromMs: event.timeMs,
        toMs: Math.max(end, event.timeMs),
        endedBy: 'end-of-run',
      };
      holders.set(event.process, interval);
      intervals.push(interval);
    } else if (event.kind === 'released' || event.kind === 'lost') {
      if (current === undefined) {
        if (event.kind === 'released') problems.push({ index, message: `${String(event.process)} released ${event.lockName} without holding it` });
        continue;
      }
      current.toMs = event.timeMs;
      current.endedBy = event.kind;
      holders.delete(event.process);
    } else {
      problems.push({ index, message: `unknown lock event kind ${String((event as { kind: unknown }).kind)}` });
    }
  }
  return { intervals, problems };
}

/**
 * The checkers' lock events for one lock from a trace, by the tracker's
 * rules: `acquired` when a belief opens, `released` when its holder released
 * it, `lost` when it learned it lost it, exited or crashed. Processes are
 * named without incarnation (a restarted process is the same client coming
 * back).
 */
export function lockEventsOf(change: BeliefChange, lockName: string): LockEvent[] {
  const events: LockEvent[] = [];
  for (const belief of change.closed) {
    if (belief.lockName !== lockName) continue;
    events.push({ timeMs: belief.untilMs!, process: belief.process, kind: belief.end === 'released' ? 'released' : 'lost', lockName });
  }
  const opened = change.opened;
  if (opened !== undefined && opened.lockName === lockName)
    events.push({ timeMs: opened.fromMs, process: opened.process, kind: 'acquired', lockName, fencingToken: opened.fencingToken });
  return events;
}
