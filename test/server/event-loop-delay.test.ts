// The event-loop delay gauges: a stall we cause shows in the next scrape, both gauges of one scrape
// read the same window, and each scrape starts a new window.
//
// Known gap (reported, issue 14): a scrape resets perf_hooks' histogram, and Node does not record the
// first sample after a reset, so a stall that starts in the same tick as a scrape is never counted.
// The tests let the sampler tick (settle) after each scrape, as a scrape over HTTP would.
import { afterEach, describe, expect, it } from 'vitest';
import { registerEventLoopDelay } from '../../src/server/event-loop-delay.ts';
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
async function scrape(server: ServerMetrics): Promise<{ max: number; p99: number }> {
  const text = await server.text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  return { max: read('leaselab_event_loop_delay_max_seconds'), p99: read('leaselab_event_loop_delay_p99_seconds') };
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
});
