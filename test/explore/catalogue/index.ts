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
import txnLockFenced from './txn-lock-fenced.ts';
import unconditionalRelease from './unconditional-release.ts';

export type ExpectedVerdict = 'ok' | 'limitation' | 'violated';
export type CatalogueProperty = 'belief' | 'fenced' | 'liveness' | 'crash';

export interface CatalogueEntry {
  /** The module's file, for `--lock test/explore/catalogue/<file>`. */
  file: string;
  algorithm: LockAlgorithm;
  /** Correct locks pass every property; each buggy one fails `bug`. */
  correct: boolean;
  /** The property its bug breaks (undefined for a correct lock). */
  bug?: CatalogueProperty;
}

export const catalogue: readonly CatalogueEntry[] = [
  { file: 'txn-lock-fenced.ts', algorithm: txnLockFenced, correct: true },
  { file: 'etcd-mutex-fenced.ts', algorithm: etcdMutexFenced, correct: true },
  { file: 'check-then-act.ts', algorithm: checkThenAct, correct: false, bug: 'belief' },
  { file: 'put-without-lease.ts', algorithm: putWithoutLease, correct: false, bug: 'liveness' },
  { file: 'ignore-keepalive-loss.ts', algorithm: ignoreKeepaliveLoss, correct: false, bug: 'belief' },
  { file: 'unconditional-release.ts', algorithm: unconditionalRelease, correct: false, bug: 'belief' },
  { file: 'token-is-version.ts', algorithm: tokenIsVersion, correct: false, bug: 'fenced' },
  { file: 'token-is-lease-id.ts', algorithm: tokenIsLeaseId, correct: false, bug: 'fenced' },
  { file: 'no-recheck-after-wait.ts', algorithm: noRecheckAfterWait, correct: false, bug: 'belief' },
  { file: 'etcd-mutex-3.4.ts', algorithm: etcdMutex34, correct: false, bug: 'fenced' },
  { file: 'blind-retry-enqueue.ts', algorithm: blindRetryEnqueue, correct: false, bug: 'liveness' },
  { file: 'throws-in-acquire.ts', algorithm: throwsInAcquire, correct: false, bug: 'crash' },
];
