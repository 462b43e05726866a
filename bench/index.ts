/**
 * `npm run bench [-- --quick] [-- --only kv,lease]`: every benchmark table.
 * Each area lives in bench/<area>.ts and exports runBench().
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type BenchModule, renderTable } from './table.ts';

const areas = ['kv', 'lease', 'watch', 'sim', 'explore', 'check'];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const only = values.only?.split(',');

for (const area of areas) {
  if (only && !only.includes(area)) continue;
  const path = new URL(`./${area}.ts`, import.meta.url);
  if (!existsSync(path)) continue;
  const module = (await import(path.href)) as BenchModule;
  for (const table of await module.runBench({ quick: values.quick ?? false })) process.stdout.write(`${renderTable(table)}\n`);
}
