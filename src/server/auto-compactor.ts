/**
 * etcd 3.4's auto-compaction (etcdserver/api/v3compactor), on the wall clock
 * as etcd runs it (fast-forwarding leases does not age history):
 *
 * - `--auto-compaction-mode periodic --auto-compaction-retention 1h`: keep
 *   about an hour of history. Every tenth of the period (at most 6 min) the
 *   current revision is noted; once a full period has passed since the last
 *   compaction (after the first one: once min(period, 1 h) has), the oldest
 *   noted revision, about one period old, is compacted.
 * - `--auto-compaction-mode revision --auto-compaction-retention 1000`: every
 *   5 minutes, compact to current revision - 1000 (when that is above 0 and
 *   not what was compacted last).
 *
 * Retention: a bare integer is hours (periodic) or revisions (revision);
 * otherwise a Go duration ("30m", "1h30m", "5s"). 0 turns it off (etcd's default).
 */
import { CompactedError } from '../store/errors.ts';
import type { StoreWrites } from './persistence/data-dir.ts';

export type AutoCompactionMode = 'periodic' | 'revision';

export interface AutoCompaction {
  mode: AutoCompactionMode;
  /** periodic: ms of history kept; revision: revisions kept. 0: off. */
  retention: number;
}

/** How often revision mode looks (v3compactor revInterval). */
export const revisionCompactionIntervalMs = 5 * 60 * 1000;
const hourMs = 60 * 60 * 1000;
const retryDivisor = 10;

const durationUnitsMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: hourMs };

/** Go's time.ParseDuration, in ms. @throws Error for anything else */
export function parseGoDurationMs(text: string): number {
  const match = /^([-+]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/.exec(text);
  if (text === '0') return 0;
  if (match === null) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let totalMs = 0;
  for (const part of text.replace(/^[-+]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    totalMs += Number(part[1]) * durationUnitsMs[part[2]!]!;
  // A Go Duration is an int64 of ns: past about 2,562,047 h, ParseDuration says "invalid duration".
  if (totalMs > (2 ** 63 - 1) / 1e6) throw new Error(`time: invalid duration ${JSON.stringify(text)}`);
  return match[1] === '-' ? -totalMs : totalMs;
}

/** etcd's parseCompactionRetention, for `--auto-compaction-mode` and `--auto-compaction-retention`. */
export function parseAutoCompaction(mode: string, retention: string): AutoCompaction {
  if (mode !== 'periodic' && mode !== 'revision') throw new Error(`unknown auto-compaction-mode ${JSON.stringify(mode)}`);
  if (/^\d+$/.test(retention)) {
    const n = Number(retention);
    return { mode, retention: mode === 'periodic' ? n * hourMs : n };
  }
  let ms: number;
  try {
    ms = parseGoDurationMs(retention);
  } catch (error) {
    throw new Error(`error parsing CompactionRetention: ${(error as Error).message}`);
  }
  if (ms < 0) throw new Error(`--auto-compaction-retention must not be negative, got ${JSON.stringify(retention)}`);
  // etcd reads a duration as nanoseconds in revision mode (int64(time.Duration)): "1h" keeps 3.6e12 revisions.
  return { mode, retention: mode === 'periodic' ? ms : Math.round(ms * 1e6) };
}

export interface AutoCompactorOptions {
  /** @defaultValue revisionCompactionIntervalMs */
  revisionIntervalMs?: number;
  /** Told of each compaction (for a log line). */
  onCompacted?: (revision: number) => void;
  /** A compaction failed for another reason than "already compacted". */
  onError?: (error: unknown) => void;
}

/** Start compacting `writes` per `config`; returns a function that stops it. */
export function startAutoCompactor(
  config: AutoCompaction,
  currentRevision: () => number,
  writes: Pick<StoreWrites, 'compact'>,
  options: AutoCompactorOptions = {},
): () => void {
  if (config.retention <= 0) return () => {};
  const compact = (revision: number): boolean => {
    try {
      writes.compact({ revision, physical: false });
      options.onCompacted?.(revision);
      return true;
    } catch (error) {
      if (error instanceof CompactedError) return true;
      options.onError?.(error);
      return false;
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (ms: number, fn: () => void) => {
    if (stopped) return;
    timer = setTimeout(fn, ms);
    timer.unref();
  };

  if (config.mode === 'revision') {
    const intervalMs = options.revisionIntervalMs ?? revisionCompactionIntervalMs;
    let previous = 0;
    const tick = () => {
      const revision = currentRevision() - config.retention;
      if (revision > 0 && revision !== previous && compact(revision)) previous = revision;
      schedule(intervalMs, tick);
    };
    schedule(intervalMs, tick);
  } else {
    const periodMs = config.retention;
    const retryMs = Math.min(periodMs, hourMs) / retryDivisor;
    const retentions = Math.floor(periodMs / retryMs) + 1;
    const compactIntervalMs = Math.min(periodMs, hourMs);
    const revisions: number[] = [];
    let lastSuccessMs = performance.now();
    let baseIntervalMs = periodMs;
    const note = () => {
      revisions.push(currentRevision());
      if (revisions.length > retentions) revisions.shift(); // revisions[0] is about one period old
      schedule(retryMs, tick);
    };
    const tick = () => {
      if (performance.now() - lastSuccessMs >= baseIntervalMs) {
        baseIntervalMs = compactIntervalMs;
        if (compact(revisions[0]!)) lastSuccessMs = performance.now();
      }
      note();
    };
    note();
  }
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}
