/**
 * `leaselab`: the common API — the store, the client, the simulator, the
 * reports, the checkers and the lock explorer — without the gRPC server
 * (`leaselab/server`), so importing it never loads @grpc/grpc-js. Each part
 * is also its own entry (`leaselab/store`, `leaselab/client`, `leaselab/sim`,
 * `leaselab/check`, `leaselab/explore`); this one re-exports their lists.
 *
 *   import { Sim, etcdMutexFenced, renderTextTimeline } from 'leaselab';
 *   const sim = new Sim({ seed: 1 });
 *   sim.resource('storage');
 *   sim.process('alice', async ({ client, resource }) => {
 *     const lock = etcdMutexFenced.create(client, { lockName: '/lock', ttlSeconds: 5 });
 *     const { fencingToken } = await lock.acquire();
 *     await resource('storage').write(fencingToken ?? 0, 'hello');
 *     await lock.release();
 *   });
 *   const result = await sim.run();
 *   console.log(renderTextTimeline(result.trace));
 *
 * Layers (docs/design.md): store ← client ← sim ← check ← report, explore. Everything exported here
 * is deterministic given a seed.
 */
export * from './store/index.ts';
export * from './client/index.ts';
export * from './sim/index.ts';
export * from './report/index.ts';
export * from './check/index.ts';
export * from './explore/index.ts';
