/**
 * fencing-saves-the-day: the pause of pause-breaks-lock again, but the
 * storage checks fencing tokens, so alice's stale write is turned away.
 */
import { claim, logLines, seconds, type Scenario } from './scenario.ts';
import { kleppmannLocking, staleWritePrediction } from './analyses.ts';
import {
  buildPauseWorld,
  lockName,
  pauseAtMs,
  pauseBeliefClaims,
  pauseKnobs,
  pauseSettings,
  pauseSetup,
  pauseSources,
  resumeAtMs,
  staleWrite,
  ttlSeconds,
} from './pause-breaks-lock.ts';

export const fencingSavesTheDay: Scenario = {
  name: 'fencing-saves-the-day',
  title: 'Fencing tokens: the stale write is rejected, and that is the safe outcome',
  summary: 'the same check, pause and write, but the storage checks fencing tokens and rejects the stale write: safe',
  story:
    `The same run as pause-breaks-lock: alice holds ${lockName} (TTL ${ttlSeconds} s), checks that she still holds it, and is paused from ${pauseAtMs / 1000} s to ${resumeAtMs / 1000} s ` +
    'before she can write. Her lease expires and bob gets the lock. Both still believe they hold it at once: no lock, and no check at the client, can prevent that. ' +
    "But every write carries the lock key's create revision as a fencing token, and this storage refuses a token lower than one it has accepted. " +
    "Bob's token is higher than alice's, so when alice wakes and sends step 2, the storage rejects it and tells her so. " +
    "The rejection is the safe outcome: bob's work is kept, and alice learns she must start over. " +
    "The lock is an optimisation; the token check at the resource is what makes it safe (Kleppmann 2016; etcd's own docs).",
  sources: [
    ...pauseSources,
    {
      file: 'clientv3/concurrency/mutex.go',
      func: '(*Mutex).Header',
      shows: "the header of the lock's create: its revision is the fencing token a resource can check",
    },
  ],
  analyses: [{ ...kleppmannLocking, shows: 'fencing tokens: the storage refuses a write whose token is lower than one it has accepted' }],
  defaultSeed: 1,
  knobs: pauseKnobs(true),
  prediction: staleWritePrediction(
    'alice: step 2',
    (knobs) =>
      `${pauseSetup(knobs)} ${knobs.fenced === false ? 'The storage does not check fencing tokens.' : "Every write carries the lock key's create revision; the storage refuses a token lower than one it accepted."}`,
  ),
  build: (seed, knobs) => buildPauseWorld(seed, true, knobs),
  check(result, knobs = {}) {
    const { attempts, stale, bobBefore } = staleWrite(result);
    const accepted = attempts.filter((attempt) => attempt.accepted);
    const monotonic = accepted.every((attempt, i) => i === 0 || attempt.fencingToken >= accepted[i - 1]!.fencingToken);
    return [
      ...pauseBeliefClaims(result, pauseSettings(knobs, true)),
      claim(
        "the storage rejected alice's stale write",
        stale !== undefined && !stale.accepted && bobBefore !== undefined,
        stale === undefined
          ? 'alice wrote nothing after waking'
          : `at ${seconds(stale.atMs)} token ${stale.fencingToken} < highest accepted ${stale.highestTokenBefore}: rejected`,
      ),
      claim(
        'every accepted write carried a token at least as high as the one before',
        monotonic,
        `accepted tokens: ${accepted.map((attempt) => attempt.fencingToken).join(', ')}`,
      ),
      claim(
        'alice was told: her write came back rejected, so she knows to start over',
        logLines(result, 'alice').some((line) => line.message === 'the storage said: rejected'),
        logLines(result, 'alice').find((line) => line.message.startsWith('the storage said'))?.message ?? 'alice heard nothing back',
      ),
      claim(
        "bob's work survived",
        result.world.resource('storage').value?.startsWith('bob') === true,
        `the storage holds ${JSON.stringify(result.world.resource('storage').value)}`,
      ),
    ];
  },
};
