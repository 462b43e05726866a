/**
 * leaselab's linearizability checker side by side with porcupine (Go) on
 * porcupine's own test histories: the Jepsen etcd register logs
 * (test_data/jepsen) and the kv-append histories (test_data/kv).
 *
 *   LEASELAB_PORCUPINE=/path/to/porcupine npm run bench -- --only porcupine
 *
 * LEASELAB_PORCUPINE names a porcupine checkout or its bare git directory
 * (read with `git archive`); neither its code nor its data is kept in
 * leaselab. Where Go is installed, bench/porcupine/main.go is built against
 * that porcupine in a temporary GOPATH and run on the same files; the two
 * sides alternate, twice, and each history keeps its better round (the
 * machine is shared). Without the histories, or without Go, the bench says
 * what it skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkLinearizability } from '../src/check/linearizability.ts';
import { kvAppendModel, readKvAppendHistory } from '../src/check/models/kv-append.ts';
import { readJepsenRegisterLog, registerModel } from '../src/check/models/register.ts';
import type { BenchOptions, BenchTable } from './table.ts';

interface Side {
  ok: boolean;
  /** Median of the runs in the better round. */
  medianMs: number;
  /** Median CPU time (every thread of the process) in that round. */
  cpuMs: number;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Where porcupine's sources and test data are (a checkout, or a temporary export of a git directory), or why not. */
function findPorcupine(scratch: string): { dir: string } | { skipped: string } {
  const given = process.env.LEASELAB_PORCUPINE;
  if (given === undefined || given === '')
    return { skipped: 'skipped: set LEASELAB_PORCUPINE to a porcupine checkout or git directory (github.com/anishathalye/porcupine) to compare with it' };
  if (existsSync(join(given, 'test_data', 'jepsen'))) return { dir: given };
  if (existsSync(join(given, 'HEAD')) && existsSync(join(given, 'objects'))) {
    const dir = join(scratch, 'porcupine');
    mkdirSync(dir);
    const archive = spawnSync('git', ['--git-dir', given, 'archive', 'HEAD'], { maxBuffer: 1 << 28 });
    if (archive.status !== 0) return { skipped: `skipped: git archive of ${given} failed: ${archive.stderr.toString().trim()}` };
    execFileSync('tar', ['-x', '-C', dir], { input: archive.stdout });
    if (existsSync(join(dir, 'test_data', 'jepsen'))) return { dir };
  }
  return { skipped: `skipped: LEASELAB_PORCUPINE=${given} has no test_data/jepsen (not a porcupine checkout or git directory)` };
}

/** Build bench/porcupine/main.go against the porcupine in `dir`; the binary, or why not. */
function buildPorcupineSide(dir: string, scratch: string): { binary: string } | { skipped: string } {
  const go = spawnSync('go', ['version']);
  if (go.error !== undefined || go.status !== 0) return { skipped: 'porcupine side skipped: Go is not installed (apt-get install golang-go)' };
  const gopath = join(scratch, 'gopath');
  const library = join(gopath, 'src', 'github.com', 'anishathalye', 'porcupine');
  mkdirSync(library, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.go') && !name.endsWith('_test.go')) cpSync(join(dir, name), join(library, name));
  if (existsSync(join(dir, 'visualization'))) cpSync(join(dir, 'visualization'), join(library, 'visualization'), { recursive: true });
  const driver = join(gopath, 'src', 'leaselabbench');
  mkdirSync(driver, { recursive: true });
  cpSync(new URL('./porcupine/main.go', import.meta.url), join(driver, 'main.go'));
  const binary = join(scratch, 'porcupine-bench');
  const build = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: driver,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: gopath, GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? join(scratch, 'gocache') },
  });
  if (build.status !== 0) return { skipped: `porcupine side skipped: go build failed: ${build.stderr.toString().trim().split('\n').slice(0, 3).join(' ')}` };
  return { binary };
}

function runPorcupine(binary: string, files: readonly string[], reps: number): Map<string, Side> {
  const result = spawnSync(binary, [String(reps), ...files], { maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`porcupine side failed: ${result.stderr.toString()}`);
  const sides = new Map<string, Side>();
  for (const line of result.stdout.toString().trim().split('\n')) {
    const { path, ok, ns, cpuNs } = JSON.parse(line) as { path: string; ok: boolean; ns: number[]; cpuNs: number[] };
    sides.set(path, { ok, medianMs: median(ns) / 1e6, cpuMs: median(cpuNs) / 1e6 });
  }
  return sides;
}

type Checkable = () => 'ok' | 'illegal' | 'unknown';

function checkerOf(file: string): Checkable {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.log')) {
    const operations = readJepsenRegisterLog(text).operations;
    return () => checkLinearizability(operations, registerModel()).result;
  }
  const operations = readKvAppendHistory(text).operations;
  return () => checkLinearizability(operations, kvAppendModel()).result;
}

function runLeaselab(checks: ReadonlyMap<string, Checkable>, reps: number): Map<string, Side> {
  const sides = new Map<string, Side>();
  for (const [file, check] of checks) {
    const times: number[] = [];
    const cpu: number[] = [];
    let result = '';
    for (let i = 0; i < reps; i++) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      result = check();
      times.push(performance.now() - start);
      const used = process.cpuUsage(cpuStart);
      cpu.push((used.user + used.system) / 1000);
    }
    sides.set(file, { ok: result === 'ok', medianMs: median(times), cpuMs: median(cpu) });
  }
  return sides;
}

const better = (a: Map<string, Side> | undefined, b: Map<string, Side>): Map<string, Side> => {
  if (a === undefined) return b;
  for (const [file, side] of b) if (side.medianMs < a.get(file)!.medianMs) a.set(file, side);
  return a;
};

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'leaselab-porcupine-'));
  try {
    const title = "Linearizability: leaselab vs porcupine on porcupine's own histories";
    const columns = [
      'histories',
      'count',
      'verdicts (ok / illegal)',
      'same verdicts',
      'leaselab ms',
      'porcupine ms',
      'ratio',
      'median ratio',
      'worst (ratio)',
      'cpu ms: leaselab',
      'porcupine',
      'ratio',
    ];
    const found = findPorcupine(scratch);
    if ('skipped' in found) return [{ title, columns, rows: [], notes: [found.skipped] }];
    const jepsen = readdirSync(join(found.dir, 'test_data', 'jepsen'))
      .filter((name) => name.endsWith('.log'))
      .sort()
      .map((name) => join(found.dir, 'test_data', 'jepsen', name));
    const kvDir = join(found.dir, 'test_data', 'kv');
    const kv = existsSync(kvDir)
      ? readdirSync(kvDir)
          .filter((name) => name.endsWith('.txt'))
          .sort()
          .map((name) => join(kvDir, name))
      : [];
    const files = [...jepsen, ...kv];
    const checks = new Map(files.map((file) => [file, checkerOf(file)]));
    const reps = quick ? 1 : 5;
    const rounds = quick ? 1 : 2;
    const notes: string[] = [];
    const built = buildPorcupineSide(found.dir, scratch);
    if ('skipped' in built) notes.push(built.skipped);
    // A warm-up pass, as porcupine's side runs compiled code from its first call.
    runLeaselab(checks, 1);
    let ours: Map<string, Side> | undefined;
    let theirs: Map<string, Side> | undefined;
    for (let round = 0; round < rounds; round++) {
      if ('binary' in built) theirs = better(theirs, runPorcupine(built.binary, files, reps));
      ours = better(ours, runLeaselab(checks, reps));
    }
    const rows: (string | number)[][] = [];
    const group = (label: string, group: readonly string[]) => {
      const okCount = group.filter((file) => ours!.get(file)!.ok).length;
      const ourMs = group.reduce((sum, file) => sum + ours!.get(file)!.medianMs, 0);
      if (theirs === undefined) {
        rows.push([
          label,
          String(group.length),
          `${okCount} / ${group.length - okCount}`,
          '-',
          ourMs,
          '-',
          '-',
          '-',
          '-',
          group.reduce((sum, file) => sum + ours!.get(file)!.cpuMs, 0),
          '-',
          '-',
        ]);
        return;
      }
      const same = group.filter((file) => ours!.get(file)!.ok === theirs!.get(file)!.ok).length;
      const theirMs = group.reduce((sum, file) => sum + theirs!.get(file)!.medianMs, 0);
      const ratios = group.map((file) => ({ file, ratio: ours!.get(file)!.medianMs / theirs!.get(file)!.medianMs }));
      const worst = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
      const ourCpu = group.reduce((sum, file) => sum + ours!.get(file)!.cpuMs, 0);
      const theirCpu = group.reduce((sum, file) => sum + theirs!.get(file)!.cpuMs, 0);
      rows.push([
        label,
        String(group.length),
        `${okCount} / ${group.length - okCount}`,
        `${same}/${group.length}`,
        ourMs,
        theirMs,
        (ourMs / theirMs).toFixed(2),
        median(ratios.map((r) => r.ratio)).toFixed(2),
        `${basename(worst.file)} (${worst.ratio.toFixed(2)})`,
        ourCpu,
        theirCpu,
        (ourCpu / theirCpu).toFixed(2),
      ]);
    };
    group('Jepsen etcd register (test_data/jepsen)', jepsen);
    for (const file of kv) group(`kv-append ${basename(file, '.txt')}`, [file]);
    notes.push(
      `Wall-clock ms, verdict only (leaselab works out a failure's explanation when it is read). Median of ${reps} run(s) per history, the better of ${rounds} alternating round(s) per side; ratio = leaselab / porcupine (< 1: leaselab faster). porcupine checks a history's partitions in parallel goroutines; leaselab in one thread. cpu ms: CPU time of each whole process (garbage collector threads included), summed over the histories; on a busy shared machine it is steadier than wall time.`,
    );
    return [{ title, columns, rows, notes }];
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
