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
import { exploreCaseArbitrary, replayCaseOf, runReplayCase, type ExploreCase, type LockSafetyOptions, type ReplayCase } from './property.ts';

export type PropertyVerdictName = 'ok' | 'limitation' | 'violated' | 'unknown';

export interface PropertyOutcome {
  property: LockProperty;
  verdict: PropertyVerdictName;
  /** The run (1-based) that first failed it, or first showed the limitation. */
  runsToFind?: number;
  /** Runs whose only findings for this property were limitations. */
  limitationRuns: number;
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
}

export interface ExploreProgress {
  /** After each search run: runs so far, properties failed so far. */
  onRun?: (runs: number, failedProperties: number) => void;
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
  search: { seed: number; runs: number; /** Shrink each failure. @defaultValue true */ shrink?: boolean } & ExploreProgress,
): Promise<ExploreResult> {
  const judged: LockProperty[] = options.properties.includes('crash') ? [...options.properties] : [...options.properties, 'crash'];
  const outcomes = new Map<LockProperty, PropertyOutcome>();
  const firstFailure = new Map<LockProperty, number>();
  const firstLimitation = new Map<LockProperty, { index: number; explored: ExploreCase; violation: Violation }>();
  for (const property of judged) outcomes.set(property, { property, verdict: 'ok', limitationRuns: 0 });
  let runs = 0;
  const searchProperty = fc.asyncProperty(exploreCaseArbitrary(options), async (explored) => {
    const index = runs++;
    // Every requested property has failed: nothing is left to decide (crashes are noted on the way).
    if (options.properties.every((property) => firstFailure.has(property))) return;
    const replay = replayCaseOf(explored, options);
    const { violations } = await runReplayCase(algorithm, replay, options.livenessSlackMs);
    for (const property of judged) {
      const mine = violations.filter((violation) => violation.property === property);
      if (mine.length === 0) continue;
      const bad = failing(mine);
      if (bad.length > 0) {
        if (!firstFailure.has(property)) firstFailure.set(property, index);
      } else {
        outcomes.get(property)!.limitationRuns++;
        if (!firstLimitation.has(property)) firstLimitation.set(property, { index, explored, violation: mine[0]! });
      }
    }
    search.onRun?.(runs, firstFailure.size);
  });
  await fc.check(searchProperty, { seed: search.seed, numRuns: search.runs });
  const searchRuns = Math.min(runs, search.runs);
  // The runs actually judged: the search ends early once every requested property failed.
  const lastFailure = Math.max(...[...firstFailure.entries()].filter(([property]) => options.properties.includes(property)).map(([, index]) => index + 1), 0);
  const judgedRuns = options.properties.every((property) => firstFailure.has(property)) ? lastFailure : searchRuns;
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
      const result = await fc.check(propertyOf(algorithm, property, options, () => shrinkRuns++), { seed: search.seed, path: String(index) });
      outcome.runsToFind = index + 1;
      if (result.failed && result.counterexample !== null) {
        const [counterexample] = result.counterexample as [ExploreCase];
        // Replayed and reported for this property alone (crashes are always judged).
        const replay: ReplayCase = { ...replayCaseOf(counterexample, options), properties: [property] };
        const rerun = await runReplayCase(algorithm, replay, options.livenessSlackMs);
        const violation = failing(rerun.violations).find((v) => v.property === property);
        outcome.verdict = violation?.verdict === 'unknown' ? 'unknown' : 'violated';
        outcome.replay = replay;
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

/** The per-property table. */
export function renderOutcomeTable(result: ExploreResult): string {
  const rows = [['property', 'verdict', 'runs to find', 'faults', 'note']];
  for (const outcome of result.outcomes) {
    const note =
      outcome.verdict === 'limitation'
        ? `${outcome.limitationRuns} run(s), each explained by a fault longer than the lease (exit 0)`
        : outcome.verdict === 'violated'
          ? `bug (exit 1)${outcome.shrinks !== undefined ? `, faults shrunk ${outcome.shrinks} time(s)` : ''}`
          : outcome.verdict === 'unknown'
            ? 'cannot be judged: not a pass (exit 1)'
            : `none in ${result.runs} run(s)`;
    rows.push([outcome.property, outcome.verdict, outcome.runsToFind === undefined ? '-' : String(outcome.runsToFind), outcome.faults === undefined ? '-' : String(outcome.faults), note]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}
