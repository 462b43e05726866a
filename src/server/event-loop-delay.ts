/**
 * The server's own event-loop stalls, on GET /metrics (leaselab's name, not
 * etcd's: etcd has no event loop): the longest delay since the previous
 * scrape and its 99th percentile. A 10 ms timer records how late it fires
 * into a perf_hooks histogram. (monitorEventLoopDelay is not used: after a
 * reset it drops its first sample, so a stall that began in the tick of a
 * scrape was never counted.) A load test scrapes before and after a phase to
 * learn the worst stall within it.
 *
 *   leaselab_event_loop_delay_max_seconds 0.0123
 *   leaselab_event_loop_delay_p99_seconds 0.0104
 */
import { createHistogram, performance } from 'node:perf_hooks';
import type { ServerMetrics } from './metrics.ts';

const sampleEveryMs = 10;

/** Start sampling and add the gauges to `metrics`. @returns stop sampling */
export function registerEventLoopDelay(metrics: ServerMetrics): () => void {
  const histogram = createHistogram();
  let dueMs = performance.now() + sampleEveryMs;
  const sampler = setInterval(() => {
    const nowMs = performance.now();
    // A histogram records whole numbers from 1 up: lateness in ns.
    histogram.record(Math.max(1, Math.round((nowMs - dueMs) * 1e6)));
    dueMs = nowMs + sampleEveryMs;
  }, sampleEveryMs);
  sampler.unref();
  let max = 0;
  let p99 = 0;
  // Both gauges read one window: the first collected reads and resets it, the other reads what it read.
  let taken = false;
  const take = () => {
    if (taken) {
      taken = false;
      return;
    }
    taken = true;
    max = histogram.count > 0 ? histogram.max / 1e9 : 0;
    p99 = histogram.count > 0 ? histogram.percentile(99) / 1e9 : 0;
    histogram.reset();
  };
  metrics.addGauge('leaselab_event_loop_delay_max_seconds', 'Longest event-loop delay since the previous scrape (how late a 10 ms timer fired).', () => {
    take();
    return max;
  });
  metrics.addGauge('leaselab_event_loop_delay_p99_seconds', '99th percentile of event-loop delay since the previous scrape.', () => {
    take();
    return p99;
  });
  return () => clearInterval(sampler);
}
