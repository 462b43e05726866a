// Bug: no re-check after waiting. Put-if-absent with a kept-alive lease; when
// the key is taken, watch for its DELETE and then return as the holder without
// trying the put again: every waiter that saw the DELETE holds at once. The
// token is the revision of the DELETE it saw (the same for all of them).
import type { LockAlgorithm } from 'leaselab';
import { deleteIfMine, KeptLease, never, putIfAbsent, waitForDelete } from './lease-lock-kit.ts';

export const noRecheckAfterWait: LockAlgorithm = {
  name: 'no-recheck-after-wait',
  create(client, { lockName, ttlSeconds }) {
    const lease = new KeptLease(client, ttlSeconds);
    let token = -1;
    let lost: Promise<void> = never();
    return {
      get lost() {
        return lost;
      },
      async acquire() {
        const { leaseId, keepAlive } = await lease.live();
        const response = await putIfAbsent(client, lockName, leaseId.toString(16), leaseId);
        const existing = response.responses[0]?.response_range?.kvs[0];
        lost = keepAlive.done.then(() => undefined);
        if (response.succeeded || existing?.lease === leaseId || existing === undefined) {
          token = response.succeeded ? response.header.revision : (existing?.create_revision ?? response.header.revision);
          return { fencingToken: token };
        }
        token = await waitForDelete(client, lockName, response.header.revision + 1);
        return { fencingToken: token };
      },
      async release() {
        await deleteIfMine(client, lockName, token);
      },
    };
  },
};
export default noRecheckAfterWait;
