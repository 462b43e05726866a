/**
 * Maintenance.Snapshot and Hash, beside a real etcd 3.4.23 (started by the
 * test on free loopback ports):
 *
 * - the stream has etcd's shape: 32 KiB blobs, remaining_bytes counting down
 *   to 0, then a last message holding the SHA-256 of the bytes before it;
 *   over the JSON gateway too, and refused without root as etcd refuses it;
 * - `etcdctl snapshot save` prints the same against both; etcdctl's
 *   `snapshot status` reads etcd's file and calls leaselab's (its own format,
 *   not bolt) an invalid database, as the README says;
 * - the same history is written to both (keys, a delete, a compaction, a
 *   lease with a fixed ID and a key on it, users, roles, auth enabled), each
 *   saved with etcdctl, restored with its own tool (`etcdctl snapshot
 *   restore` / `leaselab snapshot restore`) and started again: etcdctl then
 *   prints the same for both (keys with their revisions, the compacted
 *   revision, the lease and its key, users and roles, what auth allows and
 *   refuses, etcd's HashKV of the history, the next write's revision);
 * - `leaselab snapshot restore` refuses a data dir that exists, a damaged
 *   file and an etcd (bolt) file, with clear errors and no dir left behind;
 * - Hash: the same for the same state (after a restart on the restored dir),
 *   moved by a write; root's only, refused as etcd refuses it.
 * Skipped, naming the package, where etcd or etcdctl is missing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { type EtcdProcess, etcdOrEtcdctlMissing, freePort, startEtcd } from './etcd-process.ts';
import { rawClient } from './raw-grpc.ts';
import { startServeChild } from './serve-child.ts';
import { cleanupsAfter } from './cleanups.ts';

const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the snapshot comparison with etcd: ${missing}`);

const cleanups = cleanupsAfter('all');

interface Ran {
  out: string;
  code: number | null;
}

function runCommand(command: string, args: string[], input = ''): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.on('error', () => {}); // the command may exit before reading its input (EPIPE)
    child.stdin.end(input);
    child.on('close', (code) => resolve({ out, code }));
  });
}

/** etcdctl's output without its log lines, the endpoint and IDs that differ between two servers masked. */
async function etcdctl(endpoint: string, args: string[]): Promise<string> {
  // Generous timeouts: on a loaded machine etcd itself can take seconds to dial.
  const { out, code } = await runCommand('etcdctl', [`--endpoints=${endpoint}`, '--dial-timeout=10s', '--command-timeout=20s', ...args]);
  const text = out
    .split('\n')
    .filter((line) => !line.startsWith('{"level"'))
    .join('\n')
    .replaceAll(endpoint, 'ENDPOINT')
    .replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":X')
    .replace(/remaining\((\d+)s\)/g, (_, s: string) => `remaining(${Number(s) >= 500 ? 'most of 600' : s}s)`); // a loaded machine may take seconds between the two answers
  return `$ ${args.join(' ')}\n${text}exit ${code}`;
}

const leaselab = (args: string[]) => runCommand(process.execPath, [process.env.LEASELAB_TEST_BIN ?? 'bin/leaselab.js', ...args]);

const leaseId = '4660'; // 0x1234: granted with this ID on both, so values and HashKV agree

/** The same history on both servers (after the stream test's revisions 2-5), ending with auth enabled. */
const before: string[][] = [
  ['put', 'a', '1'],
  ['put', 'a', '2'],
  ['put', 'b', '1'],
  ['del', 'b'],
  ['put', 'c', '1'],
  ['compaction', '8'],
  ['put', '--lease=1234', 'l', 'on-lease'],
  ['user', 'add', 'root:pw'],
  ['role', 'add', 'root'],
  ['user', 'grant-role', 'root', 'root'],
  ['user', 'add', 'alice:apw'],
  ['role', 'add', 'reader'],
  ['role', 'grant-permission', 'reader', 'read', 'a'],
  ['user', 'grant-role', 'alice', 'reader'],
  ['auth', 'enable'],
];

/** What must read the same on both restored servers. */
const after: string[][] = [
  ['--user', 'root:pw', 'get', '', '--from-key', '-w', 'json'],
  ['--user', 'root:pw', 'get', 'a', '--rev=6'],
  ['--user', 'root:pw', 'get', 'a', '--rev=8', '-w', 'json'],
  ['--user', 'root:pw', 'lease', 'list'],
  ['--user', 'root:pw', 'lease', 'timetolive', '1234', '--keys'],
  ['--user', 'root:pw', 'user', 'list'],
  ['--user', 'root:pw', 'role', 'get', 'reader'],
  ['--user', 'root:pw', 'endpoint', 'hashkv'],
  ['get', 'a'],
  ['--user', 'alice:apw', 'get', 'a'],
  ['--user', 'alice:apw', 'put', 'a', '3'],
  ['--user', 'alice:wrong', 'get', 'a'],
  ['--user', 'root:pw', 'put', 'z', '1', '-w', 'json'],
  ['--user', 'root:pw', 'get', 'z', '-w', 'json'],
];

describe.skipIf(missing !== undefined)('Maintenance.Snapshot and Hash, beside etcd 3.4.23', () => {
  let server: GrpcEtcdServer;
  let etcd: EtcdProcess;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'leaselab-snapshot-'));
    cleanups.push(() => rmSync(work, { recursive: true, force: true }));
    [server, etcd] = await Promise.all([startGrpcServer({ port: 0 }), startEtcd()]);
    cleanups.push(
      () => server.close(),
      () => etcd.stop(),
    );
  }, 30_000);

  it('streams 32 KiB blobs with remaining_bytes counting down, then the SHA-256 of what came before, as etcd does', async () => {
    const big = Buffer.alloc(40 * 1024, 'x');
    const shape = async (address: string) => {
      const client = rawClient(address);
      try {
        for (const key of ['big1', 'big2', 'big3']) await client.unary('KV', 'Put', { key: Buffer.from(key), value: big });
        const { messages, status } = await client.serverStream('Maintenance', 'Snapshot', {});
        expect(status.code).toBe(0);
        const blobs = messages.map((m) => Buffer.from(String(m['blob'] ?? ''), 'base64'));
        const remaining = messages.map((m) => Number(m['remaining_bytes'] ?? 0));
        const data = blobs.slice(0, -1);
        const total = data.reduce((sum, b) => sum + b.length, 0);
        let sent = 0;
        data.forEach((blob, i) => {
          sent += blob.length;
          expect(remaining[i]).toBe(total - sent);
          if (i < data.length - 1) expect(blob.length).toBe(32 * 1024);
        });
        expect(remaining.at(-1)).toBe(0);
        expect(blobs.at(-1)!.equals(createHash('sha256').update(Buffer.concat(data)).digest())).toBe(true);
        return { chunks: data.length, total };
      } finally {
        client.close();
      }
    };
    const [ours, theirs] = await Promise.all([shape(server.address), shape(etcd.address)]);
    expect(ours.total).toBeGreaterThan(120 * 1024);
    expect(ours.chunks).toBe(Math.ceil(ours.total / (32 * 1024)));
    expect(theirs.chunks).toBe(Math.ceil(theirs.total / (32 * 1024)));
    // Start both over for the restore story.
    for (const address of [server.address, etcd.address]) await etcdctl(address, ['del', 'big', '--prefix']);
  }, 30_000);

  it('is saved by etcdctl, restored by each tool, and the restored servers answer the same', async () => {
    const lease = async (address: string) => {
      const client = rawClient(address);
      try {
        expect(await client.unary('Lease', 'LeaseGrant', { ID: leaseId, TTL: '600' })).toMatchObject({ res: { ID: leaseId } });
      } finally {
        client.close();
      }
    };
    await Promise.all([lease(server.address), lease(etcd.address)]);
    for (const args of before) {
      const [ours, theirs] = await Promise.all([etcdctl(server.address, args), etcdctl(etcd.address, args)]);
      expect(ours).toBe(theirs);
    }
    const oursFile = join(work, 'serve.db');
    const theirsFile = join(work, 'etcd.db');
    const [savedOurs, savedTheirs] = await Promise.all([
      etcdctl(server.address, ['--user', 'root:pw', 'snapshot', 'save', oursFile]),
      etcdctl(etcd.address, ['--user', 'root:pw', 'snapshot', 'save', theirsFile]),
    ]);
    expect(savedOurs.replaceAll(oursFile, 'FILE')).toBe(savedTheirs.replaceAll(theirsFile, 'FILE'));
    expect(savedOurs).toContain('Snapshot saved at');
    expect(readFileSync(oursFile).length % 512).toBe(32);
    // Without root, no snapshot (etcd's maintenance wrapper passes the auth error on).
    const [deniedOurs, deniedTheirs] = await Promise.all([
      etcdctl(server.address, ['--user', 'alice:apw', 'snapshot', 'save', join(work, 'denied-serve.db')]),
      etcdctl(etcd.address, ['--user', 'alice:apw', 'snapshot', 'save', join(work, 'denied-etcd.db')]),
    ]);
    expect(deniedOurs.replaceAll('serve.db', 'X')).toBe(deniedTheirs.replaceAll('etcd.db', 'X'));

    // etcdctl's snapshot status reads bolt: etcd's file, not leaselab's.
    const [statusOurs, statusTheirs] = await Promise.all([
      runCommand('etcdctl', ['snapshot', 'status', oursFile]),
      runCommand('etcdctl', ['snapshot', 'status', theirsFile]),
    ]);
    expect(statusTheirs.code).toBe(0);
    expect(statusOurs).toEqual({ out: 'Error: invalid database\n', code: 1 });
    const status = await leaselab(['snapshot', 'status', oursFile, '-w', 'json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ revision: 11, totalSize: readFileSync(oursFile).length });

    // Restore each with its own tool and start it again.
    const oursDir = join(work, 'serve-restored');
    const restored = await leaselab(['snapshot', 'restore', oursFile, '--data-dir', oursDir]);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.out).toContain('revision 11');
    const theirsDir = join(work, 'etcd-restored');
    const peerPort = await freePort();
    const peer = `http://127.0.0.1:${peerPort}`;
    const etcdRestore = await runCommand('etcdctl', [
      'snapshot',
      'restore',
      theirsFile,
      '--data-dir',
      theirsDir,
      '--name',
      'default',
      '--initial-cluster',
      `default=${peer}`,
      '--initial-advertise-peer-urls',
      peer,
    ]);
    expect(etcdRestore.code).toBe(0);
    const [serve, etcdAgain] = await Promise.all([startServeChild(['--data-dir', oursDir]), startEtcd([], tmpdir(), { dataDir: theirsDir, peerPort })]);
    cleanups.push(
      () => serve.kill9(),
      () => etcdAgain.stop(),
    );
    expect(serve.stdout()).toContain('restored revision 11 and 1 leases');
    for (const args of after) {
      const [ours, theirs] = await Promise.all([etcdctl(serve.address, args), etcdctl(etcdAgain.address, args)]);
      expect(ours).toBe(theirs);
    }
  }, 60_000);

  it('streams over the JSON gateway as etcd does: {"result"} lines counting down, the SHA-256 last; refused without root alike', async () => {
    // Both have auth on by now (the restore story).
    const refused = async (address: string) => {
      const response = await fetch(`http://${address}/v3/maintenance/snapshot`, { method: 'POST', body: '{}' });
      return `${response.status} ${await response.text()}`;
    };
    const [refusedOurs, refusedTheirs] = await Promise.all([refused(server.address), refused(etcd.address)]);
    expect(refusedTheirs).toContain('auth: user name is empty');
    expect(refusedOurs).toBe(refusedTheirs);
    // So is the gateway's Hash and Defragment (unary: grpc-gateway's flat error body).
    for (const path of ['hash', 'defragment']) {
      const unary = async (address: string) => {
        const response = await fetch(`http://${address}/v3/maintenance/${path}`, { method: 'POST', body: '{}' });
        return `${response.status} ${await response.text()}`;
      };
      const [ours, theirs] = await Promise.all([unary(server.address), unary(etcd.address)]);
      expect(theirs).toContain('auth: user name is empty');
      expect(ours).toBe(theirs);
    }
    const lines = async (address: string) => {
      const auth = await fetch(`http://${address}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'root', password: 'pw' }) });
      const { token } = (await auth.json()) as { token: string };
      const response = await fetch(`http://${address}/v3/maintenance/snapshot`, { method: 'POST', body: '{}', headers: { authorization: token } });
      expect(response.headers.get('content-type')).toBe('application/json');
      return (await response.text())
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { result: { remaining_bytes?: string; blob: string } }).result);
    };
    const big = Buffer.alloc(20 * 1024, 'y').toString('base64');
    for (const address of [server.address, etcd.address]) {
      for (const key of ['g1', 'g2', 'g3', 'g4']) {
        const auth = await fetch(`http://${address}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'root', password: 'pw' }) });
        const { token } = (await auth.json()) as { token: string };
        expect(
          (
            await fetch(`http://${address}/v3/kv/put`, {
              method: 'POST',
              body: JSON.stringify({ key: Buffer.from(key).toString('base64'), value: big }),
              headers: { authorization: token },
            })
          ).status,
        ).toBe(200);
      }
    }
    for (const results of await Promise.all([lines(server.address), lines(etcd.address)])) {
      const blobs = results.map((r) => Buffer.from(r.blob, 'base64'));
      const data = blobs.slice(0, -1);
      expect(data.length).toBeGreaterThan(2);
      const total = data.reduce((sum, b) => sum + b.length, 0);
      let sent = 0;
      data.forEach((blob, i) => {
        sent += blob.length;
        expect(results[i]!.remaining_bytes).toBe(total - sent === 0 ? undefined : String(total - sent));
      });
      expect(results.at(-1)!.remaining_bytes).toBeUndefined();
      expect(blobs.at(-1)!.equals(createHash('sha256').update(Buffer.concat(data)).digest())).toBe(true);
    }
    const ours = Buffer.concat((await lines(server.address)).map((r) => Buffer.from(r.blob, 'base64')));
    expect(ours.subarray(0, 20).toString()).toBe('leaselab-snapshot 1\n');
  }, 30_000);

  it('refuses to restore into a dir that exists, from a damaged file or from an etcd (bolt) file, leaving nothing behind', async () => {
    const file = join(work, 'serve.db');
    const exists = await leaselab(['snapshot', 'restore', file, '--data-dir', work]);
    expect(exists).toEqual({ out: `leaselab snapshot: data-dir ${JSON.stringify(work)} exists\n`, code: 1 });
    const damaged = Buffer.from(readFileSync(file));
    damaged[100] = damaged[100]! ^ 1;
    writeFileSync(join(work, 'damaged.db'), damaged);
    const target = join(work, 'never');
    const bad = await leaselab(['snapshot', 'restore', join(work, 'damaged.db'), '--data-dir', target]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/damaged\.db: SHA-256 mismatch \(expected [0-9a-f]{64}, got [0-9a-f]{64}\): the file is damaged/);
    const bolt = await leaselab(['snapshot', 'restore', join(work, 'etcd.db'), '--data-dir', target]);
    expect(bolt.code).toBe(1);
    expect(bolt.out).toContain('is an etcd (bolt) snapshot: leaselab reads only its own snapshots');
    writeFileSync(join(work, 'short.db'), readFileSync(file).subarray(0, 600));
    const short = await leaselab(['snapshot', 'restore', join(work, 'short.db'), '--data-dir', target]);
    expect(short.out).toContain('is not a whole snapshot with its SHA-256 (cut short?)');
    expect(existsSync(target)).toBe(false);
    const usage = await leaselab(['snapshot', 'restore', file]);
    expect(usage.code).toBe(2);
    expect(usage.out).toContain('snapshot restore needs --data-dir DIR');
  }, 30_000);

  it('Hash: the same for the same state, across a restart on a restored dir; moved by a write; refused without root as etcd refuses it', async () => {
    const fresh = await startGrpcServer({ port: 0 });
    cleanups.push(() => fresh.close());
    const client = rawClient(fresh.address);
    const hashOf = async () => {
      const outcome = await client.unary('Maintenance', 'Hash', {});
      if (!('res' in outcome)) throw new Error(`Hash failed: ${outcome.err.message}`);
      return outcome.res as { hash: number; header: { revision: string } };
    };
    try {
      await client.unary('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('v') });
      const first = await hashOf();
      expect(first.header.revision).toBe('2');
      expect(await hashOf()).toEqual(first);
      // Saved, restored and served again: the same hash.
      const file = join(work, 'hash.db');
      expect((await etcdctl(fresh.address, ['snapshot', 'save', file])).endsWith('exit 0')).toBe(true);
      const dir = join(work, 'hash-restored');
      expect((await leaselab(['snapshot', 'restore', file, '--data-dir', dir])).code).toBe(0);
      const again = await startServeChild(['--data-dir', dir]);
      cleanups.push(() => again.kill9());
      const other = rawClient(again.address);
      const restoredHash = await other.unary('Maintenance', 'Hash', {});
      other.close();
      expect(restoredHash).toMatchObject({ res: { hash: first.hash, header: { revision: '2' } } });
      // The restored server has a lease-ID stream of its own: the two never hand out the same IDs.
      expect(again.stdout()).not.toContain(`seed ${fresh.leaseIdSeed}`);
      const restoredClient = rawClient(again.address);
      const grants = await Promise.all([client, restoredClient].map((c) => c.unary('Lease', 'LeaseGrant', { TTL: '60' })));
      restoredClient.close();
      expect((grants[0] as { res: { ID: string } }).res.ID).not.toBe((grants[1] as { res: { ID: string } }).res.ID);
      await client.unary('KV', 'Put', { key: Buffer.from('k'), value: Buffer.from('w') });
      expect((await hashOf()).hash).not.toBe(first.hash);
      // With auth on (the servers of the restore story), Hash is root's only, refused as etcd refuses it.
      const refusals = await Promise.all(
        [server.address, etcd.address].map(async (address) => {
          const raw = rawClient(address);
          try {
            return await raw.unary('Maintenance', 'Hash', {});
          } finally {
            raw.close();
          }
        }),
      );
      expect(refusals[1]).toEqual({ err: { code: 2, message: 'auth: user name is empty' } });
      expect(refusals[0]).toEqual(refusals[1]);
    } finally {
      client.close();
    }
  }, 30_000);
});
