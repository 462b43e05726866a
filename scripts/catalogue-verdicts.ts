/**
 * The catalogue's verdicts per property (test/explore/catalogue), as a table:
 * verdict, runs to find, shrunk faults, seconds per lock.
 *   npx tsx scripts/catalogue-verdicts.ts [runs] [seed…]
 */
import { catalogue } from '../test/explore/catalogue/index.ts';
import { exploreProperties } from '../src/explore/verdicts.ts';

const runs = Number(process.argv[2] ?? 100);
const seeds = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1];
const only = process.env.CATALOGUE_ONLY?.split(',');
console.log(`catalogue: ${runs} runs, seeds ${seeds.join(',')}, default faults and properties`);
for (const entry of catalogue) {
  if (only !== undefined && !only.some((name) => entry.file.includes(name))) continue;
  for (const seed of seeds) {
    const started = performance.now();
    const result = await exploreProperties(entry.algorithm, { properties: ['belief', 'fenced', 'liveness', 'crash'] }, { seed, runs });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const cells = result.outcomes.map(
      (o) =>
        `${o.property} ${o.verdict}${o.runsToFind !== undefined ? ` @${o.runsToFind}` : ''}${o.faults !== undefined && o.verdict !== 'ok' ? ` (${o.faults}f)` : ''}`,
    );
    const expected = entry.correct ? 'correct' : `bug: ${entry.bug}`;
    console.log(`${entry.algorithm.name.padEnd(22)} seed ${seed} [${expected}] ${cells.join(' | ')} | ${seconds}s`);
  }
}
