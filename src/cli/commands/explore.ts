/**
 * `leaselab explore`: search fault schedules for one that breaks a lock, shrink
 * it, and print it with the timeline around the violation and a replay line.
 *
 *   $ npx leaselab explore --lock mutex
 *   explore etcd-mutex: belief, fenced, liveness, crash; 5 clients, ttl 5s; faults …; up to 1000 runs, seed 1
 *   property  verdict     runs to find  faults  note
 *   belief    limitation  1             4       199 run(s), each explained by a fault longer than the lease (exit 0)
 *   fenced    violated    1             1       bug (exit 1), faults shrunk 16 time(s)
 *   …
 *   ── fenced: violated ──
 *   fenced violated at 9.112s: the resource accepted a stale write by alice (no token, from its key … put at rev 5) after …
 *   schedule (2 fault event(s)): …
 *   the lock key on the server (each revision, what applied it, when it was sent): …
 *   timeline around the violation: …
 *   replay: npx leaselab replay --lock mutex --schedule eyJ…
 *   or:     npx leaselab replay --lock mutex --property fenced --seed 1 --path "0:2:1"
 *
 * Every property gets its own verdict (src/explore/verdicts.ts): a table,
 * then each failing property's shrunk case. Progress (runs, failed
 * properties, elapsed) goes to stderr: a bar on a terminal, a plain line now
 * and then otherwise. stdout is deterministic. Exit 1 when a property is
 * violated or cannot be judged, 0 otherwise (limitations included), 2 on a
 * usage error.
 */
import { parseArgs } from 'node:util';
import { builtinLockAlgorithms, etcdMutex, etcdMutexFenced, naiveLock, type LockAlgorithm } from '../../client/lock-algorithm.ts';
import {
  defaultFaultKinds,
  faultKinds,
  memberFaultKinds,
  parseFaultKinds,
  parseFaultLinks,
  type FaultLink,
  type FaultPlanKind,
} from '../../explore/arbitraries.ts';
import { describeExhaustiveResult, exploreExhaustive } from '../../explore/exhaustive.ts';
import { guidedSearch } from '../../explore/guided.ts';
import { simplifyCase } from '../../explore/simplify.ts';
import { failing, lockProperties, type LockProperty } from '../../explore/judge.ts';
import { defaultWorkerCount } from '../../explore/pool.ts';
import { defaultProperties, renderJudgedRun, replayCaseOf, runReplayCase, type LockSafetyOptions, type ReplayCase } from '../../explore/property.ts';
import { compareReplay } from '../../explore/replay-check.ts';
import { parseShard, shardReport, type ShardSpec } from '../../explore/shard.ts';
import { exploreProperties, renderOutcomeTable, type ExploreResult } from '../../explore/verdicts.ts';
import type { LockRun } from '../../explore/workload.ts';
import { renderTextTimeline } from '../../report/text-timeline.ts';
import { terminalShowsIcons, toAscii, wrapLine } from '../../report/terminal-text.ts';
import { explainedExcerpt } from '../explore-excerpt.ts';
import { ProgressLine } from '../progress-line.ts';
import { importUserModule } from '../user-module.ts';
import { writeFileSync } from 'node:fs';
import { writeCaseHtml } from './case-html.ts';

export interface CommandIo {
  stdout: { write(text: string): void; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): void; isTTY?: boolean; columns?: number };
}

const defaultIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

export const lockHelp = `  --lock <lock>       naive | mutex | mutex-fenced, or the path of a module (.ts or .js) whose
                      default export (or export named \`lock\`) is a LockAlgorithm:

                        import type { LockAlgorithm } from 'leaselab';
                        export const lock: LockAlgorithm = {
                          name: 'my-lock',
                          // client: a leaselab etcd Client (get, put, txn, grant, keepAlive, watch, …)
                          // context: sleep(ms), random(), now(), log(…): use them, not the globals
                          create(client, { lockName, ttlSeconds }, context) {
                            return {
                              async acquire() { …; return { fencingToken };  }, // or {} if it does not fence
                                                                                // (add key: '…' if the key it holds is not
                                                                                // the lock name or under name/)
                              async release() { … },
                              lost: new Promise(() => {}),  // resolves when the holder learns it lost the lock
                            };
                          },
                        };

                      Report beliefs with client.report({ kind: 'lock-acquired' | 'lock-released' | 'lock-lost', … })
                      (see src/client/lock-algorithm.ts); if your lock reports none, the runner reports
                      acquired/released around acquire() and release() for it.`;

export const workloadHelp = `  --clients <n>       contending clients (default 5)
  --ttl <seconds>     the lease TTL behind the lock (default 5)
  --faults <kinds>    comma list of ${faultKinds.join(', ')}
                      (aliases: restart = serverRestart, slow = slowApply; all) (default: all but loss)
  --property <list>   comma list of ${lockProperties.join(', ')} (default: all; crash is always judged)
  --critical-section <ms>  how long a holder works: <max> or <min>-<max> local ms (default 200-2000)
  --duration <s>      virtual length of each run (default 60; faults stop --quiet seconds before the end)
  --quiet <s>         the fault-free tail in which liveness is judged (default 20)
  --links <list>      links faults may cut: server, storage or all (default all)
  --aimed <share>     share of faults aimed at a role (next holder, a waiter, next caller), 0-1 (default 0.5)
  --members <n>       run against a simulated etcd cluster of n members (default 1: one etcd); the faults then
                      also cut a member off from the others (memberIsolate) and crash members (memberCrash),
                      and restart is a leader change`;

const usage = `usage: leaselab explore --lock <lock> [options]

Runs the lock workload (clients acquire, write to a storage resource, release)
under generated fault schedules and judges every run for every property
against the server's record of who owned the lock. Prints one verdict per
property (ok, limitation, violated, unknown), then each failure shrunk, with
the lock key's server history, the timeline and a replay line. Exit 1 when a
property is violated or cannot be judged, 0 otherwise (a known limitation of
lease locks, such as a pause longer than the lease, is reported and exits 0).

${lockHelp}
${workloadHelp}
  --runs <n>          schedules to try (default 1000)
  --seed <n>          fast-check's seed (default 1; never drawn from entropy); with --exhaustive the simulator's
  --max-faults <n>    at most this many faults per schedule (default 4; with --exhaustive 1 or 2, default 2)
  --keep-going        run every schedule even after a violation, count them, then report the first (shrunk)
  --exhaustive        small scope, every case: each single aimed fault over a time grid, then each pair, for
                      --clients (default 2) on a 20 s run; ends with the first counterexample or
                      "no counterexample with ≤ k faults in this scope (N schedules)"
  --grid <ms>         with --exhaustive: the arm-time grid step (default 2000; pairs use twice it)
  --coverage          coverage-guided search: schedules that reach rare lock states (a waiter's key expiring,
                      a write with an unknown outcome, a lost answer to a delete) are kept and varied
  --workers <n>       worker threads running cases (default: one per core); the result is the
                      same for any number (the first failing case by index, then shrunk)
  --shard <i>/<n>     judge only the i-th of n parts of the cases (for n parallel CI jobs) and write what
                      they showed to --report <file> (default explore-shard-<i>-of-<n>.json); then
                      \`leaselab explore-merge <reports…>\` prints what one unsharded run prints
  --verbose           print the whole timeline of the failing run, not just an excerpt
  --html <file>       also write the failing run as a timeline page (self-contained HTML)
  --ascii             ASCII instead of icons (also when the terminal cannot show them: TERM=dumb, a non-UTF-8
                      locale, LEASELAB_ASCII=1); on a terminal the report wraps to its width
`;

export interface ExploreArgs {
  lock: string;
  algorithm: LockAlgorithm;
  clients: number;
  ttlSeconds: number;
  faults: FaultPlanKind[];
  properties: LockProperty[];
  seed: number;
  runs: number;
  path: string | undefined;
  schedule: string | undefined;
  verbose: boolean;
  /** Set only when given, so the defaults stay those of the workload and the plan. */
  criticalSectionMs?: { min: number; max: number };
  durationMs?: number;
  quietMs?: number;
  links?: FaultLink[];
  aimedShare?: number;
  maxFaults?: number;
  keepGoing: boolean;
  exhaustive: boolean;
  /** Set only when given: an etcd cluster of this many members. */
  members?: number;
  gridMs?: number;
  /** Whether --clients was given (--exhaustive defaults to 2). */
  clientsGiven: boolean;
  coverage: boolean;
  /** --html FILE: write the case as a timeline page. */
  html?: string | undefined;
  /** Worker threads for the search (explore only). */
  workers: number;
  /** --ascii: no icons in the report. */
  ascii?: boolean;
  /** Wrap the report's timeline to this many columns (a terminal's width). */
  width?: number;
  /** --shard i/n: judge one part of the cases (explore only; src/explore/shard.ts). */
  shard?: ShardSpec;
  /** --report FILE: where a shard writes its report. */
  report?: string;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const builtins: Record<string, LockAlgorithm> = { naive: naiveLock, mutex: etcdMutex, 'mutex-fenced': etcdMutexFenced };
for (const algorithm of builtinLockAlgorithms) builtins[algorithm.name] = algorithm;

function isLockAlgorithm(value: unknown): value is LockAlgorithm {
  return (
    typeof value === 'object' && value !== null && typeof (value as LockAlgorithm).create === 'function' && typeof (value as LockAlgorithm).name === 'string'
  );
}

/** A built-in by name, or a module's default export or `lock` export. @throws UsageError */
export async function loadLockAlgorithm(lock: string): Promise<LockAlgorithm> {
  const builtin = builtins[lock];
  if (builtin !== undefined) return builtin;
  let module: Record<string, unknown>;
  try {
    module = await importUserModule(lock);
  } catch (error) {
    throw new UsageError(`--lock ${lock}: not a built-in (naive, mutex, mutex-fenced) and cannot load it as a module: ${(error as Error).message}`);
  }
  const candidate = isLockAlgorithm(module.default) ? module.default : module.lock;
  if (!isLockAlgorithm(candidate))
    throw new UsageError(`--lock ${lock}: the module exports no LockAlgorithm (a default export or \`lock\` with name and create())`);
  return candidate;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  return number;
}

/** --faults: the kinds to draw from (default: the defaults for a one-member or a cluster run). @throws UsageError */
function parseFaultsArg(faultsFlag: string | undefined, members: number): FaultPlanKind[] {
  let faults: FaultPlanKind[];
  try {
    faults = faultsFlag === undefined ? defaultKindsFor(members) : parseFaultKinds(faultsFlag);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  if (faults.length === 0) throw new UsageError('--faults: name at least one kind');
  return faults;
}

/** --shard i/n and --report FILE: one part of the default search and where it writes its report. @throws UsageError */
function parseShardArgs(shardFlag: string | undefined, reportFlag: string | undefined, otherSearch: boolean): { shard?: ShardSpec; report?: string } {
  if (shardFlag === undefined) {
    if (reportFlag !== undefined) throw new UsageError('--report is where a shard writes its report: give --shard i/n too');
    return {};
  }
  let shard: ShardSpec;
  try {
    shard = parseShard(shardFlag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (otherSearch) throw new UsageError('--shard splits the default search; not with --exhaustive or --coverage');
  return { shard, report: reportFlag ?? `explore-shard-${shard.index + 1}-of-${shard.count}.json` };
}

/** The flags explore and replay take. */
const exploreFlags = {
  lock: { type: 'string' },
  clients: { type: 'string' },
  ttl: { type: 'string' },
  runs: { type: 'string' },
  seed: { type: 'string' },
  faults: { type: 'string' },
  property: { type: 'string' },
  path: { type: 'string' },
  schedule: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  'critical-section': { type: 'string' },
  duration: { type: 'string' },
  quiet: { type: 'string' },
  links: { type: 'string' },
  aimed: { type: 'string' },
  'max-faults': { type: 'string' },
  'keep-going': { type: 'boolean', default: false },
  exhaustive: { type: 'boolean', default: false },
  coverage: { type: 'boolean', default: false },
  grid: { type: 'string' },
  html: { type: 'string' },
  workers: { type: 'string' },
  ascii: { type: 'boolean', default: false },
  members: { type: 'string' },
  shard: { type: 'string' },
  report: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** --property: the properties to judge (default: the default ones). @throws UsageError */
function parsePropertiesArg(propertyFlag: string | undefined): LockProperty[] {
  const properties =
    propertyFlag === undefined
      ? [...defaultProperties]
      : propertyFlag
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== '');
  for (const property of properties)
    if (!lockProperties.includes(property as LockProperty)) throw new UsageError(`--property: unknown '${property}' (known: ${lockProperties.join(', ')})`);
  return properties as LockProperty[];
}

/** Parse the options explore and replay share. @throws UsageError */
export async function parseExploreArgs(args: string[]): Promise<ExploreArgs | 'help'> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: exploreFlags,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (values.lock === undefined) throw new UsageError('--lock is required');
  const members = positiveInteger('members', values.members, 1);
  if (members < 1 || members > 9) throw new UsageError('--members must be from 1 to 9');
  const faults = parseFaultsArg(values.faults, members);
  const properties = parsePropertiesArg(values.property);
  const clients = positiveInteger('clients', values.clients, 5);
  if (clients < 1) throw new UsageError('--clients must be at least 1');
  const ttlSeconds = positiveInteger('ttl', values.ttl, 5);
  if (ttlSeconds < 1) throw new UsageError('--ttl must be at least 1');
  const knobs = parseSearchKnobs(values);
  const workers = positiveInteger('workers', values.workers, defaultWorkerCount());
  if (workers < 1) throw new UsageError('--workers must be at least 1');
  return {
    ...parseShardArgs(values.shard, values.report, knobs.exhaustive || values.coverage === true),
    ...knobs,
    ...(members >= 2 ? { members } : {}),
    clientsGiven: values.clients !== undefined,
    coverage: values.coverage ?? false,
    lock: values.lock,
    algorithm: await loadLockAlgorithm(values.lock),
    clients,
    ttlSeconds,
    faults,
    properties,
    seed: positiveInteger('seed', values.seed, 1),
    runs: positiveInteger('runs', values.runs, 1000),
    path: values.path,
    schedule: values.schedule,
    verbose: values.verbose ?? false,
    html: values.html,
    workers,
    ascii: values.ascii === true,
  };
}

/** The search and workload knobs (--critical-section … --grid). @throws UsageError */
function parseSearchKnobs(
  values: Record<string, string | boolean | undefined>,
): Pick<ExploreArgs, 'criticalSectionMs' | 'durationMs' | 'quietMs' | 'links' | 'aimedShare' | 'maxFaults' | 'keepGoing' | 'exhaustive' | 'gridMs'> {
  const text = (name: string) => values[name] as string | undefined;
  const knobs: ReturnType<typeof parseSearchKnobs> = { keepGoing: values['keep-going'] === true, exhaustive: values.exhaustive === true };
  const cs = text('critical-section');
  if (cs !== undefined) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(cs.trim());
    if (match === null) throw new UsageError(`--critical-section must be <ms> or <min>-<max>, got '${cs}'`);
    const max = Number(match[2] ?? match[1]);
    const min = match[2] === undefined ? Math.min(200, max) : Number(match[1]);
    if (min > max) throw new UsageError(`--critical-section: ${min} is above ${max}`);
    knobs.criticalSectionMs = { min, max };
  }
  if (text('duration') !== undefined) {
    const seconds = positiveInteger('duration', text('duration'), 60);
    if (seconds < 2) throw new UsageError('--duration must be at least 2 seconds');
    knobs.durationMs = seconds * 1000;
  }
  if (text('quiet') !== undefined) knobs.quietMs = positiveInteger('quiet', text('quiet'), 20) * 1000;
  const durationMs = knobs.durationMs ?? (knobs.exhaustive ? 20_000 : 60_000);
  const quietMs = knobs.quietMs ?? (knobs.exhaustive ? Math.min(8_000, durationMs / 2) : Math.min(20_000, durationMs / 2));
  if (knobs.durationMs !== undefined || knobs.quietMs !== undefined) {
    if (quietMs >= durationMs - 1000)
      throw new UsageError(`--quiet (${quietMs / 1000}s) must leave at least 1 s of faults in --duration (${durationMs / 1000}s)`);
    knobs.durationMs = durationMs;
    knobs.quietMs = quietMs;
  }
  if (text('links') !== undefined) {
    try {
      knobs.links = parseFaultLinks(text('links')!);
    } catch (error) {
      throw new UsageError(`--links: ${(error as Error).message}`);
    }
  }
  if (text('aimed') !== undefined) {
    const share = Number(text('aimed'));
    if (!(share >= 0 && share <= 1)) throw new UsageError(`--aimed must be a share from 0 to 1, got '${text('aimed')}'`);
    knobs.aimedShare = share;
  }
  if (text('max-faults') !== undefined) {
    knobs.maxFaults = positiveInteger('max-faults', text('max-faults'), 4);
    if (knobs.exhaustive && knobs.maxFaults !== 1 && knobs.maxFaults !== 2) throw new UsageError('--max-faults must be 1 or 2 with --exhaustive');
  }
  if (text('grid') !== undefined) {
    knobs.gridMs = positiveInteger('grid', text('grid'), 2000);
    if (knobs.gridMs < 100) throw new UsageError('--grid must be at least 100 ms');
  }
  return knobs;
}

/** The fault kinds drawn unless --faults says: with a cluster, member faults too. */
function defaultKindsFor(members: number): FaultPlanKind[] {
  return members >= 2 ? [...defaultFaultKinds, ...memberFaultKinds] : [...defaultFaultKinds];
}

/** The property options the command line stands for. */
export function safetyOptions(args: ExploreArgs, onRun?: LockSafetyOptions['onRun']): LockSafetyOptions {
  return {
    clients: args.clients,
    ttlSeconds: args.ttlSeconds,
    faults: args.faults,
    properties: args.properties,
    replayLock: args.lock,
    verifyReplay: false,
    ...runShape(args),
    ...(args.aimedShare !== undefined ? { aimedShare: args.aimedShare } : {}),
    ...(args.maxFaults !== undefined ? { countMax: args.maxFaults } : {}),
    ...(args.members !== undefined ? { members: args.members } : {}),
    ...(onRun !== undefined ? { onRun } : {}),
  };
}

/** The flags that shape each run, those given only (a search keeps its own default for the rest). */
function runShape(args: ExploreArgs): Pick<LockSafetyOptions, 'criticalSectionMs' | 'durationMs' | 'quietMs' | 'links'> {
  return {
    ...(args.criticalSectionMs !== undefined ? { criticalSectionMs: args.criticalSectionMs } : {}),
    ...(args.durationMs !== undefined ? { durationMs: args.durationMs } : {}),
    ...(args.quietMs !== undefined ? { quietMs: args.quietMs } : {}),
    ...(args.links !== undefined ? { links: args.links } : {}),
  };
}

/** The property search the command line stands for; `how` adds where the runs go and what is shown meanwhile. */
export function searchProperties(
  explore: ExploreArgs,
  how: Omit<Parameters<typeof exploreProperties>[2], 'seed' | 'runs' | 'keepGoing'> = {},
): Promise<ExploreResult> {
  return exploreProperties(
    explore.algorithm,
    { ...safetyOptions(explore), properties: explore.properties },
    { seed: explore.seed, runs: explore.runs, keepGoing: explore.keepGoing, ...how },
  );
}

/** The options that shape the search, as flags (for the --seed/--path replay line). */
function shapeFlags(args: ExploreArgs): string {
  const flags = [`--lock ${args.lock}`];
  if (args.clients !== 5) flags.push(`--clients ${args.clients}`);
  if (args.ttlSeconds !== 5) flags.push(`--ttl ${args.ttlSeconds}`);
  if (args.members !== undefined) flags.push(`--members ${args.members}`);
  if (args.faults.join(',') !== defaultKindsFor(args.members ?? 1).join(',')) flags.push(`--faults ${args.faults.join(',')}`);
  if (args.properties.join(',') !== defaultProperties.join(',')) flags.push(`--property ${args.properties.join(',')}`);
  if (args.criticalSectionMs !== undefined) flags.push(`--critical-section ${args.criticalSectionMs.min}-${args.criticalSectionMs.max}`);
  if (args.durationMs !== undefined) flags.push(`--duration ${args.durationMs / 1000}`);
  if (args.quietMs !== undefined) flags.push(`--quiet ${args.quietMs / 1000}`);
  if (args.links !== undefined) flags.push(`--links ${args.links.join(',')}`);
  if (args.aimedShare !== undefined) flags.push(`--aimed ${args.aimedShare}`);
  if (args.maxFaults !== undefined) flags.push(`--max-faults ${args.maxFaults}`);
  return flags.join(' ');
}

/**
 * The report of a replayed case (what `replay` prints, and what `explore` prints after its header).
 * `found`: the run that found the case; the replay is compared with it and a difference is reported.
 */
export async function renderCase(args: ExploreArgs, replay: ReplayCase, found?: LockRun): Promise<{ text: string; violated: boolean }> {
  const judged = await runReplayCase(args.algorithm, replay);
  let text = renderJudgedRun(judged, replay, args.lock, (trace, atMs, violation) =>
    explainedExcerpt(trace, atMs, violation, args.width !== undefined ? { width: args.width } : {}),
  );
  const difference = found === undefined ? undefined : compareReplay(found, judged.run);
  if (difference !== undefined) text += `\n${difference}\n`;
  if (judged.run.globals.description !== '')
    text += `\nnote: the algorithm used globals, replaced during the run by seeded and virtual ones: ${judged.run.globals.description}\n`;
  if (args.verbose)
    text += `\nfull timeline:\n${renderTextTimeline(judged.run.trace, { verbose: true, color: false, ...(args.width !== undefined ? { width: args.width } : {}) })}`;
  if (args.html !== undefined) {
    writeCaseHtml(args.html, judged, replay, args.lock);
    text += `wrote ${args.html}\n`;
  }
  return { text, violated: failing(judged.violations).length > 0 };
}

/** The progress line on stderr (src/cli/progress-line.ts): searching, shrinking, simplifying. */
function progress(io: CommandIo, total: number, ascii: boolean): ProgressLine {
  return new ProgressLine(io.stderr, total, { ascii });
}

/**
 * What explore writes to stdout, fitted to where it goes: on a terminal,
 * wrapped to its width (replay lines stay whole, to be copied) and ASCII when
 * it cannot show icons or --ascii says so; the progress line is taken off
 * first. Elsewhere, as it is (byte for byte the same for the same arguments).
 */
export function terminalOutput(io: CommandIo, explore: ExploreArgs, bar: () => ProgressLine | undefined): (text: string) => void {
  const tty = io.stdout.isTTY === true;
  const ascii = explore.ascii === true || (tty && !terminalShowsIcons());
  const width = tty && (io.stdout.columns ?? 0) > 0 ? io.stdout.columns : undefined;
  if (width !== undefined) explore.width = width;
  return (text) => {
    bar()?.clear();
    let out = text;
    if (width !== undefined)
      out = out
        .split('\n')
        .map((line) =>
          /^(replay|or): /.test(line) || line.length <= width ? line : wrapLine(line, width, Math.min(12, line.length - line.trimStart().length + 2)),
        )
        .join('\n');
    io.stdout.write(ascii ? toAscii(out).replace(/[─◀]/g, (c) => (c === '─' ? '-' : '<==')) : out);
  };
}

/** --exhaustive: every single aimed fault over a grid, then every pair; the first counterexample or a bounded proof. */
async function runExhaustive(explore: ExploreArgs, io: CommandIo): Promise<number> {
  const clients = explore.clientsGiven ? explore.clients : 2;
  let bar: ProgressLine | undefined;
  const out = terminalOutput(io, explore, () => bar);
  out(
    `explore ${explore.algorithm.name} --exhaustive: ${explore.properties.join(', ')}; ${clients} clients, ttl ${explore.ttlSeconds}s; faults ${explore.faults.join(',')}; seed ${explore.seed}\n`,
  );
  let lastFound: LockRun | undefined;
  const result = await exploreExhaustive(explore.algorithm, {
    seed: explore.seed,
    clients,
    ttlSeconds: explore.ttlSeconds,
    properties: explore.properties,
    faults: explore.faults,
    ...(explore.maxFaults !== undefined ? { maxFaults: explore.maxFaults } : {}),
    ...(explore.gridMs !== undefined ? { gridMs: explore.gridMs } : {}),
    ...runShape(explore),
    onRun: (tried, total, judged) => {
      if (judged.violations.length > 0) lastFound = judged.run;
      bar ??= progress(io, total, explore.ascii === true);
      bar.update(tried, judged.violations.length > 0 ? 1 : 0);
    },
  });
  bar?.stop();
  out(`${describeExhaustiveResult(result)}\n`);
  if (result.counterexample === undefined) return 0;
  out('\n');
  const { text } = await renderCase(explore, result.counterexample.replay, lastFound);
  out(text);
  return 1;
}

/** --coverage: the coverage-guided search (src/explore/guided.ts), then simplify and report. */
async function runGuided(explore: ExploreArgs, io: CommandIo): Promise<number> {
  let bar: ProgressLine | undefined;
  const out = terminalOutput(io, explore, () => bar);
  out(
    `explore ${explore.algorithm.name} --coverage: ${explore.properties.join(', ')}; ${explore.clients} clients, ttl ${explore.ttlSeconds}s; faults ${explore.faults.join(',')}; up to ${explore.runs} runs, seed ${explore.seed}\n`,
  );
  const line = progress(io, explore.runs, explore.ascii === true);
  bar = line;
  let runs = 0;
  const options = safetyOptions(explore, (_run, violations) => line.update(++runs, violations.length > 0 ? 1 : 0));
  const result = await guidedSearch(explore.algorithm, { ...options, runs: explore.runs, seed: explore.seed });
  line.stop();
  const features = [...result.featuresSeen].map(([feature, count]) => `${feature} ${count}`).join(', ');
  if (result.counterexample === undefined) {
    out(`no violation in ${result.runs} run(s) (corpus ${result.corpus}; lock states reached: ${features || 'none'})\n`);
    return 0;
  }
  out(`violation found after ${result.runsToFirst} run(s) (corpus ${result.corpus})\n`);
  let found = result.counterexample;
  const property = found.judged.violations[0]!.property;
  const simplified = await simplifyCase(explore.algorithm, found.case, property, safetyOptions(explore), { onRun: () => line.step('simplify', property) });
  line.stop();
  if (simplified.steps.length > 0 && simplified.judged !== undefined) {
    found = { case: simplified.case, judged: simplified.judged };
    out(`simplified in ${simplified.runs} run(s): ${simplified.steps.join('; ')}\n`);
  }
  out('\n');
  const { text } = await renderCase(explore, replayCaseOf(found.case, safetyOptions(explore)), found.judged.run);
  out(text);
  return 1;
}

/** The command. `io` defaults to the process's streams. */
export async function run(args: string[], io: CommandIo = defaultIo): Promise<number> {
  let parsed: ExploreArgs | 'help';
  try {
    parsed = await parseExploreArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`leaselab explore: ${error.message}\n\n${usage}`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout.write(usage);
    return 0;
  }
  const explore = parsed;
  if (explore.exhaustive) return runExhaustive(explore, io);
  if (explore.coverage) return runGuided(explore, io);
  let bar: ProgressLine | undefined;
  const out = terminalOutput(io, explore, () => bar);
  out(searchHeader(explore));
  const line = progress(io, explore.runs, explore.ascii === true);
  bar = line;
  const result = await searchProperties(explore, {
    workers: { lock: explore.lock, count: explore.workers },
    ...(explore.shard !== undefined ? { shard: explore.shard } : {}),
    onRun: (runs, failed) => line.update(runs, failed),
    onShrinkRun: (property) => line.step('shrink', property),
  });
  line.stop();
  if (explore.shard !== undefined && result.shardLog !== undefined) {
    const { shard, report } = explore;
    writeFileSync(report!, `${JSON.stringify(shardReport(args, shard, result.shardLog))}\n`);
    const mine = Math.max(0, Math.ceil((explore.runs - shard.index) / shard.count));
    out(
      `shard ${shard.index + 1}/${shard.count}: judged ${result.runs} of its ${mine} case(s), ${result.shardLog.cases.length} with findings; wrote ${report}\n` +
        `the verdicts come from: leaselab explore-merge <the ${shard.count} report(s)>\n`,
    );
    return 0;
  }
  return reportSearch(explore, result, io, line);
}

/** The line a search starts with (a merge of shards prints the same). */
export function searchHeader(explore: ExploreArgs): string {
  return `explore ${explore.algorithm.name}: ${explore.properties.join(', ')}; ${explore.clients} clients${explore.members !== undefined ? `, ${explore.members} etcd members` : ''}, ttl ${explore.ttlSeconds}s; faults ${explore.faults.join(',')}; up to ${explore.runs} runs, seed ${explore.seed}\n`;
}

/**
 * The search's table, then each failing property's case simplified, replayed
 * and reported (wrapped and ASCII as the terminal needs). Returns the exit code.
 */
export async function reportSearch(explore: ExploreArgs, result: ExploreResult, io: CommandIo, progressLine?: ProgressLine): Promise<number> {
  // A merge of shards has no search line of its own: one is drawn only once simplifying starts.
  let line = progressLine;
  const simplifyLine = () => (line ??= progress(io, 0, explore.ascii === true));
  const out = terminalOutput(io, explore, () => line);
  out(`${result.runs} run(s), ${result.shrinkRuns} shrink run(s)\n\n${renderOutcomeTable(result)}`);
  let exitCode = 0;
  for (const outcome of result.outcomes) {
    if (outcome.verdict === 'ok' || outcome.replay === undefined) continue;
    if (outcome.verdict !== 'limitation') exitCode = 1;
    out(`\n── ${outcome.property}: ${outcome.verdict} ${'─'.repeat(Math.max(0, 60 - outcome.property.length - outcome.verdict.length))}\n`);
    let replay = outcome.replay;
    let simplified = false;
    if (outcome.verdict === 'violated' && outcome.explored !== undefined) {
      // One aimed fault rather than several, no fault that only shifts timing (src/explore/simplify.ts).
      const simpler = await simplifyCase(explore.algorithm, outcome.explored, outcome.property, safetyOptions(explore), {
        onRun: () => simplifyLine().step('simplify', outcome.property),
      });
      line?.stop();
      if (simpler.steps.length > 0) {
        replay = { ...replayCaseOf(simpler.case, safetyOptions(explore)), properties: [outcome.property] };
        simplified = true;
        out(`simplified in ${simpler.runs} run(s): ${simpler.steps.join('; ')}\n`);
      }
    }
    // Replayed once more before it is reported: a replay that differs is said (nondeterminism in the lock).
    const found = await runReplayCase(explore.algorithm, replay);
    const { text } = await renderCase(explore, replay, found.run);
    out(text);
    if (!simplified)
      out(`or:     npx leaselab replay ${shapeFlags({ ...explore, properties: [outcome.property] })} --seed ${explore.seed} --path "${outcome.path ?? ''}"\n`);
  }
  if (result.outcomes.some((outcome) => outcome.verdict === 'violated' || outcome.verdict === 'unknown')) exitCode = 1;
  return exitCode;
}
