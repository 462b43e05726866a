// Maintenance.Status's raft index (src/server/maintenance-service.ts) beside a real etcd 3.4.23:
// the same etcdctl calls move it by the same steps on both. In etcd every call that goes through
// raft moves it (etcdserver/v3_server.go: raftRequest / raftRequestOnce), reads of users and roles
// included, and failed ones too (the proposal is applied, then answers the error); a plain range
// does not. Skipped, naming the tool, where etcd or etcdctl is missing.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { cleanupsAfter, startEtcdStoppedWith } from './cleanups.ts';
import { etcdOrEtcdctlMissing } from './etcd-process.ts';

const run = promisify(execFile);
const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the raft index comparison with etcd: ${missing}`);

const cleanups = cleanupsAfter('all');

async function etcdctl(endpoint: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('etcdctl', [`--endpoints=${endpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    return stdout;
  } catch (error) {
    // Only the last line: the lines before it are etcdctl's own log, with times and addresses.
    return `error: ${((error as { stderr?: string }).stderr ?? String(error)).trim().split('\n').at(-1)}`;
  }
}

async function raftIndex(endpoint: string): Promise<number> {
  const status = JSON.parse(await etcdctl(endpoint, ['endpoint', 'status', '-w', 'json'])) as { Status: { raftIndex: number } }[];
  return status[0]!.Status.raftIndex;
}

/** How far each command moves the raft index, and what it printed. */
async function steps(endpoint: string, commands: string[][]): Promise<{ command: string; moved: number; output: string }[]> {
  const out: { command: string; moved: number; output: string }[] = [];
  let index = await raftIndex(endpoint);
  for (const command of commands) {
    const output = (await etcdctl(endpoint, command)).trim();
    const next = await raftIndex(endpoint);
    out.push({ command: command.join(' '), moved: next - index, output });
    index = next;
  }
  return out;
}

describe.skipIf(missing !== undefined)('Status raft index beside etcd 3.4.23', () => {
  let ours = '';
  let etcd = '';
  beforeAll(async () => {
    const [server, address] = await Promise.all([startGrpcServer({ port: 0 }), startEtcdStoppedWith(cleanups)]);
    cleanups.push(() => server.close());
    ours = `http://${server.address}`;
    etcd = `http://${address}`;
  });

  it('moves by one for each proposal (user and role reads, failed ones, writes) and not for ranges', async () => {
    const commands = [
      ['user', 'list'],
      ['role', 'list'],
      ['user', 'get', 'nobody'],
      ['role', 'get', 'nobody'],
      ['role', 'add', 'reader'],
      ['role', 'get', 'reader'],
      ['user', 'add', 'alice', '--new-user-password', 'pw'],
      ['user', 'get', 'alice'],
      ['put', 'k', 'v'],
      ['get', 'k'],
      ['del', 'nothing-here'],
      ['lease', 'list'],
    ];
    const [theirs, mine] = [await steps(etcd, commands), await steps(ours, commands)];
    expect(mine.map(({ command, moved }) => `${command}: ${moved}`)).toEqual(theirs.map(({ command, moved }) => `${command}: ${moved}`));
    expect(mine.map((step) => step.output)).toEqual(theirs.map((step) => step.output));
    // The reads of users and roles are proposals in etcd 3.4: each moved the index.
    expect(theirs.slice(0, 4).map((step) => step.moved)).toEqual([1, 1, 1, 1]);
  });
});
