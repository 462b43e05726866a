// A paused lock holder wakes up still believing it holds the lock.
// Run: npx tsx examples/two-holders.ts
import { Sim, etcdMutexFenced, renderTextTimeline } from 'leaselab';

export async function twoHolders(seed = 1) {
  const sim = new Sim({ seed, msMax: 60_000 });
  sim.resource('storage', { fenced: true }); // accepts a write only with the highest token yet
  for (const [name, startAtMs] of [['alice', 0], ['bob', 100]] as const) {
    sim.process(name, async ({ client, resource, sleep, log }) => {
      const lock = etcdMutexFenced.create(client, { lockName: '/lock', ttlSeconds: 5 });
      const { fencingToken = 0 } = await lock.acquire();
      log(`holds the lock with fencing token ${fencingToken}`);
      await sleep(3000); // alice is paused in here, for longer than her lease's TTL
      log(`write: ${await resource('storage').write(fencingToken, name)}`);
      await lock.release().catch(() => undefined);
    }, { startAtMs });
  }
  sim.at(1000, (world) => world.pause('alice'));
  sim.at(12_000, (world) => world.resume('alice'));
  return sim.run();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { trace, world } = await twoHolders();
  process.stdout.write(renderTextTimeline(trace, { verbose: false }));
  console.log(world.resource('storage').attempts); // bob's token 3 accepted, alice's stale token 2 rejected
}
