/**
 * A Go etcd client (clientv3 from Debian's golang-etcd-server-dev, built
 * here in GOPATH mode) runs test/server/go/leasedemo against a real etcd
 * 3.4 started by the test (sleeping: ~7 s) and against leaselab serve
 * fast-forwarding through its control endpoint (under a second), and must
 * observe the same thing: a 5 s lease nobody renews expires at the sweep;
 * one that clientv3's KeepAlive renews outlives its TTL.
 * Skipped, with a message naming the package, where go, the clientv3
 * sources or etcd are missing.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startServing } from '../../src/cli/commands/serve.ts';
import { goOrClientv3Missing, goPathEnv } from './go-gopath.ts';
import { cleanupsAfter, startEtcdStoppedWith } from './cleanups.ts';
import { etcdMissing } from './etcd-process.ts';

const run = promisify(execFile);
const demoSource = new URL('./go/leasedemo/main.go', import.meta.url);

const missing = (await goOrClientv3Missing()) ?? etcdMissing();
if (missing !== undefined) console.warn(`skipping the Go clientv3 comparison: ${missing}`);

const cleanups = cleanupsAfter('all');

/** Build leasedemo in a temp GOPATH next to Debian's sources (GOPATH mode). */
async function buildDemo(): Promise<string> {
  const gopath = mkdtempSync(join(tmpdir(), 'leaselab-gopath-'));
  cleanups.push(() => rmSync(gopath, { recursive: true, force: true }));
  mkdirSync(join(gopath, 'src/leasedemo'), { recursive: true });
  copyFileSync(demoSource, join(gopath, 'src/leasedemo/main.go'));
  const binary = join(gopath, 'leasedemo');
  await run('go', ['build', '-o', binary, 'leasedemo'], { env: goPathEnv(gopath), cwd: gopath, timeout: 300_000 });
  return binary;
}

async function runDemo(binary: string, args: string[]): Promise<{ lines: string[]; wallMs: number }> {
  const { stdout, stderr } = await run(binary, args, { timeout: 60_000 });
  const wall = /wall_ms (\d+)/.exec(stderr);
  if (wall === null) throw new Error(`leasedemo printed no wall time: ${stderr}`);
  return { lines: stdout.trim().split('\n'), wallMs: Number(wall[1]) };
}

describe.skipIf(missing !== undefined)('a Go clientv3 program against serve (fast-forward) and against etcd 3.4', () => {
  it('sees the same lease story, in under a second of wall time on serve', async () => {
    const [binary, etcdAddress] = await Promise.all([buildDemo(), startEtcdStoppedWith(cleanups)]);
    const serving = await startServing(['--port', '0', '--control-port', '0'], { write: () => {} });
    cleanups.push(() => serving.close());

    const [onServe, onEtcd] = await Promise.all([
      runDemo(binary, ['-endpoint', serving.server.address, '-control', serving.control!.url]),
      runDemo(binary, ['-endpoint', etcdAddress]),
    ]);
    expect(onEtcd.lines).toEqual([
      'expiring: granted TTL 5',
      'expiring: after 1000 ms: key present true, TTL 3',
      'expiring: after 2000 ms: key present true, TTL 2',
      'expiring: after 3000 ms: key present true, TTL 1',
      'expiring: after 4000 ms: key present true, TTL 0',
      'expiring: after 6500 ms: key present false, TTL -1',
      'expiring: watch: DELETE demo/expiring',
      'expiring: keepalive once after expiry: etcdserver: requested lease not found',
      'kept: granted TTL 5',
      'kept: first keepalive answered TTL 5',
      'kept: after 6000 ms: key present true, TTL between 2 and 5 true',
      'kept: revoke: <nil>',
      'kept: watch: DELETE demo/kept',
    ]);
    expect(onServe.lines).toEqual(onEtcd.lines);
    console.log(`leasedemo wall time: serve (fast-forward) ${onServe.wallMs} ms, etcd ${onEtcd.wallMs} ms`);
    expect(onServe.wallMs).toBeLessThan(1_000);
    expect(onEtcd.wallMs).toBeGreaterThanOrEqual(6_500);
  }, 360_000);
});
