/**
 * fence-the-pause: write a lock whose holders cannot corrupt the storage even
 * when one of them is paused past its lease. No lock can stop a paused holder
 * from believing it still holds the lock; the answer is a fencing token the
 * storage checks (Kleppmann 2016). Judged by the explorer: pauses, some longer
 * than the lease, at aimed and random moments, and the `fenced` and
 * `liveness` properties against the server's record of who owned the lock.
 */
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import { exploreProperties } from '../explore/verdicts.ts';
import { replayLine } from '../explore/property.ts';
import { algorithmFences } from '../explore/workload.ts';
import { claim } from '../scenarios/scenario.ts';
import { AnswerError, exported, type Exercise, type ExerciseVerdict } from './exercise.ts';

/** Runs of the search: enough for the etcd Mutex without a token to fail in the first few. */
const searchRuns = 40;

function isLockAlgorithm(value: unknown): value is LockAlgorithm {
  return (
    typeof value === 'object' && value !== null && typeof (value as LockAlgorithm).create === 'function' && typeof (value as LockAlgorithm).name === 'string'
  );
}

export const fenceThePause: Exercise = {
  name: 'fence-the-pause',
  title: 'Make the lock safe against a pause',
  summary: 'write a lock algorithm whose stale holders cannot overwrite the storage, however long they pause',
  task:
    'Write a lock algorithm (the LockAlgorithm interface that `explore --lock` takes) for five clients that take turns writing to a storage service. ' +
    'Their processes are paused now and then (stop-the-world), some for longer than the lease, so a holder can wake up, still believing it holds the lock, ' +
    'after its lease expired and another client took the lock. The storage is yours to protect: each write carries the fencing token acquire() returned, ' +
    'and the storage refuses a token lower than one it has accepted. The explorer runs ' +
    `${searchRuns} fault schedules and judges two properties: fenced (the storage never accepts a write from a holder whose lock had passed to another) ` +
    'and liveness (the lock keeps being handed on). A careful check before writing is not enough: the pause can come after the check.',
  template: `import type { LockAlgorithm } from 'leaselab';
import { Mutex, Session } from 'leaselab';

// The etcd Mutex, as etcd 3.4 ships it. What must acquire() return so the storage can refuse a stale write?
// (A lock that reports no beliefs itself gets lock-acquired/released reported around acquire() and release().)
export const lock: LockAlgorithm = {
  name: 'my-lock',
  create(client, { lockName, ttlSeconds }) {
    let session: Session | undefined;
    let mutex: Mutex | undefined;
    let lost: Promise<void> = new Promise(() => {});
    return {
      async acquire() {
        session = await Session.create(client, { ttlSeconds });
        mutex = new Mutex(session, lockName);
        await mutex.lock();
        lost = session.done.then(() => undefined);
        return {};
      },
      async release() {
        await mutex?.unlock();
        await session?.close();
      },
      get lost() {
        return lost;
      },
    };
  },
};
`,
  hint:
    'Return a fencingToken from acquire() that grows with every new owner: the create revision of the lock key this client owns ' +
    '(etcd hands them out in increasing order: Mutex.fencingToken after lock()). The built-in mutex-fenced does this.',
  async check(module, answer) {
    const algorithm = exported(module, 'lock');
    if (!isLockAlgorithm(algorithm))
      throw new AnswerError('the module exports no LockAlgorithm (export const lock = { name, create(client, options, context) { … } }, or a default export)');
    const claims: ExerciseVerdict['claims'] = [];
    const fences = await algorithmFences(algorithm);
    claims.push(
      claim(
        'acquire() hands out a fencing token',
        fences,
        fences ? "the storage fences this lock's writes" : 'acquire() returned no fencingToken: the storage cannot tell a stale write from a fresh one',
      ),
    );
    const seed = answer.seed ?? 1;
    const result = await exploreProperties(
      algorithm,
      { clients: 3, ttlSeconds: 5, faults: ['pause'], properties: ['fenced', 'liveness'], replayLock: answer.path, verifyReplay: false },
      { seed, runs: searchRuns },
    );
    for (const outcome of result.outcomes) {
      const bad = outcome.verdict === 'violated' || outcome.verdict === 'unknown';
      const what =
        outcome.property === 'fenced'
          ? 'no stale write was accepted'
          : outcome.property === 'liveness'
            ? 'the lock kept being handed on'
            : 'no client process crashed on an error';
      claims.push(
        claim(
          `${outcome.property}: ${what}`,
          !bad,
          bad ? `${outcome.verdict} in run ${outcome.runsToFind ?? '?'}: ${outcome.violation?.message ?? ''}` : `${outcome.verdict} in ${result.runs} run(s)`,
        ),
      );
    }
    const failed = claims.find((judged) => !judged.holds);
    if (failed === undefined) return { pass: true, reason: `no stale write got through in ${result.runs} runs with pauses, and the lock kept moving`, claims };
    const shown = result.outcomes.find((outcome) => (outcome.verdict === 'violated' || outcome.verdict === 'unknown') && outcome.replay !== undefined);
    return {
      pass: false,
      reason: failed.detail,
      claims,
      ...(shown?.replay !== undefined ? { replay: replayLine(answer.path, shown.replay) } : {}),
    };
  },
};
