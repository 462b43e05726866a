/**
 * etcdctl's command set against serve and a real etcd 3.4.23 side by side
 * (both started by the test on free loopback ports): the same script of
 * put/get/del/txn/compaction/lease/lock/elect/watch/alarm/defrag/endpoint
 * commands must print the same thing on both, once what differs between
 * two members by nature is masked: the endpoint address, lease and member
 * IDs (12 to 16 hex digits), timings, database sizes and raft indexes in
 * `endpoint status`. HashKV is compared unmasked: the same writes give
 * the same hash. Commands that never end (elect, watch) are stopped after
 * a while and what they printed by then is compared. Skipped, naming the
 * package, where etcd or etcdctl is missing.
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServing } from '../../src/cli/commands/serve.ts';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdOrEtcdctlMissing, startEtcd as startRealEtcd } from './etcd-process.ts';

const run = promisify(execFile);

const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the etcdctl comparison with etcd: ${missing}`);

const cleanups: (() => void | Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startEtcd(extraArgs: string[] = []): Promise<string> {
  const etcd = await startRealEtcd(extraArgs);
  cleanups.push(() => etcd.stop());
  return etcd.address;
}

/** Run etcdctl (stopped after `stopAfterMs` if given); its output with member-specific details masked. */
function etcdctl(endpoint: string, args: string[], options: { input?: string; stopAfterMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.on('error', () => {}); // etcdctl may exit before reading its input (EPIPE)
    child.stdin.end(options.input ?? '');
    const timer = options.stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.stopAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const masked = out
        .split('\n')
        .filter((line) => !line.includes('"level":"warn"'))
        .join('\n')
        .replaceAll(endpoint, 'ENDPOINT')
        .replace(/\b[0-9a-f]{12,16}\b/g, 'ID')
        .replace(/"(cluster_id|member_id)":\d+/g, '"$1":ID')
        .replace(/took = [0-9.]+[µm]?s/g, 'took = T');
      resolve(`$ ${args.join(' ')}\n${masked}exit ${options.stopAfterMs === undefined ? code : 'stopped'}`);
    });
  });
}

const script: { args: string[]; input?: string; stopAfterMs?: number }[] = [
  { args: ['put', 'a', '1'] },
  { args: ['put', 'b', '2', '--prev-kv'] },
  { args: ['put', 'b', '3', '--prev-kv'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
  { args: ['get', 'a', '--rev', '2'] },
  { args: ['get', '', '--from-key', '--keys-only', '--sort-by', 'MODIFY', '--order', 'DESCEND'] },
  { args: ['txn', '-w', 'json'], input: 'value("a") = "1"\n\nput a 10\nget b\n\nput a never\n\n' },
  { args: ['txn'], input: 'mod("a") < "2"\n\nput c yes\n\nput c no\n\n' },
  { args: ['del', 'c', '--prev-kv'] },
  { args: ['endpoint', 'hashkv', '-w', 'json'] },
  { args: ['compaction', '3'] },
  { args: ['compaction', '2'] },
  { args: ['get', 'a', '--rev', '2'] },
  { args: ['endpoint', 'hashkv'] },
  { args: ['endpoint', 'hashkv', '--cluster'] },
  { args: ['endpoint', 'health'] },
  { args: ['lock', 'mylock', 'echo', 'got the lock'] },
  { args: ['elect', 'myelection', 'proposal-1'], stopAfterMs: 1500 },
  { args: ['elect', '-l', 'myelection'], stopAfterMs: 1500 },
  { args: ['watch', 'a', '--rev', '1'], stopAfterMs: 1500 },
  { args: ['watch', '--prefix', '', '--rev', '4', '--prev-kv'], stopAfterMs: 1500 },
  { args: ['lease', 'timetolive', '1234'] },
  { args: ['lease', 'revoke', '1234'] },
  { args: ['alarm', 'list'] },
  { args: ['alarm', 'disarm'] },
  { args: ['defrag'] },
  { args: ['move-leader', '1234'] },
  { args: ['member', 'promote', '1234'] },
  { args: ['check', 'perf', '--load', 's'], stopAfterMs: 1 },
  { args: ['get', 'nope', '--consistency', 's'] },
  { args: ['version'] },
];

describe.skipIf(missing !== undefined)("etcdctl's command set, beside etcd 3.4.23", () => {
  let server: GrpcEtcdServer;
  let etcd: string;
  beforeAll(async () => {
    [server, etcd] = await Promise.all([startGrpcServer({ port: 0 }), startEtcd()]);
    cleanups.push(() => server.close());
  }, 30_000);

  it('prints what etcd prints for every command of the script', async () => {
    for (const step of script) {
      const [ours, theirs] = await Promise.all([etcdctl(`http://${server.address}`, step.args, step), etcdctl(`http://${etcd}`, step.args, step)]);
      expect(ours).toBe(theirs);
    }
  }, 120_000);

  it("answers alarm, member list and endpoint status in JSON with etcd's fields (no header where etcd sends none)", async () => {
    const mask = (text: string) =>
      text
        .replace(/"(cluster_id|member_id|memberID|ID|leader|dbSize|dbSizeInUse|raftIndex|raftAppliedIndex|revision)":\d+/g, '"$1":N')
        .replace(/"(peerURLs|clientURLs)":\[[^\]]*\]/g, '"$1":[URLS]')
        .replace(/"Endpoint":"[^"]*"/g, '"Endpoint":E');
    for (const args of [
      ['alarm', 'list', '-w', 'json'],
      ['member', 'list', '-w', 'json'],
      ['endpoint', 'status', '-w', 'json'],
    ]) {
      const [ours, theirs] = await Promise.all([etcdctl(`http://${server.address}`, args), etcdctl(`http://${etcd}`, args)]);
      expect(mask(ours)).toBe(mask(theirs));
    }
  });

  it("answers endpoint status in etcd's shape: version 3.4.23, leader itself, raft term 2, an index that moves with writes", async () => {
    const status = async () => {
      const { stdout } = await run('etcdctl', [`--endpoints=http://${server.address}`, 'endpoint', 'status', '-w', 'json'], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      return (
        JSON.parse(stdout) as {
          Status: { version: string; leader: string; header: { member_id: string }; raftTerm: number; raftIndex: number; dbSize: number };
        }[]
      )[0]!.Status;
    };
    const before = await status();
    await etcdctl(`http://${server.address}`, ['put', 'moves', 'the-index']);
    const after = await status();
    expect(after.version).toBe('3.4.23');
    expect(after.leader).toBe(after.header.member_id);
    expect(after.raftTerm).toBe(2);
    expect(after.raftIndex).toBe(before.raftIndex + 1);
    expect(after.dbSize).toBeGreaterThan(before.dbSize);
  });
});

describe.skipIf(missing !== undefined)('--quota-backend-bytes and the NOSPACE alarm, beside etcd 3.4.23', () => {
  it('refuses writes past the quota, raises NOSPACE, keeps reads and deletes, and disarming alone does not help', async () => {
    const etcd = await startEtcd(['--quota-backend-bytes', '1']);
    const serving = await startServing(['--port', '0', '--quota-backend-bytes', '1'], { write: () => {} });
    cleanups.push(() => serving.close());
    const commands = [
      ['put', 'a', '1'],
      ['alarm', 'list'],
      ['get', 'a'],
      ['del', 'a'],
      ['lease', 'grant', '60'],
      ['alarm', 'disarm'],
      ['alarm', 'list'],
      ['put', 'b', '2'],
    ];
    for (const args of commands) {
      const [ours, theirs] = await Promise.all([etcdctl(`http://${serving.server.address}`, args), etcdctl(`http://${etcd}`, args)]);
      expect(ours.replace(/memberID:\d+/g, 'memberID:M')).toBe(theirs.replace(/memberID:\d+/g, 'memberID:M'));
    }
  }, 60_000);
});
