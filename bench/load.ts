/**
 * `leaselab serve` under load, side by side with etcd 3.4.23 when it is
 * installed (/usr/bin/etcd): the same etcd3 npm clients drive each server in
 * turn, on loopback, and the table prints leaselab / etcd ratios.
 *
 * Phases (full run; --quick is smaller):
 * - 100 clients putting for a few seconds: puts/s, server CPU per put (from
 *   /proc), and for serve the longest event-loop stall
 *   (leaselab_event_loop_delay_max_seconds, scraped before and after);
 * - 10,000 watchers on one key (over 20 clients), one put: time until every
 *   watcher has the event;
 * - lease grants, then revokes, from 100 clients: per second;
 * - 100,000 new keys: server memory (RSS) per 100k keys.
 *
 * Goals (issue 16): no stall over 50 ms; fan-out within 2× etcd's time;
 * grant/revoke within 1.5× etcd's rate; CPU per op and memory within 1.5×.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { etcdMissing, startEtcd as startEtcdProcess } from '../test/server/etcd-process.ts';
import type { BenchOptions, BenchTable } from './table.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = fileURLToPath(new URL('../bin/leaselab.js', import.meta.url));

interface Server {
  name: string;
  address: string;
  /** The server's process, whose CPU time and memory are measured. */
  pid: number;
  /** The worst event-loop stall since the last call, in ms (serve only). */
  stallMs?: () => Promise<number>;
  /** When the process was started (performance.now()), to place its --trace-gc lines in the phases. */
  startedAtMs?: number;
  close(): Promise<void>;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function startServe(): Promise<Server> {
  // BENCH_SERVE_CPU_PROF=<dir>: serve writes a CPU profile there when it stops (to see where its time goes under this load).
  const profileDir = process.env.BENCH_SERVE_CPU_PROF;
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  // BENCH_SERVE_TRACE_GC=<file>: serve runs with --trace-gc and its output goes there (to tell GC pauses from other stalls).
  const gcTrace = process.env.BENCH_SERVE_TRACE_GC;
  if (gcTrace !== undefined) nodeArgs.push('--trace-gc');
  const startedAtMs = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, bin, 'serve', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  if (gcTrace !== undefined) child.stdout!.pipe(createWriteStream(gcTrace));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (out.length > 4096) return; // listening long since (--trace-gc keeps writing)
      out += chunk.toString();
      const match = /on (\S+:\d+)/.exec(out);
      if (match !== null) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`leaselab serve exited ${code} before listening`)));
  });
  const stallMs = async () => {
    const text = await (await fetch(`http://${address}/metrics`)).text();
    const match = /^leaselab_event_loop_delay_max_seconds (\S+)$/m.exec(text);
    if (match === null) throw new Error('serve has no leaselab_event_loop_delay_max_seconds on /metrics');
    return Number(match[1]) * 1000;
  };
  await stallMs();
  return { name: 'leaselab serve', address, pid: child.pid!, stallMs, startedAtMs, close: () => stop(child) };
}

async function startEtcd(): Promise<Server> {
  const etcd = await startEtcdProcess();
  return { name: 'etcd 3.4', address: etcd.address, pid: etcd.pid, close: etcd.stop };
}

/** CPU seconds the process used so far (user + system, /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

interface Measured {
  putsPerSecond: number;
  cpuMicrosPerPut: number;
  fanOutMs: number;
  grantsPerSecond: number;
  revokesPerSecond: number;
  rssPer100kKeysMb: number;
  stalls: Record<string, number>;
}

async function measure(server: Server, sizes: { clients: number; putSeconds: number; watchers: number; leases: number; keys: number }): Promise<Measured> {
  const pid = server.pid;
  const clients = Array.from({ length: sizes.clients }, () => new Etcd3({ hosts: server.address }));
  const stalls: Record<string, number> = {};
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    await server.stallMs?.();
    const startMs = performance.now();
    const result = await work();
    if (server.stallMs !== undefined) stalls[name] = await server.stallMs();
    if (process.env.BENCH_SERVE_TRACE_GC !== undefined && server.startedAtMs !== undefined) {
      const since = (ms: number) => Math.round(ms - server.startedAtMs!);
      console.error(`bench load: ${server.name} phase ${name} from ${since(startMs)} to ${since(performance.now())} ms after start`);
    }
    return result;
  };
  try {
    // Warm-up, not measured: connections, the JIT, lazily loaded code.
    const warmUntil = performance.now() + 1000;
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; performance.now() < warmUntil; i++) await client.put(`warm/${c}/${i % 10}`).value('up');
      }),
    );

    // 100 clients putting for a while
    const value = 'v'.repeat(64);
    let puts = 0;
    const cpuBefore = cpuSeconds(pid);
    const startMs = performance.now();
    await phase('puts', () =>
      Promise.all(
        clients.map(async (client, c) => {
          for (let i = 0; performance.now() - startMs < sizes.putSeconds * 1000; i++) {
            await client.put(`load/${c}/${i % 100}`).value(value);
            puts++;
          }
        }),
      ),
    );
    const putSeconds = (performance.now() - startMs) / 1000;
    const cpuMicrosPerPut = ((cpuSeconds(pid) - cpuBefore) * 1e6) / puts;

    // fan-out: watchers on one key, one put
    const watchClients = clients.slice(0, Math.min(20, clients.length));
    let seen = 0;
    let allSeen: () => void = () => undefined;
    const everyone = new Promise<void>((resolve) => (allSeen = resolve));
    const watchers = await phase('watch create', () =>
      Promise.all(
        Array.from({ length: sizes.watchers }, async (_, w) => {
          const watcher = await watchClients[w % watchClients.length]!.watch().key('fan').create();
          watcher.on('put', () => {
            if (++seen === sizes.watchers) allSeen();
          });
          return watcher;
        }),
      ),
    );
    const fanStart = performance.now();
    await phase('fan-out', async () => {
      await clients[0]!.put('fan').value('out');
      await everyone;
    });
    const fanOutMs = performance.now() - fanStart;
    await Promise.all(watchers.map((watcher) => watcher.cancel()));

    // lease grants, then revokes
    const perClient = Math.ceil(sizes.leases / clients.length);
    const leaseIds: { client: Etcd3; lease: ReturnType<Etcd3['lease']> }[] = [];
    const grantStart = performance.now();
    await phase('grants', () =>
      Promise.all(
        clients.map(async (client) => {
          for (let i = 0; i < perClient; i++) {
            const lease = client.lease(60, { autoKeepAlive: false });
            await lease.grant();
            leaseIds.push({ client, lease });
          }
        }),
      ),
    );
    const grantsPerSecond = leaseIds.length / ((performance.now() - grantStart) / 1000);
    const revokeStart = performance.now();
    await phase('revokes', () =>
      Promise.all(
        clients.map(async (_, c) => {
          for (let i = c; i < leaseIds.length; i += clients.length) await leaseIds[i]!.lease.revoke();
        }),
      ),
    );
    const revokesPerSecond = leaseIds.length / ((performance.now() - revokeStart) / 1000);

    // memory per 100k new keys
    const rssBefore = rssBytes(pid);
    await phase('new keys', () =>
      Promise.all(
        clients.map(async (client, c) => {
          for (let i = c; i < sizes.keys; i += clients.length) await client.put(`mem/${String(i).padStart(8, '0')}`).value(value);
        }),
      ),
    );
    const rssPer100kKeysMb = ((rssBytes(pid) - rssBefore) / 1e6) * (100_000 / sizes.keys);
    return { putsPerSecond: puts / putSeconds, cpuMicrosPerPut, fanOutMs, grantsPerSecond, revokesPerSecond, rssPer100kKeysMb, stalls };
  } finally {
    for (const client of clients) client.close();
  }
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) throw new Error('bench load: dist/ is missing, run `npm run build` first');
  const sizes = quick
    ? { clients: 20, putSeconds: 1, watchers: 1_000, leases: 1_000, keys: 10_000 }
    : { clients: 100, putSeconds: 3, watchers: 10_000, leases: 5_000, keys: 100_000 };
  const notes: string[] = [];
  const serve = await startServe();
  let ours: Measured;
  try {
    ours = await measure(serve, sizes);
  } finally {
    await serve.close();
  }
  let theirs: Measured | undefined;
  const etcdAbsent = etcdMissing();
  if (etcdAbsent === undefined) {
    const etcd = await startEtcd();
    try {
      theirs = await measure(etcd, sizes);
    } finally {
      await etcd.close();
    }
  } else notes.push(`${etcdAbsent}: no etcd column`);
  const row = (name: string, unit: string, pick: (m: Measured) => number, goal: string) => {
    const mine = pick(ours);
    const other = theirs === undefined ? undefined : pick(theirs);
    return [`${name} (${unit})`, mine, other ?? '-', other === undefined ? '-' : (mine / other).toFixed(2), goal];
  };
  const stallRows = Object.entries(ours.stalls).map(([name, ms]) => [`serve: longest event-loop stall during ${name} (ms)`, ms, '-', '-', '≤ 50 ms']);
  notes.push(
    `${sizes.clients} etcd3 npm clients on loopback drive each server in turn (serve first); ${sizes.putSeconds} s of puts, ${sizes.watchers.toLocaleString('en-US')} watchers, ${sizes.leases.toLocaleString('en-US')} leases, ${sizes.keys.toLocaleString('en-US')} new keys (memory scaled to 100k). CPU and RSS of the server process from /proc. Stalls: leaselab_event_loop_delay_max_seconds on serve's /metrics, scraped around each phase.`,
  );
  return [
    {
      title: 'Server under load: leaselab serve vs etcd 3.4',
      columns: ['measure', 'leaselab', 'etcd', 'leaselab / etcd', 'goal'],
      rows: [
        row('puts/s, 100 clients', 'ops/s', (m) => m.putsPerSecond, '-'),
        row('server CPU per put', 'µs', (m) => m.cpuMicrosPerPut, 'ratio ≤ 1.5'),
        row(`one put to ${sizes.watchers.toLocaleString('en-US')} watchers, until all have it`, 'ms', (m) => m.fanOutMs, 'ratio ≤ 2'),
        row('lease grants', 'per s', (m) => m.grantsPerSecond, 'ratio ≥ 0.67'),
        row('lease revokes', 'per s', (m) => m.revokesPerSecond, 'ratio ≥ 0.67'),
        row('memory per 100k keys', 'MB RSS', (m) => m.rssPer100kKeysMb, 'ratio ≤ 1.5'),
        ...stallRows,
      ],
      notes,
    },
  ];
}
