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
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { builtinLockAlgorithms, etcdMutex, etcdMutexFenced, naiveLock, type LockAlgorithm } from '../../client/lock-algorithm.ts';
import { defaultFaultKinds, faultKinds, parseFaultKinds, type FaultPlanKind } from '../../explore/arbitraries.ts';
import { failing, lockProperties, type LockProperty } from '../../explore/judge.ts';
import { defaultProperties, renderJudgedRun, runReplayCase, type LockSafetyOptions, type ReplayCase } from '../../explore/property.ts';
import { renderTextTimeline } from '../../report/text-timeline.ts';
import { exploreProperties, renderOutcomeTable } from '../../explore/verdicts.ts';

export interface CommandIo {
  stdout: { write(text: string): void };
  stderr: { write(text: string): void; isTTY?: boolean };
}

const defaultIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

export const lockHelp = `  --lock <lock>       naive | mutex | mutex-fenced, or the path of a module (.ts or .js) whose
                      default export (or export named \`lock\`) is a LockAlgorithm:

                        import type { LockAlgorithm } from 'leaselab';
                        export const lock: LockAlgorithm = {
                          name: 'my-lock',
                          // client: a leaselab etcd Client (get, put, txn, grant, keepAlive, watch, …)
                          create(client, { lockName, ttlSeconds }) {
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
  --property <list>   comma list of ${lockProperties.join(', ')} (default: all; crash is always judged)`;

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
  --seed <n>          fast-check's seed (default 1; never drawn from entropy)
  --verbose           print the whole timeline of the failing run, not just an excerpt
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
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const builtins: Record<string, LockAlgorithm> = { naive: naiveLock, mutex: etcdMutex, 'mutex-fenced': etcdMutexFenced };
for (const algorithm of builtinLockAlgorithms) builtins[algorithm.name] = algorithm;

function isLockAlgorithm(value: unknown): value is LockAlgorithm {
  return typeof value === 'object' && value !== null && typeof (value as LockAlgorithm).create === 'function' && typeof (value as LockAlgorithm).name === 'string';
}

/** A built-in by name, or a module's default export or `lock` export. @throws UsageError */
export async function loadLockAlgorithm(lock: string): Promise<LockAlgorithm> {
  const builtin = builtins[lock];
  if (builtin !== undefined) return builtin;
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(process.cwd(), lock)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`--lock ${lock}: not a built-in (naive, mutex, mutex-fenced) and cannot load it as a module: ${(error as Error).message}`);
  }
  const candidate = isLockAlgorithm(module.default) ? module.default : module.lock;
  if (!isLockAlgorithm(candidate)) throw new UsageError(`--lock ${lock}: the module exports no LockAlgorithm (a default export or \`lock\` with name and create())`);
  return candidate;
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  return number;
}

/** Parse the options explore and replay share. @throws UsageError */
export async function parseExploreArgs(args: string[]): Promise<ExploreArgs | 'help'> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
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
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (values.lock === undefined) throw new UsageError('--lock is required');
  let faults: FaultPlanKind[];
  try {
    faults = values.faults === undefined ? [...defaultFaultKinds] : parseFaultKinds(values.faults);
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
  if (faults.length === 0) throw new UsageError('--faults: name at least one kind');
  const properties = values.property === undefined ? [...defaultProperties] : values.property.split(',').map((p) => p.trim()).filter((p) => p !== '');
  for (const property of properties) if (!lockProperties.includes(property as LockProperty)) throw new UsageError(`--property: unknown '${property}' (known: ${lockProperties.join(', ')})`);
  const clients = positiveInteger('clients', values.clients, 5);
  if (clients < 1) throw new UsageError('--clients must be at least 1');
  const ttlSeconds = positiveInteger('ttl', values.ttl, 5);
  if (ttlSeconds < 1) throw new UsageError('--ttl must be at least 1');
  return {
    lock: values.lock,
    algorithm: await loadLockAlgorithm(values.lock),
    clients,
    ttlSeconds,
    faults,
    properties: properties as LockProperty[],
    seed: positiveInteger('seed', values.seed, 1),
    runs: positiveInteger('runs', values.runs, 1000),
    path: values.path,
    schedule: values.schedule,
    verbose: values.verbose ?? false,
  };
}

/** The property options the command line stands for. */
export function safetyOptions(args: ExploreArgs, onRun?: LockSafetyOptions['onRun']): LockSafetyOptions {
  return {
    clients: args.clients,
    ttlSeconds: args.ttlSeconds,
    faults: args.faults,
    properties: args.properties,
    replayLock: args.lock,
    ...(onRun !== undefined ? { onRun } : {}),
  };
}

/** The options that shape the search, as flags (for the --seed/--path replay line). */
function shapeFlags(args: ExploreArgs): string {
  const flags = [`--lock ${args.lock}`];
  if (args.clients !== 5) flags.push(`--clients ${args.clients}`);
  if (args.ttlSeconds !== 5) flags.push(`--ttl ${args.ttlSeconds}`);
  if (args.faults.join(',') !== defaultFaultKinds.join(',')) flags.push(`--faults ${args.faults.join(',')}`);
  if (args.properties.join(',') !== defaultProperties.join(',')) flags.push(`--property ${args.properties.join(',')}`);
  return flags.join(' ');
}

/** The report of a replayed case (what `replay` prints, and what `explore` prints after its header). */
export async function renderCase(args: ExploreArgs, replay: ReplayCase): Promise<{ text: string; violated: boolean }> {
  const judged = await runReplayCase(args.algorithm, replay);
  let text = renderJudgedRun(judged, replay, args.lock);
  if (args.verbose) text += `\nfull timeline:\n${renderTextTimeline(judged.run.trace, { verbose: true })}`;
  return { text, violated: failing(judged.violations).length > 0 };
}

interface Progress {
  update(runs: number, violations: number): void;
  stop(): void;
}

function progress(io: CommandIo, total: number): Progress {
  const startMs = performance.now();
  const elapsed = () => `${((performance.now() - startMs) / 1000).toFixed(1)}s`;
  if (io.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'explore [{bar}] {value}/{total} runs | {violations} violation(s) | {elapsed}', hideCursor: true, clearOnComplete: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { violations: 0, elapsed: '0.0s' });
    return {
      update: (runs, violations) => bar.update(Math.min(runs, total), { violations, elapsed: elapsed() }),
      stop: () => bar.stop(),
    };
  }
  const every = Math.max(1, Math.ceil(total / 10));
  let lastRuns = 0;
  return {
    update(runs, violations) {
      if (runs - lastRuns < every && violations === 0) return;
      if (violations > 0 && runs === lastRuns) return;
      lastRuns = runs;
      io.stderr.write(`explore: ${runs}/${total} runs, ${violations} violation(s), ${elapsed()}\n`);
    },
    stop: () => undefined,
  };
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
  io.stdout.write(
    `explore ${explore.algorithm.name}: ${explore.properties.join(', ')}; ${explore.clients} clients, ttl ${explore.ttlSeconds}s; faults ${explore.faults.join(',')}; up to ${explore.runs} runs, seed ${explore.seed}\n`,
  );
  const bar = progress(io, explore.runs);
  const result = await exploreProperties(explore.algorithm, { ...safetyOptions(explore), properties: explore.properties }, {
    seed: explore.seed,
    runs: explore.runs,
    onRun: (runs, failed) => bar.update(runs, failed),
  });
  bar.stop();
  io.stdout.write(`${result.runs} run(s), ${result.shrinkRuns} shrink run(s)\n\n${renderOutcomeTable(result)}`);
  let exitCode = 0;
  for (const outcome of result.outcomes) {
    if (outcome.verdict === 'ok' || outcome.replay === undefined) continue;
    if (outcome.verdict !== 'limitation') exitCode = 1;
    io.stdout.write(`\n── ${outcome.property}: ${outcome.verdict} ${'─'.repeat(Math.max(0, 60 - outcome.property.length - outcome.verdict.length))}\n`);
    const { text } = await renderCase(explore, outcome.replay);
    io.stdout.write(text);
    io.stdout.write(`or:     npx leaselab replay ${shapeFlags({ ...explore, properties: [outcome.property] })} --seed ${explore.seed} --path "${outcome.path ?? ''}"\n`);
  }
  if (result.outcomes.some((outcome) => outcome.verdict === 'violated' || outcome.verdict === 'unknown')) exitCode = 1;
  return exitCode;
}
