/**
 * The simulator's speed: virtual seconds simulated per wall second, for five
 * clients contending for an etcd Mutex (Session + keepalives) over ten
 * virtual minutes, without and with random faults. Goal: at least 10,000×
 * faster than real time.
 */
import { etcdMutex } from '../src/client/lock-algorithm.ts';
import { randomFaultSchedule } from '../src/sim/faults.ts';
import { SimRandom } from '../src/sim/random.ts';
import { Sim, type SimResult } from '../src/sim/sim.ts';
import type { Client } from '../src/client/client.ts';
import type { BenchOptions, BenchTable } from './table.ts';

const clients = ['c1', 'c2', 'c3', 'c4', 'c5'];

export async function contend(seed: number, virtualMs: number, faults: boolean): Promise<SimResult<Client>> {
  const sim = new Sim({ seed, msMax: virtualMs, eventsMax: 50_000_000, network: { latencyMs: { min: 1, max: 10 } } });
  for (const name of clients) {
    sim.process(name, async ({ client, sleep, random }) => {
      const lock = etcdMutex.create(client, { lockName: '/bench-lock', ttlSeconds: 5 });
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
      randomFaultSchedule(new SimRandom(seed).stream('faults'), {
        processes: clients,
        untilMs: virtualMs,
        count: Math.round(virtualMs / 20_000),
        durationMsMax: 10_000,
        kinds: ['crash', 'pause', 'partition', 'hold', 'loss', 'latency', 'drift', 'serverRestart', 'slowApply'],
      }),
    );
  return sim.run();
}

export async function runBench({ quick }: BenchOptions): Promise<BenchTable[]> {
  const virtualMs = quick ? 60_000 : 10 * 60_000;
  const rows: (string | number)[][] = [];
  for (const faults of [false, true]) {
    await contend(99, 10_000, faults); // warm up
    const start = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await contend(1, virtualMs, faults);
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const acquisitions = result.trace.clientEvents('lock-acquired').length;
    rows.push([
      faults ? `with faults (${Math.round(virtualMs / 20_000)} random pairs)` : 'no faults',
      virtualMs / 1000,
      wallMs,
      cpuMs,
      result.stats.events,
      (result.stats.events * 1000) / wallMs,
      virtualMs / wallMs,
      virtualMs / cpuMs,
      acquisitions,
      result.trace.events.length,
    ]);
  }
  return [
    {
      title: `Simulator: 5 clients contending for an etcd Mutex with keepalives (${virtualMs / 60_000} virtual min)`,
      columns: ['run', 'virtual s', 'wall ms', 'cpu ms', 'events', 'events/s', 'virtual s per wall s', 'virtual s per cpu s', 'locks acquired', 'trace events'],
      rows,
      notes: [
        'Goal: virtual s per wall s >= 10,000 (faster than real time by that factor).',
        'cpu ms (this process, user + system) is steadier than wall ms on a busy machine.',
      ],
    },
  ];
}
