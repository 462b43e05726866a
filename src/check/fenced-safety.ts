/**
 * Fenced safety: the resource a lock guards never accepts a stale holder's
 * write. Belief is not safety (docs/design.md): two clients may both believe they
 * hold the lock; what matters is which writes the resource took.
 *
 * Who judges "stale" depends on the resource's mode:
 *
 * - `fenced`: the resource checks tokens; it must accept a write only with a
 *   token at least as high as any it has accepted. A stale write is one whose
 *   token is below one already accepted, and nothing else can be asked of the
 *   resource: a holder whose lease expired but whose successor has not
 *   written yet still writes safely, after its predecessors and before its
 *   successor.
 *
 *     accepted p1 token 5 @10, accepted p2 token 6 @20, accepted p1 token 5 @30
 *     → token-regression @30: p1's 5 after p2's 6 (accepted @20)
 *
 * - `unfenced`: the resource takes every write; only the lock protects it. A
 *   stale write is an accepted write from a process that, at that instant,
 *   was not the holder according to the server (the holder intervals: when
 *   the lock key of that process was the owner on the server). Token
 *   regressions are reported too, when writes carry tokens: they show the
 *   interleaving of two holders' critical sections.
 *
 *     holders p1 [0, 25) token 5, p2 [25, ∞) token 6
 *     accepted p1 @30 → stale-write: p1 wrote @30, the holder was p2 (token 6) since 25
 *
 * A write whose token is undefined is taken as presenting no token: in
 * fenced mode its acceptance is a `token-regression` against any accepted
 * token (it bypassed the fence).
 */
import type { FencedWrite, HolderInterval, ProcessName } from './history.ts';
import type { HistoryProblem, PropertyVerdict } from './verdict.ts';
import { propertyVerdict, timeOrder } from './verdict.ts';

/** Whether the resource checks fencing tokens. */
export type FencingMode = 'fenced' | 'unfenced';

/** A write, with its index in the input. */
export interface IndexedWrite extends FencedWrite {
  index: number;
}

/** A safety violation of the fenced resource. */
export type FencedSafetyViolation =
  | {
      /** An accepted write whose token is below one accepted before it. */
      kind: 'token-regression';
      write: IndexedWrite;
      /** The earlier accepted write with the highest token. */
      overtaken: IndexedWrite;
    }
  | {
      /** Unfenced mode: an accepted write from a process that was not the server's holder then. */
      kind: 'stale-write';
      write: IndexedWrite;
      /** The holder per the server at that instant, if there was one. */
      holder: HolderInterval | undefined;
      /** The writer's last holder interval that ended at or before the write, if any. */
      writerLastHeld: HolderInterval | undefined;
    };

/** Input of {@link checkFencedSafety}. */
export interface FencedHistory {
  /** The resource's record of write attempts, in any order (ties keep input order). */
  writes: readonly FencedWrite[];
  /** @defaultValue 'fenced' */
  mode?: FencingMode;
  /** Server-side truth, needed for `stale-write` in unfenced mode: who held the lock when. */
  holders?: readonly HolderInterval[];
}

/** Options of {@link checkFencedSafety}. */
export interface FencedSafetyOptions {
  /** Stop collecting after this many violations. @defaultValue 1000 */
  violationsMax?: number;
}

function holds(interval: HolderInterval, timeMs: number): boolean {
  return interval.fromMs <= timeMs && timeMs < (interval.toMs ?? Infinity);
}

/**
 * Did the fenced resource accept a stale write?
 *
 * @param history - writes, mode and (for unfenced mode) the server's holder intervals.
 * @param options - cap on violations.
 * @returns `violated` with `token-regression` and `stale-write` violations (write, process, time, tokens,
 *   the holder it should have been). A fenced-mode rejection of a write that was not stale is listed in
 *   `problems` (a resource bug, not a safety violation).
 */
export function checkFencedSafety(history: FencedHistory, options: FencedSafetyOptions = {}): PropertyVerdict<FencedSafetyViolation> {
  const problems: HistoryProblem[] = [];
  const violations: FencedSafetyViolation[] = [];
  const violationsMax = options.violationsMax ?? 1000;
  const mode = history.mode ?? 'fenced';
  const holders = [...(history.holders ?? [])].sort((a, b) => a.fromMs - b.fromMs);
  const order = timeOrder(history.writes, (write) => write?.timeMs, problems);
  let highest: IndexedWrite | undefined;
  for (const index of order) {
    const write: IndexedWrite = { ...history.writes[index]!, index };
    const token = write.fencingToken;
    const belowHighest = highest !== undefined && (token === undefined || (highest.fencingToken !== undefined && token < highest.fencingToken));
    if (!write.accepted) {
      if (mode === 'fenced' && !belowHighest && token !== undefined) {
        problems.push({ index, message: `fenced resource rejected ${String(write.process)}'s token ${token}, not below any accepted` });
      }
      continue;
    }
    if (belowHighest && (mode === 'fenced' || token !== undefined)) {
      if (violations.length < violationsMax) violations.push({ kind: 'token-regression', write, overtaken: highest! });
    }
    if (mode === 'unfenced' && history.holders !== undefined) {
      const writerHolds = holders.some((interval) => interval.process === write.process && holds(interval, write.timeMs));
      if (!writerHolds && violations.length < violationsMax) {
        violations.push({
          kind: 'stale-write',
          write,
          holder: holders.find((interval) => holds(interval, write.timeMs)),
          writerLastHeld: lastHeld(holders, write.process, write.timeMs),
        });
      }
    }
    if (token !== undefined && (highest === undefined || highest.fencingToken === undefined || token >= highest.fencingToken)) highest = write;
    else if (highest === undefined) highest = write;
  }
  return propertyVerdict(violations, problems);
}

function lastHeld(holders: readonly HolderInterval[], process: ProcessName, timeMs: number): HolderInterval | undefined {
  let found: HolderInterval | undefined;
  for (const interval of holders) {
    if (interval.process === process && interval.toMs !== undefined && interval.toMs <= timeMs) found = interval;
  }
  return found;
}
