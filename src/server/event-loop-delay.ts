/**
 * The server's own event-loop stalls, on GET /metrics (leaselab's name, not
 * etcd's: etcd has no event loop): the longest delay since the previous
 * scrape and its 99th percentile. A 10 ms timer records how late it fires
 * into a perf_hooks histogram. (monitorEventLoopDelay is not used: after a
 * reset it drops its first sample, so a stall that began in the tick of a
 * scrape was never counted.) A load test scrapes before and after a phase to
 * learn the worst stall within it.
 *
 * On Linux a third gauge tells the server's stalls from a starved machine's:
 * each delay less the time the main thread sat runnable but waiting for a CPU
 * meanwhile (the run-queue wait in /proc/<pid>/task/<pid>/schedstat). A delay
 * the kernel caused by running other processes is not the server's work.
 *
 *   leaselab_event_loop_delay_max_seconds 0.0123
 *   leaselab_event_loop_delay_p99_seconds 0.0104
 *   leaselab_event_loop_delay_own_max_seconds 0.0051
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { createHistogram, performance } from 'node:perf_hooks';
import type { ServerMetrics } from './metrics.ts';

const sampleEveryMs = 10;

/**
 * The main thread's run-queue wait so far in ms (Linux schedstat's second
 * field), read through one open descriptor; undefined where there is none.
 */
export function runQueueWaitReader(): { read: () => number; close: () => void } | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'r');
  } catch {
    return undefined;
  }
  const buffer = Buffer.alloc(96);
  const read = () => {
    // "<ns on a CPU> <ns runnable, waiting for one> <timeslices>\n"
    const text = buffer.toString('latin1', 0, readSync(fd, buffer, 0, buffer.length, 0));
    const start = text.indexOf(' ') + 1;
    return Number(text.slice(start, text.indexOf(' ', start))) / 1e6;
  };
  try {
    if (!Number.isFinite(read())) throw new Error('schedstat unreadable');
  } catch {
    closeSync(fd);
    return undefined;
  }
  return { read, close: () => closeSync(fd) };
}

/** Start sampling and add the gauges to `metrics`. @returns stop sampling */
export function registerEventLoopDelay(metrics: ServerMetrics): () => void {
  const histogram = createHistogram();
  const waits = runQueueWaitReader();
  let dueMs = performance.now() + sampleEveryMs;
  let waitedBeforeMs = waits?.read() ?? 0;
  let ownMaxNow = 0;
  const sampler = setInterval(() => {
    const nowMs = performance.now();
    const lateMs = nowMs - dueMs;
    // A histogram records whole numbers from 1 up: lateness in ns.
    histogram.record(Math.max(1, Math.round(lateMs * 1e6)));
    if (waits !== undefined) {
      const waitedMs = waits.read();
      ownMaxNow = Math.max(ownMaxNow, lateMs - (waitedMs - waitedBeforeMs));
      waitedBeforeMs = waitedMs;
    }
    dueMs = nowMs + sampleEveryMs;
  }, sampleEveryMs);
  sampler.unref();
  let max = 0;
  let p99 = 0;
  let ownMax = 0;
  // The gauges of one scrape read one window: the first collected reads and resets it, the others read what it read.
  const gauges = waits === undefined ? 2 : 3;
  let readsLeft = 0;
  const take = () => {
    if (readsLeft > 0) {
      readsLeft--;
      return;
    }
    readsLeft = gauges - 1;
    max = histogram.count > 0 ? histogram.max / 1e9 : 0;
    p99 = histogram.count > 0 ? histogram.percentile(99) / 1e9 : 0;
    ownMax = ownMaxNow / 1e3;
    histogram.reset();
    ownMaxNow = 0;
  };
  metrics.addGauge('leaselab_event_loop_delay_max_seconds', 'Longest event-loop delay since the previous scrape (how late a 10 ms timer fired).', () => {
    take();
    return max;
  });
  metrics.addGauge('leaselab_event_loop_delay_p99_seconds', '99th percentile of event-loop delay since the previous scrape.', () => {
    take();
    return p99;
  });
  if (waits !== undefined)
    metrics.addGauge(
      'leaselab_event_loop_delay_own_max_seconds',
      'Longest event-loop delay since the previous scrape less the time the main thread waited for a CPU meanwhile (not the server: a starved machine).',
      () => {
        take();
        return ownMax;
      },
    );
  return () => {
    clearInterval(sampler);
    waits?.close();
  };
}
