/**
 * One explore worker thread (src/explore/pool.ts): load the lock once, then
 * answer each case with whether `checkLockCase` threw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLockAlgorithm } from '../cli/commands/explore.ts';
import type { CaseJob, CaseVerdict } from './pool.ts';
import { checkLockCase, type ExploreCase } from './property.ts';

const job = workerData as CaseJob;
const algorithm = await loadLockAlgorithm(job.lock);
const port = parentPort!;

port.on('message', ({ index, explored }: { index: number; explored: ExploreCase }) => {
  checkLockCase(algorithm, explored, job.options).then(
    () => port.postMessage({ index, failed: false } satisfies CaseVerdict),
    () => port.postMessage({ index, failed: true } satisfies CaseVerdict),
  );
});
