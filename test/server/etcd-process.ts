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

/** Why etcdctl cannot be used here, or undefined when it can. */
export function etcdctlMissing(): string | undefined {
  const probe = spawnSync('etcdctl', ['version'], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
  if (probe.error !== undefined || probe.status !== 0) return 'etcdctl not installed: apt-get install etcd-client';
  return undefined;
}

/** Why etcd and etcdctl cannot both be used here, or undefined when they can. */
export function etcdOrEtcdctlMissing(): string | undefined {
  return etcdMissing() ?? etcdctlMissing();
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
  return loopbackMemberArgs(dataDir, clientPort, peerPort, `default=http://127.0.0.1:${peerPort}`);
}

/** etcd's arguments for one member on loopback: its data dir, its client and peer URLs, and the cluster it starts in. */
function loopbackMemberArgs(dataDir: string, clientPort: number, peerPort: number, initialCluster: string): string[] {
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
    initialCluster,
  ];
}

/**
 * `dataRoot`: where the fresh data directory goes (a tmpfs such as /dev/shm makes fsync cheap).
 * A port found free can be taken before etcd binds it (another test's outgoing connection gets it
 * as its ephemeral port): etcd then exits with "address already in use" and is started again on
 * fresh ports, up to three times.
 */
export async function startEtcd(extraArgs: string[] = [], dataRoot: string = tmpdir(), options: EtcdStartOptions = {}): Promise<EtcdProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startEtcdOnce(extraArgs, dataRoot, options);
    } catch (error) {
      if (attempt === 3 || !String((error as Error).message).includes('address already in use')) throw error;
    }
  }
}

async function startEtcdOnce(extraArgs: string[], dataRoot: string, options: EtcdStartOptions): Promise<EtcdProcess> {
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

/** One member of {@link startEtcdCluster}'s cluster. */
export interface EtcdMember {
  name: string;
  /** http://127.0.0.1:<client port> */
  url: string;
  /** host:port of the client URL. */
  address: string;
  /** SIGKILL the member (a crash: its data directory stays until the cluster stops). */
  kill(): Promise<void>;
  /** Poll /health until it says `health` (etcd 3.4 answers "false" while the member has no leader). */
  waitForHealth(health: 'true' | 'false'): Promise<void>;
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** Kill every member and remove the data directories. */
  stop(): Promise<void>;
}

/**
 * A real etcd cluster of `size` members (etcd1…etcdN) on free loopback ports,
 * each in a fresh data directory under `dataRoot`, ready once every member is
 * healthy. `raft` shortens etcd's heartbeat and election timeout (ms).
 */
export async function startEtcdCluster(
  size = 3,
  dataRoot: string = tmpdir(),
  raft: { heartbeatMs?: number; electionTimeoutMs?: number } = {},
): Promise<EtcdCluster> {
  const root = mkdtempSync(join(dataRoot, 'leaselab-etcd-cluster-'));
  const ports: { name: string; client: number; peer: number }[] = [];
  for (let i = 1; i <= size; i++) ports.push({ name: `etcd${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = ports.map((port) => `${port.name}=http://127.0.0.1:${port.peer}`).join(',');
  const raftArgs = [
    ...(raft.heartbeatMs !== undefined ? ['--heartbeat-interval', String(raft.heartbeatMs)] : []),
    ...(raft.electionTimeoutMs !== undefined ? ['--election-timeout', String(raft.electionTimeoutMs)] : []),
  ];
  const members = ports.map((port): EtcdMember => {
    const url = `http://127.0.0.1:${port.client}`;
    const child = spawn(
      etcdBin,
      [
        '--name',
        port.name,
        ...loopbackMemberArgs(join(root, port.name), port.client, port.peer, initialCluster),
        '--initial-cluster-state',
        'new',
        ...raftArgs,
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const kill = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    };
    const waitForHealth = async (health: 'true' | 'false') => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`${port.name} exited with ${child.exitCode}`);
        try {
          const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
          if (((await response.json()) as { health?: string }).health === health) return;
        } catch {
          // not up yet, or too busy to answer
        }
        await sleep(50);
      }
      throw new Error(`${port.name}: /health never said ${health}`);
    };
    return { name: port.name, url, address: `127.0.0.1:${port.client}`, kill, waitForHealth };
  });
  const stop = async () => {
    await Promise.all(members.map((member) => member.kill()));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    for (const member of members) await member.waitForHealth('true');
  } catch (error) {
    await stop();
    throw error;
  }
  return { members, stop };
}

/** A tmpfs for etcd's data when there is one (writes then cost no disk flush), else the temp dir. */
export function fastDataRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}
