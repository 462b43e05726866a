// Correct: put-if-absent with a kept-alive lease, waiting on a watch for the
// key's DELETE and trying again; the key's create revision is the fencing
// token; release deletes the key only if it is still ours; `lost` resolves
// when the keepalive ends.
import type { LockAlgorithm } from 'leaselab';
import { deleteIfMine, KeptLease, never, putIfAbsent, waitForDelete } from './lease-lock-kit.ts';

export const txnLockFenced: LockAlgorithm = {
  name: 'txn-lock-fenced',
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
        for (;;) {
          if (keepAlive.ended) throw new Error('lease lost while waiting');
          const response = await putIfAbsent(client, lockName, leaseId.toString(16), leaseId);
          const existing = response.responses[0]?.response_range?.kvs[0];
          if (response.succeeded || existing?.lease === leaseId) {
            token = response.succeeded ? response.header.revision : existing!.create_revision;
            lost = keepAlive.done.then(() => undefined);
            return { fencingToken: token };
          }
          if (existing !== undefined) await Promise.race([waitForDelete(client, lockName, response.header.revision + 1), keepAlive.done]);
        }
      },
      async release() {
        await deleteIfMine(client, lockName, token);
      },
    };
  },
};
export default txnLockFenced;
