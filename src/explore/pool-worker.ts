/**
 * One explore worker thread (src/explore/pool.ts): load the lock once, then
 * answer each case, one at a time in the order they arrive, with what its
 * run broke: per property, the first violation and whether it fails the lock
 * (a bug or an unknown) or is a known limitation of lease locks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadLockAlgorithm } from '../cli/commands/explore.ts';
import type { CaseJob, CaseVerdict } from './pool.ts';
import { replayCaseOf, runReplayCase, type ExploreCase } from './property.ts';
import { findingsOf } from './verdicts.ts';

const job = workerData as CaseJob;
const algorithm = await loadLockAlgorithm(job.lock);
const port = parentPort!;

type CaseMessage = { index: number; explored: ExploreCase };
const queue: CaseMessage[] = [];
let running = false;

async function runQueued(): Promise<void> {
  running = true;
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { violations } = await runReplayCase(algorithm, replayCaseOf(next.explored, job.options), job.options.livenessSlackMs);
    const findings = findingsOf(violations);
    port.postMessage({ index: next.index, failed: findings.some((finding) => finding.failing), findings } satisfies CaseVerdict);
  }
  running = false;
}

port.on('message', (message: CaseMessage) => {
  queue.push(message);
  if (!running) void runQueued();
});
