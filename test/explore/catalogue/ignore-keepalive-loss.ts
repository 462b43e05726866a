// Bug: never notices its keepalive failing. Put-if-absent with a kept-alive
// lease, fenced by the create revision, released only if ours, but `lost`
// never resolves: a holder whose lease expired goes on believing it holds.
import type { LockAlgorithm } from 'leaselab';
import { deleteIfMine, KeptLease, never, putIfAbsent, waitForDelete } from './lease-lock-kit.ts';

export const ignoreKeepaliveLoss: LockAlgorithm = {
  name: 'ignore-keepalive-loss',
  create(client, { lockName, ttlSeconds }) {
    const lease = new KeptLease(client, ttlSeconds);
    let token = -1;
    return {
      lost: never(),
      async acquire() {
        const { leaseId, keepAlive } = await lease.live();
        for (;;) {
          const response = await putIfAbsent(client, lockName, leaseId.toString(16), leaseId);
          const existing = response.responses[0]?.response_range?.kvs[0];
          if (response.succeeded || existing?.lease === leaseId) {
            token = response.succeeded ? response.header.revision : existing!.create_revision;
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
export default ignoreKeepaliveLoss;
