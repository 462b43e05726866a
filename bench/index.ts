/**
 * `npm run bench [-- --quick] [-- --only kv,lease]`: every benchmark table.
 * Each area lives in bench/<area>.ts and exports runBench(). Each area runs
 * in a process of its own, so one area's heap (a million-key store) does not
 * slow the next one's garbage collector.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BenchModule, renderTable } from './table.ts';

const areas = [
  'kv',
  'lease',
  'watch',
  'schemas',
  'sim',
  'sim-cold',
  'explore',
  'catalogue',
  'check',
  'porcupine',
  'fast-forward',
  'cli',
  'serve-wal',
  'serve-authority',
  'load',
];

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'in-process': { type: 'boolean', default: false } },
});
const selected = areas.filter((area) => (values.only?.split(',') ?? areas).includes(area) && existsSync(new URL(`./${area}.ts`, import.meta.url)));

if (values['in-process'] || selected.length === 1) {
  for (const area of selected) {
    const module = (await import(new URL(`./${area}.ts`, import.meta.url).href)) as BenchModule;
    for (const table of await module.runBench({ quick: values.quick ?? false })) process.stdout.write(`${renderTable(table)}\n`);
  }
} else {
  const self = fileURLToPath(import.meta.url);
  for (const area of selected) {
    const args = ['--import', 'tsx', self, '--only', area, ...(values.quick ? ['--quick'] : [])];
    const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (child.status !== 0) process.exitCode = child.status ?? 1;
  }
}
