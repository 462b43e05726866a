/**
 * Auth, alarms and added members survive a restart of `serve --data-dir`, as
 * they survive one of etcd: the same etcdctl script runs against a serve
 * child and a real etcd 3.4.23 (each on its own data dir, free loopback
 * ports); serve is then killed with -9 and etcd stopped, both start again on
 * their dirs, and etcdctl must print the same for both: users, roles and
 * permissions, auth still on (an unauthenticated command fails with etcd's
 * message, an authenticated one works, a denied one is denied), the NOSPACE
 * alarm still raised (writes refused until disarmed), the learner still a
 * member. Skipped, naming the package, where etcd or etcdctl is missing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { etcdOrEtcdctlMissing, freePort, startEtcd } from './etcd-process.ts';
import { rawClient } from './raw-grpc.ts';
import { startServeChild } from './serve-child.ts';
import { cleanupsAfter } from './cleanups.ts';

const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the restart comparison with etcd: ${missing}`);

const cleanups = cleanupsAfter('all');

/** etcdctl's output without its log lines; the endpoint, member IDs and ports (which differ between the two) masked. */
function etcdctl(endpoint: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    // Generous timeouts: on a loaded machine etcd itself can take seconds to dial.
    const child = spawn('etcdctl', [`--endpoints=${endpoint}`, '--dial-timeout=10s', '--command-timeout=20s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.on('error', () => {}); // etcdctl may exit before reading its input (EPIPE)
    child.stdin.end();
    child.on('close', (code) => {
      const text = out
        .split('\n')
        .filter((line) => !line.startsWith('{"level"'))
        .join('\n')
        .replaceAll(endpoint, 'ENDPOINT')
        .replace(/memberID:\d+/g, 'memberID:X')
        .replace(/ *\b[0-9a-f]{12,16}\b/g, ' ID') // etcdctl pads a short ID with spaces
        .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
      // Member IDs are random on etcd, and members are listed in ID order: compare them sorted by name.
      const ordered = text
        .replace(/ETCD_INITIAL_CLUSTER="([^"]*)"/, (_, list: string) => `ETCD_INITIAL_CLUSTER="${list.split(',').sort().join(',')}"`)
        .split('\n');
      const lines =
        args.includes('member') && args.includes('list')
          ? ordered
              .filter((line) => line !== '')
              .sort()
              .concat('')
          : ordered;
      resolve(`$ ${args.join(' ')}\n${lines.join('\n')}exit ${code}`);
    });
  });
}

const before: string[][] = [
  ['user', 'add', 'root:pw'],
  ['role', 'add', 'root'],
  ['user', 'grant-role', 'root', 'root'],
  ['user', 'add', 'alice:apw'],
  ['role', 'add', 'app'],
  ['role', 'grant-permission', 'app', 'readwrite', '--prefix=true', 'app/'],
  ['user', 'grant-role', 'alice', 'app'],
  ['put', 'app/x', '1'],
  ['member', 'add', 'learner1', '--learner', '--peer-urls=http://127.0.0.1:1'],
];

const afterEnable: string[][] = [
  ['auth', 'enable'],
  ['--user', 'alice:apw', 'put', 'app/y', '2'],
];

const afterRestart: string[][] = [
  ['get', 'app/x'],
  ['--user', 'alice:apw', 'get', 'app/', '--prefix'],
  ['--user', 'alice:apw', 'get', 'other'],
  ['--user', 'alice:wrong', 'get', 'app/x'],
  ['--user', 'root:pw', 'user', 'list'],
  ['--user', 'root:pw', 'user', 'get', 'alice'],
  ['--user', 'root:pw', 'role', 'get', 'app'],
  ['--user', 'root:pw', 'alarm', 'list'],
  ['--user', 'root:pw', 'put', 'app/z', '3'],
  ['--user', 'root:pw', 'alarm', 'disarm'],
  ['--user', 'root:pw', 'put', 'app/z', '3'],
  ['--user', 'root:pw', 'alarm', 'list'],
  ['--user', 'root:pw', 'member', 'list'],
  ['--user', 'root:pw', 'user', 'delete', 'alice'],
  ['--user', 'alice:apw', 'get', 'app/x'],
];

/** Raise NOSPACE for the server's own member, as etcd does when its quota is passed. */
async function raiseNoSpace(address: string): Promise<void> {
  const client = rawClient(address);
  try {
    const status = await client.unary('Maintenance', 'Status', {});
    if (!('res' in status)) throw new Error(status.err.message);
    const memberID = (status.res['header'] as { member_id: string }).member_id;
    expect(await client.unary('Maintenance', 'Alarm', { action: 'ACTIVATE', memberID, alarm: 'NOSPACE' })).toMatchObject({
      res: { alarms: [{ memberID, alarm: 'NOSPACE' }] },
    });
  } finally {
    client.close();
  }
}

describe.skipIf(missing !== undefined)('serve --data-dir keeps auth, alarms and members across a restart, as etcd does', () => {
  it('prints what etcd prints after both restart', async () => {
    const work = mkdtempSync(join(tmpdir(), 'leaselab-side-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    const serveDir = join(work, 'serve');
    const etcdDir = join(work, 'etcd');
    const peerPort = await freePort();
    // serve's own peer URL only names it in member lists: as etcd's, so they print alike.
    const serveArgs = ['--data-dir', serveDir, '--initial-advertise-peer-urls', `http://127.0.0.1:${await freePort()}`];
    let [serve, etcd] = await Promise.all([startServeChild(serveArgs), startEtcd([], tmpdir(), { dataDir: etcdDir, peerPort })]);
    cleanups.push(
      () => serve.kill9(),
      () => etcd.stop(),
    );
    const both = async (args: string[]) => {
      const [ours, theirs] = await Promise.all([etcdctl(serve.address, args), etcdctl(etcd.address, args)]);
      expect(ours).toBe(theirs);
      return ours;
    };
    for (const args of before) await both(args);
    await Promise.all([raiseNoSpace(serve.address), raiseNoSpace(etcd.address)]);
    for (const args of afterEnable) await both(args);

    await Promise.all([serve.kill9(), etcd.stop()]);
    [serve, etcd] = await Promise.all([startServeChild(serveArgs), startEtcd([], tmpdir(), { dataDir: etcdDir, peerPort, unhealthyIsReady: true })]);
    cleanups.push(
      () => serve.kill9(),
      () => etcd.stop(),
    );
    // The alarm came back: /health says so, as etcd's does (and ?exclude=NOSPACE looks past it).
    const health = async (url: string) =>
      Promise.all(
        ['', '?exclude=NOSPACE'].map(async (query) => {
          const response = await fetch(`${url}/health${query}`);
          return `${response.status} ${response.headers.get('content-type')} ${await response.text()}`;
        }),
      );
    const etcdHealth = await health(etcd.url);
    expect(etcdHealth[0]).toBe('503 text/plain; charset=utf-8 {"health":"false"}\n');
    expect(await health(`http://${serve.address}`)).toEqual(etcdHealth);
    const outputs: string[] = [];
    for (const args of afterRestart) outputs.push(await both(args));
    expect(outputs[0]).toContain('Error: etcdserver: user name is empty');
    expect(outputs[1]).toContain('app/x');
    expect(outputs[7]).toContain('alarm:NOSPACE');
    expect(outputs[8]).toContain('database space exceeded');
    expect(outputs[12]).toContain('unstarted, , http://127.0.0.1:PORT, , true');
  }, 60_000);
});
