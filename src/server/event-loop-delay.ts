/**
 * The server's own event-loop stalls, on GET /metrics (leaselab's name, not
 * etcd's: etcd has no event loop): the longest delay since the previous
 * scrape and its 99th percentile, from perf_hooks' monitorEventLoopDelay
 * (sampled every 10 ms). A load test scrapes before and after a phase to
 * learn the worst stall within it.
 *
 *   leaselab_event_loop_delay_max_seconds 0.0123
 *   leaselab_event_loop_delay_p99_seconds 0.0104
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ServerMetrics } from './metrics.ts';

/** Start sampling and add the gauges to `metrics`. @returns stop sampling */
export function registerEventLoopDelay(metrics: ServerMetrics): () => void {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
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
  metrics.addGauge(
    'leaselab_event_loop_delay_max_seconds',
    'Longest event-loop delay since the previous scrape (perf_hooks monitorEventLoopDelay, 10 ms resolution).',
    () => {
      take();
      return max;
    },
  );
  metrics.addGauge('leaselab_event_loop_delay_p99_seconds', '99th percentile of event-loop delay since the previous scrape.', () => {
    take();
    return p99;
  });
  return () => histogram.disable();
}
