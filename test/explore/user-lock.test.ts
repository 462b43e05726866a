/**
 * A lock written by a user, inside the test file, explored with
 * `fc.assert(lockSafety(myLock, …))` and with @fast-check/vitest's `test.prop`.
 */
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/client/client.ts';
import { compare, op } from '../../src/client/kv.ts';
import type { KeepAliveHandle } from '../../src/client/lease.ts';
import type { Lock, LockAlgorithm } from '../../src/client/lock-algorithm.ts';
import { checkLockCase, exploreCaseArbitrary, lockSafety, LockPropertyError, type LockSafetyOptions } from '../../src/explore/property.ts';

/**
 * Put-if-absent with a kept-alive lease, polling every 200 ms; the key's
 * create revision is the fencing token; release deletes the key only if it is
 * still ours. It reports no beliefs itself: the runner does it for it.
 */
const pollingLock: LockAlgorithm = {
  name: 'polling-lock',
  create(client: Client, { lockName, ttlSeconds }): Lock {
    let leaseId = 0n;
    let keepAlive: KeepAliveHandle | undefined;
    let token = -1;
    let lost: Promise<void> = new Promise(() => undefined);
    const sleep = (ms: number) => new Promise<void>((resolve) => client.runtime.setTimer(ms, resolve));
    return {
      get lost() {
        return lost;
      },
      async acquire() {
        if (keepAlive === undefined || keepAlive.ended) {
          leaseId = (await client.grant(ttlSeconds)).ID;
          keepAlive = client.keepAlive(leaseId);
        }
        const held = keepAlive;
        for (;;) {
          const response = await client
            .txn()
            .if(compare.createRevision(lockName, '=', 0))
            .then(op.put(lockName, 'mine', { lease: leaseId }))
            .else(op.get(lockName))
            .commit();
          // Ours already: an earlier put whose answer was lost (without this check the lock waits on itself forever).
          const existing = response.responses[0]?.response_range?.kvs[0];
          if (response.succeeded || existing?.lease === leaseId) {
            token = response.succeeded ? response.header.revision : existing!.create_revision;
            lost = held.done.then(() => undefined);
            return { fencingToken: token };
          }
          if (held.ended) throw new Error('lease lost while waiting');
          await sleep(200);
        }
      },
      async release() {
        await client.txn().if(compare.createRevision(lockName, '=', token)).then(op.delete(lockName)).commit();
      },
    };
  },
};

/** A "lock" that never asks etcd: everyone holds it at once. */
const noLock: LockAlgorithm = {
  name: 'no-lock',
  create: () => ({ acquire: async () => ({}), release: async () => undefined, lost: new Promise(() => undefined) }),
};

const options: LockSafetyOptions = { properties: ['fenced', 'liveness'], faults: ['pause', 'crash', 'partition', 'serverRestart'], clients: 3 };

describe('a user-written lock', () => {
  it('works with fc.assert(lockSafety(...))', async () => {
    await fc.assert(lockSafety(pollingLock, options), { seed: 1, numRuns: 25 });
  });

  it('fails with a report when it is broken', async () => {
    const error = await fc.assert(lockSafety(noLock, { properties: ['belief'], clients: 2 }), { seed: 1, numRuns: 5 }).catch((e: unknown) => e);
    expect(String(error)).toMatch(/Property failed after 1 tests/);
    expect(((error as Error).cause as Error).message).toMatch(
      /^belief violated at [\d.]+s: bob acquired the lock .* while alice believed it held it[\s\S]*schedule \(0 fault event\(s\)\):[\s\S]*replay: npx leaselab replay --lock no-lock --schedule /,
    );
  });

  it('throws LockPropertyError with the violations from checkLockCase', async () => {
    const error = await checkLockCase(noLock, { seed: 1, plan: [], workload: { clients: 2, durationMs: 5_000, quietMs: 1_000 } }, { properties: ['belief'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockPropertyError);
    expect((error as LockPropertyError).violations[0]).toMatchObject({ property: 'belief', processes: ['alice', 'bob'] });
  });
});

describe('with @fast-check/vitest', () => {
  fcTest.prop([exploreCaseArbitrary(options)], { seed: 2, numRuns: 10 })('the polling lock keeps the resource safe and live', async (explored) => {
    await checkLockCase(pollingLock, explored, options);
  });
});
