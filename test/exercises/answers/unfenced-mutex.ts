// A wrong answer to `leaselab exercise fence-the-pause`: etcd's Mutex without a fencing token.
import { Mutex, Session, type LockAlgorithm } from '../../../src/client/index.ts';

export const lock: LockAlgorithm = {
  name: 'answer-unfenced-mutex',
  create(client, { lockName, ttlSeconds }) {
    let session: Session | undefined;
    let mutex: Mutex | undefined;
    let lost: Promise<void> = new Promise(() => {});
    return {
      async acquire() {
        if (session === undefined) session = await Session.create(client, { ttlSeconds });
        mutex = new Mutex(session, lockName);
        await mutex.lock();
        lost = session.done.then(() => undefined);
        return {};
      },
      async release() {
        await mutex?.unlock();
        await session?.close();
        session = undefined;
      },
      get lost() {
        return lost;
      },
    };
  },
};
