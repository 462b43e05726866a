/**
 * Explorer throughput: fault-injected lock runs per second (5 clients, 60
 * virtual seconds each, a generated fault plan per run, judged for belief,
 * fenced safety and liveness), for each built-in lock. Goal: ≥ 100 runs/s.
 * The baseline row is the same workload with no faults and no judging.
 */
import fc from 'fast-check';
import { builtinLockAlgorithms, etcdMutex } from '../src/client/lock-algorithm.ts';
import { exploreCaseArbitrary, replayCaseOf, runReplayCase } from '../src/explore/property.ts';
import { runLockWorkload } from '../src/explore/workload.ts';
import { CasePool, defaultWorkerCount, firstFailingCase } from '../src/explore/pool.ts';
import type { BenchOptions, BenchTable } from './table.ts';

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const runs = quick ? 20 : 150;
  const warmup = quick ? 3 : 15;
  const cases = fc.sample(exploreCaseArbitrary({}), { seed: 1, numRuns: runs + warmup });
  const rows: (string | number)[][] = [];

  // Baseline: the workload alone.
  for (let i = 0; i < warmup; i++) await runLockWorkload(etcdMutex, { seed: i });
  let startMs = performance.now();
  let events = 0;
  for (let i = 0; i < runs; i++) events += (await runLockWorkload(etcdMutex, { seed: i })).sim.stats.events;
  let elapsedMs = performance.now() - startMs;
  rows.push(['etcd-mutex, no faults, not judged (baseline)', (runs * 1000) / elapsedMs, elapsedMs / runs, events / runs, (events * 1000) / elapsedMs]);

  for (const algorithm of builtinLockAlgorithms) {
    for (const explored of cases.slice(0, warmup)) await runReplayCase(algorithm, replayCaseOf(explored));
    startMs = performance.now();
    events = 0;
    for (const explored of cases.slice(warmup)) events += (await runReplayCase(algorithm, replayCaseOf(explored))).run.sim.stats.events;
    elapsedMs = performance.now() - startMs;
    rows.push([algorithm.name, (runs * 1000) / elapsedMs, elapsedMs / runs, events / runs, (events * 1000) / elapsedMs]);
  }
  const poolRows = await workerPoolRows(quick);
  return [
    {
      title: `explore --workers: etcd-mutex-fenced runs (judged for fenced safety) on worker threads, ${poolRows.runs} runs per row after ${poolRows.warmup} warm-up runs per worker`,
      columns: ['workers', 'runs/s', 'speed-up', 'speed-up per core', 'cores busy'],
      rows: poolRows.rows,
      notes: [
        `Goal: speed-up >= 0.8 x cores with all workers (${defaultWorkerCount()} here). The machine is shared: compare the rows, not the absolute rates.`,
        "cores busy: this process's CPU time (all threads) per wall second. One worker already keeps more than one core busy (V8 compiles and collects garbage on helper threads), which bounds the speed-up below the number of cores.",
      ],
    },
    {
      title: `explore: fault-injected lock runs (5 clients, 60 virtual s, up to 4 faults, judged), ${runs} runs each`,
      columns: ['lock', 'runs/s', 'ms/run', 'events/run', 'events/s'],
      rows,
      notes: ['Goal: ≥ 100 runs/s per lock on one core. A run is one simulation plus the three checkers.'],
    },
  ];
}

/**
 * Runs/s of the same cases on a pool of 1 worker and of one per core. Each
 * worker first runs its own warm-up cases (V8 optimises each worker's code on
 * its own), then every row runs the same measured cases. The measured window
 * is long enough (hundreds of runs) that worker start and JIT warm-up do not
 * dominate it, as in a real exploration of a thousand runs or more.
 */
async function workerPoolRows(quick: boolean): Promise<{ rows: (string | number)[][]; runs: number; warmup: number }> {
  const runs = quick ? 16 : 400;
  const warmup = quick ? 2 : 40;
  const options = { properties: ['fenced' as const] };
  const all = defaultWorkerCount();
  const counts = all > 1 ? [1, all] : [1];
  const cases = fc.sample(exploreCaseArbitrary(options), { seed: 7, numRuns: warmup * all + runs });
  const measured = cases.slice(warmup * all);
  const rows: (string | number)[][] = [];
  let single = 0;
  for (const workers of counts) {
    const pool = CasePool.start(workers, { lock: 'mutex-fenced', options });
    try {
      await firstFailingCase(pool, cases.slice(0, warmup * workers));
      const startMs = performance.now();
      const cpuBefore = process.cpuUsage();
      await firstFailingCase(pool, measured);
      const elapsedMs = performance.now() - startMs;
      const cpu = process.cpuUsage(cpuBefore);
      const runsPerSecond = (runs * 1000) / elapsedMs;
      if (workers === 1) single = runsPerSecond;
      const coresBusy = (cpu.user + cpu.system) / 1000 / elapsedMs;
      rows.push([String(workers), runsPerSecond, runsPerSecond / single, runsPerSecond / single / workers, coresBusy]);
    } finally {
      await pool.close();
    }
  }
  return { rows, runs, warmup };
}
