/**
 * A "lock" that never asks etcd: everyone holds it at once, so belief breaks in every
 * run; and the short fault-free two-client case the explore tests check locks on.
 */
import type { LockAlgorithm } from '../../src/client/lock-algorithm.ts';
import { checkLockCase } from '../../src/explore/property.ts';

export const noLock: LockAlgorithm = {
  name: 'no-lock',
  create: () => ({ acquire: async () => ({}), release: async () => undefined, lost: new Promise(() => undefined) }),
};

/** What checkLockCase throws for `lock` on two clients, 5 s, no faults, judged on belief (what it resolves to when it throws nothing). */
export function beliefCaseOutcome(lock: LockAlgorithm): Promise<unknown> {
  return checkLockCase(lock, { seed: 1, plan: [], workload: { clients: 2, durationMs: 5_000, quietMs: 1_000 } }, { properties: ['belief'] }).catch(
    (e: unknown) => e,
  );
}
