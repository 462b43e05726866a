/**
 * Every requested property to its own verdict: one search judges each run
 * for all of them (and for crashes), noting the first run that fails each;
 * then each failure is shrunk on its own, against its own property.
 *
 *   const result = await exploreProperties(etcdMutex, { properties: ['belief', 'fenced', 'liveness'] }, { seed: 1, runs: 500 });
 *   result.outcomes → [{ property: 'belief', verdict: 'limitation', … }, { property: 'fenced', verdict: 'violated', runsToFind: 3, … }, …]
 *
 * Verdicts: `ok` (no violation in the runs), `limitation` (only overlaps a
 * fault longer than the lease explains), `violated` (a bug), `unknown` (the
 * run could not be judged: not a pass).
 */
import fc from 'fast-check';
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import { failing, type LockProperty, type Violation } from './judge.ts';
import { CasePool, judgeInIndexOrder, type CaseFinding } from './pool.ts';
import type { ShardLog } from './shard.ts';
import { exploreCaseArbitrary, replayCaseOf, runReplayCase, type ExploreCase, type LockSafetyOptions, type ReplayCase } from './property.ts';

export type PropertyVerdictName = 'ok' | 'limitation' | 'violated' | 'unknown';

export interface PropertyOutcome {
  property: LockProperty;
  verdict: PropertyVerdictName;
  /** The run (1-based) that first failed it, or first showed the limitation. */
  runsToFind?: number;
  /** Runs whose only findings for this property were limitations. */
  limitationRuns: number;
  /** Runs that failed this property (all of them with `keepGoing`; else up to the first). */
  failedRuns: number;
  /** The shown case as fast-check drew (and shrank) it, for further simplification. */
  explored?: ExploreCase;
  /** The case to show: shrunk for a failure, as found for a limitation. */
  replay?: ReplayCase;
  /** Fault pairs in the shown case. */
  faults?: number;
  /** fast-check's seed and path of the shown case (replay --seed --path --property). */
  path?: string;
  shrinks?: number;
  /** The violation that decided it (in the shown case). */
  violation?: Violation;
}

export interface ExploreResult {
  outcomes: PropertyOutcome[];
  runs: number;
  shrinkRuns: number;
  /** With `search.shard`: what this shard judged (no outcomes: the merge decides them). */
  shardLog?: ShardLog;
}

export interface ExploreProgress {
  /** After each search run: runs so far, properties failed so far. */
  onRun?: (runs: number, failedProperties: number) => void;
  /** After each shrink run of a property's failure (progress lines). */
  onShrinkRun?: (property: LockProperty) => void;
}

/** The property for one lock property's shrinking: fails only when `property` has a failing violation. */
export function propertyOf(algorithm: LockAlgorithm, property: LockProperty, options: LockSafetyOptions, onRun?: () => void): fc.IAsyncProperty<[ExploreCase]> {
  return fc.asyncProperty(exploreCaseArbitrary(options), async (explored) => {
    const judged = await runReplayCase(algorithm, replayCaseOf(explored, options), options.livenessSlackMs);
    onRun?.();
    const found = failing(judged.violations).find((violation) => violation.property === property);
    if (found !== undefined) throw new Error(`${property}: ${found.message}`);
  });
}

/** How exploreProperties searches: the seed, how many runs, and how (shrinking, workers, shards, merged shards). */
type ExploreSearch = {
  seed: number;
  runs: number;
  /** Shrink each failure. @defaultValue true */
  shrink?: boolean;
  /** Judge every run, even once every property has failed (counts failing runs). @defaultValue false */
  keepGoing?: boolean;
  /** Judge runs on worker threads: the lock as `--lock` names it, and how many. The result is the same as in one thread. */
  workers?: { lock: string; count: number };
  /** Judge only this shard's cases (every `count`-th from `index`, 0-based) and return their log, not outcomes. */
  shard?: { index: number; count: number };
  /** Merged shards: each case's findings, read instead of running it (src/explore/shard.ts). */
  recorded?: (index: number) => readonly CaseFinding[];
} & ExploreProgress;

type ExploreOptions = LockSafetyOptions & { properties: readonly LockProperty[] };

/** What the search has noted so far: per property its outcome, its first failing run and its first limitation. */
class SearchTally {
  readonly outcomes = new Map<LockProperty, PropertyOutcome>();
  readonly firstFailure = new Map<LockProperty, number>();
  readonly firstLimitation = new Map<LockProperty, { index: number; explored: ExploreCase; violation: Violation }>();
  /** Runs started so far. */
  runs = 0;
  /** With a shard: what it judged, for the merge. */
  readonly log: ShardLog | undefined;

  constructor(
    judged: readonly LockProperty[],
    private readonly options: ExploreOptions,
    private readonly search: ExploreSearch,
  ) {
    for (const property of judged) this.outcomes.set(property, { property, verdict: 'ok', limitationRuns: 0, failedRuns: 0 });
    this.log = search.shard === undefined ? undefined : { judgedThrough: -1, cases: [] };
  }

  /** Every requested property has failed (and the search need not go on). */
  decided(): boolean {
    return !this.search.keepGoing && this.options.properties.every((property) => this.firstFailure.has(property));
  }

  /** Note what run `index` showed of each property (in index order, whichever thread ran it). */
  record(index: number, explored: ExploreCase, findings: readonly CaseFinding[]): void {
    if (this.log !== undefined) {
      this.log.judgedThrough = index;
      if (findings.length > 0) this.log.cases.push({ index, findings: [...findings] });
    }
    for (const { property, failing: fails, violation } of findings) {
      if (!this.outcomes.has(property)) continue;
      if (fails) {
        this.outcomes.get(property)!.failedRuns++;
        if (!this.firstFailure.has(property)) this.firstFailure.set(property, index);
      } else {
        this.outcomes.get(property)!.limitationRuns++;
        if (!this.firstLimitation.has(property)) this.firstLimitation.set(property, { index, explored, violation });
      }
    }
    this.search.onRun?.(this.runs, this.firstFailure.size);
  }
}

/** Run case `index` in this thread and record its findings. */
async function judgeHere(tally: SearchTally, algorithm: LockAlgorithm, options: ExploreOptions, index: number, explored: ExploreCase): Promise<void> {
  const { violations } = await runReplayCase(algorithm, replayCaseOf(explored, options), options.livenessSlackMs);
  tally.record(index, explored, findingsOf(violations));
}

/** Merging shards: their findings stand in for the runs, read in index order as one search would judge them. */
function searchRecorded(tally: SearchTally, options: ExploreOptions, search: ExploreSearch, recorded: (index: number) => readonly CaseFinding[]): void {
  const cases = fc.sample(exploreCaseArbitrary(options), { seed: search.seed, numRuns: search.runs });
  for (let index = 0; index < search.runs && !tally.decided(); index++) {
    tally.runs++;
    tally.record(index, cases[index]!, recorded(index));
  }
}

/** The cases fast-check would draw for this seed, in the same order: the first few here, the rest on workers; or one shard's. */
async function searchSampled(tally: SearchTally, algorithm: LockAlgorithm, options: ExploreOptions, search: ExploreSearch): Promise<void> {
  const shard = search.shard;
  const cases = fc.sample(exploreCaseArbitrary(options), { seed: search.seed, numRuns: search.runs });
  // A shard judges every count-th case from its own (src/explore/shard.ts); stopping when its own cases decided every property.
  const mine: number[] = [];
  for (let index = shard?.index ?? 0; index < cases.length; index += shard?.count ?? 1) mine.push(index);
  let next = 0;
  const inThread = search.workers !== undefined && search.workers.count > 1 ? casesBeforeWorkers : mine.length;
  while (next < Math.min(inThread, mine.length) && !tally.decided()) {
    const index = mine[next++]!;
    tally.runs++;
    await judgeHere(tally, algorithm, options, index, cases[index]!);
  }
  if (tally.decided() || next >= mine.length) return;
  const { onRun: _onRun, ...plainOptions } = options;
  const pool = CasePool.start(search.workers!.count, { lock: search.workers!.lock, options: plainOptions });
  const rest = mine.slice(next);
  try {
    await judgeInIndexOrder(
      pool,
      rest.map((index) => cases[index]!),
      (verdict) => {
        const index = rest[verdict.index]!;
        tally.runs++;
        tally.record(index, cases[index]!, verdict.findings);
        return !tally.decided();
      },
    );
  } finally {
    await pool.close();
  }
}

/** One thread, fast-check drawing the cases. */
async function searchInThread(tally: SearchTally, algorithm: LockAlgorithm, options: ExploreOptions, search: ExploreSearch): Promise<void> {
  const searchProperty = fc.asyncProperty(exploreCaseArbitrary(options), async (explored) => {
    const index = tally.runs++;
    // Every requested property has failed: nothing is left to decide (crashes are noted on the way).
    if (tally.decided()) return;
    await judgeHere(tally, algorithm, options, index, explored);
  });
  await fc.check(searchProperty, { seed: search.seed, numRuns: search.runs });
}

/** A property's first failure (search run `index`) shrunk against that property alone; counts each shrink run. */
async function shrinkFailure(
  outcome: PropertyOutcome,
  index: number,
  algorithm: LockAlgorithm,
  options: ExploreOptions,
  search: ExploreSearch,
  onShrinkRun: () => void,
): Promise<void> {
  const property = outcome.property;
  const result = await fc.check(
    propertyOf(algorithm, property, options, () => {
      onShrinkRun();
      search.onShrinkRun?.(property);
    }),
    { seed: search.seed, path: String(index) },
  );
  outcome.runsToFind = index + 1;
  if (!result.failed || result.counterexample === null) {
    outcome.verdict = 'violated';
    return;
  }
  const [counterexample] = result.counterexample as [ExploreCase];
  // Replayed and reported for this property alone (crashes are always judged).
  const replay: ReplayCase = { ...replayCaseOf(counterexample, options), properties: [property] };
  const rerun = await runReplayCase(algorithm, replay, options.livenessSlackMs);
  const violation = failing(rerun.violations).find((v) => v.property === property);
  outcome.verdict = violation?.verdict === 'unknown' ? 'unknown' : 'violated';
  outcome.replay = replay;
  outcome.explored = counterexample;
  outcome.faults = counterexample.plan.length;
  outcome.path = result.counterexamplePath ?? String(index);
  outcome.shrinks = result.numShrinks;
  if (violation !== undefined) outcome.violation = violation;
}

/** A property that only showed a limitation: the case as found. */
function noteLimitation(outcome: PropertyOutcome, limitation: { index: number; explored: ExploreCase; violation: Violation }, options: ExploreOptions): void {
  outcome.verdict = 'limitation';
  outcome.runsToFind = limitation.index + 1;
  outcome.replay = { ...replayCaseOf(limitation.explored, options), properties: [outcome.property] };
  outcome.faults = limitation.explored.plan.length;
  outcome.path = String(limitation.index);
  outcome.violation = limitation.violation;
}

/**
 * Search `runs` cases for violations of `properties` (crash is always
 * judged), then shrink the first failure of each property.
 */
export async function exploreProperties(algorithm: LockAlgorithm, options: ExploreOptions, search: ExploreSearch): Promise<ExploreResult> {
  const judged: LockProperty[] = options.properties.includes('crash') ? [...options.properties] : [...options.properties, 'crash'];
  const tally = new SearchTally(judged, options, search);
  if (search.recorded !== undefined) searchRecorded(tally, options, search, search.recorded);
  else if (search.shard !== undefined || (search.workers !== undefined && search.workers.count > 1 && search.runs > casesBeforeWorkers))
    await searchSampled(tally, algorithm, options, search);
  else await searchInThread(tally, algorithm, options, search);
  const { runs, outcomes, firstFailure, firstLimitation } = tally;
  if (tally.log !== undefined) return { outcomes: [], runs, shrinkRuns: 0, shardLog: tally.log };
  const searchRuns = Math.min(runs, search.runs);
  // The runs actually judged: the search ends early once every requested property failed.
  const lastFailure = Math.max(...[...firstFailure.entries()].filter(([property]) => options.properties.includes(property)).map(([, index]) => index + 1), 0);
  const judgedRuns = tally.decided() ? lastFailure : searchRuns;
  let shrinkRuns = 0;
  for (const property of judged) {
    const outcome = outcomes.get(property)!;
    const index = firstFailure.get(property);
    if (index !== undefined && search.shrink === false) {
      outcome.runsToFind = index + 1;
      outcome.verdict = 'violated';
    } else if (index !== undefined) await shrinkFailure(outcome, index, algorithm, options, search, () => shrinkRuns++);
    else {
      const limitation = firstLimitation.get(property);
      if (limitation !== undefined) noteLimitation(outcome, limitation, options);
    }
  }
  return { outcomes: judged.map((property) => outcomes.get(property)!), runs: judgedRuns, shrinkRuns };
}

/**
 * Runs judged in this thread before any worker starts (starting them takes a
 * second or so): many searches are decided within the first few.
 *
 * Measured on 2 cores (load ~2, the built CLI, --workers 2, medians of 4-7
 * alternating trials), each worker taking ~100 ms to load its modules and
 * ~100 ms more to its first verdict: starting the workers before sampling
 * and running no case here made a 1000-run search that never fails
 * (`--lock mutex-fenced --property fenced`) 5-6% faster (3.03-3.16 ->
 * 2.85-2.96 s wall, CPU 5.8-5.9 -> 5.5-5.7 s: this thread's own warm-up is
 * wasted when it runs no more cases), but a search decided early slower:
 * `--lock mutex --property fenced` (run 12) 1.12 -> 1.27 s, `--lock naive
 * --property fenced` (run 4, then shrinking here) 1.31-1.36 -> 1.75 s;
 * with --keep-going and shrinking after the search (naive) 6.18 -> 6.36 s,
 * as this thread then warms up only once the workers are done. Between
 * the two (and no better than either): workers started first with this
 * thread running cases until the first is ready (1000 runs 2.98-3.15 s,
 * naive 1.37-1.73 s), one worker first and the other after the cases here
 * (3.08-3.11 s, naive 1.46-1.79 s); this thread running cases all along
 * beside one worker fewer: 3.21-3.27 s, CPU 6.0-6.2 s.
 */
const casesBeforeWorkers = 8;

/** Per property, its first violation in a run, failing (a bug or unknown) or a limitation. */
export function findingsOf(violations: readonly Violation[]): CaseFinding[] {
  const bad = new Set(failing(violations));
  const findings: CaseFinding[] = [];
  for (const violation of violations) {
    if (findings.some((finding) => finding.property === violation.property)) continue;
    const firstBad = violations.find((v) => v.property === violation.property && bad.has(v));
    findings.push({ property: violation.property, failing: firstBad !== undefined, violation: firstBad ?? violation });
  }
  return findings;
}

/** The per-property table. */
export function renderOutcomeTable(result: ExploreResult): string {
  const rows = [['property', 'verdict', 'runs to find', 'faults', 'note']];
  for (const outcome of result.outcomes) {
    const note =
      outcome.verdict === 'limitation'
        ? `${outcome.limitationRuns} run(s), each explained by a fault longer than the lease (exit 0)`
        : outcome.verdict === 'violated'
          ? `bug (exit 1)${outcome.shrinks !== undefined ? `, faults shrunk ${outcome.shrinks} time(s)` : ''}${outcome.failedRuns > 1 ? `; ${outcome.failedRuns} failing run(s)` : ''}`
          : outcome.verdict === 'unknown'
            ? 'cannot be judged: not a pass (exit 1)'
            : `none in ${result.runs} run(s)`;
    rows.push([
      outcome.property,
      outcome.verdict,
      outcome.runsToFind === undefined ? '-' : String(outcome.runsToFind),
      outcome.faults === undefined ? '-' : String(outcome.faults),
      note,
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}
