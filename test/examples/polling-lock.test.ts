import fc from 'fast-check';
import { test } from 'vitest';
import { lockSafety } from 'leaselab';
import { pollingLock } from '../../examples/polling-lock.ts';

test('my lock never lets a stale holder write, and a free lock is taken', async () => {
  const options = { properties: ['fenced', 'liveness'] as const, faults: ['pause', 'partition', 'crash'] as const, clients: 3 };
  await fc.assert(lockSafety(pollingLock, options), { seed: 1, numRuns: 20 });
});
