/**
 * lock-contention: four clients want one etcd Mutex. Each creates its own key
 * under the lock prefix; the key's create revision is its place in line.
 */
import { etcdMutexFenced } from '../client/index.ts';
import { Sim } from '../sim/index.ts';
import { lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { claim, seconds, type RunPlace, type Scenario } from './scenario.ts';

export const lockName = '/lock';
const clients = ['alice', 'bob', 'carol', 'dave'] as const;
const holdMs = 1000;
/** A handover is one watch round trip: a few ms in the simulator; on a real endpoint, on a busy machine, more. */
const handoverMsMax = 100;
const endpointHandoverMsMax = 500;

export const lockContention: Scenario = {
  name: 'lock-contention',
  title: 'Four clients, one etcd Mutex',
  summary: 'four clients queue on an etcd Mutex and get it one by one, in create-revision order',
  story:
    `alice, bob, carol and dave each open a session (a 5 s lease kept alive) and lock ${lockName} with etcd's Mutex, ` +
    "starting 100 ms apart. Each puts its own key under the prefix; the put's revision (the key's create revision) is its ticket. " +
    'The owner is whoever has the oldest key; everyone else watches the key just ahead of theirs and waits for its DELETE. ' +
    `Each holder writes to the storage with its ticket as fencing token, holds the lock ${holdMs / 1000} s, and unlocks. ` +
    'Watch the lock pass down the line in ticket order, with never two holders at once.',
  sources: [
    {
      file: 'clientv3/concurrency/mutex.go',
      func: '(*Mutex).Lock',
      shows: 'each client puts a key under the prefix; the lowest create revision owns the lock',
    },
    { file: 'clientv3/concurrency/key.go', func: 'waitDeletes', shows: 'each waiter watches the key created just before its own until it is deleted' },
    { file: 'clientv3/concurrency/mutex.go', func: '(*Mutex).Unlock', shows: "unlock deletes the owner's key, waking the next waiter" },
  ],
  defaultSeed: 1,
  prediction: {
    question: `Will they get ${lockName} in the order they asked for it (${clients.join(', ')})?`,
    setup: () =>
      `${clients.join(', ')} each ask for ${lockName} (etcd Mutex, 5 s sessions), 100 ms apart; each holds it ${holdMs / 1000} s, writes to the storage and unlocks.`,
    outcome(result) {
      const order = lockBeliefs(result.trace.events).map((belief) => belief.process);
      return order.join() === clients.join()
        ? { happened: true, detail: `yes: ${order.join(', ')}, in the order of their keys' create revisions` }
        : { happened: false, detail: `no: they got it as ${order.join(', ') || 'nobody'}` };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 30_000 });
    sim.resource('storage');
    clients.forEach((name, index) => {
      sim.process(
        name,
        async ({ client, sleep, log, resource }) => {
          const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds: 5 });
          const { fencingToken = -1 } = await lock.acquire();
          log(`holds ${lockName} with token ${fencingToken}`);
          await resource('storage').write(fencingToken, `${name} was here`);
          await sleep(holdMs);
          await lock.release();
          client.close();
        },
        { startAtMs: index * 100 },
      );
    });
    return sim;
  },
  check(result, _knobs = {}, place: RunPlace = 'simulator') {
    const gapMsMax = place === 'endpoint' ? endpointHandoverMsMax : handoverMsMax;
    const beliefs = lockBeliefs(result.trace.events);
    const order = beliefs.map((belief) => belief.process);
    const tokens = beliefs.map((belief) => belief.fencingToken);
    const ascending = tokens.every((token, i) => i === 0 || token > tokens[i - 1]!);
    const overlaps = overlappingBeliefs(beliefs);
    const handovers = beliefs.slice(1).map((belief, i) => belief.fromMs - (beliefs[i]!.untilMs ?? Number.POSITIVE_INFINITY));
    const writes = result.world.resource('storage').attempts;
    return [
      claim(
        'every client got the lock once',
        beliefs.length === clients.length && new Set(order).size === clients.length,
        `acquired in order ${order.join(', ')}`,
      ),
      claim('they got it in create-revision (ticket) order', ascending, `tokens in acquisition order: ${tokens.join(', ')}`),
      claim('in the order they asked', order.join() === clients.join(), `asked: ${clients.join(', ')}; got: ${order.join(', ')}`),
      claim(
        'never two holders at once',
        overlaps.length === 0,
        overlaps.length === 0 ? 'no overlapping beliefs' : `overlap at ${seconds(overlaps[0]!.fromMs)}`,
      ),
      claim(
        'each waiter got the lock right after the release before it (one watch round trip)',
        handovers.every((gapMs) => gapMs >= 0 && gapMs < gapMsMax),
        `handover gaps: ${handovers.map((gapMs) => `${Math.round(gapMs)}ms`).join(', ')}`,
      ),
      claim(
        'the storage accepted every write',
        writes.length === clients.length && writes.every((write) => write.accepted),
        `${writes.filter((write) => write.accepted).length} of ${writes.length} accepted`,
      ),
    ];
  },
};
