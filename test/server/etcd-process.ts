/**
 * A real etcd (the installed 3.4.23) for tests: a fresh data directory, free
 * loopback ports, killed by `stop()` (also when a test fails; register it in
 * afterAll). `etcdMissing()` says why a test must skip.
 *
 *   const etcd = await startEtcd();   // etcd.address = '127.0.0.1:<port>'
 *   ...
 *   await etcd.stop();
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.ts';

export { freePort };

const etcdBin = process.env.ETCD_BIN ?? 'etcd';

/** Why etcd cannot be used here, or undefined when it can. */
export function etcdMissing(): string | undefined {
  const probe = spawnSync(etcdBin, ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return 'etcd not installed: apt-get install etcd-server';
  if (!/etcd Version: 3\.4\./.test(probe.stdout)) return `etcd 3.4 wanted, found: ${probe.stdout.split('\n')[0]}`;
  return undefined;
}

/** Why etcd and etcdctl cannot both be used here, or undefined when they can. */
export function etcdOrEtcdctlMissing(): string | undefined {
  const etcd = etcdMissing();
  if (etcd !== undefined) return etcd;
  const probe = spawnSync('etcdctl', ['version'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  if (probe.error !== undefined || probe.status !== 0) return 'etcdctl not installed: apt-get install etcd-client';
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface EtcdProcess {
  /** host:port of the client URL. */
  address: string;
  url: string;
  /** The etcd process's ID (for benches that read its CPU time and memory). */
  pid: number;
  stop(): Promise<void>;
}

export interface EtcdStartOptions {
  /** Use this data directory (one to restart on, or one `etcdctl snapshot restore` made) and leave it in place on stop. */
  dataDir?: string;
  /** The peer port (a restored data dir names its peer URL). @defaultValue a free port */
  peerPort?: number;
  /** Ready once /health answers at all (a data dir with an alarm raised answers {"health":"false"}). @defaultValue ready once healthy */
  unhealthyIsReady?: boolean;
}

/** etcd's arguments for a one-member cluster of its own on loopback (member name `default`). */
export function singleMemberEtcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--data-dir',
    dataDir,
    '--listen-client-urls',
    url,
    '--advertise-client-urls',
    url,
    '--listen-peer-urls',
    peer,
    '--initial-advertise-peer-urls',
    peer,
    '--initial-cluster',
    `default=${peer}`,
  ];
}

/** `dataRoot`: where the fresh data directory goes (a tmpfs such as /dev/shm makes fsync cheap). */
export async function startEtcd(extraArgs: string[] = [], dataRoot: string = tmpdir(), options: EtcdStartOptions = {}): Promise<EtcdProcess> {
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(dataRoot, 'leaselab-etcd-'));
  const clientPort = await freePort();
  const peerPort = options.peerPort ?? (await freePort());
  const url = `http://127.0.0.1:${clientPort}`;
  const child: ChildProcess = spawn(etcdBin, [...singleMemberEtcdArgs(dataDir, clientPort, peerPort), ...extraArgs], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => void (log = (log + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await Promise.race([exited, sleep(2000)]);
      }
    }
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true' || (options.unhealthyIsReady === true && body.health === 'false'))
        return { address: `127.0.0.1:${clientPort}`, url, pid: child.pid!, stop };
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  await stop();
  throw new Error(`etcd did not become healthy:\n${log}`);
}

/** A tmpfs for etcd's data when there is one (writes then cost no disk flush), else the temp dir. */
export function fastDataRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}
