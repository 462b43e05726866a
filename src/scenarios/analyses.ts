/**
 * The published analyses the scenarios reproduce, and the yes/no questions
 * (`run --predict`) several scenarios share.
 */
import type { Client } from '../client/index.ts';
import type { SimResult } from '../sim/index.ts';
import { lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { seconds, type Analysis, type Knobs, type Prediction } from './scenario.ts';

export const kleppmannLocking: Analysis = {
  title: 'Martin Kleppmann: How to do distributed locking (2016)',
  url: 'https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html',
  shows: 'a process pause or a delayed packet lets a lock holder write after its lease expired; a fencing token checked by the storage stops it',
};

export const jepsenEtcd: Analysis = {
  title: 'Jepsen: etcd 3.4.3 (2020)',
  url: 'https://jepsen.io/analyses/etcd-3.4.3',
  shows: "etcd's locks are not safe on their own: under pauses and partitions two clients can believe they hold one",
};

/** "Will two clients believe they hold `lockName` at once?", answered from the run's beliefs. */
export function twoHoldersPrediction(lockName: string, setup: (knobs: Knobs) => string): Prediction {
  return {
    question: `Will two clients believe they hold ${lockName} at the same time?`,
    setup,
    outcome(result: SimResult<Client>) {
      const both = overlappingBeliefs(lockBeliefs(result.trace.events)).find((overlap) => overlap.lockName === lockName);
      return both === undefined
        ? { happened: false, detail: 'no: the beliefs never overlapped' }
        : {
            happened: true,
            detail: `yes: ${both.holders.map((holder) => holder.process).join(' and ')} both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}`,
          };
    },
  };
}

/** "Will the storage accept alice's write after bob's?" (the lost update), answered from the storage's record. */
export function staleWritePrediction(value: string, setup: (knobs: Knobs) => string): Prediction {
  return {
    question: "Will the storage accept alice's write on top of bob's (a lost update)?",
    setup,
    outcome(result: SimResult<Client>) {
      const attempts = result.world.resource('storage').attempts;
      const late = attempts.find((attempt) => attempt.process === 'alice' && attempt.value === value);
      const bobBefore =
        late === undefined ? undefined : attempts.filter((attempt) => attempt.process === 'bob' && attempt.accepted && attempt.atMs < late.atMs).at(-1);
      if (late === undefined) return { happened: false, detail: 'no: alice never sent that write' };
      if (bobBefore === undefined)
        return { happened: false, detail: `no: alice's write reached the storage at ${seconds(late.atMs)}, before bob wrote anything` };
      return late.accepted
        ? { happened: true, detail: `yes: at ${seconds(late.atMs)} the storage took alice's token ${late.fencingToken} after bob's ${bobBefore.fencingToken}` }
        : {
            happened: false,
            detail: `no: at ${seconds(late.atMs)} the storage rejected alice's token ${late.fencingToken}: it had accepted bob's ${bobBefore.fencingToken}`,
          };
    },
  };
}
