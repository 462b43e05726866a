/**
 * One explore worker thread (src/explore/pool.ts): load the lock once, then
 * answer each case with whether `checkLockCase` threw, one case at a time,
 * in the order they arrive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLockAlgorithm } from '../cli/commands/explore.ts';
import type { CaseJob, CaseVerdict } from './pool.ts';
import { checkLockCase, type ExploreCase } from './property.ts';

const job = workerData as CaseJob;
const algorithm = await loadLockAlgorithm(job.lock);
const port = parentPort!;

type CaseMessage = { index: number; explored: ExploreCase };
const queue: CaseMessage[] = [];
let running = false;

async function runQueued(): Promise<void> {
  running = true;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    let failed = false;
    try {
      await checkLockCase(algorithm, next.explored, job.options);
    } catch {
      failed = true; // whatever it threw: a failing case, as under fast-check
    }
    port.postMessage({ index: next.index, failed } satisfies CaseVerdict);
  }
  running = false;
}

port.on('message', (message: CaseMessage) => {
  queue.push(message);
  if (!running) void runQueued();
});
