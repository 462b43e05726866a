/**
 * Exploration on every core: the generated cases run on a pool of worker
 * threads, one case at a time per worker, and the answer is the first failing
 * case by index, never by arrival, so it is the case one worker would stop at.
 *
 *   const pool = CasePool.start(2, { lock: 'mutex', options: { faults: ['pause'] } });
 *   const first = await firstFailingCase(pool, fc.sample(exploreCaseArbitrary(options), { seed, numRuns }));
 *   await pool.close();
 *
 * A worker knows nothing of how a case is judged: it loads the lock (a
 * built-in name or a module path, as `--lock` takes it) and runs
 * `checkLockCase` on each case it is sent (case in, verdict out). A case
 * fails when that throws, whatever it throws, as it fails under fast-check.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type { EventLoopUtilization } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { LockProperty, Violation } from './judge.ts';
import type { ExploreCase, LockSafetyOptions } from './property.ts';

/** What every worker needs to run cases: the lock as `--lock` names it and the property options (plain data). */
export interface CaseJob {
  lock: string;
  options: Omit<LockSafetyOptions, 'onRun'>;
}

/** What one case's run showed of one property: its first violation, failing (a bug, or unknown) or a known limitation. */
export interface CaseFinding {
  property: LockProperty;
  failing: boolean;
  violation: Violation;
}

/** One case's outcome: whether any property failed, and per property what the run showed. */
export interface CaseVerdict {
  index: number;
  failed: boolean;
  findings: CaseFinding[];
}

/** One worker per core. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * Cases sent to one worker ahead of its verdicts. A worker runs its cases one
 * at a time; with the next one already queued it does not sit idle while
 * this thread (busy, or waiting for a core on a loaded machine) answers.
 * Measured on 2 cores (bench/explore.ts, workers busy): each of two workers
 * is busy 97-100% of the time; this thread spends ~0.07 ms per case.
 */
export const casesInFlightPerWorker = 2;

/**
 * Each worker's young generation (V8's nursery), in MB. A default-sized one
 * (two 16 MB semi-spaces on 64-bit) fills every few runs, and what a run still holds (its
 * trace) is copied, promoted and collected again by the GC's helper threads,
 * which compete with the other worker for the cores. Measured on 2 cores with
 * 60-virtual-s cases: one worker +10% runs/s, two workers +25-30%
 * (285-307 -> 346-396 runs/s at 128 MB); 600-virtual-s cases unchanged. The
 * price is memory: up to this much more per worker.
 */
export const workerYoungGenerationMb = 128;

/**
 * Workers that fill every core compile on their own threads: before starting
 * them, V8's concurrent (background-thread) optimizing compiler is turned off
 * for the isolates created from then on. With a core to spare, a worker's
 * TurboFan jobs run beside it for free; with every core running a worker,
 * they wait for a core while the worker keeps running the code they are to
 * replace. Measured on 2 cores, alternating with the previous build,
 * medians of 5 trials: at load ~2, 2 workers after 400 warm-up runs each
 * 542 -> 636 runs/s (CPU 3.56 -> 3.11 ms/run), after 40 (still compiling)
 * 445 -> 482; at load 4-6 (shared), after 400 each 248 -> 334 in one set
 * and 567 -> 572 in another; `explore --runs 1000 --workers 2`, the whole
 * command, wall 3.31 -> 2.96 s at load ~2, 6.26 -> 5.55 s at load 5
 * (each trial faster). One worker beside an idle core keeps its background
 * compiler (its pool does not fill the cores; there the flag cost it 2-11%
 * runs/s, 2 trials). Node warns that flags set after start-up may not take
 * effect or may break things: this one is read when an isolate starts (a
 * worker's takes it; this thread's keeps its compiler threads, measured),
 * and it is only ever turned off, never back on; --single-threaded-gc,
 * tried the same way, crashed V8 (a failed CHECK on
 * concurrent marking), so it is not used.
 */
function compileOnWorkerThreads(): void {
  if (compilingOnWorkerThreads) return;
  compilingOnWorkerThreads = true;
  setFlagsFromString('--no-concurrent-recompilation');
}
let compilingOnWorkerThreads = false;

interface Pending {
  resolve(verdict: CaseVerdict): void;
  reject(error: Error): void;
}

interface PoolWorker {
  worker: Worker;
  /** Cases sent and not yet answered, in the order sent (a worker answers in that order). */
  pending: Pending[];
}

/** Worker threads that run explore cases. */
export class CasePool {
  readonly #workers: PoolWorker[];

  private constructor(workers: PoolWorker[]) {
    this.#workers = workers;
  }

  /** Start `size` workers (each loads the lock once). */
  static start(size: number, job: CaseJob): CasePool {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`a pool needs at least one worker, got ${size}`);
    if (size >= availableParallelism()) compileOnWorkerThreads();
    const source = workerEntry();
    const workers: PoolWorker[] = [];
    for (let i = 0; i < size; i++) {
      const options = { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: workerYoungGenerationMb } };
      const worker = typeof source === 'string' ? new Worker(source, { eval: true, ...options }) : new Worker(source, options);
      const slot: PoolWorker = { worker, pending: [] };
      slot.worker.on('message', (verdict: CaseVerdict) => slot.pending.shift()?.resolve(verdict));
      const fail = (error: Error) => {
        for (const pending of slot.pending.splice(0)) pending.reject(error);
      };
      slot.worker.on('error', fail);
      slot.worker.on('exit', (code) => fail(new Error(`explore worker exited (code ${code}) with a case in flight`)));
      workers.push(slot);
    }
    return new CasePool(workers);
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Queue case `index` on worker `slot`; its verdict comes after those of the cases queued there before. */
  run(slot: number, index: number, explored: ExploreCase): Promise<CaseVerdict> {
    const entry = this.#workers[slot]!;
    return new Promise<CaseVerdict>((resolve, reject) => {
      entry.pending.push({ resolve, reject });
      entry.worker.postMessage({ index, explored });
    });
  }

  /** Each worker's event-loop utilization so far (the fraction of its time not spent waiting for a case), for benchmarks. */
  workerUtilization(): EventLoopUtilization[] {
    return this.#workers.map((entry) => entry.worker.performance.eventLoopUtilization());
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((entry) => entry.worker.terminate()));
  }
}

/**
 * The index of the first case that fails, or undefined when none does. Cases
 * go out in index order; once case k failed, no case after k is sent, and
 * every case before k runs to its verdict, so the answer does not depend on
 * which worker finished first. `onVerdict` hears each verdict as it arrives.
 */
export async function firstFailingCase(pool: CasePool, cases: readonly ExploreCase[], onVerdict?: (verdict: CaseVerdict) => void): Promise<number | undefined> {
  let next = 0;
  let firstFailure = Number.POSITIVE_INFINITY;
  const drive = async (slot: number): Promise<void> => {
    while (next < cases.length && next < firstFailure) {
      const index = next++;
      const verdict = await pool.run(slot, index, cases[index]!);
      if (verdict.failed) firstFailure = Math.min(firstFailure, index);
      onVerdict?.(verdict);
    }
  };
  await Promise.all(Array.from({ length: pool.size * casesInFlightPerWorker }, (_, driver) => drive(driver % pool.size)));
  return Number.isFinite(firstFailure) ? firstFailure : undefined;
}

/**
 * Hand every case's verdict to `handle` in index order (whatever order the
 * workers finish in), until `handle` returns false; cases after that are not
 * sent, and verdicts already on their way are dropped. The same cases give
 * the same calls to `handle` for any number of workers.
 */
export async function judgeInIndexOrder(pool: CasePool, cases: readonly ExploreCase[], handle: (verdict: CaseVerdict) => boolean): Promise<void> {
  let next = 0;
  let handled = 0;
  let stopped = false;
  const arrived = new Map<number, CaseVerdict>();
  const drive = async (slot: number): Promise<void> => {
    while (!stopped && next < cases.length) {
      const index = next++;
      arrived.set(index, await pool.run(slot, index, cases[index]!));
      for (let verdict = arrived.get(handled); !stopped && verdict !== undefined; verdict = arrived.get(handled)) {
        arrived.delete(handled);
        handled++;
        if (!handle(verdict)) stopped = true;
      }
    }
  };
  await Promise.all(Array.from({ length: pool.size * casesInFlightPerWorker }, (_, driver) => drive(driver % pool.size)));
}

/**
 * The worker's module: the compiled JavaScript beside this file, or, when
 * this file runs as TypeScript source (tests, bench), code that registers
 * tsx in the new thread and then imports the TypeScript worker (Node 20
 * does not apply `--import` hooks to a worker's entry module).
 */
function workerEntry(): URL | string {
  if (!import.meta.url.endsWith('.ts')) return new URL('./pool-worker.js', import.meta.url);
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const worker = new URL('./pool-worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(worker)}));`;
}
