/** A small faulty workload for determinism tests and benchmarks: a few clients doing puts, gets and leases under random faults. */
import { randomFaultSchedule } from '../../src/sim/faults.ts';
import { SimRandom } from '../../src/sim/random.ts';
import { Sim, type SimResult } from '../../src/sim/sim.ts';
import type { Client } from '../../src/client/client.ts';

export async function runFaultyWorkload(seed: number, msMax = 12_000): Promise<SimResult<Client>> {
  const processes = ['alice', 'bob', 'carol'];
  const sim = new Sim({ seed, msMax, network: { latencyMs: { min: 1, max: 20 } }, callTimeoutMs: 1000 });
  for (const name of processes) {
    sim.process(name, async ({ client, sleep, random, log, resource }) => {
      const { ID } = await client.grant(3);
      const keepAlive = client.keepAlive(ID);
      void keepAlive.done.then((reason) => log('keepalive ended', reason));
      for (let i = 0; i < 8; i++) {
        try {
          const { header } = await client.put(`${name}/${i % 3}`, `v${i}`, { lease: ID });
          if (random.chance(0.3)) await resource('storage').write(header.revision, `${name}-${i}`, { timeoutMs: 500 });
          await client.get(`${processes[random.int(0, 2)]}/${random.int(0, 2)}`);
        } catch (error) {
          log('failed', (error as Error).message);
        }
        await sleep(random.int(100, 1500));
      }
    });
  }
  sim.resource('storage');
  sim.faults(
    randomFaultSchedule(new SimRandom(seed).stream('faults'), {
      processes,
      resources: ['storage'],
      untilMs: 8000,
      count: 3,
      durationMsMax: 4000,
      kinds: ['crash', 'pause', 'partition', 'hold', 'loss', 'latency', 'drift', 'serverRestart', 'slowApply'],
    }),
  );
  return sim.run();
}
