// Bug: check-then-act. Get the key; if it is absent, put it (with a kept-alive
// lease). Two clients can both see it absent and both put. No fencing token.
import { compare, op, type LockAlgorithm } from 'leaselab';
import { KeptLease, never, sleep } from './lease-lock-kit.ts';

export const checkThenAct: LockAlgorithm = {
  name: 'check-then-act',
  create(client, { lockName, ttlSeconds }) {
    const lease = new KeptLease(client, ttlSeconds);
    let lost: Promise<void> = never();
    let me = '';
    return {
      get lost() {
        return lost;
      },
      async acquire() {
        const { leaseId, keepAlive } = await lease.live();
        me = leaseId.toString(16);
        for (;;) {
          const current = await client.get(lockName);
          if (current.kvs.length === 0) {
            await client.put(lockName, me, { lease: leaseId });
            lost = keepAlive.done.then(() => undefined);
            return {};
          }
          await sleep(client, 100);
        }
      },
      async release() {
        await client
          .txn()
          .if(compare.value(lockName, '=', me))
          .then(op.delete(lockName))
          .commit();
      },
    };
  },
};
export default checkThenAct;
