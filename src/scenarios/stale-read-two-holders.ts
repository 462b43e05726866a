/**
 * stale-read-two-holders: a lock that checks the lock key with a
 * serializable read. etcd answers a serializable read from the member the
 * client asked, from whatever that member has applied: a member cut off
 * from the others still answers, with its old state.
 */
import type { Client } from '../client/index.ts';
import type { LeaseId } from '../store/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { aFollower, leaderAt } from './cluster-roles.ts';
import { isolateMember } from './isolate-member.ts';
import { calls, claim, seconds, type Scenario } from './scenario.ts';

const lockKey = '/lock/report';
const cutAtMs = 2800;
const aliceAtMs = 3000;
const bobAtMs = 4500;

/** The processes that reported taking the lock, in order. */
function lockHolders(result: SimResult<Client>): string[] {
  return result.trace
    .ofKind('client')
    .filter((event) => event.event.kind === 'lock-acquired')
    .map((event) => event.process);
}

export const staleReadTwoHolders: Scenario = {
  name: 'stale-read-two-holders',
  title: 'A stale serializable read hands the lock to two clients',
  summary: 'a follower cut off from the cluster answers a serializable read with old data: bob sees the lock free while alice holds it',
  story:
    'Three etcd members. Just before alice takes the lock, one follower is cut off from the other two: it stops hearing of commits. ' +
    `alice's lock (a lease and a put on ${lockKey}) commits on the majority. bob's client balances over the leader and that follower, ` +
    'as clientv3 does, call by call: his lease grant goes to the leader, his check of the lock key (a serializable get, cheap: no round to the leader) ' +
    'goes to the cut-off follower, which answers from its own store: no key. His put goes to the leader and succeeds. ' +
    'Both believe they hold the lock. A linearizable get would have asked the leader for a read index and could not have answered from the stale follower.',
  sources: [
    { file: 'etcdserver/v3_server.go', func: '(*EtcdServer).Range', shows: 'a serializable range skips linearizableReadNotify and reads the local store' },
    { file: 'etcdserver/v3_server.go', func: '(*EtcdServer).linearizableReadNotify', shows: 'a linearizable read waits for the leader-confirmed read index' },
  ],
  defaultSeed: 1,
  prediction: {
    question: `Will bob believe he holds ${lockKey} while alice still holds it?`,
    setup: () =>
      'Three etcd members. Each client takes the lock by granting a lease, checking the lock key with a serializable get, and putting the key if it was absent. ' +
      `At ${cutAtMs / 1000} s one follower is cut off from the other two members. alice (talking to the leader) tries at ${aliceAtMs / 1000} s; ` +
      `bob, whose client balances call by call over the leader and that follower, tries at ${bobAtMs / 1000} s.`,
    outcome(result) {
      const holders = lockHolders(result);
      const bobRead = calls(result, { process: 'bob', method: 'range' })[0]?.response as { header: { revision: number }; kvs: unknown[] } | undefined;
      const read =
        bobRead === undefined ? 'bob never read the key' : `his serializable get read rev ${bobRead.header.revision} and saw ${bobRead.kvs.length} key(s)`;
      return holders.includes('alice') && holders.includes('bob')
        ? { happened: true, detail: `yes: alice and bob both took the lock: ${read}` }
        : { happened: false, detail: `no: holders ${holders.join(', ') || 'none'}; ${read}` };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 12_000, cluster: { members: 3 } });
    // Check, then put: the check is a serializable read, the put is unconditional.
    const tryLock = async (client: Client, me: string, log: (message: string) => void): Promise<boolean> => {
      const { ID } = await client.grant(10);
      const { kvs } = await client.get(lockKey, { serializable: true });
      if (kvs.length > 0) {
        log(`the lock is taken by ${new TextDecoder().decode(kvs[0]!.value)}`);
        return false;
      }
      await client.put(lockKey, me, { lease: ID as LeaseId });
      client.keepAlive(ID);
      client.report({ kind: 'lock-acquired', lockName: lockKey, key: lockKey, leaseId: ID, fencingToken: 0 });
      log('I hold the lock');
      return true;
    };
    sim.process(
      'alice',
      async ({ client, sleep, log }) => {
        await tryLock(client, 'alice', log);
        await sleep(6000);
      },
      { startAtMs: aliceAtMs, endpoints: ({ leader }) => [leader ?? 'etcd1'] },
    );
    sim.process(
      'bob',
      async ({ client, sleep, log }) => {
        await tryLock(client, 'bob', log);
        await sleep(4000);
      },
      { startAtMs: bobAtMs, endpoints: ({ leader, members }) => [leader ?? 'etcd1', aFollower(members, leader)] },
    );
    sim.at(cutAtMs, (world) => isolateMember(world, aFollower(world.members, world.leader)));
    return sim;
  },
  check(result) {
    const leader = leaderAt(result, cutAtMs);
    const cut = result.trace.ofKind('fault').find((event) => event.fault.kind === 'partition');
    const cutMember = cut?.fault.kind === 'partition' ? cut.fault.from : undefined;
    const alicePut = calls(result, { process: 'alice', method: 'put' })[0];
    const aliceRevision = (alicePut?.response as { header?: { revision: number } } | undefined)?.header?.revision;
    const bobGet = calls(result, { process: 'bob', method: 'range' })[0];
    const bobRead = bobGet?.response as { header: { revision: number }; kvs: unknown[] } | undefined;
    const bobPut = calls(result, { process: 'bob', method: 'put' })[0];
    const holders = lockHolders(result);
    const applied = result.trace.ofKind('kv-applied').filter((event) => event.changes.some((change) => change.key === lockKey && change.type === 'put'));
    return [
      claim(
        'a follower was cut off from the leader and the other follower',
        cutMember !== undefined && cutMember !== leader,
        `${cutMember ?? 'nobody'} cut off at ${seconds(cut?.atMs)}; ${leader ?? 'nobody'} led`,
      ),
      claim(
        "alice's lock put was committed by the majority",
        alicePut?.outcome === 'ok' && applied.length >= 1,
        `put answered ${alicePut?.outcome} at ${seconds(alicePut?.returnedAtMs)}, rev ${aliceRevision}`,
      ),
      claim(
        "bob's serializable get, answered by the cut-off follower, saw no lock key: its store was behind",
        bobRead !== undefined &&
          bobRead.kvs.length === 0 &&
          aliceRevision !== undefined &&
          bobRead.header.revision < aliceRevision &&
          (bobGet?.calledAtMs ?? 0) > (alicePut?.returnedAtMs ?? Infinity),
        `read at ${seconds(bobGet?.calledAtMs)}: rev ${bobRead?.header.revision}, ${bobRead?.kvs.length} key(s); alice's put was rev ${aliceRevision}`,
      ),
      claim(
        "bob's put went to the leader and succeeded: two clients hold the lock",
        bobPut?.outcome === 'ok' && holders.includes('alice') && holders.includes('bob'),
        `holders: ${holders.join(', ') || 'none'}; bob's put ${bobPut?.outcome} at ${seconds(bobPut?.returnedAtMs)}`,
      ),
    ];
  },
};
