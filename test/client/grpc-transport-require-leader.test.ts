// GrpcTransport's requireLeader (clientv3's WithRequireLeader: the `hasleader: true`
// metadata) against a real three-member etcd 3.4.23 cluster on loopback: with a leader the
// stream works as any other; once two members are gone and the third has no leader, etcd
// cancels the stream that asked for a leader ("etcdserver: no leader") and refuses a new
// one, while a stream opened without the metadata stays open.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BidiStream } from '../../src/client/transport.ts';
import { GrpcTransport } from '../../src/server/grpc-transport.ts';
import { NoLeaderError } from '../../src/store/errors.ts';
import type { LeaseId, LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../../src/store/messages.ts';
import { type EtcdCluster, etcdMissing, fastDataRoot, startEtcdCluster } from '../server/etcd-process.ts';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`${missing}: the requireLeader tests against an etcd cluster are skipped`);

/** Short raft timers, so losing the leader takes about a second. */
const heartbeatMs = 50;
const electionTimeoutMs = 500;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  let cluster: EtcdCluster | undefined;
  const transports: GrpcTransport[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster(3, fastDataRoot(), { heartbeatMs, electionTimeoutMs });
  }, 60_000);

  afterAll(async () => {
    for (const transport of transports) transport.close();
    await cluster?.stop();
  });

  it('with a leader both streams answer; without one, the stream that asked is cancelled and a new one refused, the other stays open', async () => {
    const [survivor, second, third] = cluster!.members;
    const transport = new GrpcTransport(survivor!.address);
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
    await second!.kill();
    await third!.kill();
    await survivor!.waitForHealth('false');

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
