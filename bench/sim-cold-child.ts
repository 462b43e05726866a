/**
 * One cold run for bench/sim-cold.ts, in a process of its own: the bench's
 * workload (bench/contend.ts) once, on the built dist/ (`dist`, the code
 * `leaselab run` runs) or on the sources through tsx (`src`), then one line
 * of JSON on stdout:
 *
 *   node --import tsx bench/sim-cold-child.ts dist 600000
 *   → {"wallMs":512.3,"cpuMs":830.1,"mainThreadCpuMs":301.2,"events":49205}
 *
 * cpuMs counts every thread of the process (V8 compiles optimized code and
 * marks the heap on helper threads); mainThreadCpuMs only the one that runs
 * the simulation (Linux's /proc; null elsewhere).
 *
 * Like `leaselab run` (src/cli/main.ts), it sets V8 for one cold run
 * (src/cli/one-run-v8-flags.ts, from the same dist/ or src/) after it loads
 * the simulator and before the run; `--v8-defaults` leaves V8 as it is.
 */
import { readFileSync } from 'node:fs';
import { contendWith, type SimLibrary } from './contend.ts';

/** CPU ms this process's main thread has run, or undefined where /proc does not say. */
function mainThreadCpuMs(): number | undefined {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/** A module of the built dist/ or of the sources. */
function moduleUrl(from: 'dist' | 'src', path: string): string {
  return new URL(from === 'dist' ? `../dist/${path}.js` : `../src/${path}.ts`, import.meta.url).href;
}

/**
 * The library from the built dist/ (as `leaselab run` imports it) or from
 * the sources (through tsx, as the bench does); the two have the same API.
 */
async function library(from: 'dist' | 'src'): Promise<SimLibrary> {
  const module = (path: string) => moduleUrl(from, path);
  const [{ Sim }, { etcdMutex }, { randomFaultSchedule }, { SimRandom }] = await Promise.all([
    import(module('sim/sim')),
    import(module('client/lock-algorithm')),
    import(module('sim/faults')),
    import(module('sim/random')),
  ]);
  return { Sim, etcdMutex, randomFaultSchedule, SimRandom } as SimLibrary;
}

const args = process.argv.slice(2);
const v8Defaults = args.includes('--v8-defaults');
const [from = 'dist', virtualMsArg = '600000'] = args.filter((arg) => arg !== '--v8-defaults');
if (from !== 'dist' && from !== 'src') throw new Error(`sim-cold-child: expected dist or src, got ${from}`);
const virtualMs = Number(virtualMsArg);
const lib = await library(from);
if (!v8Defaults) {
  const { useOneRunV8Flags } = await import(moduleUrl(from, 'cli/one-run-v8-flags'));
  useOneRunV8Flags();
}

const mainBefore = mainThreadCpuMs();
const cpuBefore = process.cpuUsage();
const start = performance.now();
const result = await contendWith(lib, 1, virtualMs, false);
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
const mainAfter = mainThreadCpuMs();
process.stdout.write(
  `${JSON.stringify({
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainThreadCpuMs: mainBefore === undefined || mainAfter === undefined ? null : mainAfter - mainBefore,
    events: result.stats.events,
  })}\n`,
);
