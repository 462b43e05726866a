// A queue lock in the style of etcd's Mutex, written once for two catalogue
// entries that differ only in how they read the queue: it puts its key under
// the prefix (a key left over from an earlier attempt is removed first and put
// again, so that a late-applied release of that attempt, guarded by the old
// create revision, cannot take the new one away), waits until no older key is
// left, and releases only its own key. Fencing token: the key's create revision.
import { compare, op, type LockAlgorithm } from 'leaselab';
import { KeptLease, never, waitForDelete } from './lease-lock-kit.ts';

export function queueLock(name: string, serializableQueueReads: boolean): LockAlgorithm {
  return {
    name,
    create(client, { lockName, ttlSeconds }) {
      const lease = new KeptLease(client, ttlSeconds);
      const prefix = `${lockName}/`;
      let myKey = '';
      let myRev = 0;
      let lost: Promise<void> = never();
      return {
        get lost() {
          return lost;
        },
        async acquire() {
          const { leaseId, keepAlive } = await lease.live();
          myKey = `${prefix}${leaseId.toString(16)}`;
          for (;;) {
            const enqueued = await client
              .txn()
              .if(compare.createRevision(myKey, '=', 0))
              .then(op.put(myKey, '', { lease: leaseId }))
              .else(op.get(myKey))
              .commit();
            if (enqueued.succeeded) {
              myRev = enqueued.header.revision;
              break;
            }
            const leftOver = enqueued.responses[0]!.response_range!.kvs[0]!.create_revision;
            await client
              .txn()
              .if(compare.createRevision(myKey, '=', leftOver))
              .then(op.delete(myKey))
              .commit();
          }
          for (;;) {
            const before = await client.get(prefix, {
              prefix: true,
              maxCreateRevision: myRev - 1,
              sort: { target: 'CREATE', order: 'DESCEND' },
              limit: 1,
              ...(serializableQueueReads ? { serializable: true } : {}),
            });
            const newest = before.kvs[0];
            if (newest === undefined) break;
            await waitForDelete(client, new TextDecoder().decode(newest.key), before.header.revision);
          }
          lost = keepAlive.done.then(() => undefined);
          return { fencingToken: myRev };
        },
        async release() {
          await client
            .txn()
            .if(compare.createRevision(myKey, '=', myRev))
            .then(op.delete(myKey))
            .commit();
        },
      };
    },
  };
}
