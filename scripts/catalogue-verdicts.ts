/**
 * The catalogue's verdicts per property, as a table (seconds, runs to find):
 *   npx tsx scripts/catalogue-verdicts.ts [runs] [seed]
 */
import fc from 'fast-check';
import { catalogue } from '../test/explore/catalogue/index.ts';
import { lockSafety, LockPropertyError } from '../src/explore/property.ts';

const runs = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3] ?? 1);
const properties = ['belief', 'fenced', 'liveness'] as const;
console.log(`catalogue, today's explorer, ${runs} runs, seed ${seed}, one search per property`);
for (const entry of catalogue) {
  const cells: string[] = [];
  for (const property of properties) {
    const started = performance.now();
    let count = 0;
    const result = await fc.check(lockSafety(entry.algorithm, { properties: [property], onRun: () => count++ }), { seed, numRuns: runs, endOnFailure: true });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const cause = result.failed && result.errorInstance instanceof LockPropertyError ? 'violated' : result.failed ? `error: ${String(result.errorInstance).slice(0, 60)}` : 'ok';
    cells.push(`${property} ${cause} (${result.numRuns} runs, ${seconds}s)`);
  }
  console.log(`${entry.algorithm.name.padEnd(24)} ${cells.join(' | ')}`);
}
