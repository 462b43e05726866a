/**
 * `leaselab replay`: rerun one explored case and print its verdict, fault
 * schedule, timeline excerpt and replay line: byte for byte what `explore`
 * printed for it.
 *
 *   npx leaselab replay --lock mutex --schedule eyJ…          the case itself (base64url JSON)
 *   npx leaselab replay --lock mutex --seed 1 --path "0:2:1"  fast-check's seed and path, with explore's options
 *
 * Exit 1 when the case breaks a property, 0 when it does not, 2 on a usage error.
 */
import fc from 'fast-check';
import { decodeReplayCase, lockSafety, replayCaseOf, type ExploreCase, type ReplayCase } from '../../explore/property.ts';
import {
  lockHelp,
  parseExploreArgs,
  renderCase,
  safetyOptions,
  terminalOutput,
  UsageError,
  workloadHelp,
  type CommandIo,
  type ExploreArgs,
} from './explore.ts';

const usage = `usage: leaselab replay --lock <lock> (--schedule <encoded> | --seed <n> --path <path> [explore's options])

Reruns one case found by \`leaselab explore\` and prints the same report.

${lockHelp}
  --schedule <text>   the case as explore printed it (base64url JSON: seed, workload, faults, properties)
  --seed <n>          with --path: fast-check's seed and path as explore printed them; give the same
  --path <path>       --clients, --ttl, --faults and --property as the explore run
${workloadHelp}
  --verbose           print the whole timeline, not just an excerpt
  --html <file>       also write the case as a timeline page (self-contained HTML)
  --ascii             ASCII instead of icons (also when the terminal cannot show them)
`;

async function caseOf(args: ExploreArgs): Promise<ReplayCase | undefined> {
  if (args.schedule !== undefined) {
    try {
      return decodeReplayCase(args.schedule);
    } catch (error) {
      throw new UsageError(`--schedule: ${(error as Error).message}`);
    }
  }
  if (args.path === undefined) throw new UsageError('give --schedule, or --seed and --path');
  const options = safetyOptions(args);
  const result = await fc.check(lockSafety(args.algorithm, options), { seed: args.seed, path: args.path, endOnFailure: true });
  if (!result.failed || result.counterexample === null) return undefined;
  return replayCaseOf((result.counterexample as [ExploreCase])[0], options);
}

export async function run(args: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed: ExploreArgs | 'help';
  let replay: ReplayCase | undefined;
  try {
    parsed = await parseExploreArgs(args);
    if (parsed === 'help') {
      io.stdout.write(usage);
      return 0;
    }
    replay = await caseOf(parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`leaselab replay: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (replay === undefined) {
    io.stdout.write(`the case at seed ${parsed.seed} path ${parsed.path} breaks no property\n`);
    return 0;
  }
  // Fitted to a terminal as explore's report is (the same text elsewhere).
  const out = terminalOutput(io, parsed, () => undefined);
  const { text, violated } = await renderCase(parsed, replay);
  out(text);
  return violated ? 1 : 0;
}
