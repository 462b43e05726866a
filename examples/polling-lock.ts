// A lock written by a user against leaselab's client, to be explored:
// see test/examples/polling-lock.test.ts and the README.
import { compare, op, type Client, type KeepAliveHandle, type Lock, type LockAlgorithm } from 'leaselab';

/**
 * Put-if-absent with a kept-alive lease, polling every 200 ms; the key's
 * create revision is the fencing token; release deletes the key only if it is
 * still ours. It reports no beliefs itself: the runner does it for it.
 */
export const pollingLock: LockAlgorithm = {
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

/** For `npx leaselab explore --lock ./examples/polling-lock.ts`. */
export default pollingLock;
