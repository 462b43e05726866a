/**
 * The simulator bench's workload: five clients contending for an etcd Mutex
 * (Session + keepalives) for `virtualMs` of virtual time, optionally under
 * random faults. It takes the library as an argument, so the same workload
 * runs on the sources (bench/sim.ts, scripts/trace-hashes.ts) and on the
 * built dist/ in a fresh process (bench/sim-cold.ts): this module imports
 * only types.
 */
import type { Client } from '../src/client/client.ts';
import type { etcdMutex } from '../src/client/lock-algorithm.ts';
import type { randomFaultSchedule } from '../src/sim/faults.ts';
import type { SimRandom } from '../src/sim/random.ts';
import type { Sim, SimResult } from '../src/sim/sim.ts';

const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];

/** What the workload uses of leaselab: the sources (bench/sim.ts), or the built dist/ (bench/sim-cold.ts). */
export interface SimLibrary {
  Sim: typeof Sim;
  etcdMutex: typeof etcdMutex;
  randomFaultSchedule: typeof randomFaultSchedule;
  SimRandom: typeof SimRandom;
}

/** The bench's workload run on `lib`: five clients taking turns on an etcd Mutex for `virtualMs`. */
export async function contendWith(lib: SimLibrary, seed: number, virtualMs: number, faults: boolean): Promise<SimResult<Client>> {
  const sim = new lib.Sim({ seed, msMax: virtualMs, eventsMax: 50_000_000, network: { latencyMs: { min: 1, max: 10 } } });
  for (const name of clients) {
    sim.process(name, async ({ client, sleep, random }) => {
      const lock = lib.etcdMutex.create(client, { lockName: '/bench-lock', ttlSeconds: 5 });
      for (;;) {
        try {
          await lock.acquire();
          await sleep(random.int(50, 500));
          await lock.release();
        } catch {
          // a timed-out or failed attempt: try again
        }
        await sleep(random.int(10, 300));
      }
    });
  }
  if (faults)
    sim.faults(
      lib.randomFaultSchedule(new lib.SimRandom(seed).stream('faults'), {
        processes: clients,
        untilMs: virtualMs,
        count: Math.round(virtualMs / 20_000),
        durationMsMax: 10_000,
        kinds: ['crash', 'pause', 'partition', 'hold', 'loss', 'latency', 'drift', 'serverRestart', 'slowApply'],
      }),
    );
  return sim.run();
}
