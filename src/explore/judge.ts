/**
 * The explorer's verdict on one run: which of the three lock properties
 * (DESIGN.md, "What the property tests must show") the run broke, and where.
 *
 *   belief    no two clients believe they hold the lock at once
 *   fenced    the resource never accepts a stale holder's write
 *             (a write whose token is below one it had already accepted)
 *   liveness  once faults stop, a free lock that someone wants is acquired
 *             within TTL + slack
 *
 *   judgeRun(run, ['belief']) → [{ property: 'belief', atMs: 23_004, processes: ['alice', 'bob'],
 *                                  message: 'bob acquired (token 12) while alice believed it held (token 7)' }]
 *
 * These are small sweeps over the history the workload recorded
 * (src/explore/history.ts); src/check's checkers take the same inputs.
 */
import type { ExploreHistory } from './history.ts';

export type LockProperty = 'belief' | 'fenced' | 'liveness';
export const lockProperties: readonly LockProperty[] = ['belief', 'fenced', 'liveness'];

export interface Violation {
  property: LockProperty;
  /** Virtual time of the violating event. */
  atMs: number;
  /** The processes involved. */
  processes: string[];
  message: string;
}

export interface JudgeOptions {
  ttlSeconds: number;
  /** The run's virtual length. */
  durationMs: number;
  /** Liveness is judged from here on (after the last fault). */
  quietFromMs: number;
  /** Slack over the TTL for liveness. @defaultValue 5_000 */
  livenessSlackMs?: number;
}

/** Mutual exclusion of belief: the first moment two processes believe they hold the lock. */
export function judgeBelief(history: ExploreHistory): Violation[] {
  const holders = new Map<string, number | undefined>();
  const violations: Violation[] = [];
  for (const event of history.lockEvents) {
    const process = String(event.process);
    if (event.kind === 'acquired') {
      for (const [other, token] of holders) {
        if (other === process) continue;
        violations.push({
          property: 'belief',
          atMs: event.timeMs,
          processes: [other, process],
          message: `${process} acquired the lock (token ${event.fencingToken ?? '?'}) while ${other} believed it held it (token ${token ?? '?'})`,
        });
      }
      holders.set(process, event.fencingToken);
    } else holders.delete(process);
  }
  return violations;
}

/** Fenced safety: every write the resource accepted although it had already accepted a higher token. */
export function judgeFenced(history: ExploreHistory): Violation[] {
  const violations: Violation[] = [];
  let highest = 0;
  let highestBy = '';
  for (const write of history.writes) {
    const token = write.fencingToken ?? 0;
    if (write.accepted && token < highest)
      violations.push({
        property: 'fenced',
        atMs: write.timeMs,
        processes: [write.process, highestBy],
        message: `the resource accepted a stale write by ${write.process} (token ${token}) after accepting token ${highest} from ${highestBy}`,
      });
    if (write.accepted && token >= highest) {
      highest = token;
      highestBy = write.process;
    }
  }
  return violations;
}

/**
 * Liveness: after `quietFromMs`, whenever someone waits for the lock and no
 * one believes it holds it, someone acquires it within TTL + slack (the TTL
 * covers a crashed holder's lease running out).
 */
export function judgeLiveness(history: ExploreHistory, options: JudgeOptions): Violation[] {
  const boundMs = options.ttlSeconds * 1000 + (options.livenessSlackMs ?? 5_000);
  type Change = { atMs: number; delta: 'wait+' | 'wait-' | 'hold+' | 'hold-' };
  const changes: Change[] = [];
  for (const wait of history.waits) {
    changes.push({ atMs: wait.timeMs, delta: 'wait+' });
    if (wait.abandonedMs !== undefined) changes.push({ atMs: wait.abandonedMs, delta: 'wait-' });
  }
  for (const event of history.lockEvents) {
    if (event.kind === 'acquired') changes.push({ atMs: event.timeMs, delta: 'wait-' }, { atMs: event.timeMs, delta: 'hold+' });
    else changes.push({ atMs: event.timeMs, delta: 'hold-' });
  }
  changes.sort((a, b) => a.atMs - b.atMs);
  let waiting = 0;
  let holding = 0;
  /** Since when the lock has been free and wanted (undefined: it is not). */
  let starvedSinceMs: number | undefined;
  const check = (nowMs: number): Violation | undefined => {
    if (starvedSinceMs === undefined) return undefined;
    const fromMs = Math.max(starvedSinceMs, options.quietFromMs);
    if (nowMs - fromMs <= boundMs) return undefined;
    return {
      property: 'liveness',
      atMs: fromMs + boundMs,
      processes: [],
      message: `the lock was free with ${waiting} client(s) waiting from ${(fromMs / 1000).toFixed(3)}s for more than ${boundMs} ms (TTL + slack) after faults stopped`,
    };
  };
  let i = 0;
  while (i < changes.length) {
    const atMs = changes[i]!.atMs;
    const late = check(atMs);
    if (late !== undefined) return [late];
    for (; i < changes.length && changes[i]!.atMs === atMs; i++) {
      const delta = changes[i]!.delta;
      if (delta === 'wait+') waiting++;
      else if (delta === 'wait-') waiting = Math.max(0, waiting - 1);
      else if (delta === 'hold+') holding++;
      else holding = Math.max(0, holding - 1);
    }
    const starved = waiting > 0 && holding === 0;
    if (!starved) starvedSinceMs = undefined;
    else if (starvedSinceMs === undefined) starvedSinceMs = atMs;
  }
  const late = check(options.durationMs);
  return late === undefined ? [] : [late];
}

/** Every violation of the given properties, earliest first. */
export function judgeRun(history: ExploreHistory, properties: readonly LockProperty[], options: JudgeOptions): Violation[] {
  const violations: Violation[] = [];
  if (properties.includes('belief')) violations.push(...judgeBelief(history));
  if (properties.includes('fenced')) violations.push(...judgeFenced(history));
  if (properties.includes('liveness')) violations.push(...judgeLiveness(history, options));
  return violations.sort((a, b) => a.atMs - b.atMs);
}
