/**
 * `leaselab bench [--quick] [--only kv,lease,watch,sim,explore,check]`: the
 * benchmark tables (the same as `npm run bench`). Each area runs in a process
 * of its own; speed goals are ratios to a baseline measured in that process.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function run(args: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../../../bench/index.ts', import.meta.url));
  if (!existsSync(script)) {
    process.stderr.write('leaselab bench: the benchmarks live in bench/ of a leaselab checkout, which this installation does not have\n');
    return 2;
  }
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit' });
  return child.status ?? 1;
}
