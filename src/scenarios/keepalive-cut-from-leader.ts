/**
 * keepalive-cut-from-leader: a keepalive is answered by the leader's lessor
 * only; a follower forwards it. When the member a client talks to is cut off
 * from the leader, the client is connected and its member answers, yet no
 * renewal reaches the leader: the lease expires on the majority side.
 */
import { Sim } from '../sim/index.ts';
import type { LeaseId } from '../store/index.ts';
import { aFollower, leaderAt } from './cluster-roles.ts';
import { isolateMember } from './isolate-member.ts';
import { claim, seconds, type Scenario } from './scenario.ts';

const ttlSeconds = 5;
const cutAtMs = 6000;
const workerKey = '/workers/alice';

export const keepaliveCutFromLeader: Scenario = {
  name: 'keepalive-cut-from-leader',
  title: "A keepalive lost because the client's member is cut off from the leader",
  summary: "alice keeps her lease alive through a follower; the follower is cut off from the leader, and the lease expires though alice's connection is fine",
  story:
    `alice's client talks to one follower. She grants a ${ttlSeconds} s lease, attaches ${workerKey} and keeps the lease alive. ` +
    'Keepalives do not go through raft: the follower forwards each one to the leader, whose lessor alone counts lease time. ' +
    `At ${cutAtMs / 1000} s the follower is cut off from both other members. alice's connection to it is fine, so her keepalives go out, but the ` +
    'follower cannot reach the leader: it holds them, then (with no leader at all once it starts campaigning) answers "etcdserver: no leader" ' +
    '(after 7 s, or when it cancels streams after three election timeouts without a leader). Meanwhile the leader, hearing no renewal, expires the lease ' +
    `${ttlSeconds} s after the last one and deletes ${workerKey}: bob, talking to the majority, sees it gone. alice's client only gives the lease up when its own deadline passes.`,
  sources: [
    { file: 'etcdserver/v3_server.go', func: '(*EtcdServer).LeaseRenew', shows: 'a follower forwards a keepalive to the leader' },
    {
      file: 'etcdserver/v3_server.go',
      func: '(*EtcdServer).waitLeader',
      shows: 'with no leader for the whole request timeout the answer is "etcdserver: no leader"',
    },
  ],
  defaultSeed: 1,
  prediction: {
    question: "Will etcd expire alice's lease (and delete her key) before her own client tells her the lease is lost?",
    setup: () =>
      `Three etcd members; alice's client talks to one follower, bob's to the leader. alice grants a ${ttlSeconds} s lease, puts ${workerKey} with it ` +
      `and keeps the lease alive. At ${cutAtMs / 1000} s her follower is cut off from both other members; her own connection to it stays fine. ` +
      'bob reads the key every second.',
    outcome(result) {
      const expired = result.trace.ofKind('lease-expired')[0];
      const lost = result.trace.ofKind('client').find((event) => event.process === 'alice' && event.event.kind === 'lease-lost');
      if (expired === undefined)
        return {
          happened: false,
          detail: `no: the lease never expired (alice's client ${lost === undefined ? 'kept it' : `gave it up at ${seconds(lost.atMs)}`})`,
        };
      return lost === undefined || lost.atMs > expired.atMs
        ? {
            happened: true,
            detail: `yes: the leader expired the lease at ${seconds(expired.atMs)}; alice's client ${lost === undefined ? 'never told her' : `told her only at ${seconds(lost.atMs)}`}`,
          }
        : { happened: false, detail: `no: alice's client gave the lease up at ${seconds(lost.atMs)}, before the expiry at ${seconds(expired.atMs)}` };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 25_000, cluster: { members: 3 } });
    sim.process(
      'alice',
      async ({ client, sleep, log }) => {
        const { ID } = await client.grant(ttlSeconds);
        await client.put(workerKey, 'working', { lease: ID as LeaseId });
        const keepAlive = client.keepAlive(ID);
        const reason = await keepAlive.done;
        log(`my lease is lost (${reason})`);
        await sleep(2000);
      },
      { startAtMs: 3000, endpoints: ({ leader, members }) => [aFollower(members, leader)] },
    );
    sim.process(
      'bob',
      async ({ client, sleep, log }) => {
        await sleep(4000);
        for (let i = 0; i < 14; i++) {
          try {
            const { kvs } = await client.get(workerKey, { timeoutMs: 800 });
            if (kvs.length === 0) {
              log(`${workerKey} is gone`);
              return;
            }
          } catch {
            // try again
          }
          await sleep(1000);
        }
      },
      { startAtMs: 3000, endpoints: ({ leader }) => [leader ?? 'etcd1'] },
    );
    sim.at(cutAtMs, (world) => isolateMember(world, aFollower(world.members, world.leader)));
    return sim;
  },
  check(result) {
    const leader = leaderAt(result, cutAtMs);
    const renewed = result.trace.ofKind('lease-renewed');
    const lastRenewal = renewed.filter((event) => event.atMs <= cutAtMs + 100).at(-1);
    const renewedAfterCut = renewed.filter((event) => event.atMs > cutAtMs + 100);
    const expired = result.trace.ofKind('lease-expired')[0];
    const lost = result.trace.ofKind('client').find((event) => event.process === 'alice' && event.event.kind === 'lease-lost');
    const gone = result.trace.ofKind('log').find((event) => event.process === 'bob' && event.message.endsWith('is gone'));
    const aliceSent = result.trace
      .ofKind('client')
      .filter((event) => event.process === 'alice' && event.event.kind === 'keepalive-sent' && event.atMs > cutAtMs);
    return [
      claim(
        'alice went on sending keepalives to her member after it was cut off from the leader',
        aliceSent.length >= 2 && renewedAfterCut.length === 0,
        `${aliceSent.length} keepalives sent after ${seconds(cutAtMs)}; ${renewedAfterCut.length} renewals after it (leader: ${leader ?? 'none'})`,
      ),
      claim(
        `the leader expired the lease about ${ttlSeconds} s after the last renewal it saw`,
        expired !== undefined &&
          lastRenewal !== undefined &&
          expired.atMs - lastRenewal.atMs >= ttlSeconds * 1000 &&
          expired.atMs - lastRenewal.atMs < ttlSeconds * 1000 + 1000,
        `last renewal ${seconds(lastRenewal?.atMs)}, expired ${seconds(expired?.atMs)} (rev ${expired?.revision})`,
      ),
      claim(
        'bob, on the majority side, saw the key gone',
        gone !== undefined && expired !== undefined && gone.atMs >= expired.atMs,
        `bob: ${gone?.message ?? 'never saw it go'} at ${seconds(gone?.atMs)}`,
      ),
      claim(
        "alice's client gave the lease up only later, on its own deadline or an error",
        lost !== undefined && expired !== undefined && lost.atMs > expired.atMs,
        `lost at ${seconds(lost?.atMs)} (${lost?.event.kind === 'lease-lost' ? lost.event.reason : '?'}): ${lost === undefined || expired === undefined ? '' : `${((lost.atMs - expired.atMs) / 1000).toFixed(3)} s after the expiry`}`,
      ),
    ];
  },
};
