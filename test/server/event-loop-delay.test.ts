// The event-loop delay gauges: a stall we cause shows in the next scrape, both gauges of one scrape
// read the same window, and each scrape starts a new window, including a stall that begins in the
// very tick of a scrape (perf_hooks' monitorEventLoopDelay dropped that one after its reset).
import { afterEach, describe, expect, it } from 'vitest';
import { registerEventLoopDelay, runQueueWaitReader } from '../../src/server/event-loop-delay.ts';
import { ServerMetrics } from '../../src/server/metrics.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function metrics(): ServerMetrics {
  const server = new ServerMetrics();
  server.attach({
    serverVersion: '3.4.23',
    clusterVersion: '3.4.0',
    memberIdHex: '8e9e05c52164694d',
    currentRevision: () => 1,
    compactRevision: () => 0,
    liveKeyCount: () => 0,
    dbSizeBytes: () => 0,
    watchStreamCount: () => 0,
  });
  stops.push(registerEventLoopDelay(server));
  return server;
}

/** Both gauges of one scrape, in seconds. */
async function scrape(server: ServerMetrics): Promise<{ max: number; p99: number; own: number }> {
  const text = await server.text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return {
    max: read('leaselab_event_loop_delay_max_seconds'),
    p99: read('leaselab_event_loop_delay_p99_seconds'),
    own: read('leaselab_event_loop_delay_own_max_seconds'),
  };
}

/** Hold the event loop for `ms` (a stall of our own making). */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Let the 10 ms sampler run a few times. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('event-loop delay gauges', () => {
  it('a 300 ms stall shows as a max of at least about 300 ms; p99 is within it', async () => {
    const server = metrics();
    await scrape(server); // builds the registry and opens a fresh window
    await settle();
    stall(300);
    await settle();
    const { max, p99 } = await scrape(server);
    expect(max).toBeGreaterThanOrEqual(0.28);
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThanOrEqual(max);
  });

  it('a stall that begins in the same tick as a scrape is counted in the next window', async () => {
    const server = metrics();
    await scrape(server);
    await settle();
    await scrape(server);
    stall(300);
    await settle();
    expect((await scrape(server)).max).toBeGreaterThanOrEqual(0.28);
  });

  it('the next scrape has a new window: the stall is not counted again', async () => {
    const server = metrics();
    await scrape(server);
    await settle();
    stall(400);
    await settle();
    const stalled = await scrape(server);
    await settle();
    const after = await scrape(server);
    expect(stalled.max).toBeGreaterThanOrEqual(0.38);
    expect(after.max).toBeLessThan(stalled.max);
    expect(after.p99).toBeLessThanOrEqual(after.max);
  });

  const waits = runQueueWaitReader();
  describe.skipIf(waits === undefined)(
    'the own gauge: less the time spent waiting for a CPU (Linux schedstat; skipped without /proc/<pid>/task/<pid>/schedstat)',
    () => {
      it('reads a run-queue wait that only grows', () => {
        const first = waits!.read();
        stall(20);
        expect(first).toBeGreaterThanOrEqual(0);
        expect(waits!.read()).toBeGreaterThanOrEqual(first);
      });

      for (const [how, hold] of [
        ['computing', stall],
        ['blocked, not runnable', (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)],
      ] as const)
        it(`a 300 ms stall ${how} counts as the server's own, but for the time it waited for a CPU`, async () => {
          const server = metrics();
          await scrape(server);
          await settle();
          const waitedBefore = waits!.read();
          hold(300);
          const waitedMs = waits!.read() - waitedBefore;
          await settle();
          const { max, own } = await scrape(server);
          expect(own).toBeLessThanOrEqual(max);
          expect(own).toBeGreaterThanOrEqual(0.28 - waitedMs / 1e3);
        });
    },
  );
});
