// Bug: acquire() throws a TypeError every time (a typo a test should catch).
import type { LockAlgorithm } from 'leaselab';
import { never } from './lease-lock-kit.ts';

interface Session {
  leaseId: bigint;
}

export const throwsInAcquire: LockAlgorithm = {
  name: 'throws-in-acquire',
  create(client, { lockName, ttlSeconds }) {
    let session: Session | undefined;
    return {
      lost: never(),
      async acquire() {
        await client.get(lockName);
        // session is never set: reading leaseId of undefined throws a TypeError.
        const leaseId = (session as Session).leaseId;
        await client.put(lockName, '', { lease: leaseId });
        session = { leaseId: BigInt(ttlSeconds) };
        return {};
      },
      async release() {
        await client.delete(lockName);
      },
    };
  },
};
export default throwsInAcquire;
