/**
 * A lock written by a user, inside the test file, explored with
 * `fc.assert(lockSafety(myLock, …))` and with @fast-check/vitest's `test.prop`.
 */
import { test as fcTest } from '@fast-check/vitest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pollingLock } from '../../examples/polling-lock.ts';
import { beliefCaseOutcome, noLock } from './no-lock.ts';
import { checkLockCase, exploreCaseArbitrary, lockSafety, LockPropertyError, type LockSafetyOptions } from '../../src/explore/property.ts';

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
    const error = await beliefCaseOutcome(noLock);
    expect(error).toBeInstanceOf(LockPropertyError);
    expect((error as LockPropertyError).violations[0]).toMatchObject({ property: 'belief', processes: ['alice', 'bob'] });
  });
});

describe('with @fast-check/vitest', () => {
  fcTest.prop([exploreCaseArbitrary(options)], { seed: 2, numRuns: 10 })('the polling lock keeps the resource safe and live', async (explored) => {
    await checkLockCase(pollingLock, explored, options);
  });
});
