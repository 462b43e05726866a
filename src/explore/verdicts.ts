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

/**
 * Search `runs` cases for violations of `properties` (crash is always
 * judged), then shrink the first failure of each property.
 */
export async function exploreProperties(
  algorithm: LockAlgorithm,
  options: LockSafetyOptions & { properties: readonly LockProperty[] },
  search: {
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
  } & ExploreProgress,
): Promise<ExploreResult> {
  const judged: LockProperty[] = options.properties.includes('crash') ? [...options.properties] : [...options.properties, 'crash'];
  const outcomes = new Map<LockProperty, PropertyOutcome>();
  const firstFailure = new Map<LockProperty, number>();
  const firstLimitation = new Map<LockProperty, { index: number; explored: ExploreCase; violation: Violation }>();
  for (const property of judged) outcomes.set(property, { property, verdict: 'ok', limitationRuns: 0, failedRuns: 0 });
  let runs = 0;
  const decided = () => !search.keepGoing && options.properties.every((property) => firstFailure.has(property));
  const shard = search.shard;
  const log: ShardLog | undefined = shard === undefined ? undefined : { judgedThrough: -1, cases: [] };
  /** Note what run `index` showed of each property (in index order, whichever thread ran it). */
  const record = (index: number, explored: ExploreCase, findings: readonly CaseFinding[]): void => {
    if (log !== undefined) {
      log.judgedThrough = index;
      if (findings.length > 0) log.cases.push({ index, findings: [...findings] });
    }
    for (const { property, failing: fails, violation } of findings) {
      if (!outcomes.has(property)) continue;
      if (fails) {
        outcomes.get(property)!.failedRuns++;
        if (!firstFailure.has(property)) firstFailure.set(property, index);
      } else {
        outcomes.get(property)!.limitationRuns++;
        if (!firstLimitation.has(property)) firstLimitation.set(property, { index, explored, violation });
      }
    }
    search.onRun?.(runs, firstFailure.size);
  };
  const judgeHere = async (index: number, explored: ExploreCase): Promise<void> => {
    const { violations } = await runReplayCase(algorithm, replayCaseOf(explored, options), options.livenessSlackMs);
    record(index, explored, findingsOf(violations));
  };
  if (search.recorded !== undefined) {
    // Merging shards: their findings stand in for the runs, read in index order as one search would judge them.
    const cases = fc.sample(exploreCaseArbitrary(options), { seed: search.seed, numRuns: search.runs });
    for (let index = 0; index < search.runs && !decided(); index++) {
      runs++;
      record(index, cases[index]!, search.recorded(index));
    }
  } else if (shard !== undefined || (search.workers !== undefined && search.workers.count > 1 && search.runs > casesBeforeWorkers)) {
    // The cases fast-check would draw for this seed, in the same order: the first few here, the rest on workers.
    const cases = fc.sample(exploreCaseArbitrary(options), { seed: search.seed, numRuns: search.runs });
    // A shard judges every count-th case from its own (src/explore/shard.ts); stopping when its own cases decided every property.
    const mine: number[] = [];
    for (let index = shard?.index ?? 0; index < cases.length; index += shard?.count ?? 1) mine.push(index);
    let next = 0;
    const inThread = search.workers !== undefined && search.workers.count > 1 ? casesBeforeWorkers : mine.length;
    while (next < Math.min(inThread, mine.length) && !decided()) {
      const index = mine[next++]!;
      runs++;
      await judgeHere(index, cases[index]!);
    }
    if (!decided() && next < mine.length) {
      const { onRun: _onRun, ...plainOptions } = options;
      const pool = CasePool.start(search.workers!.count, { lock: search.workers!.lock, options: plainOptions });
      const rest = mine.slice(next);
      try {
        await judgeInIndexOrder(
          pool,
          rest.map((index) => cases[index]!),
          (verdict) => {
            const index = rest[verdict.index]!;
            runs++;
            record(index, cases[index]!, verdict.findings);
            return !decided();
          },
        );
      } finally {
        await pool.close();
      }
    }
  } else {
    const searchProperty = fc.asyncProperty(exploreCaseArbitrary(options), async (explored) => {
      const index = runs++;
      // Every requested property has failed: nothing is left to decide (crashes are noted on the way).
      if (decided()) return;
      await judgeHere(index, explored);
    });
    await fc.check(searchProperty, { seed: search.seed, numRuns: search.runs });
  }
  if (log !== undefined) return { outcomes: [], runs, shrinkRuns: 0, shardLog: log };
  const searchRuns = Math.min(runs, search.runs);
  // The runs actually judged: the search ends early once every requested property failed.
  const lastFailure = Math.max(...[...firstFailure.entries()].filter(([property]) => options.properties.includes(property)).map(([, index]) => index + 1), 0);
  const judgedRuns = decided() ? lastFailure : searchRuns;
  let shrinkRuns = 0;
  for (const property of judged) {
    const outcome = outcomes.get(property)!;
    const index = firstFailure.get(property);
    if (index !== undefined && search.shrink === false) {
      outcome.runsToFind = index + 1;
      outcome.verdict = 'violated';
      continue;
    }
    if (index !== undefined) {
      const result = await fc.check(
        propertyOf(algorithm, property, options, () => {
          shrinkRuns++;
          search.onShrinkRun?.(property);
        }),
        { seed: search.seed, path: String(index) },
      );
      outcome.runsToFind = index + 1;
      if (result.failed && result.counterexample !== null) {
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
      } else outcome.verdict = 'violated';
      continue;
    }
    const limitation = firstLimitation.get(property);
    if (limitation !== undefined) {
      outcome.verdict = 'limitation';
      outcome.runsToFind = limitation.index + 1;
      outcome.replay = { ...replayCaseOf(limitation.explored, options), properties: [property] };
      outcome.faults = limitation.explored.plan.length;
      outcome.path = String(limitation.index);
      outcome.violation = limitation.violation;
    }
  }
  return { outcomes: judged.map((property) => outcomes.get(property)!), runs: judgedRuns, shrinkRuns };
}

/**
 * Runs judged in this thread before any worker starts (starting them takes a
 * second or so): many searches are decided within the first few.
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
