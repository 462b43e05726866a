/**
 * Coverage-guided random search (`explore --coverage`): fast-check draws
 * cases blind, each independent of what the last ones reached. Here every
 * run's lock-state coverage (src/explore/coverage.ts) is recorded; a case
 * that reached a feature (or a count bucket) no run reached before joins a
 * corpus, and half of the following cases are mutations of corpus cases —
 * the one that reached the rarest feature first — rather than fresh draws.
 * Schedules that got close to the rare situations (a waiter's key expiring,
 * an unknown write, a lost answer to a delete) are varied until a bug shows.
 *
 *   const found = await guidedSearch(lock, { runs: 500, seed: 1, properties: ['belief'] });
 *   found.counterexample   // the first case that broke a property (not shrunk: see simplify.ts)
 *   found.runsToFirst      // 37
 *
 * Deterministic: fresh cases are fast-check samples of the same arbitrary
 * for the seed, mutations draw from a stream seeded by it.
 */
import fc from 'fast-check';
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import { RandomStream } from '../sim/random.ts';
import type { FaultPlan, FaultSpec } from './arbitraries.ts';
import { coverageKeys, lockStateCoverage } from './coverage.ts';
import { checkLockCaseQuietly, exploreCaseArbitrary, type ExploreCase, type JudgedRun, type LockSafetyOptions } from './property.ts';
import { faultsEndMs, resolveWorkloadOptions } from './workload.ts';

export interface GuidedSearchOptions extends LockSafetyOptions {
  /** Cases to run. @defaultValue 1000 */
  runs?: number;
  /** Seeds the fresh draws and the mutations. @defaultValue 1 */
  seed?: number;
  /** Share of cases mutated from the corpus once it is not empty. @defaultValue 0.5 */
  mutateShare?: number;
  /**
   * Whether a run is a counterexample. @defaultValue it broke a property. (A
   * verdict that sets known limitations of lease locks aside plugs in here.)
   */
  isCounterexample?: (judged: JudgedRun) => boolean;
}

export interface GuidedSearchResult {
  /** The first case that broke a property, and its run. */
  counterexample: { case: ExploreCase; judged: JudgedRun } | undefined;
  runsToFirst: number;
  runs: number;
  /** Cases kept for reaching new ground. */
  corpus: number;
  /** Every feature reached, with the number of runs that reached it. */
  featuresSeen: Map<string, number>;
}

interface CorpusEntry {
  case: ExploreCase;
  /** The features it was the first to reach. */
  newFeatures: string[];
  /** Times it was picked to mutate. */
  picked: number;
}

export async function guidedSearch(algorithm: LockAlgorithm, options: GuidedSearchOptions = {}): Promise<GuidedSearchResult> {
  const runs = options.runs ?? 1000;
  const seed = options.seed ?? 1;
  const mutateShare = options.mutateShare ?? 0.5;
  // Fresh draws in fixed chunks, so the n-th case does not depend on the budget.
  const arbitrary = exploreCaseArbitrary(options);
  const chunkSize = 500;
  const fresh: ExploreCase[] = [];
  const freshCase = (index: number): ExploreCase => {
    while (fresh.length <= index) fresh.push(...fc.sample(arbitrary, { seed: seed + 7919 * (fresh.length / chunkSize), numRuns: chunkSize }));
    return fresh[index]!;
  };
  freshCase(0);
  const random = new RandomStream(seed, 'explore/guided');
  const base = resolveWorkloadOptions(options);
  const windowEndMs = faultsEndMs(base);
  const seenKeys = new Set<string>();
  const featuresSeen = new Map<string, number>();
  const corpus: CorpusEntry[] = [];
  let nextFresh = 0;
  for (let run = 1; run <= runs; run++) {
    const mutate = corpus.length > 0 && random.chance(mutateShare);
    const candidate = mutate ? mutateCase(pickEntry(corpus, featuresSeen, random), fresh, random, windowEndMs) : freshCase(nextFresh++);
    const judged = await checkLockCaseQuietly(algorithm, candidate, options);
    const features = lockStateCoverage(judged.run.trace);
    for (const feature of features.keys()) featuresSeen.set(feature, (featuresSeen.get(feature) ?? 0) + 1);
    const newKeys = coverageKeys(features).filter((key) => !seenKeys.has(key));
    for (const key of newKeys) seenKeys.add(key);
    if (options.isCounterexample?.(judged) ?? judged.violations.length > 0)
      return { counterexample: { case: candidate, judged }, runsToFirst: run, runs: run, corpus: corpus.length, featuresSeen };
    if (newKeys.length > 0) corpus.push({ case: candidate, newFeatures: newKeys.map((key) => key.slice(0, key.lastIndexOf('×'))), picked: 0 });
  }
  return { counterexample: undefined, runsToFirst: 0, runs, corpus: corpus.length, featuresSeen };
}

/** The corpus entry to mutate: the one whose rarest new feature is rarest, least picked first. */
function pickEntry(corpus: CorpusEntry[], featuresSeen: ReadonlyMap<string, number>, random: RandomStream): CorpusEntry {
  // Mostly the rarest; sometimes any (so a corpus of many rare entries is not starved).
  if (random.chance(0.25)) {
    const any = random.pick(corpus);
    any.picked++;
    return any;
  }
  let best = corpus[0]!;
  let bestScore = Infinity;
  for (const entry of corpus) {
    const rarity = Math.min(...entry.newFeatures.map((feature) => featuresSeen.get(feature) ?? 0));
    const score = rarity * (1 + entry.picked / 4);
    if (score < bestScore) {
      best = entry;
      bestScore = score;
    }
  }
  best.picked++;
  return best;
}

/** One small change: move a fault, stretch or shrink it, add a fault from a fresh draw, or swap one for it. */
function mutateCase(entry: CorpusEntry, fresh: readonly ExploreCase[], random: RandomStream, windowEndMs: number): ExploreCase {
  const plan: FaultSpec[] = entry.case.plan.map((spec) => ({ ...spec }));
  const donor = random.pick(fresh).plan;
  const choice = plan.length === 0 ? 2 : random.int(0, 4);
  const target = plan.length === 0 ? undefined : plan[random.int(0, plan.length - 1)]!;
  switch (choice) {
    case 0:
      target!.atMs = clamp(target!.atMs + random.int(-3_000, 3_000), 0, windowEndMs - 1);
      break;
    case 1:
      target!.durationMs = Math.max(100, Math.round(target!.durationMs * random.pick([0.5, 0.8, 1.25, 1.6])));
      break;
    case 2:
      if (donor.length > 0) plan.push({ ...random.pick(donor) });
      break;
    case 3:
      if (donor.length > 0) plan[plan.indexOf(target!)] = { ...random.pick(donor) };
      break;
    default:
      // Same fault, another simulator seed: the same situation with other timing.
      return { seed: random.int(0, 0x7fffffff), plan: plan as FaultPlan, workload: entry.case.workload };
  }
  return { seed: entry.case.seed, plan: plan.sort((a, b) => a.atMs - b.atMs) as FaultPlan, workload: entry.case.workload };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
