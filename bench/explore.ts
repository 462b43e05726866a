/**
 * Explorer throughput: fault-injected lock runs per second (5 clients, 60
 * virtual seconds each, a generated fault plan per run, judged for belief,
 * fenced safety and liveness), for each built-in lock. Goal: ≥ 100 runs/s.
 * The baseline row is the same workload with no faults and no judging.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { builtinLockAlgorithms, etcdMutex } from '../src/client/lock-algorithm.ts';
import { exploreCaseArbitrary, replayCaseOf, runReplayCase } from '../src/explore/property.ts';
import { runLockWorkload } from '../src/explore/workload.ts';
import { CasePool, defaultWorkerCount, firstFailingCase } from '../src/explore/pool.ts';
import { median, type BenchOptions, type BenchTable } from './table.ts';

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
  const cold = await coldRows(quick);
  return [
    {
      title: `explore --workers: etcd-mutex-fenced runs (judged for fenced safety) on worker threads in steady state, ${poolRows.runs} runs per row after ${poolRows.warmup} warm-up runs per worker`,
      columns: ['workers', 'runs/s', 'speed-up', 'speed-up per core', 'CPU ms/run', 'cores busy', 'workers busy'],
      rows: poolRows.rows,
      notes: [
        `Goal: speed-up >= 0.8 x cores with all workers (${defaultWorkerCount()} here). The machine is shared: compare the rows, not the absolute rates; on a loaded machine (load above the core count) the row with more workers waits for cores and the speed-up means little.`,
        "CPU ms/run and cores busy: this process's CPU time (all threads). One worker keeps more than one core busy (V8 compiles and collects garbage on helper threads), which bounds the speed-up: at most cores x (the worker's own ms/run) / (CPU ms/run). workers busy: each worker's event-loop utilization (the rest of its time it waited for a case).",
      ],
    },
    {
      title: `explore --runs ${cold.runs} (the built CLI, cold: start-up and warm-up included), etcd-mutex-fenced judged for fenced safety, ${cold.trials} alternating trial(s) each`,
      columns: ['--workers', 'wall ms', 'wall range', 'speed-up', 'CPU ms', 'CPU range'],
      rows: cold.rows,
      notes: [
        "With --workers 1 the cases run in the CLI's own thread; with more, the first 8 there, the rest on the workers. Each worker warms up on its own (V8 compiles its code per thread: ~0.9 s of CPU over its first 100-300 runs, most of it on the compiler's helper threads), so over 1000 runs the speed-up is well below the steady-state one above. Starting the workers first, with no case in the CLI's thread, was 5-6% faster here but slower for searches decided in their first runs (src/explore/verdicts.ts, casesBeforeWorkers).",
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
 * Runs/s of the same cases on a pool of 1 worker and of one per core, in
 * steady state. Each worker first runs its own warm-up cases: V8 compiles
 * each thread's code on its own, and a worker's first few hundred runs pay
 * for it on its compiler and GC helper threads (measured here, on 2 cores,
 * the helper threads' CPU per run: ~5.5 ms over a worker's first 200 runs
 * with its start, ~1.1 ms over runs 200-400, ~0.45 ms after). With 40
 * warm-up runs per worker, as before, the two-worker row ran its cases
 * while each worker was still warming up, and showed 1.44-1.56x where the
 * same workers warm show 1.65-1.75x. coldRows shows what the warm-up costs
 * a whole exploration.
 */
async function workerPoolRows(quick: boolean): Promise<{ rows: (string | number)[][]; runs: number; warmup: number }> {
  const runs = quick ? 16 : 400;
  const warmup = quick ? 2 : 400;
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
      const busyBefore = pool.workerUtilization();
      const startMs = performance.now();
      const cpuBefore = process.cpuUsage();
      await firstFailingCase(pool, measured);
      const elapsedMs = performance.now() - startMs;
      const cpu = process.cpuUsage(cpuBefore);
      const busy = pool.workerUtilization().map((after, i) => {
        const before = busyBefore[i]!;
        return (after.active - before.active) / (after.active + after.idle - before.active - before.idle);
      });
      const runsPerSecond = (runs * 1000) / elapsedMs;
      if (workers === 1) single = runsPerSecond;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      rows.push([
        String(workers),
        runsPerSecond,
        runsPerSecond / single,
        runsPerSecond / single / workers,
        cpuMs / runs,
        cpuMs / elapsedMs,
        busy.map((fraction) => `${Math.round(fraction * 100)}%`).join(' '),
      ]);
    } finally {
      await pool.close();
    }
  }
  return { rows, runs, warmup };
}

/**
 * A whole `leaselab explore --runs 1000` (the default), cold, as users run
 * it: the built CLI spawned with --workers 1 and with one per core, in
 * alternating trials; wall and CPU time (all threads) per trial, medians.
 * It includes start-up and every thread's warm-up (see workerPoolRows).
 */
async function coldRows(quick: boolean): Promise<{ rows: (string | number)[][]; runs: number; trials: number }> {
  const runs = quick ? 40 : 1000;
  const trials = quick ? 1 : 5;
  const all = defaultWorkerCount();
  const counts = all > 1 ? [1, all] : [1];
  const samples = new Map<number, { ms: number; cpuMs: number }[]>(counts.map((count) => [count, []]));
  for (let trial = 0; trial < trials; trial++)
    for (const count of counts)
      samples
        .get(count)!
        .push(spawnSample([bin, 'explore', '--lock', 'mutex-fenced', '--property', 'fenced', '--runs', String(runs), '--workers', String(count)]));
  const singleMs = median(samples.get(1)!.map((sample) => sample.ms));
  const rows = counts.map((count) => {
    const ms = samples.get(count)!.map((sample) => sample.ms);
    const cpuMs = samples.get(count)!.map((sample) => sample.cpuMs);
    return [
      String(count),
      median(ms),
      `${Math.round(Math.min(...ms))}–${Math.round(Math.max(...ms))}`,
      singleMs / median(ms),
      median(cpuMs),
      `${Math.round(Math.min(...cpuMs))}–${Math.round(Math.max(...cpuMs))}`,
    ];
  });
  return { rows, runs, trials };
}

const bin = fileURLToPath(new URL('../bin/leaselab.js', import.meta.url));
const root = fileURLToPath(new URL('..', import.meta.url));
// Writes the child's CPU time (all threads) to stderr at exit (as in bench/cli.ts).
const cpuAtExit = ['--require', fileURLToPath(new URL('./cpu-at-exit.cjs', import.meta.url))];

/** Wall and CPU time (ms) of one `node args…` run to its exit (exit 0 or 1: a violation is an answer too). */
function spawnSample(args: string[]): { ms: number; cpuMs: number } {
  const startMs = performance.now();
  const child = spawnSync(process.execPath, [...cpuAtExit, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - startMs;
  if (child.status !== 0 && child.status !== 1) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  const cpu = /leaselab-bench-cpu-ms (\S+)/.exec(child.stderr);
  return { ms, cpuMs: cpu === null ? Number.NaN : Number(cpu[1]) };
}
