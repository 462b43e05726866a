/**
 * The lock catalogue: lock algorithms written against leaselab's client the
 * way a user would from the README, each with the verdict leaselab should give
 * per property (`ok`, `limitation`: a belief overlap caused only by a fault
 * longer than the lease, reported and exit 0; `violated`: a bug, exit 1).
 */
import type { LockAlgorithm } from 'leaselab';
import blindRetryEnqueue from './blind-retry-enqueue.ts';
import checkThenAct from './check-then-act.ts';
import etcdMutex34 from './etcd-mutex-3.4.ts';
import etcdMutexFenced from './etcd-mutex-fenced.ts';
import ignoreKeepaliveLoss from './ignore-keepalive-loss.ts';
import noRecheckAfterWait from './no-recheck-after-wait.ts';
import putWithoutLease from './put-without-lease.ts';
import throwsInAcquire from './throws-in-acquire.ts';
import tokenIsLeaseId from './token-is-lease-id.ts';
import tokenIsVersion from './token-is-version.ts';
import mutexLinearizableWait from './mutex-linearizable-wait.ts';
import mutexSerializableWait from './mutex-serializable-wait.ts';
import txnLockFenced from './txn-lock-fenced.ts';
import unconditionalRelease from './unconditional-release.ts';

/**
 * - `violated`: the property fails (a bug), found on a small budget;
 * - `holds`: never violated (`ok`, or a known `limitation` for belief);
 * - `also`: violated too, as a consequence of the bug, but found only on a larger budget.
 */
export type ExpectedVerdict = 'violated' | 'holds' | 'also';
export type CatalogueProperty = 'belief' | 'fenced' | 'liveness' | 'crash';

export interface CatalogueEntry {
  /** The module's file, for `--lock test/explore/catalogue/<file>`. */
  file: string;
  algorithm: LockAlgorithm;
  /** Correct locks pass every property; each buggy one fails `bug`. */
  correct: boolean;
  /** The property its bug breaks (undefined for a correct lock). */
  bug?: CatalogueProperty;
  /** The verdict per property with the default faults. */
  expected: Record<CatalogueProperty, ExpectedVerdict>;
}

const holds = { belief: 'holds', fenced: 'holds', liveness: 'holds', crash: 'holds' } as const;

export const catalogue: readonly CatalogueEntry[] = [
  { file: 'txn-lock-fenced.ts', algorithm: txnLockFenced, correct: true, expected: { ...holds } },
  { file: 'etcd-mutex-fenced.ts', algorithm: etcdMutexFenced, correct: true, expected: { ...holds } },
  {
    file: 'check-then-act.ts',
    algorithm: checkThenAct,
    correct: false,
    bug: 'belief',
    expected: { ...holds, belief: 'violated', fenced: 'violated', liveness: 'also' },
  },
  { file: 'put-without-lease.ts', algorithm: putWithoutLease, correct: false, bug: 'liveness', expected: { ...holds, liveness: 'violated' } },
  { file: 'ignore-keepalive-loss.ts', algorithm: ignoreKeepaliveLoss, correct: false, bug: 'belief', expected: { ...holds, belief: 'violated' } },
  { file: 'unconditional-release.ts', algorithm: unconditionalRelease, correct: false, bug: 'belief', expected: { ...holds, belief: 'violated' } },
  { file: 'token-is-version.ts', algorithm: tokenIsVersion, correct: false, bug: 'fenced', expected: { ...holds, fenced: 'violated' } },
  { file: 'token-is-lease-id.ts', algorithm: tokenIsLeaseId, correct: false, bug: 'fenced', expected: { ...holds, fenced: 'violated' } },
  {
    file: 'no-recheck-after-wait.ts',
    algorithm: noRecheckAfterWait,
    correct: false,
    bug: 'belief',
    expected: { ...holds, belief: 'violated', fenced: 'violated' },
  },
  { file: 'etcd-mutex-3.4.ts', algorithm: etcdMutex34, correct: false, bug: 'fenced', expected: { ...holds, fenced: 'violated' } },
  { file: 'blind-retry-enqueue.ts', algorithm: blindRetryEnqueue, correct: false, bug: 'liveness', expected: { ...holds, liveness: 'violated' } },
  { file: 'throws-in-acquire.ts', algorithm: throwsInAcquire, correct: false, bug: 'crash', expected: { ...holds, liveness: 'violated', crash: 'violated' } },
];

/**
 * Locks whose verdict depends on etcd being a cluster: run with `--members 3`
 * (and 2 clients, so the lock is often free when a member starts to lag).
 * Both queue for the lock as etcd's Mutex does; one reads the queue with
 * serializable gets, which a lagging member answers from old state.
 */
export const clusterCatalogue: readonly (CatalogueEntry & { members: number; clients: number })[] = [
  {
    file: 'mutex-serializable-wait.ts',
    algorithm: mutexSerializableWait,
    correct: false,
    bug: 'belief',
    expected: { ...holds, belief: 'violated', fenced: 'also' },
    members: 3,
    clients: 2,
  },
  { file: 'mutex-linearizable-wait.ts', algorithm: mutexLinearizableWait, correct: true, expected: { ...holds }, members: 3, clients: 2 },
];
