/**
 * delayed-write: no pause at all. alice checks that she holds the lock and
 * sends her write at once, but the network holds it (and her keepalives) for
 * nine seconds. Her lease expires, bob gets the lock and writes, and then the
 * network delivers alice's old write on top of bob's. The explorer finds
 * this story within a few runs (`explore --lock mutex --faults hold`);
 * Kleppmann's "How to do distributed locking" (2016) tells it with a packet
 * delayed in the network.
 */
import { etcdMutexFenced } from '../client/index.ts';
import { Sim } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs } from '../report/index.ts';
import { kleppmannLocking, staleWritePrediction } from './analyses.ts';
import { claim, logLines, margin, networkKnob, seconds, type Knobs, type Scenario } from './scenario.ts';

const lockName = '/lock';
const ttlSeconds = 5;
/** alice's link to the storage starts holding messages (before her write). */
const holdStorageAtMs = 1000;
/** ... and her link to etcd (after her check was answered): keepalives stop arriving. */
const holdServerAtMs = 1200;
const releaseAtMs = 10_000;

/** alice's link to etcd starts holding after her check is answered; a slower network (--latency) answers later. */
function serverHoldAtMs(knobs: Knobs): number {
  return holdServerAtMs + 10 * Math.max(0, (knobs.latencyMs ?? 5) - 5);
}

export const delayedWrite: Scenario = {
  name: 'delayed-write',
  title: 'A write held in the network outlives the lease',
  summary: "the holder checks and writes at once, but the network holds the write past the lease; it lands after the next holder's",
  story:
    `alice locks ${lockName} (etcd Mutex, TTL ${ttlSeconds} s), works for a second, checks that she still holds the lock (she does) and sends her write at once. ` +
    `Nothing pauses her. But from ${holdStorageAtMs / 1000} s her network holds messages: the write waits in a queue, and from ${holdServerAtMs / 1000} s so do her keepalives. ` +
    'The server hears no keepalive, the sweep revokes her lease and deletes her key, and bob gets the lock and writes. ' +
    "alice's client gives the lock up when its local deadline passes, but her write is already out of her hands. " +
    `At ${releaseAtMs / 1000} s the network lets go, and her old write reaches the storage after bob's. This storage does not check fencing tokens: a lost update. ` +
    'No check at the client can cover time a message spends in the network; a fencing token checked by the storage can (see fencing-saves-the-day).',
  defaultSeed: 1,
  analyses: [
    { ...kleppmannLocking, shows: 'a write delayed in the network arrives after the lease expired and another client wrote; only the storage can refuse it' },
  ],
  prediction: staleWritePrediction(
    'alice: update',
    (knobs) =>
      `alice holds ${lockName} (lease TTL ${knobs.ttlSeconds ?? ttlSeconds} s); bob waits. alice checks that she holds the lock and sends her write at once, ` +
      `but from ${holdStorageAtMs / 1000} s the network holds her messages (the write and her keepalives) until ${releaseAtMs / 1000} s. ` +
      `${knobs.fenced === true ? 'The storage checks fencing tokens.' : 'The storage does not check fencing tokens.'}`,
  ),
  sources: [
    { file: 'clientv3/concurrency/mutex.go', func: '(*Mutex).Lock', shows: 'alice owns the lock while her key has the lowest create revision' },
    { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: 'keepalives keep going out; the network holds them' },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: "the sweep revokes the lease no keepalive renewed, deleting alice's key" },
    {
      file: 'clientv3/lease.go',
      func: '(*lessor).deadlineLoop',
      shows: "alice's client gives the lease up after its local deadline, too late for the write in flight",
    },
  ],
  knobs: [
    { name: 'ttl', default: `${ttlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
    { name: 'fenced', default: 'unfenced' },
  ],
  build(seed, knobs = {}) {
    const ttl = knobs.ttlSeconds ?? ttlSeconds;
    const sim = new Sim({ seed, msMax: 30_000, ...networkKnob(knobs) });
    sim.resource('storage', { fenced: knobs.fenced ?? false });
    sim.process('alice', async ({ client, sleep, log, resource }) => {
      const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds: ttl });
      const { fencingToken = -1 } = await lock.acquire();
      let lost = false;
      void lock.lost.then(() => (lost = true));
      log(`holds ${lockName} (token ${fencingToken})`);
      await sleep(1020); // work
      const { kvs } = await client.get(`${lockName}/`, { prefix: true, sort: { target: 'CREATE', order: 'ASCEND' }, limit: 1 });
      if (lost || kvs[0]?.create_revision !== fencingToken) {
        log('check failed: not writing');
        return;
      }
      log('check passed: my key is first; writing now');
      const outcome = await resource('storage').write(fencingToken, 'alice: update');
      log(`the storage said: ${outcome}`);
      await lock.release().catch(() => undefined);
    });
    sim.process(
      'bob',
      async ({ client, log, sleep, resource }) => {
        const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds: ttl });
        const { fencingToken = -1 } = await lock.acquire();
        log(`holds ${lockName} (token ${fencingToken})`);
        await resource('storage').write(fencingToken, 'bob: update');
        await sleep(1000);
        await lock.release();
        client.close();
      },
      { startAtMs: 500 },
    );
    sim.at(holdStorageAtMs, (world) => world.hold('alice', 'storage'));
    // After alice's check is answered: a slower network (--latency) answers later.
    sim.at(serverHoldAtMs(knobs), (world) => world.hold('alice', 'server'));
    sim.at(releaseAtMs, (world) => {
      world.release('alice', 'storage');
      world.release('alice', 'server');
    });
    return sim;
  },
  check(result, knobs = {}) {
    const fenced = knobs.fenced ?? false;
    const checked = logLines(result, 'alice').find((line) => line.message.startsWith('check passed'));
    const writes = result.trace.ofKind('resource-write');
    const aliceWrite = writes.find((write) => write.process === 'alice');
    const bobWrite = writes.find((write) => write.process === 'bob');
    const lease = leaseLifetimes(result.trace.events).find((candidate) => candidate.process === 'alice');
    const belief = lockBeliefs(result.trace.events).find((candidate) => candidate.process === 'alice');
    const expiredAtMs = lease?.end === 'expired' ? lease.endedAtMs : undefined;
    return [
      claim(
        'alice checked that she held the lock and sent her write right after',
        checked !== undefined &&
          aliceWrite !== undefined &&
          aliceWrite.sentAtMs >= checked.atMs &&
          aliceWrite.sentAtMs - checked.atMs < 50 &&
          checked.atMs < serverHoldAtMs(knobs),
        `check passed ${seconds(checked?.atMs)}, write sent ${seconds(aliceWrite?.sentAtMs)}`,
      ),
      claim(
        'her write was still in the network when the server expired her lease',
        aliceWrite !== undefined && expiredAtMs !== undefined && aliceWrite.sentAtMs < expiredAtMs && aliceWrite.atMs > expiredAtMs,
        `sent ${seconds(aliceWrite?.sentAtMs)}, lease expired ${seconds(expiredAtMs)}, write arrived ${seconds(aliceWrite?.atMs)}${margin(expiredAtMs, aliceWrite?.atMs ?? 0, 'before it arrived', 'after it arrived')}`,
      ),
      claim(
        'bob got the lock and wrote before her write arrived',
        bobWrite !== undefined && aliceWrite !== undefined && bobWrite.atMs < aliceWrite.atMs,
        `bob's write ${seconds(bobWrite?.atMs)}, alice's ${seconds(aliceWrite?.atMs)}`,
      ),
      claim(
        "alice's client gave the lock up while her write was in flight: too late to matter",
        belief?.end === 'lost' &&
          belief.untilMs !== undefined &&
          aliceWrite !== undefined &&
          belief.untilMs > aliceWrite.sentAtMs &&
          belief.untilMs < aliceWrite.atMs,
        `lock reported lost ${seconds(belief?.untilMs)} (${belief?.end})`,
      ),
      fenced
        ? claim(
            "the storage, checking tokens, rejected alice's late write: bob's update stands",
            aliceWrite !== undefined && !aliceWrite.accepted && result.world.resource('storage').value === 'bob: update',
            `token ${aliceWrite?.fencingToken} ${aliceWrite?.accepted ? 'accepted' : 'rejected'} after token ${bobWrite?.fencingToken}; the storage holds ${JSON.stringify(result.world.resource('storage').value)}`,
          )
        : claim(
            "the storage took alice's stale write after bob's: a lost update",
            aliceWrite !== undefined &&
              aliceWrite.accepted &&
              bobWrite !== undefined &&
              aliceWrite.fencingToken < bobWrite.fencingToken &&
              result.world.resource('storage').value === 'alice: update',
            `token ${aliceWrite?.fencingToken} accepted after token ${bobWrite?.fencingToken}; the storage holds ${JSON.stringify(result.world.resource('storage').value)}`,
          ),
    ];
  },
};
