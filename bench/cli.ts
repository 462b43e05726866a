/**
 * CLI start-up, measured as users run it: `node bin/leaselab.js list` (the
 * built dist/, no transpiling) against `node -e "import('@grpc/grpc-js')"`
 * spawned on the same machine in alternating trials (issue 12's goal: list
 * within 2× of that); `leaselab run` likewise; and `leaselab serve` from
 * spawn to its first answered gRPC call (a Maintenance.Status), against the
 * same baseline and side by side with etcd 3.4's own spawn-to-first-answer
 * when etcd is installed (issue 9's comparison). Each figure is the median of
 * the trials; beside wall time, each process's own CPU time (issue 16: the
 * machine may be shared, so wall time also measures the wait for a core).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { median, type BenchOptions, type BenchTable } from './table.ts';
import { freePort } from '../test/free-port.ts';
import { singleMemberEtcdArgs } from '../test/server/etcd-process.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/leaselab.js', import.meta.url));

/** One run's wall time and the CPU time (ms) its process used, all threads. */
interface Sample {
  ms: number;
  cpuMs: number;
}

// A preload that writes the process's CPU time (process.cpuUsage) to stderr at exit: the machine may be
// shared, and CPU time is what the command costs whatever else runs (wall time waits for a core).
const cpuAtExit = ['--require', fileURLToPath(new URL('./cpu-at-exit.cjs', import.meta.url))];

/** Wall and CPU time of one `node args…` run to its exit. */
function spawnSample(args: string[]): Sample {
  const startMs = performance.now();
  const child = spawnSync(process.execPath, [...cpuAtExit, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = performance.now() - startMs;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
  const cpu = /leaselab-bench-cpu-ms (\S+)/.exec(child.stderr);
  return { ms, cpuMs: cpu === null ? Number.NaN : Number(cpu[1]) };
}

/** CPU time (ms) a running process has used so far, all its threads (Linux's /proc; NaN elsewhere). */
function cpuMsSoFar(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    return ns / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Answer one Maintenance.Status at `address`, waiting for the server to come up. */
async function statusAnswered(address: string): Promise<void> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) => {
      // Status takes an empty StatusRequest; an empty buffer is its encoding.
      client.makeUnaryRequest(
        '/etcdserverpb.Maintenance/Status',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.alloc(0),
        new grpc.Metadata({ waitForReady: true }),
        { deadline: Date.now() + 30_000 },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  } finally {
    client.close();
  }
}

/** Spawn `leaselab serve --port 0`, and time until a Maintenance.Status call is answered (the server's CPU up to then too). */
async function serveFirstAnswer(): Promise<Sample> {
  const startMs = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /on (\S+:\d+)/.exec(out);
        if (match !== null) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`leaselab serve exited ${code} before listening`)));
    });
    await statusAnswered(address);
    return { ms: performance.now() - startMs, cpuMs: cpuMsSoFar(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

const etcdBinary = '/usr/bin/etcd';

/** Spawn etcd 3.4 on a fresh data dir and free loopback ports, and time until a Maintenance.Status call is answered. */
async function etcdFirstAnswer(): Promise<Sample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leaselab-bench-etcd-'));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const startMs = performance.now();
  const child = spawn(etcdBinary, singleMemberEtcdArgs(dataDir, clientPort, peerPort), { stdio: 'ignore' });
  try {
    await statusAnswered(`127.0.0.1:${clientPort}`);
    return { ms: performance.now() - startMs, cpuMs: cpuMsSoFar(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) throw new Error('bench cli: dist/ is missing, run `npm run build` first');
  const trials = quick ? 5 : 15;
  const baseline = ['-e', "import('@grpc/grpc-js')"];
  const samples = {
    bare: [] as Sample[],
    grpc: [] as Sample[],
    list: [] as Sample[],
    run: [] as Sample[],
    serveHelp: [] as Sample[],
    serve: [] as Sample[],
    etcd: [] as Sample[],
  };
  const withEtcd = existsSync(etcdBinary);
  spawnSample(baseline); // warm the file cache
  spawnSample([bin, 'list']);
  for (let i = 0; i < trials; i++) {
    samples.bare.push(spawnSample(['-e', '0']));
    samples.grpc.push(spawnSample(baseline));
    samples.serveHelp.push(spawnSample([bin, 'serve', '--help']));
    samples.list.push(spawnSample([bin, 'list']));
    samples.run.push(spawnSample([bin, 'run', 'lease-expiry']));
    samples.serve.push(await serveFirstAnswer());
    if (withEtcd) samples.etcd.push(await etcdFirstAnswer());
  }
  const ms = (values: Sample[]) => median(values.map((sample) => sample.ms));
  const cpuMs = (values: Sample[]) => median(values.map((sample) => sample.cpuMs));
  const grpcMs = ms(samples.grpc);
  const bareMs = ms(samples.bare);
  const bareCpuMs = cpuMs(samples.bare);
  const row = (name: string, values: Sample[]) => [
    name,
    ms(values),
    ms(values) / grpcMs,
    ms(values) / bareMs,
    ms(values) - bareMs,
    cpuMs(values),
    cpuMs(values) / bareCpuMs,
  ];
  return [
    {
      title: `CLI start-up (median of ${trials} spawns, alternating)`,
      columns: ['command', 'ms', `× node -e "import('@grpc/grpc-js')"`, '× node -e 0', 'ms over node -e 0', 'CPU ms', 'CPU × node -e 0'],
      rows: [
        row('node -e 0 (baseline: Node itself)', samples.bare),
        row(`node -e "import('@grpc/grpc-js')" (baseline)`, samples.grpc),
        row('leaselab serve --help (loads no gRPC)', samples.serveHelp),
        row('leaselab list', samples.list),
        row('leaselab run lease-expiry (to exit)', samples.run),
        row('leaselab serve: spawn to first answered Status', samples.serve),
        ...(withEtcd ? [row('etcd 3.4 (fresh data dir): spawn to first answered Status', samples.etcd)] : []),
      ],
      notes: [
        'Goal (issue 12): `leaselab list` within 2× of the baseline; `serve` answers well under a second after spawn. Goal (issue 16): list, run and serve start in under half a second; "ms over node -e 0" is what leaselab itself adds on this machine.',
        "CPU ms: the process's own CPU time (all threads) to exit, or for serve and etcd up to the first answer (Linux /proc); on a shared machine wall time also waits for a core, CPU time does not.",
        withEtcd
          ? `serve / etcd spawn-to-first-answer: ${(ms(samples.serve) / ms(samples.etcd)).toFixed(2)}× (issue 9 compares them)`
          : 'etcd not installed (apt-get install etcd-server): no etcd row',
      ],
    },
  ];
}
