/**
 * Detection rate of the catalogue's bugs: each buggy lock searched for its
 * bug's property on seeds 1..N (up to `runs` runs, shrunk), printing runs to
 * find, shrunk faults and seconds; correct locks searched for every property.
 *   npx tsx scripts/catalogue-bench.ts [runs=500] [seeds=5] [correctRuns=500]
 */
import { catalogue } from '../test/explore/catalogue/index.ts';
import { exploreProperties } from '../src/explore/verdicts.ts';

const runs = Number(process.argv[2] ?? 500);
const seedCount = Number(process.argv[3] ?? 5);
const correctRuns = Number(process.argv[4] ?? 500);
const only = process.env.CATALOGUE_ONLY?.split(',');
console.log(`| lock | property | found | runs to find (per seed) | shrunk faults | seconds (per seed) |`);
console.log(`| --- | --- | --- | --- | --- | --- |`);
for (const entry of catalogue) {
  if (only !== undefined && !only.some((name) => entry.file.includes(name))) continue;
  if (entry.correct) {
    const started = performance.now();
    const result = await exploreProperties(
      entry.algorithm,
      { properties: ['belief', 'fenced', 'liveness', 'crash'] },
      { seed: 1, runs: correctRuns, shrink: false },
    );
    const failed = result.outcomes.filter((o) => o.verdict === 'violated' || o.verdict === 'unknown').map((o) => o.property);
    const limitation = result.outcomes.find((o) => o.verdict === 'limitation');
    console.log(
      `| ${entry.algorithm.name} (correct) | all | ${failed.length === 0 ? `no failure in ${result.runs} runs${limitation ? ` (${limitation.property}: limitation in ${limitation.limitationRuns} runs)` : ''}` : `FALSE ALARM: ${failed.join(',')}`} | - | - | ${((performance.now() - started) / 1000).toFixed(1)} |`,
    );
    continue;
  }
  const property = entry.bug!;
  const found: string[] = [];
  const faults: string[] = [];
  const secs: string[] = [];
  let hits = 0;
  for (let seed = 1; seed <= seedCount; seed++) {
    const started = performance.now();
    const result = await exploreProperties(entry.algorithm, { properties: [property] }, { seed, runs });
    const outcome = result.outcomes.find((o) => o.property === property)!;
    if (outcome.verdict === 'violated') hits++;
    found.push(outcome.verdict === 'violated' ? String(outcome.runsToFind) : '-');
    faults.push(outcome.faults === undefined ? '-' : String(outcome.faults));
    secs.push(((performance.now() - started) / 1000).toFixed(1));
  }
  console.log(`| ${entry.algorithm.name} | ${property} | ${hits}/${seedCount} | ${found.join(', ')} | ${faults.join(', ')} | ${secs.join(', ')} |`);
}
