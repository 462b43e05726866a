/**
 * leader-isolated: the leader ends up in the minority of a partition. It
 * cannot commit anything, steps down after an election timeout without
 * hearing from a majority (CheckQuorum), and the majority elects a new
 * leader in a higher term. Clients of the old leader wait and time out;
 * clients of the majority carry on.
 */
import { Sim } from '../sim/index.ts';
import { aFollower, leaderAt, memberEvents } from './cluster-roles.ts';
import { isolateMember } from './isolate-member.ts';
import { calls, claim, seconds, type Scenario } from './scenario.ts';

const isolateAtMs = 4000;
const healAtMs = 14_000;

export const leaderIsolated: Scenario = {
  name: 'leader-isolated',
  title: 'The leader cut off in a minority: its clients time out, a new leader is elected elsewhere',
  summary: 'the leader is partitioned from both followers: its clients time out while the majority elects a new leader and carries on',
  story:
    'Three etcd members; alice talks only to the leader, bob only to a follower. At 4 s the leader is cut off from both followers. ' +
    "alice's put reaches it and is appended to its log, but it can never commit: a majority must hold an entry. " +
    'After an election timeout without hearing from a majority the old leader steps down (raft CheckQuorum); ' +
    "about as soon, a follower's election timer fires and the two followers elect a new leader in a higher term. " +
    "bob's put, forwarded by his member to the new leader, commits. alice's call gets no answer before her deadline (the member would answer " +
    '"etcdserver: request timed out" at 7 s): its outcome is unknown to her, and in fact it never happened. When the partition heals, the old ' +
    'leader, which kept campaigning alone, comes back with a higher term and forces one more election (etcd 3.4 runs without pre-vote by default); ' +
    "it cannot win it, its log lacking the majority's entries, and it rejoins as a follower: its uncommitted entry is replaced by the new leader's log.",
  sources: [
    { file: 'raft/raft.go', func: 'stepLeader', shows: 'CheckQuorum: a leader that has not heard from a quorum steps down' },
    {
      file: 'etcdserver/server.go',
      func: '(*EtcdServer).parseProposeCtxErr',
      shows: 'a proposal that never commits ends with "etcdserver: request timed out"',
    },
  ],
  defaultSeed: 1,
  prediction: {
    question: "Will alice's second write, sent to the leader after it was cut off from both followers, end up in the store?",
    setup: () =>
      `Three etcd members; alice talks only to the leader, bob only to a follower. At ${isolateAtMs / 1000} s the leader is cut off from both followers. ` +
      `At about ${(isolateAtMs + 950) / 1000} s alice puts /config/owner = alice-during through the leader; at ${(isolateAtMs + 3000) / 1000} s bob puts bob-during through his follower. ` +
      `At ${healAtMs / 1000} s the partition heals.`,
    outcome(result) {
      const alicePut = calls(result, { process: 'alice', method: 'put' })[1];
      const values = result.trace.ofKind('kv-applied').flatMap((event) => event.changes.map((change) => change.value));
      const answer = `her put ended ${alicePut?.outcome ?? 'unsent'} at ${seconds(alicePut?.returnedAtMs)}${alicePut?.error === undefined ? '' : ` (${alicePut.error})`}`;
      return values.includes('alice-during')
        ? { happened: true, detail: `yes: alice-during was applied; ${answer}` }
        : {
            happened: false,
            detail: `no: the isolated leader could never commit it, and the new leader's log replaced it; ${answer}; applied: ${values.join(', ')}`,
          };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 30_000, cluster: { members: 3 } });
    sim.process(
      'alice',
      async ({ client, sleep, log }) => {
        await client.put('/config/owner', 'alice-before');
        await sleep(isolateAtMs + 1000 - 3000 - 50);
        try {
          await client.put('/config/owner', 'alice-during');
          log('put answered');
        } catch (error) {
          log(`put failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
      { startAtMs: 3000, endpoints: ({ leader }) => [leader ?? 'etcd1'] },
    );
    sim.process(
      'bob',
      async ({ client, sleep, log }) => {
        await sleep(isolateAtMs + 3000 - 3000);
        const { header } = await client.put('/config/owner', 'bob-during');
        log(`put committed at rev ${header.revision}, term ${header.raft_term}`);
        await sleep(healAtMs + 9000 - (isolateAtMs + 3000)); // watch the rejoin (the disrupted election may take a few rounds)
      },
      { startAtMs: 3000, endpoints: ({ leader, members }) => [aFollower(members, leader)] },
    );
    sim.at(isolateAtMs, (world) => {
      if (world.leader !== undefined) isolateMember(world, world.leader);
    });
    sim.at(healAtMs, (world) => world.heal());
    return sim;
  },
  check(result) {
    const oldLeader = leaderAt(result, isolateAtMs);
    const events = memberEvents(result);
    const oldTerm = events.filter((event) => event.member === oldLeader && event.role === 'leader' && event.atMs <= isolateAtMs).at(-1)?.term;
    const stepDown = events.find((event) => event.member === oldLeader && event.atMs > isolateAtMs && event.role !== 'leader');
    const newLeader = events.find((event) => event.role === 'leader' && event.atMs > isolateAtMs && event.atMs < healAtMs && event.member !== oldLeader);
    const alicePut = calls(result, { process: 'alice', method: 'put' })[1];
    const bobPut = calls(result, { process: 'bob', method: 'put' })[0];
    const values = result.trace.ofKind('kv-applied').flatMap((event) => event.changes.map((change) => change.value));
    const rejoined = events.find((event) => event.member === oldLeader && event.atMs >= healAtMs && event.role === 'follower' && event.leader !== undefined);
    return [
      claim(
        'the isolated leader stepped down without a majority',
        stepDown !== undefined && stepDown.atMs - isolateAtMs <= 2100,
        `${oldLeader ?? 'nobody'} led in term ${oldTerm}; ${stepDown === undefined ? 'never stepped down' : `${stepDown.role} at ${seconds(stepDown.atMs)}`}`,
      ),
      claim(
        'the majority elected a new leader in a higher term',
        newLeader !== undefined && oldTerm !== undefined && newLeader.term > oldTerm,
        `${newLeader?.member ?? 'nobody'} leader in term ${newLeader?.term} at ${seconds(newLeader?.atMs)}`,
      ),
      claim(
        "alice's put to the old leader got no answer: outcome unknown, and never applied",
        alicePut?.outcome === 'unknown' && !values.includes('alice-during'),
        `${alicePut?.outcome ?? 'not sent'} at ${seconds(alicePut?.returnedAtMs)} (${alicePut?.error ?? ''}); applied values: ${values.join(', ')}`,
      ),
      claim(
        "bob's put through a member of the majority committed",
        bobPut?.outcome === 'ok' && values.includes('bob-during'),
        `${bobPut?.outcome} at ${seconds(bobPut?.returnedAtMs)}`,
      ),
      claim(
        'after the heal the old leader follows the new one',
        rejoined !== undefined,
        rejoined === undefined ? 'it never rejoined' : `${oldLeader} follower of ${rejoined.leader} (term ${rejoined.term}) at ${seconds(rejoined.atMs)}`,
      ),
    ];
  },
};
