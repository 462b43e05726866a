/**
 * pause-breaks-lock: Kleppmann's and Jepsen's point, told as check-then-act.
 * alice holds the lock, checks that she still does (her client has not lost
 * it, and etcd still puts her key first), and then her process stops the
 * world (a GC pause, a VM migration) between the check and the write. Her
 * lease expires, bob gets the lock and writes; alice wakes up and sends her
 * write with nothing left to check. Checking `lost` before writing does not
 * help: the check passed, and the pause came after it.
 */
import { type Client, etcdMutexFenced } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { jepsenEtcd, kleppmannLocking, twoHoldersPrediction } from './analyses.ts';
import {
  claim,
  logLines,
  margin,
  networkKnob,
  seconds,
  type EtcdSource,
  type KnobDeclaration,
  type Knobs,
  type Scenario,
  type StoryAssertion,
} from './scenario.ts';

export const lockName = '/lock';
export const ttlSeconds = 5;
/** alice checks that she holds the lock at about 3.0 s (after 3 s of work). */
export const checkAfterMs = 3000;
/** Building the write's body takes her this long after the check: the pause falls in it. */
export const prepareWriteMs = 100;
export const pauseAtMs = 3050;
export const resumeAtMs = 11_050;

/** Where etcd does what the pause stories show. */
export const pauseSources: readonly EtcdSource[] = [
  {
    file: 'clientv3/concurrency/mutex.go',
    func: '(*Mutex).Lock',
    shows: 'the waiter key with the lowest create revision owns the lock; that revision is the fencing token',
  },
  { file: 'clientv3/concurrency/key.go', func: 'waitDeletes', shows: 'bob waits for the keys created before his to be deleted' },
  { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: 'keepalives every TTL/3: none go out while alice is paused' },
  { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: "the sweep revokes alice's lease after its deadline, deleting her key" },
  { file: 'clientv3/lease.go', func: '(*lessor).deadlineLoop', shows: "alice's client notices its local deadline passed only after she wakes up" },
];

/** The pause stories' settings after the "what if" knobs. */
export interface PauseSettings {
  ttlSeconds: number;
  pauseAtMs: number;
  resumeAtMs: number;
  fenced: boolean;
}

export function pauseSettings(knobs: Knobs, fencedByDefault: boolean): PauseSettings {
  const at = knobs.pauseAtMs ?? pauseAtMs;
  return {
    ttlSeconds: knobs.ttlSeconds ?? ttlSeconds,
    pauseAtMs: at,
    resumeAtMs: at + (knobs.pauseForMs ?? resumeAtMs - pauseAtMs),
    fenced: knobs.fenced ?? fencedByDefault,
  };
}

/** The knobs both pause stories take. */
export function pauseKnobs(fencedByDefault: boolean): readonly KnobDeclaration[] {
  return [
    { name: 'ttl', default: `${ttlSeconds} s` },
    { name: 'pauseAt', default: `${pauseAtMs} ms` },
    { name: 'pauseFor', default: `${resumeAtMs - pauseAtMs} ms` },
    { name: 'latency', default: '1–5 ms' },
    { name: 'fenced', default: fencedByDefault ? 'fenced' : 'unfenced' },
  ];
}

/**
 * The world both pause stories share: alice and bob write to one storage
 * service under the lock, each write carrying the lock key's create revision
 * as its fencing token. `fenced` decides whether the storage checks it.
 */
export function buildPauseWorld(seed: number | string, fencedByDefault: boolean, knobs: Knobs = {}): Sim {
  const { ttlSeconds, pauseAtMs, resumeAtMs, fenced } = pauseSettings(knobs, fencedByDefault);
  const sim = new Sim({ seed, msMax: Math.max(30_000, resumeAtMs + 20_000), ...networkKnob(knobs) });
  sim.resource('storage', { fenced });
  sim.process('alice', async ({ client, sleep, log, resource }) => {
    const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
    const { fencingToken = -1 } = await lock.acquire();
    let lost = false;
    void lock.lost.then(() => (lost = true));
    const storage = resource('storage');
    log(`holds ${lockName} (token ${fencingToken}); read-modify-write begins`);
    await storage.write(fencingToken, 'alice: step 1');
    await sleep(checkAfterMs); // slow work
    // The careful check: my client has not lost the lock, and etcd still puts my key first.
    const { kvs } = await client.get(`${lockName}/`, { prefix: true, sort: { target: 'CREATE', order: 'ASCEND' }, limit: 1 });
    const first = kvs[0]?.create_revision;
    if (lost || first !== fencingToken) {
      log(`check failed (lost ${lost}, first key rev ${first}): not writing`);
      return;
    }
    log(`check passed: not lost, my key (rev ${fencingToken}) is first in etcd; building the write`);
    await sleep(prepareWriteMs); // the pause falls here, between the check and the write
    log('writing step 2');
    const outcome = await storage.write(fencingToken, 'alice: step 2');
    log(`the storage said: ${outcome}`);
    await lock.release().catch(() => undefined);
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

/** The pause stories told without their outcome, for `run --predict`. */
export function pauseSetup(knobs: Knobs): string {
  const settings = pauseSettings(knobs, false);
  return (
    `alice holds ${lockName} (etcd Mutex, lease TTL ${settings.ttlSeconds} s); bob waits. alice checks that she still holds the lock, ` +
    `then her process is paused from ${settings.pauseAtMs / 1000} s to ${settings.resumeAtMs / 1000} s before she sends her write.`
  );
}

/** alice's check: when it passed (from her log), and when her step-2 write was sent. */
export function checkThenWrite(result: SimResult<Client>) {
  const checked = logLines(result, 'alice').find((line) => line.message.startsWith('check passed'));
  const write = result.trace.ofKind('resource-write').find((event) => event.process === 'alice' && event.value === 'alice: step 2');
  return { checkedAtMs: checked?.atMs, sentAtMs: write?.sentAtMs };
}

/** What both pause stories claim about beliefs: the lock alone did not keep alice and bob apart. */
export function pauseBeliefClaims(result: SimResult<Client>, settings: PauseSettings): StoryAssertion[] {
  const { pauseAtMs, resumeAtMs } = settings;
  const beliefs = lockBeliefs(result.trace.events);
  const alice = beliefs.find((belief) => belief.process === 'alice');
  const bob = beliefs.find((belief) => belief.process === 'bob');
  const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
  const overlaps = overlappingBeliefs(beliefs);
  const { checkedAtMs, sentAtMs } = checkThenWrite(result);
  const failedCheck = logLines(result, 'alice').find((line) => line.message.startsWith('check failed'));
  const checkDetail =
    failedCheck !== undefined
      ? `the check ran at ${seconds(failedCheck.atMs)}, after the pause, and failed: alice did not write (this time the pause fell before the check)`
      : undefined;
  const both = overlaps.find((overlap) => overlap.holders.some((h) => h.process === 'alice') && overlap.holders.some((h) => h.process === 'bob'));
  return [
    claim(
      "alice's lease expired on the server while she was paused",
      aliceLease?.end === 'expired' && aliceLease.endedAtMs! > pauseAtMs && aliceLease.endedAtMs! < resumeAtMs,
      `paused ${seconds(pauseAtMs)}–${seconds(resumeAtMs)}, lease expired ${seconds(aliceLease?.endedAtMs)}${margin(aliceLease?.endedAtMs, resumeAtMs, 'before she woke', 'after she woke')}`,
    ),
    claim(
      'bob got the lock during the pause',
      bob !== undefined && bob.fromMs > pauseAtMs && bob.fromMs < resumeAtMs,
      `bob acquired ${seconds(bob?.fromMs)}${margin(bob?.fromMs, resumeAtMs, 'before alice woke', 'after alice woke')}`,
    ),
    claim(
      'two clients believed they held the lock at once',
      both !== undefined,
      both === undefined ? 'no overlap' : `alice and bob both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}`,
    ),
    claim(
      'alice checked that she still held the lock, and the check was true when she made it',
      checkedAtMs !== undefined && checkedAtMs < pauseAtMs && aliceLease !== undefined && (aliceLease.endedAtMs ?? Infinity) > checkedAtMs,
      checkDetail ?? `check passed ${seconds(checkedAtMs)}; her lease lived on the server until ${seconds(aliceLease?.endedAtMs)}`,
    ),
    claim(
      'the pause fell between the check and the write',
      checkedAtMs !== undefined && sentAtMs !== undefined && checkedAtMs < pauseAtMs && sentAtMs >= resumeAtMs,
      checkDetail ??
        `checked ${seconds(checkedAtMs)}${margin(checkedAtMs, pauseAtMs, 'before the pause', 'after the pause began')}, paused ${seconds(pauseAtMs)}–${seconds(resumeAtMs)}, write sent ${seconds(sentAtMs)}`,
    ),
    claim(
      'her client reported the lock lost no earlier than her write went out: a check of `lost` before writing could not have stopped it',
      alice?.end === 'lost' && alice.untilMs !== undefined && sentAtMs !== undefined && alice.untilMs >= sentAtMs,
      `write sent ${seconds(sentAtMs)}, alice's belief ended (${alice?.end}) ${seconds(alice?.untilMs)}`,
    ),
  ];
}

/** alice's write after the pause, and the last write bob made before it. */
export function staleWrite(result: SimResult<Client>) {
  const attempts = result.world.resource('storage').attempts;
  const stale = attempts.find((attempt) => attempt.process === 'alice' && attempt.value === 'alice: step 2');
  const bobBefore = attempts.filter((attempt) => attempt.process === 'bob' && stale !== undefined && attempt.atMs < stale.atMs).at(-1);
  return { attempts, stale, bobBefore };
}

export const pauseBreaksLock: Scenario = {
  name: 'pause-breaks-lock',
  title: 'Check, pause, write: two holders and a lost update',
  summary: 'the holder checks it still holds the lock, pauses past its TTL before writing, and its stale write lands',
  story:
    `alice locks ${lockName} (etcd Mutex, session TTL ${ttlSeconds} s) and starts a read-modify-write on a storage service. ` +
    `After ${checkAfterMs / 1000} s of work she is careful: her client has not reported the lock lost, and etcd still puts her key first. ` +
    `The check passes. While she builds the write, at ${pauseAtMs / 1000} s, her process stops the world for ${(resumeAtMs - pauseAtMs) / 1000} s (think GC pause): ` +
    'no keepalives go out, but time goes on. Her lease expires at the sweep, her key is deleted, and bob, who was waiting, gets the lock and writes. ' +
    `At ${resumeAtMs / 1000} s alice wakes up exactly where she was, past her check, and sends step 2. Her client reports the lock lost only then. ` +
    "This storage does not check fencing tokens, so it takes her stale write after bob's: a lost update. " +
    'The lesson: no check at the client helps, because a pause (or the network, see delayed-write) can come between any check and the write. ' +
    'Only the resource can refuse a stale write: compare fencing-saves-the-day.',
  sources: pauseSources,
  analyses: [kleppmannLocking, jepsenEtcd],
  defaultSeed: 1,
  knobs: pauseKnobs(false),
  prediction: twoHoldersPrediction(lockName, pauseSetup),

  build: (seed, knobs) => buildPauseWorld(seed, false, knobs),
  check(result, knobs = {}) {
    const { stale, bobBefore } = staleWrite(result);
    return [
      ...pauseBeliefClaims(result, pauseSettings(knobs, false)),
      claim(
        "alice's stale write landed on top of bob's (a lost update)",
        stale !== undefined && stale.accepted && bobBefore !== undefined && stale.fencingToken < bobBefore.fencingToken,
        stale === undefined
          ? 'alice wrote nothing after waking'
          : `at ${seconds(stale.atMs)} the storage ${stale.accepted ? 'accepted' : 'rejected'} alice's token ${stale.fencingToken} ${bobBefore === undefined ? 'before bob wrote anything' : `after bob's token ${bobBefore.fencingToken}`}`,
      ),
    ];
  },
};
