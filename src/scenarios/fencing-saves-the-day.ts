/**
 * fencing-saves-the-day: the pause of pause-breaks-lock again, but the
 * storage checks fencing tokens, so alice's stale write is turned away.
 */
import { claim, seconds, type Scenario } from './scenario.ts';
import { buildPauseWorld, lockName, pauseAtMs, pauseBeliefClaims, resumeAtMs, staleWrite, ttlSeconds } from './pause-breaks-lock.ts';

export const fencingSavesTheDay: Scenario = {
  name: 'fencing-saves-the-day',
  title: 'Fencing tokens turn the stale holder away',
  summary: 'the same pause, but the storage checks fencing tokens and rejects the stale write',
  story:
    `The same run as pause-breaks-lock: alice holds ${lockName} (TTL ${ttlSeconds} s), pauses from ${pauseAtMs / 1000} s to ${resumeAtMs / 1000} s, ` +
    'her lease expires and bob gets the lock. Both still believe they hold it at once: no lock can prevent that. ' +
    'But every write carries the lock key\'s create revision as a fencing token, and this storage refuses a token lower than one it has accepted. ' +
    'Bob\'s token is higher than alice\'s, so when alice wakes and writes step 2, the storage rejects it. ' +
    'The lock is an optimisation; the token check at the resource is what makes it safe (Kleppmann 2016; etcd\'s own docs).',
  defaultSeed: 1,
  build: (seed) => buildPauseWorld(seed, true),
  check(result) {
    const { attempts, stale, bobBefore } = staleWrite(result);
    const accepted = attempts.filter((attempt) => attempt.accepted);
    const monotonic = accepted.every((attempt, i) => i === 0 || attempt.fencingToken >= accepted[i - 1]!.fencingToken);
    return [
      ...pauseBeliefClaims(result),
      claim(
        "the storage rejected alice's stale write",
        stale !== undefined && !stale.accepted && bobBefore !== undefined,
        stale === undefined
          ? 'alice wrote nothing after waking'
          : `at ${seconds(stale.atMs)} token ${stale.fencingToken} < highest accepted ${stale.highestTokenBefore}: rejected`,
      ),
      claim('every accepted write carried a token at least as high as the one before', monotonic, `accepted tokens: ${accepted.map((attempt) => attempt.fencingToken).join(', ')}`),
      claim(
        "bob's work survived",
        result.world.resource('storage').value?.startsWith('bob') === true,
        `the storage holds ${JSON.stringify(result.world.resource('storage').value)}`,
      ),
    ];
  },
};
