/**
 * election-failover: leader election with etcd's Election recipe. The leader
 * crashes; its session's lease expires; the follower's campaign returns and
 * it leads. An observer follows the whole story through Election.observe().
 */
import { leaseSweepIntervalMs } from '../store/index.ts';
import { type Client, Election, Session } from '../client/index.ts';
import { Sim } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { claim, logLines, seconds, type Scenario } from './scenario.ts';

const electionName = '/leader';
const ttlSeconds = 5;
const crashAtMs = 4000;
const networkSlackMs = 50;

/**
 * Campaign, then tell the trace that from here this process believes it leads
 * (the timelines draw it like a lock), until it resigns or its session ends.
 * Returns resign().
 */
async function lead(client: Client, election: Election, session: Session, value: string): Promise<() => Promise<void>> {
  await election.campaign(value);
  const belief = { lockName: electionName, key: election.key, leaseId: session.leaseId };
  let leading = true;
  client.report({ kind: 'lock-acquired', ...belief, fencingToken: election.rev });
  void session.done.then(() => {
    if (leading) client.report({ kind: 'lock-lost', ...belief });
    leading = false;
  });
  return async () => {
    if (leading) client.report({ kind: 'lock-released', ...belief });
    leading = false;
    await election.resign();
  };
}

export const electionFailover: Scenario = {
  name: 'election-failover',
  title: 'Leader election: the leader crashes, the follower takes over',
  summary: 'Election: the leader crashes, its lease expires, the follower takes over; an observer sees both',
  story:
    `alice and bob both campaign for ${electionName} with etcd's Election recipe (sessions with a ${ttlSeconds} s TTL). ` +
    "alice campaigns first, so her key is oldest and she leads; bob's campaign blocks, watching her key. " +
    'carol does not run for anything: she observes, and logs every leader she sees. ' +
    `At ${crashAtMs / 1000} s alice crashes. Nobody resigns; her lease simply runs out, the sweep deletes her key, ` +
    "bob's campaign returns and he leads, with a higher revision (usable as a fencing token). " +
    'Watch for the gap with no leader: up to a TTL plus one sweep.',
  sources: [
    { file: 'clientv3/concurrency/election.go', func: '(*Election).Campaign', shows: 'a candidate puts its key and waits for the older keys to go' },
    { file: 'clientv3/concurrency/election.go', func: '(*Election).observe', shows: 'the observer follows the leader key with a watch' },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: "the crashed leader's lease expires, deleting its key" },
  ],
  defaultSeed: 1,
  prediction: {
    question: "Will bob lead within one second of alice's crash?",
    setup: () =>
      `alice leads ${electionName} (etcd Election, sessions with a ${ttlSeconds} s TTL); bob's campaign waits behind her; carol observes. ` +
      `At ${crashAtMs / 1000} s alice's process crashes without resigning.`,
    outcome(result) {
      const bob = lockBeliefs(result.trace.events).find((belief) => belief.process === 'bob');
      const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
      if (bob === undefined) return { happened: false, detail: 'no: bob never led' };
      const afterMs = bob.fromMs - crashAtMs;
      const expiry = aliceLease?.end === 'expired' ? `; alice's lease expired at ${seconds(aliceLease.endedAtMs)}` : '';
      return afterMs <= 1000
        ? { happened: true, detail: `yes: bob led from ${seconds(bob.fromMs)}, ${Math.round(afterMs)} ms after the crash${expiry}` }
        : {
            happened: false,
            detail: `no: bob led from ${seconds(bob.fromMs)}, ${seconds(afterMs)} after the crash: nobody led until her lease ran out${expiry}`,
          };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 30_000 });
    for (const [name, startAtMs] of [
      ['alice', 0],
      ['bob', 300],
    ] as const) {
      sim.process(
        name,
        async ({ client, sleep, log }) => {
          const session = await Session.create(client, { ttlSeconds });
          const election = new Election(session, electionName);
          log(`campaigns for ${electionName}`);
          const resign = await lead(client, election, session, name);
          log(`is the leader (rev ${election.rev})`);
          await sleep(5000);
          await resign();
          await session.close();
          log('resigned');
        },
        { startAtMs },
      );
    }
    sim.process(
      'carol',
      async ({ client, sleep, log }) => {
        const session = await Session.create(client, { ttlSeconds });
        const election = new Election(session, electionName);
        const observation = election.observe((leader) => {
          const kv = leader.kvs[0];
          if (kv !== undefined) log(`observes leader ${new TextDecoder().decode(kv.value)} (rev ${kv.create_revision})`);
        });
        await sleep(12_000);
        observation.stop();
        await session.close();
      },
      { startAtMs: 100 },
    );
    sim.at(crashAtMs, (world) => world.crash('alice'));
    return sim;
  },
  check(result) {
    const beliefs = lockBeliefs(result.trace.events);
    const alice = beliefs.find((belief) => belief.process === 'alice');
    const bob = beliefs.find((belief) => belief.process === 'bob');
    const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
    const observed = logLines(result, 'carol').flatMap((line) => /observes leader (\w+)/.exec(line.message)?.[1] ?? []);
    const boundMs = crashAtMs + ttlSeconds * 1000 + leaseSweepIntervalMs + networkSlackMs;
    return [
      claim('alice led first', alice !== undefined && (bob === undefined || alice.fromMs < bob.fromMs), `alice elected ${seconds(alice?.fromMs)}`),
      claim(
        "bob took over only after alice's lease expired",
        bob !== undefined && aliceLease?.endedAtMs !== undefined && bob.fromMs >= aliceLease.endedAtMs,
        `alice's lease expired ${seconds(aliceLease?.endedAtMs)}, bob elected ${seconds(bob?.fromMs)}`,
      ),
      claim('within TTL + one sweep of the crash', bob !== undefined && bob.fromMs <= boundMs, `crash ${seconds(crashAtMs)}, bound ${seconds(boundMs)}`),
      claim(
        "bob's revision is higher than alice's",
        bob !== undefined && alice !== undefined && bob.fencingToken > alice.fencingToken,
        `alice rev ${alice?.fencingToken}, bob rev ${bob?.fencingToken}`,
      ),
      claim('never two leaders at once', overlappingBeliefs(beliefs).length === 0, 'alice stopped believing when she crashed'),
      claim('the observer saw alice, then bob', observed.join() === 'alice,bob', `carol observed: ${observed.join(', ') || 'nobody'}`),
    ];
  },
};
