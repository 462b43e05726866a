/**
 * The real etcd 3.4, started by a test on loopback with a temp data dir and
 * free ports (and killed afterwards), to ask it what leaselab must answer.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why etcd cannot be used here, or undefined when it can. */
export async function etcdMissing(): Promise<string | undefined> {
  try {
    const { stdout } = await run('etcd', ['--version'], { timeout: 10_000 });
    return /etcd Version: 3\.4\./.test(stdout) ? undefined : `etcd is not 3.4 (${stdout.split('\n')[0]}): apt-get install etcd-server`;
  } catch {
    return 'etcd not installed: apt-get install etcd-server';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RealEtcd {
  /** host:port for gRPC clients. */
  address: string;
  stop(): Promise<void>;
}

export async function startRealEtcd(): Promise<RealEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leaselab-real-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    'etcd',
    ['--data-dir', dataDir, '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `default=${peer}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!log.includes('ready to serve client requests')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`etcd did not start: ${log.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { address: `127.0.0.1:${clientPort}`, stop };
}
