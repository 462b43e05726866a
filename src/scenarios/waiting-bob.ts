/**
 * bob's part in several lock stories: half a second in (alice holds the lock
 * by then) he asks for it, waits his turn, holds it for `holdMs`, releases it
 * and leaves. Each story adds him where it did before, so its trace is the same.
 */
import { etcdMutexFenced } from '../client/index.ts';
import type { Sim } from '../sim/index.ts';

export function addWaitingBob(sim: Sim, lockName: string, ttlSeconds: number, holdMs = 0): void {
  sim.process(
    'bob',
    async ({ client, sleep, log }) => {
      const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
      log(`asks for ${lockName}`);
      const { fencingToken } = await lock.acquire();
      log(`holds ${lockName} with token ${fencingToken}`);
      if (holdMs > 0) await sleep(holdMs);
      await lock.release();
      client.close();
    },
    { startAtMs: 500 },
  );
}
