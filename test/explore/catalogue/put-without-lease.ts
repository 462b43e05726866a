// Bug: the lock key has no lease. Put-if-absent, polling, fenced by the key's
// create revision, released only if ours: correct until a holder crashes, then
// its key stays forever and nobody acquires again.
import type { LockAlgorithm } from 'leaselab';
import { deleteIfMine, never, putIfAbsent, sleep } from './lease-lock-kit.ts';

export const putWithoutLease: LockAlgorithm = {
  name: 'put-without-lease',
  create(client, { lockName }) {
    let token = -1;
    return {
      lost: never(),
      async acquire() {
        for (;;) {
          const response = await putIfAbsent(client, lockName, 'held', undefined);
          if (response.succeeded) {
            token = response.header.revision;
            return { fencingToken: token };
          }
          await sleep(client, 200);
        }
      },
      async release() {
        await deleteIfMine(client, lockName, token);
      },
    };
  },
};
export default putWithoutLease;
