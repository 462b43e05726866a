/**
 * `leaselab demo`: the quick start's main job. Tells the two lease stories a
 * learner starts with (a lease left alone expires at the sweep after its
 * deadline; kept alive, it stays), then the one leaselab exists for (a pause
 * longer than the TTL: two clients believe they hold one lock). Each is
 * `leaselab run <scenario>` with its default seed; exits 1 if any story's
 * claims failed.
 */
import pc from 'picocolors';
import { run as runScenario } from './run.ts';

const stories = ['lease-expiry', 'lease-keepalive', 'pause-breaks-lock'];

export async function run(args: string[]): Promise<number> {
  let exitCode = 0;
  for (const [index, name] of stories.entries()) {
    if (index > 0) process.stdout.write(`\n${pc.dim('─'.repeat(88))}\n\n`);
    const code = await runScenario([name, ...args]);
    exitCode = Math.max(exitCode, code);
  }
  process.stdout.write(
    `\n${pc.dim('More: `npx leaselab list` for every scenario, `npx leaselab run <scenario> --html out.html` for a picture,')}\n` +
      `${pc.dim('`npx leaselab explore --lock mutex` to search fault schedules for a counterexample.')}\n`,
  );
  return exitCode;
}
