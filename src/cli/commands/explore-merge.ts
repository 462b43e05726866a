/**
 * `leaselab explore-merge <reports…>`: the verdicts of an exploration run as
 * `explore --shard i/n` on n machines. It reads the n shard reports in case
 * order (src/explore/shard.ts), shrinks and reports each failure, and prints
 * what the unsharded `explore` prints, with its exit code (1 when a property
 * is violated or cannot be judged, 0 otherwise, 2 on bad input).
 *
 *   $ leaselab explore-merge shard-1.json shard-2.json
 *   explore naive-lock: belief, fenced, liveness, crash; …; up to 1000 runs, seed 1
 *   23 run(s), 41 shrink run(s)
 *   …
 */
import { readFileSync } from 'node:fs';
import { asShardReport, mergeShardReports, ShardMergeError, type ShardReport } from '../../explore/shard.ts';
import { parseExploreArgs, reportSearch, searchHeader, searchProperties, UsageError, type CommandIo } from './explore.ts';

const usage = `usage: leaselab explore-merge <report.json> …

Merges the reports of \`leaselab explore … --shard i/n --report <file>\` (one per
shard, all n of one exploration) and prints what the unsharded explore prints:
the per-property verdicts, the first violation by case index, shrunk, with its
replay line. Exit 1 when a property is violated or cannot be judged, 0
otherwise, 2 when the reports are missing, repeated or of different explorations.
`;

const defaultIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

export async function run(args: string[], io: CommandIo = defaultIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(usage);
    return 0;
  }
  try {
    if (args.length === 0) throw new ShardMergeError('name the shard reports to merge');
    const reports: { source: string; report: ShardReport }[] = [];
    for (const source of args) {
      let text: string;
      try {
        text = readFileSync(source, 'utf8');
      } catch (error) {
        throw new ShardMergeError(`cannot read ${source}: ${(error as Error).message}`);
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new ShardMergeError(`${source}: not JSON`);
      }
      reports.push({ source, report: asShardReport(value, source) });
    }
    const merged = mergeShardReports(reports);
    const explore = await parseExploreArgs(merged.argv);
    if (explore === 'help') throw new ShardMergeError('the reports carry no exploration');
    io.stdout.write(searchHeader(explore));
    const result = await searchProperties(explore, { recorded: merged.recorded });
    return await reportSearch(explore, result, io);
  } catch (error) {
    if (!(error instanceof ShardMergeError) && !(error instanceof UsageError)) throw error;
    io.stderr.write(`leaselab explore-merge: ${error.message}\n\n${usage}`);
    return 2;
  }
}
