// GrpcTransport's requireLeader (clientv3's WithRequireLeader: the `hasleader: true`
// metadata) against a real three-member etcd 3.4.23 cluster on loopback: with a leader the
// stream works as any other; once two members are gone and the third has no leader, etcd
// cancels the stream that asked for a leader ("etcdserver: no leader") and refuses a new
// one, while a stream opened without the metadata stays open.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BidiStream } from '../../src/client/transport.ts';
import { GrpcTransport } from '../../src/server/grpc-transport.ts';
import { NoLeaderError } from '../../src/store/errors.ts';
import type { LeaseId, LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../src/store/messages.ts';
import { etcdMissing, fastDataRoot, freePort } from '../server/etcd-process.ts';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`${missing}: the requireLeader tests against an etcd cluster are skipped`);

/** Short raft timers, so losing the leader takes about a second. */
const heartbeatMs = 50;
const electionTimeoutMs = 500;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Member {
  name: string;
  clientUrl: string;
  address: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/** Three etcd members on free loopback ports, in fresh data directories under `root`. */
async function startCluster(root: string): Promise<Member[]> {
  const ports = [];
  for (let i = 1; i <= 3; i++) ports.push({ name: `etcd${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = ports.map((port) => `${port.name}=http://127.0.0.1:${port.peer}`).join(',');
  const members = ports.map((port): Member => {
    const clientUrl = `http://127.0.0.1:${port.client}`;
    const peerUrl = `http://127.0.0.1:${port.peer}`;
    const child = spawn(
      'etcd',
      [
        '--name',
        port.name,
        '--data-dir',
        join(root, port.name),
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'new',
        '--initial-cluster-token',
        'leaselab-require-leader',
        '--heartbeat-interval',
        String(heartbeatMs),
        '--election-timeout',
        String(electionTimeoutMs),
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { name: port.name, clientUrl, address: `127.0.0.1:${port.client}`, child, exited };
  });
  for (const member of members) await waitForHealth(member, 'true');
  return members;
}

/** Poll the member's /health until it says `health` (etcd 3.4 answers "false" while it has no leader). */
async function waitForHealth(member: Member, health: 'true' | 'false'): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (member.child.exitCode !== null) throw new Error(`${member.name} exited with ${member.child.exitCode}`);
    try {
      const response = await fetch(`${member.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      if (((await response.json()) as { health?: string }).health === health) return;
    } catch {
      // not up yet, or too busy to answer
    }
    await sleep(50);
  }
  throw new Error(`${member.name}: /health never said ${health}`);
}

async function stopMember(member: Member): Promise<void> {
  if (member.child.exitCode === null && member.child.signalCode === null) {
    member.child.kill('SIGKILL');
    await member.exited;
  }
}

/** A keepalive stream and what came back on it. */
function keepAliveStream(
  transport: GrpcTransport,
  requireLeader: boolean,
): {
  stream: BidiStream<LeaseKeepAliveRequest>;
  answers: LeaseKeepAliveResponse[];
  ended: Promise<Error | undefined>;
  isEnded: () => boolean;
} {
  const answers: LeaseKeepAliveResponse[] = [];
  let done = false;
  let finish!: (error: Error | undefined) => void;
  const ended = new Promise<Error | undefined>((resolve) => (finish = resolve));
  const stream = transport.openKeepAlive(
    {
      message: (response) => answers.push(response),
      end: (error) => {
        done = true;
        finish(error);
      },
    },
    { requireLeader },
  );
  return { stream, answers, ended, isEnded: () => done };
}

/** Resolve with what `promise` gave, or with 'pending' after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([promise, sleep(ms).then(() => 'pending' as const)]);
}

describe.skipIf(missing !== undefined)('GrpcTransport requireLeader against a three-member etcd 3.4.23', () => {
  let root: string;
  let members: Member[] = [];
  const transports: GrpcTransport[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(fastDataRoot(), 'leaselab-etcd-cluster-'));
    members = await startCluster(root);
  }, 60_000);

  afterAll(async () => {
    for (const transport of transports) transport.close();
    for (const member of members) await stopMember(member);
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('with a leader both streams answer; without one, the stream that asked is cancelled and a new one refused, the other stays open', async () => {
    const survivor = members[0]!;
    const transport = new GrpcTransport(survivor.address);
    transports.push(transport);
    const { ID } = await transport.call('leaseGrant', { TTL: 60, ID: 0n as LeaseId });
    const asked = keepAliveStream(transport, true);
    const plain = keepAliveStream(transport, false);
    asked.stream.send({ ID });
    plain.stream.send({ ID });
    const deadline = Date.now() + 5000;
    while ((asked.answers.length === 0 || plain.answers.length === 0) && Date.now() < deadline) await sleep(20);
    expect(asked.answers[0]?.TTL).toBeGreaterThan(0);
    expect(plain.answers[0]?.TTL).toBeGreaterThan(0);
    expect(asked.isEnded() || plain.isEnded()).toBe(false);

    // the other two members go: the survivor loses its leader (CheckQuorum, or its own campaign)
    await stopMember(members[1]!);
    await stopMember(members[2]!);
    await waitForHealth(survivor, 'false');

    // etcd's leader monitor cancels streams that asked for a leader after three election timeouts without one
    const cancelled = await within(asked.ended, 3 * electionTimeoutMs + 4000);
    expect(cancelled).toBeInstanceOf(NoLeaderError);
    expect((cancelled as Error).message).toBe('etcdserver: no leader');
    expect(plain.isEnded()).toBe(false);

    // a new stream that asks for a leader is refused at once; one that does not is opened
    const refused = keepAliveStream(transport, true);
    const opened = keepAliveStream(transport, false);
    const refusal = await within(refused.ended, 3000);
    expect(refusal).toBeInstanceOf(NoLeaderError);
    expect(await within(opened.ended, 500)).toBe('pending');
    expect(plain.isEnded()).toBe(false);
    plain.stream.close();
    opened.stream.close();
  }, 60_000);
});
