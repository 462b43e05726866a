/**
 * The simulator's speed: virtual seconds simulated per wall second, for five
 * clients contending for an etcd Mutex (Session + keepalives) over ten
 * virtual minutes, without and with random faults. Goal: at least 10,000×
 * faster than real time.
 */
import { etcdMutex } from '../src/client/lock-algorithm.ts';
import { randomFaultSchedule } from '../src/sim/faults.ts';
import { SimRandom } from '../src/sim/random.ts';
import { Sim, type SimResult } from '../src/sim/sim.ts';
import v8 from 'node:v8';
import type { Client } from '../src/client/client.ts';
import { median, type BenchOptions, type BenchTable } from './table.ts';
import { contendWith, type SimLibrary } from './contend.ts';

const sources: SimLibrary = { Sim, etcdMutex, randomFaultSchedule, SimRandom };

/** The bench's workload (bench/contend.ts) on the sources. */
export function contend(seed: number, virtualMs: number, faults: boolean): Promise<SimResult<Client>> {
  return contendWith(sources, seed, virtualMs, faults);
}

interface Measured {
  wallMs: number;
  cpuMs: number;
  /** Bytes allocated on V8's heap during the run. */
  allocatedBytes: number;
  result: SimResult<Client>;
}

/**
 * Bytes `run` allocates on V8's heap: the growth of the used heap between
 * garbage collections (each GC's before-size minus the previous after-size),
 * read from V8's GC profiler, so collections during the run are counted.
 */
async function allocatedDuring<T>(run: () => Promise<T>): Promise<{ value: T; allocatedBytes: number }> {
  const profiler = new v8.GCProfiler();
  profiler.start();
  const usedBefore = v8.getHeapStatistics().used_heap_size;
  const value = await run();
  const usedAfter = v8.getHeapStatistics().used_heap_size;
  let allocatedBytes = 0;
  let last = usedBefore;
  for (const gc of profiler.stop().statistics) {
    allocatedBytes += gc.beforeGC.heapStatistics.usedHeapSize - last;
    last = gc.afterGC.heapStatistics.usedHeapSize;
  }
  allocatedBytes += usedAfter - last;
  return { value, allocatedBytes };
}

/**
 * The built package (dist/, which `npm run bench` builds first when stale):
 * what `leaselab run`, `explore` and a user's `import 'leaselab'` run. The
 * sources through tsx pay for tsx's keep-names helper on every named closure
 * (~5% of a run), which no user pays.
 */
async function builtLibrary(): Promise<SimLibrary> {
  const dist = new URL('../dist/', import.meta.url);
  const [{ Sim: BuiltSim }, { etcdMutex: builtMutex }, { randomFaultSchedule: builtFaults }, { SimRandom: BuiltRandom }] = await Promise.all([
    import(new URL('sim/sim.js', dist).href) as Promise<typeof import('../src/sim/sim.ts')>,
    import(new URL('client/lock-algorithm.js', dist).href) as Promise<typeof import('../src/client/lock-algorithm.ts')>,
    import(new URL('sim/faults.js', dist).href) as Promise<typeof import('../src/sim/faults.ts')>,
    import(new URL('sim/random.js', dist).href) as Promise<typeof import('../src/sim/random.ts')>,
  ]);
  return { Sim: BuiltSim, etcdMutex: builtMutex, randomFaultSchedule: builtFaults, SimRandom: BuiltRandom };
}

async function measure(lib: SimLibrary, seed: number, virtualMs: number, faults: boolean): Promise<Measured> {
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const { value: result, allocatedBytes } = await allocatedDuring(() => contendWith(lib, seed, virtualMs, faults));
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, allocatedBytes, result };
}

/** Measured runs per row (the row shows the median wall and cpu times). */
const repeats = 5;
/**
 * Warm-up runs (of each kind) before the measured ones. V8 only compiles the
 * hot paths with its optimizing tier after many thousand calls: a 10-minute
 * run makes ~50k events and ~2k txns, and the first one or two in a process
 * run mostly unoptimized (3-5x slower). The cold row shows that first run.
 */
const warmups = 2;

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const lib = await builtLibrary();
  const virtualMs = quick ? 60_000 : 10 * 60_000;
  const faultPairs = Math.round(virtualMs / 20_000);
  const rows: (string | number)[][] = [];
  const row = (label: string, runs: Measured[]) => {
    const { result } = runs[0]!;
    const wallMs = median(runs.map((run) => run.wallMs));
    const cpuMs = median(runs.map((run) => run.cpuMs));
    const allocatedBytes = median(runs.map((run) => run.allocatedBytes));
    const events = result.stats.events;
    rows.push([
      label,
      virtualMs / 1000,
      wallMs,
      cpuMs,
      result.stats.events,
      (result.stats.events * 1000) / wallMs,
      virtualMs / wallMs,
      virtualMs / cpuMs,
      result.trace.clientEvents('lock-acquired').length,
      result.trace.events.length,
      (wallMs * 1000) / events,
      (cpuMs * 1000) / events,
      allocatedBytes / events,
      allocatedBytes / 1e6,
    ]);
  };
  // The first run in this process, as a one-off `leaselab run` sees it (when this bench runs first).
  row('no faults, cold (first run)', [await measure(lib, 1, virtualMs, false)]);
  for (let i = 0; i < warmups; i++) for (const faults of [false, true]) await contendWith(lib, 99 - i, virtualMs, faults);
  for (const faults of [false, true]) {
    const runs: Measured[] = [];
    for (let i = 0; i < repeats; i++) runs.push(await measure(lib, 1, virtualMs, faults));
    row(faults ? `with faults (${faultPairs} random pairs)` : 'no faults', runs);
  }
  return [
    {
      title: `Simulator: 5 clients contending for an etcd Mutex with keepalives (${virtualMs / 60_000} virtual min)`,
      columns: [
        'run',
        'virtual s',
        'wall ms',
        'cpu ms',
        'events',
        'events/s',
        'virtual s per wall s',
        'virtual s per cpu s',
        'locks acquired',
        'trace events',
        'µs/event',
        'cpu µs/event',
        'bytes/event',
        'MB allocated',
      ],
      rows,
      notes: [
        'Goal: virtual s per wall s >= 10,000 (faster than real time by that factor). The library measured is the built dist/ (what leaselab run, explore and a user import run).',
        `Warm rows: median of ${repeats} runs after ${warmups} warm-up runs of each kind (same seed, same events each time).`,
        'Allocation: growth of the V8 heap between garbage collections (v8.GCProfiler), median of the runs; µs/event = wall ms × 1000 / events.',
        'cpu ms (this process, user + system, all threads: it includes V8 compiling and GC helper threads) is steadier than wall ms on a busy machine.',
      ],
    },
  ];
}
