/**
 * One exploration split over n machines: `explore --shard i/n` judges every
 * n-th case (i, i+n, i+2n, … of the cases fast-check draws for the seed) and
 * writes what each showed to a JSON report; `leaselab explore-merge` reads
 * the n reports back in case order, as one search would have judged them, so
 * the verdicts, the first violation (by case index) and its shrinking are
 * those of the unsharded run.
 *
 *   leaselab explore --lock mutex --runs 2000 --shard 1/4 --report shard-1.json   # on four CI jobs
 *   leaselab explore-merge shard-*.json                                           # then one more
 *
 * Cases are dealt round-robin rather than in blocks so every shard sees
 * early cases: a shard stops once its own cases failed every property, which
 * is never before the merged search needs (the first failure of a property
 * overall is no later than in any shard).
 */
import type { CaseFinding } from './pool.ts';

/** Which part of the cases one shard judges: `index` counts from 0 (the flag from 1). */
export interface ShardSpec {
  index: number;
  count: number;
}

/** What one shard judged: up to which case, and each case that showed anything. */
export interface ShardLog {
  /** The last case index it judged (-1 for none); it judged each of its cases up to here. */
  judgedThrough: number;
  /** Cases with findings, in index order (cases without are left out). */
  cases: { index: number; findings: CaseFinding[] }[];
}

export const shardReportFormat = 'leaselab-explore-shard';
export const shardReportVersion = 1;

/** A shard's JSON report: the exploration it belongs to (as explore flags) and its log. */
export interface ShardReport extends ShardLog {
  format: typeof shardReportFormat;
  version: number;
  /** The explore flags without --shard, --report and --workers: every shard of one exploration has the same. */
  argv: string[];
  /** 1-based, as the flag. */
  shard: { index: number; count: number };
}

/** Parse `--shard i/n` (1 ≤ i ≤ n). @throws RangeError with the reason */
export function parseShard(text: string): ShardSpec {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null) throw new RangeError(`--shard must be i/n (such as 1/4), got '${text}'`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1) throw new RangeError(`--shard ${text}: n must be at least 1`);
  if (index < 1 || index > count) throw new RangeError(`--shard ${text}: i must be from 1 to ${count}`);
  return { index: index - 1, count };
}

/** The explore flags that name the exploration: the argv without the flags that only say how or where this part runs. */
export function explorationArgv(argv: readonly string[]): string[] {
  const perShard = new Set(['--shard', '--report', '--workers']);
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (perShard.has(arg)) {
      i++;
      continue;
    }
    if ([...perShard].some((flag) => arg.startsWith(`${flag}=`))) continue;
    kept.push(arg);
  }
  return kept;
}

/** The report a shard writes. */
export function shardReport(argv: readonly string[], shard: ShardSpec, log: ShardLog): ShardReport {
  return {
    format: shardReportFormat,
    version: shardReportVersion,
    argv: explorationArgv(argv),
    shard: { index: shard.index + 1, count: shard.count },
    judgedThrough: log.judgedThrough,
    cases: log.cases,
  };
}

/** Thrown when reports do not make up one exploration; the message says why. */
export class ShardMergeError extends Error {
  override readonly name = 'ShardMergeError';
}

/** Check a parsed JSON value is a shard report. @throws ShardMergeError naming `source` */
export function asShardReport(value: unknown, source: string): ShardReport {
  const report = value as Partial<ShardReport> | null;
  if (typeof report !== 'object' || report === null || report.format !== shardReportFormat)
    throw new ShardMergeError(`${source}: not a leaselab explore shard report`);
  if (report.version !== shardReportVersion)
    throw new ShardMergeError(`${source}: shard report version ${String(report.version)}, this leaselab reads version ${shardReportVersion}`);
  const shard = report.shard;
  if (
    !Array.isArray(report.argv) ||
    typeof shard !== 'object' ||
    shard === null ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count) ||
    typeof report.judgedThrough !== 'number' ||
    !Array.isArray(report.cases)
  )
    throw new ShardMergeError(`${source}: a shard report without argv, shard, judgedThrough or cases`);
  return report as ShardReport;
}

/**
 * The exploration `reports` make up and each case's findings, read in index
 * order. @throws ShardMergeError when shards are missing, repeated, from
 * different explorations, or stopped before a case the merged search needs
 */
export function mergeShardReports(reports: readonly { source: string; report: ShardReport }[]): {
  argv: string[];
  count: number;
  recorded: (index: number) => readonly CaseFinding[];
} {
  if (reports.length === 0) throw new ShardMergeError('no shard reports to merge');
  const [first] = reports;
  const count = first!.report.shard.count;
  const argvText = JSON.stringify(first!.report.argv);
  const byShard = new Map<number, { source: string; report: ShardReport }>();
  for (const entry of reports) {
    const { shard } = entry.report;
    if (shard.count !== count) throw new ShardMergeError(`${entry.source} is shard ${shard.index}/${shard.count}, ${first!.source} is of ${count} shards`);
    if (JSON.stringify(entry.report.argv) !== argvText)
      throw new ShardMergeError(
        `${entry.source} is from another exploration: ${entry.report.argv.join(' ')} (${first!.source}: ${first!.report.argv.join(' ')})`,
      );
    const again = byShard.get(shard.index);
    if (again !== undefined) throw new ShardMergeError(`shard ${shard.index}/${count} twice: ${again.source} and ${entry.source}`);
    byShard.set(shard.index, entry);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !byShard.has(index));
  if (missing.length > 0) throw new ShardMergeError(`missing shard(s) ${missing.map((index) => `${index}/${count}`).join(', ')}`);
  const findings = new Map<number, CaseFinding[]>();
  for (const { report } of byShard.values()) for (const entry of report.cases) findings.set(entry.index, entry.findings);
  return {
    argv: [...first!.report.argv],
    count,
    recorded(index) {
      const { source, report } = byShard.get((index % count) + 1)!;
      if (index > report.judgedThrough)
        throw new ShardMergeError(
          `${source} (shard ${report.shard.index}/${count}) stopped after case ${report.judgedThrough + 1}, before case ${index + 1} that the merged search needs; were the shards run by the same leaselab?`,
        );
      return findings.get(index) ?? [];
    },
  };
}
