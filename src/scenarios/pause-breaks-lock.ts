/**
 * pause-breaks-lock: Kleppmann's and Jepsen's point. A holder stops the world
 * (a GC pause, a VM migration) for longer than its lease TTL; the lease
 * expires, the next client gets the lock, and the first wakes up still
 * believing it holds it, and writes.
 */
import { type Client, etcdMutexFenced } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { claim, seconds, type Scenario, type StoryAssertion } from './scenario.ts';

export const lockName = '/lock';
export const ttlSeconds = 5;
export const pauseAtMs = 1000;
export const resumeAtMs = 9000;

/**
 * The world both pause stories share: alice and bob write to one storage
 * service under the lock, each write carrying the lock key's create revision
 * as its fencing token. `fenced` decides whether the storage checks it.
 */
export function buildPauseWorld(seed: number | string, fenced: boolean): Sim {
  const sim = new Sim({ seed, msMax: 30_000 });
  sim.resource('storage', { fenced });
  sim.process('alice', async ({ client, sleep, log, resource }) => {
    const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
    const { fencingToken = -1 } = await lock.acquire();
    const storage = resource('storage');
    log(`holds ${lockName} (token ${fencingToken}); read-modify-write begins`);
    await storage.write(fencingToken, 'alice: step 1');
    await sleep(2000); // slow work; the pause hits in the middle of it
    log('work done, I still hold the lock (I think): writing step 2');
    const outcome = await storage.write(fencingToken, 'alice: step 2');
    log(`the storage said: ${outcome}`);
    await lock.release();
  });
  sim.process(
    'bob',
    async ({ client, sleep, log, resource }) => {
      const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
      log(`asks for ${lockName}`);
      const { fencingToken = -1 } = await lock.acquire();
      const storage = resource('storage');
      log(`holds ${lockName} (token ${fencingToken})`);
      await storage.write(fencingToken, 'bob: step 1');
      await sleep(6000);
      await storage.write(fencingToken, 'bob: step 2');
      await lock.release();
      client.close();
    },
    { startAtMs: 500 },
  );
  sim.at(pauseAtMs, (world) => world.pause('alice'));
  sim.at(resumeAtMs, (world) => world.resume('alice'));
  return sim;
}

/** What both pause stories claim about beliefs: the lock alone did not keep alice and bob apart. */
export function pauseBeliefClaims(result: SimResult<Client>): StoryAssertion[] {
  const beliefs = lockBeliefs(result.trace.events);
  const alice = beliefs.find((belief) => belief.process === 'alice');
  const bob = beliefs.find((belief) => belief.process === 'bob');
  const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
  const overlaps = overlappingBeliefs(beliefs);
  const both = overlaps.find((overlap) => overlap.holders.some((h) => h.process === 'alice') && overlap.holders.some((h) => h.process === 'bob'));
  return [
    claim(
      "alice's lease expired on the server while she was paused",
      aliceLease?.end === 'expired' && aliceLease.endedAtMs! > pauseAtMs && aliceLease.endedAtMs! < resumeAtMs,
      `paused ${seconds(pauseAtMs)}–${seconds(resumeAtMs)}, lease expired ${seconds(aliceLease?.endedAtMs)}`,
    ),
    claim('bob got the lock during the pause', bob !== undefined && bob.fromMs > pauseAtMs && bob.fromMs < resumeAtMs, `bob acquired ${seconds(bob?.fromMs)}`),
    claim(
      'two clients believed they held the lock at once',
      both !== undefined,
      both === undefined ? 'no overlap' : `alice and bob both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}`,
    ),
    claim(
      'alice learned she lost it only after waking up',
      alice?.end === 'lost' && alice.untilMs !== undefined && alice.untilMs >= resumeAtMs,
      `alice's belief ended (${alice?.end}) at ${seconds(alice?.untilMs)}`,
    ),
  ];
}

/** alice's write after the pause, and the last write bob made before it. */
export function staleWrite(result: SimResult<Client>) {
  const attempts = result.world.resource('storage').attempts;
  const stale = attempts.find((attempt) => attempt.process === 'alice' && attempt.atMs >= resumeAtMs);
  const bobBefore = attempts.filter((attempt) => attempt.process === 'bob' && stale !== undefined && attempt.atMs < stale.atMs).at(-1);
  return { attempts, stale, bobBefore };
}

export const pauseBreaksLock: Scenario = {
  name: 'pause-breaks-lock',
  title: 'A pause longer than the TTL: two holders at once',
  summary: 'the holder pauses past its TTL; the lock goes to another; both believe they hold it, and a stale write lands',
  story:
    `alice locks ${lockName} (etcd Mutex, session TTL ${ttlSeconds} s) and starts a read-modify-write on a storage service. ` +
    `At ${pauseAtMs / 1000} s her process stops the world for ${(resumeAtMs - pauseAtMs) / 1000} s (think GC pause): no keepalives go out, ` +
    'but time goes on. Her lease expires, her lock key is deleted, and bob, who was waiting, gets the lock and writes. ' +
    `At ${resumeAtMs / 1000} s alice wakes up exactly where she was. Her client sees at once that its lease deadline passed long ago and reports the lock lost, ` +
    'but her code is in the middle of its work, past any check, and writes step 2 anyway. ' +
    'This storage does not check fencing tokens, so it takes her stale write over bob\'s: a lost update. ' +
    'Watch the TWO HOLDERS lines: for several seconds both believed they held the lock. Compare fencing-saves-the-day.',
  defaultSeed: 1,
  build: (seed) => buildPauseWorld(seed, false),
  check(result) {
    const { stale, bobBefore } = staleWrite(result);
    return [
      ...pauseBeliefClaims(result),
      claim(
        "alice's stale write landed on top of bob's (a lost update)",
        stale !== undefined && stale.accepted && bobBefore !== undefined && stale.fencingToken < bobBefore.fencingToken,
        stale === undefined
          ? 'alice wrote nothing after waking'
          : `at ${seconds(stale.atMs)} the storage accepted alice's token ${stale.fencingToken} after bob's token ${bobBefore?.fencingToken}`,
      ),
    ];
  },
};
