// Bug: blind retry of a timed-out enqueue. A queue lock (keys under
// `lockName/`, the oldest create revision holds, each waiter watches the key
// just before its own, fenced by its key's create revision). When the
// enqueue put times out it puts a fresh key again, forgetting the first one:
// if the timed-out put was applied after all, that orphan key sits in the
// queue ahead of everyone, kept alive by the same lease, and nobody ever
// acquires again.
import { fromUtf8, isCallTimeoutError, lastCreate, type LockAlgorithm } from 'leaselab';
import { deleteIfMine, KeptLease, never, waitForDelete } from './lease-lock-kit.ts';

export const blindRetryEnqueue: LockAlgorithm = {
  name: 'blind-retry-enqueue',
  create(client, { lockName, ttlSeconds }) {
    const lease = new KeptLease(client, ttlSeconds);
    let sequence = 0;
    let myKey = '';
    let myRevision = -1;
    let lost: Promise<void> = never();
    return {
      get lost() {
        return lost;
      },
      async acquire() {
        const { leaseId, keepAlive } = await lease.live();
        for (;;) {
          myKey = `${lockName}/${leaseId.toString(16)}-${++sequence}`;
          try {
            myRevision = (await client.put(myKey, '', { lease: leaseId })).header.revision;
            break;
          } catch (error) {
            if (!isCallTimeoutError(error)) throw error;
            // Timed out: try again with a new key (the bug: the first may have been applied).
          }
        }
        for (;;) {
          if (keepAlive.ended) throw new Error('lease lost while waiting');
          const ahead = await client.get(`${lockName}/`, { ...lastCreate, prefix: true, maxCreateRevision: myRevision - 1 });
          const previous = ahead.kvs[0];
          if (previous === undefined) {
            const mine = await client.get(myKey);
            if (mine.kvs.length === 0) throw new Error('my queue key is gone');
            lost = keepAlive.done.then(() => undefined);
            return { fencingToken: myRevision };
          }
          await Promise.race([waitForDelete(client, fromUtf8(previous.key), ahead.header.revision + 1), keepAlive.done]);
        }
      },
      async release() {
        await deleteIfMine(client, myKey, myRevision);
      },
    };
  },
};
export default blindRetryEnqueue;
