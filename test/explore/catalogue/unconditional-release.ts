// Bug: release deletes the key whoever holds it. A holder that lost its lease
// (paused past the TTL) deletes its successor's key on the way out, and a
// third client acquires while the successor still holds.
import type { LockAlgorithm } from 'leaselab';
import { KeptLease, never, putIfAbsent, waitForDelete } from './lease-lock-kit.ts';

export const unconditionalRelease: LockAlgorithm = {
  name: 'unconditional-release',
  create(client, { lockName, ttlSeconds }) {
    const lease = new KeptLease(client, ttlSeconds);
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
            lost = keepAlive.done.then(() => undefined);
            return { fencingToken: response.succeeded ? response.header.revision : existing!.create_revision };
          }
          if (existing !== undefined) await Promise.race([waitForDelete(client, lockName, response.header.revision + 1), keepAlive.done]);
        }
      },
      async release() {
        await client.delete(lockName);
      },
    };
  },
};
export default unconditionalRelease;
