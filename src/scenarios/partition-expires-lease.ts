/**
 * partition-expires-lease: the holder is cut off from etcd. Its keepalives
 * are lost, the server expires its lease and hands the lock on, and the cut
 * off client keeps believing until its own local deadline tells it otherwise.
 */
import { etcdMutexFenced } from '../client/index.ts';
import { Sim } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { jepsenEtcd, twoHoldersPrediction } from './analyses.ts';
import { leaseSweepIntervalMs } from '../store/index.ts';
import { claim, margin, networkKnob, seconds, type RunPlace, type Scenario } from './scenario.ts';
import { addWaitingBob } from './waiting-bob.ts';

const lockName = '/lock';
const defaultTtlSeconds = 5;
const partitionAtMs = 2500;
const healAtMs = 14_000;
/** On an endpoint: a revoke's way to bob (a raft write, his watch, his check) after the sweep. */
const endpointSlackMs = 100;
/** clientv3's deadline loop looks every second. */
const deadlineCheckMs = 1000;

export const partitionExpiresLease: Scenario = {
  name: 'partition-expires-lease',
  title: "Cut off from etcd: the lease expires behind the holder's back",
  summary: 'the holder is partitioned from the server; its lease expires, another acquires, it believes until its local deadline',
  story:
    `alice locks ${lockName} (etcd Mutex, session TTL ${defaultTtlSeconds} s); bob waits. At ${partitionAtMs / 1000} s the network between alice and etcd breaks ` +
    `(both ways) until ${healAtMs / 1000} s. alice is alive and well, but her keepalives are dropped. ` +
    'The server sees only silence: one TTL after her last renewal it expires her lease at the next sweep, deletes her key, and bob gets the lock. ' +
    "alice's client cannot hear any of this. It gives the lease up only when its own deadline (last answer + TTL) passes, checked once a second. " +
    'Watch both clocks: the server\'s expiry and alice\'s "lost (deadline)". Whichever comes first, a client that is cut off is always guessing.',
  sources: [
    { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: "alice's keepalives go out but never arrive" },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: 'the server expires her lease at the sweep' },
    {
      file: 'clientv3/lease.go',
      func: '(*lessor).deadlineLoop',
      shows: 'her client gives the lease up only when its local deadline passes, checked once a second',
    },
  ],
  analyses: [jepsenEtcd],
  prediction: twoHoldersPrediction(
    lockName,
    (knobs) =>
      `alice holds ${lockName} (lease TTL ${knobs.ttlSeconds ?? defaultTtlSeconds} s); bob waits. At ${partitionAtMs / 1000} s the network between alice and etcd breaks both ways, until ${healAtMs / 1000} s.`,
  ),
  defaultSeed: 1,
  knobs: [
    { name: 'ttl', default: `${defaultTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
    { name: 'drift', default: '1' },
  ],
  build(seed, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
    const sim = new Sim({ seed, msMax: 30_000, ...networkKnob(knobs) });
    const driftRate = knobs.driftRate ?? 1;
    sim.process(
      'alice',
      async ({ client, sleep, log }) => {
        const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
        const { fencingToken } = await lock.acquire();
        log(`holds ${lockName} with token ${fencingToken}`);
        void lock.lost.then(() => log('my client says the lock is lost'));
        await sleep(20_000 * driftRate); // her clock's ms: 20 s of real time
        client.close();
      },
      // --drift: alice's clock (and her client's deadline) runs at another rate; see client-clock-drift.
      driftRate === 1 ? {} : { clock: { driftRate } },
    );
    addWaitingBob(sim, lockName, ttlSeconds, 2000);
    sim.at(partitionAtMs, (world) => world.partition('alice', 'server'));
    sim.at(healAtMs, (world) => world.heal('alice', 'server'));
    return sim;
  },
  check(result, knobs = {}, place: RunPlace = 'simulator') {
    const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
    const beliefs = lockBeliefs(result.trace.events);
    const alice = beliefs.find((belief) => belief.process === 'alice');
    const bob = beliefs.find((belief) => belief.process === 'bob');
    const lease = leaseLifetimes(result.trace.events).find((candidate) => candidate.process === 'alice');
    const lastAnswerMs = Math.max(lease?.grantedAtMs ?? 0, ...(lease?.renewedAtMs ?? []));
    // Her client counts the TTL and its once-a-second check on her clock (--drift).
    const driftRate = knobs.driftRate ?? 1;
    const localDeadlineMs = lastAnswerMs + (ttlSeconds * 1000) / driftRate;
    const overlaps = overlappingBeliefs(beliefs);
    return [
      claim(
        'no keepalive got through after the partition',
        (lease?.renewedAtMs ?? []).every((atMs) => atMs < partitionAtMs),
        `last answer ${seconds(lastAnswerMs)}`,
      ),
      claim(
        "the server expired alice's lease while she was cut off",
        lease?.end === 'expired' && lease.endedAtMs! > partitionAtMs && lease.endedAtMs! < healAtMs,
        `expired ${seconds(lease?.endedAtMs)}${margin(lease?.endedAtMs, healAtMs, 'before the heal', 'after the heal')}`,
      ),
      claim(
        'bob got the lock after the expiry',
        bob !== undefined && lease?.endedAtMs !== undefined && bob.fromMs >= lease.endedAtMs,
        `bob acquired ${seconds(bob?.fromMs)}`,
      ),
      claim(
        'alice believed until her local deadline passed (checked once a second), not a moment longer',
        alice?.end === 'lost' &&
          alice.untilMs! >= localDeadlineMs &&
          // on real time a once-a-second timer fires a few ms late
          alice.untilMs! <= localDeadlineMs + deadlineCheckMs / driftRate + (place === 'endpoint' ? endpointSlackMs : 0),
        `local deadline ${seconds(localDeadlineMs)}, alice gave up at ${seconds(alice?.untilMs)}${margin(alice?.untilMs, healAtMs, 'before the heal', 'after the heal')}`,
      ),
      claim('she gave up while still partitioned: nothing told her', alice?.untilMs !== undefined && alice.untilMs < healAtMs, `heal at ${seconds(healAtMs)}`),
      place === 'endpoint'
        ? // The server's deadline comes before her client's (it renewed before she heard), but a real etcd sweeps at a phase
          // nobody outside knows: her once-a-second check may fall before bob's acquire, by less than one sweep.
          claim(
            "her belief and bob's overlapped, or missed each other by less than one sweep",
            overlaps.length > 0 || (alice?.untilMs !== undefined && bob !== undefined && bob.fromMs - alice.untilMs < leaseSweepIntervalMs + endpointSlackMs),
            overlaps.length > 0
              ? `both believed from ${seconds(overlaps[0]!.fromMs)} to ${seconds(overlaps[0]!.untilMs)}`
              : `alice gave up ${seconds(alice?.untilMs)}, bob acquired ${seconds(bob?.fromMs)}`,
          )
        : claim(
            "her belief and bob's overlapped",
            overlaps.length > 0,
            overlaps.length > 0 ? `both believed from ${seconds(overlaps[0]!.fromMs)} to ${seconds(overlaps[0]!.untilMs)}` : 'no overlap with this seed',
          ),
    ];
  },
};
