// Bug: a fencing token that does not grow with ownership. The correct txn lock
// (txn-lock-fenced.ts), but the token handed out is the key's version: 1 for
// every holder, so the resource takes a stale holder's write.
import type { LockAlgorithm } from 'leaselab';
import { deleteIfMine, KeptLease, never, putIfAbsent, waitForDelete } from './lease-lock-kit.ts';

export const tokenIsVersion: LockAlgorithm = {
  name: 'token-is-version',
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
            const version = (await client.get(lockName)).kvs[0]?.version ?? 1;
            return { fencingToken: version };
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
export default tokenIsVersion;
