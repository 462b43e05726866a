/**
 * The simulator's first run in a process (what `leaselab run` or one CI test
 * gets): the bench's workload (bench/contend.ts, no faults) once per fresh
 * process, on the built dist/ and on the sources through tsx (both set as
 * `leaselab run` sets V8) and on dist/ with V8's defaults, alternating,
 * several processes each. Goal: at least 3,000× faster than real time.
 *
 * A cold run spends most of its CPU on one-off work: V8 compiling optimized
 * code on helper threads while the main thread runs the code unoptimized.
 * So the table shows both all threads' CPU and the main thread's: on an idle
 * 2-core machine the wall time is at least the larger of the main thread's
 * CPU and half of all threads' CPU.
 *
 * `leaselab run` sets V8 for one cold run once its modules are loaded
 * (src/cli/one-run-v8-flags.ts: a 1.5× interrupt budget, fewer and smaller
 * TurboFan jobs, no allocation-site pretenuring); the child does the same,
 * and the third row leaves V8 as it is, which is what explore and a library
 * user get.
 *
 * Where the time goes (2-core machine, medians of 7-15 fresh processes,
 * alternating): with V8's defaults, of ~430-470 ms CPU ~300 ms is on helper
 * threads, mostly TurboFan (~160 jobs; the largest #syncUnsynced, txn,
 * callWith, rangeAt, walkCompare, none over ~4% of the compile time) and
 * parallel scavenges (~20 ms: --single-threaded-gc moves them to the main
 * thread and saves nothing); the main thread's ~145 ms includes ~40 ms of
 * GC pauses (efc46a1's analysis), as the kept trace (34.5k trace events, ~9 MB) is copied
 * through the young generation. The one-run settings bring all threads' CPU
 * to ~310 ms (helpers ~160), main ~150: wall 187-195 ms (3,100-3,200×)
 * against 245-265 ms (2,270-2,450×) with the defaults, a bound of
 * max(main, all / 2) ≈ 155 ms (3,900×). The main thread is now the larger
 * half: a higher interrupt budget trades compile work for interpreter time
 * on it (2× the default: CPU 310 ms, main ~159 ms, wall no better).
 *
 * Tried and dropped: keeping the trace compactly (every event written as
 * small ints into a growing Int32Array, string and bigint tables, read back
 * into the same objects when `trace.events` is read) cut GC pauses
 * (--trace-gc) ~91 → 30 ms but not CPU: encoding cost the main thread ~20
 * ms, and every real reader (`leaselab run`'s timeline, explore's checkers)
 * pays to rebuild the objects (run + toText() 60 ms more CPU than now).
 * On top of the one-run settings, no gain beyond the ±10 ms noise of a
 * median: --maglev, --no-turbo-inlining (CPU -18, main +23 ms), inlining
 * budgets 200-700, --no-turbo-loop-peeling / -escape / -load-elimination /
 * -inline-array-builtins, --single-generation, --min-semi-space-size=16,
 * --no-concurrent-marking, --single-threaded-gc, and a 100 ms pause before
 * timing (for compile jobs left over from loading tsx: none to speak of).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, type BenchOptions, type BenchTable } from './table.ts';

interface ColdRun {
  wallMs: number;
  cpuMs: number;
  mainThreadCpuMs: number | null;
  events: number;
}

const child = fileURLToPath(new URL('./sim-cold-child.ts', import.meta.url));

/** Where a cold run's code comes from, and whether V8 is set for one run as `leaselab run` sets it. */
type ColdCode = 'dist' | 'src' | 'dist-v8-defaults';

function coldRun(code: ColdCode, virtualMs: number): ColdRun {
  const args = code === 'dist-v8-defaults' ? ['dist', String(virtualMs), '--v8-defaults'] : [code, String(virtualMs)];
  const run = spawnSync(process.execPath, ['--import', 'tsx', child, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`sim-cold: the ${code} run failed (exit ${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as ColdRun;
}

const codeNames: Record<ColdCode, string> = {
  dist: 'built dist/ (leaselab run)',
  src: 'sources through tsx',
  'dist-v8-defaults': 'built dist/, V8 defaults',
};

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const virtualMs = quick ? 60_000 : 10 * 60_000;
  const processes = quick ? 3 : 7;
  const codes: ColdCode[] = ['dist', 'src', 'dist-v8-defaults'];
  const runs: Record<ColdCode, ColdRun[]> = { dist: [], src: [], 'dist-v8-defaults': [] };
  for (let i = 0; i < processes; i++) for (const from of codes) runs[from].push(coldRun(from, virtualMs));
  const rows = codes.map((from) => {
    const wallMs = median(runs[from].map((run) => run.wallMs));
    const cpuMs = median(runs[from].map((run) => run.cpuMs));
    const main = runs[from].map((run) => run.mainThreadCpuMs);
    const mainMs = main.every((ms) => ms !== null) ? median(main as number[]) : Number.NaN;
    return [
      codeNames[from],
      String(processes),
      runs[from][0]!.events,
      wallMs,
      cpuMs,
      mainMs,
      cpuMs - mainMs,
      virtualMs / wallMs,
      virtualMs / Math.max(mainMs, cpuMs / 2),
    ];
  });
  return [
    {
      title: `Simulator, first run in a fresh process: 5 clients contending for an etcd Mutex (${virtualMs / 60_000} virtual min)`,
      columns: [
        'code',
        'processes',
        'events',
        'wall ms',
        'cpu ms (all threads)',
        'main thread cpu ms',
        'other threads cpu ms',
        'virtual s per wall s',
        'bound on 2 idle cores',
      ],
      rows,
      notes: [
        'Goal: virtual s per wall s >= 3,000 for the first run in a process.',
        `Medians of ${processes} fresh processes each, the three alternating; each runs the workload once (module loading not timed).`,
        'The first two set V8 for one cold run after loading the simulator, as `leaselab run` does (src/cli/one-run-v8-flags.ts); the third leaves V8 as it is (explore, a library user).',
        'Other threads: mostly V8 compiling optimized code (TurboFan) and helping the garbage collector.',
        'Bound on 2 idle cores: virtual ms / max(main thread cpu, all cpu / 2), the best virtual s per wall s this CPU allows when nothing else runs (measured idle, wall is 10-40% above that time; a busy machine shows wall ms far above it).',
        'The dist row needs a current build (`npm run bench` builds first).',
      ],
    },
  ];
}
