/**
 * CLI start-up, measured as users run it: `node bin/leaselab.js list` (the
 * built dist/, no transpiling) against `node -e "import('@grpc/grpc-js')"`
 * spawned on the same machine in alternating trials (issue 12's goal: list
 * within 2× of that); `leaselab run` likewise; and `leaselab serve` from
 * spawn to its first answered gRPC call (a Maintenance.Status), against the
 * same baseline. Each figure is the median of the trials.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type { BenchOptions, BenchTable } from './table.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/leaselab.js', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Wall time (ms) of one `node args…` run to its exit. */
function spawnMs(args: string[]): number {
  const startMs = performance.now();
  const child = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}`);
  return performance.now() - startMs;
}

/** Spawn `leaselab serve --port 0`, and time until a Maintenance.Status call is answered. */
async function serveFirstAnswerMs(): Promise<number> {
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
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    try {
      await new Promise<void>((resolve, reject) => {
        // Status takes an empty StatusRequest; an empty buffer is its encoding.
        client.makeUnaryRequest(
          '/etcdserverpb.Maintenance/Status',
          (value: Buffer) => value,
          (value: Buffer) => value,
          Buffer.alloc(0),
          (error) => (error ? reject(error) : resolve()),
        );
      });
    } finally {
      client.close();
    }
    return performance.now() - startMs;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  }
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) throw new Error('bench cli: dist/ is missing, run `npm run build` first');
  const trials = quick ? 5 : 15;
  const baseline = ['-e', "import('@grpc/grpc-js')"];
  const samples = { grpc: [] as number[], list: [] as number[], run: [] as number[], serve: [] as number[] };
  spawnMs(baseline); // warm the file cache
  spawnMs([bin, 'list']);
  for (let i = 0; i < trials; i++) {
    samples.grpc.push(spawnMs(baseline));
    samples.list.push(spawnMs([bin, 'list']));
    samples.run.push(spawnMs([bin, 'run', 'lease-expiry']));
    samples.serve.push(await serveFirstAnswerMs());
  }
  const grpcMs = median(samples.grpc);
  const row = (name: string, values: number[]) => [name, median(values), median(values) / grpcMs];
  return [
    {
      title: `CLI start-up (median of ${trials} spawns, alternating)`,
      columns: ['command', 'ms', `× node -e "import('@grpc/grpc-js')"`],
      rows: [
        row(`node -e "import('@grpc/grpc-js')" (baseline)`, samples.grpc),
        row('leaselab list', samples.list),
        row('leaselab run lease-expiry (to exit)', samples.run),
        row('leaselab serve: spawn to first answered Status', samples.serve),
      ],
      notes: ['Goal (issue 12): `leaselab list` within 2× of the baseline; `serve` answers well under a second after spawn.'],
    },
  ];
}
