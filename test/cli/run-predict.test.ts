// `leaselab run --predict` and `--drift`, driven as a learner drives them: the
// command as a child process with piped stdin, and on a pseudo-terminal
// (util-linux `script`) for the interactive question.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runScenario, scenarios } from '../../src/scenarios/index.ts';
import { cli } from './in-process-cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entry = ['--import', 'tsx', 'test/cli/cli-entry.ts'];

/** Run `leaselab …` with `stdin` piped in; kill it if it outlives the test. */
function leaselab(
  args: string[],
  stdin: string,
  command: string[] = [process.execPath, ...entry, ...args],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) });
    });
    child.stdin.end(stdin);
  });
}

const hasScript = spawnSync('script', ['--version']).status === 0;

describe('leaselab run --predict with piped stdin', () => {
  it('asks nothing when the answer is on the command line, shows the set-up before the run, then says whether it was right', async () => {
    const right = await leaselab(['run', 'pause-breaks-lock', '--predict=yes'], '');
    expect(right.code).toBe(0);
    const question = right.stdout.indexOf('Predict: Will two clients believe they hold /lock at the same time? yes');
    expect(question).toBeGreaterThan(0);
    expect(right.stdout.indexOf('then her process is paused from 3.05 s to 11.05 s')).toBeLessThan(question);
    // The story, which gives the outcome away, comes after the question.
    expect(right.stdout.indexOf('What the story claims')).toBeGreaterThan(question);
    expect(right.stdout).toContain('Your prediction: yes. Right: yes: alice and bob both believed from 7.510s to 11.050s');
  }, 30_000);

  it('a wrong guess is told so, with what happened, under a what-if knob too', async () => {
    const wrong = await leaselab(['run', 'pause-breaks-lock', '--predict', 'yes', '--pause-for', '3000'], '');
    expect(wrong.stdout).toContain('what if: pause for 3000 ms');
    expect(wrong.stdout).toContain('Your prediction: yes. Not this time: no: the beliefs never overlapped');
  }, 30_000);

  it('a bare --predict with stdin not a terminal fails with a clear message and runs nothing', async () => {
    const { code, stdout, stderr } = await leaselab(['run', 'one-way-partition', '--predict'], 'y\n');
    expect(code).toBe(2);
    expect(stderr).toContain('--predict asks on the terminal, but stdin is not a terminal');
    expect(stderr).toContain('leaselab run one-way-partition --predict=yes (or --predict=no)');
    expect(stdout).not.toContain('What the story claims');
  }, 30_000);

  it.skipIf(!hasScript)(
    'on a terminal it asks, re-asks on a bad answer, and judges the answer (util-linux script for a pseudo-terminal)',
    async () => {
      const command = ['script', '-qec', `${process.execPath} ${entry.join(' ')} run session-close-vs-orphan --predict --ascii`, '/dev/null'];
      const { stdout } = await leaselab([], 'perhaps\nn\n', command);
      expect(stdout).toContain('[y/n]');
      expect(stdout).toContain('answer y or n');
      expect(stdout).toContain('Your prediction: no. Not this time: yes: at 3.014s carol found /services/bob');
    },
    30_000,
  );
});

describe('every prediction is answered by the run it asks about', () => {
  it('every scenario asks a question', () => {
    expect(scenarios.filter((scenario) => scenario.prediction === undefined).map((scenario) => scenario.name)).toEqual([]);
  });

  it('the default runs answer as their stories say', async () => {
    const expected: Record<string, boolean> = {
      'pause-breaks-lock': true,
      'delayed-write': true,
      'fencing-saves-the-day': false,
      'partition-expires-lease': true,
      'one-way-partition': false,
      'client-clock-drift': true,
      'session-close-vs-orphan': true,
      'lease-expiry': true,
      'crash-releases-lock': false,
      'lock-contention': true,
      'leader-change-extends-lease': true,
      'election-failover': false,
      'late-keepalive': false,
      'lease-keepalive': true,
      'watch-sees-expiry': true,
      'stale-read-two-holders': true,
      'leader-isolated': false,
      'leader-changes-keep-lease': true,
      'checkpoint-expires-lease': false,
      'keepalive-cut-from-leader': true,
    };
    const asked = scenarios.filter((scenario) => scenario.prediction !== undefined);
    expect(asked.map((scenario) => scenario.name).sort()).toEqual(Object.keys(expected).sort());
    for (const scenario of asked) {
      const { result } = await runScenario(scenario);
      const outcome = scenario.prediction!.outcome(result, {});
      expect(outcome.happened, `${scenario.name}: ${outcome.detail}`).toBe(expected[scenario.name]);
      expect(scenario.prediction!.setup({}).length).toBeGreaterThan(40);
    }
  }, 60_000);

  it('a what-if run changes the answer: fencing off lets the stale write land, a fast clock gives up in time', async () => {
    const fencing = scenarios.find((scenario) => scenario.name === 'fencing-saves-the-day')!;
    expect(fencing.prediction!.outcome((await runScenario(fencing, 1, { fenced: false })).result, { fenced: false }).happened).toBe(true);
    const drift = scenarios.find((scenario) => scenario.name === 'client-clock-drift')!;
    expect(drift.prediction!.outcome((await runScenario(drift, 1, { driftRate: 2 })).result, { driftRate: 2 }).happened).toBe(false);
    // slow links: keepalive answers come too late to keep the key
    const keepalive = scenarios.find((scenario) => scenario.name === 'lease-keepalive')!;
    const slow = keepalive.prediction!.outcome((await runScenario(keepalive, 1, { latencyMs: 3000 })).result, { latencyMs: 3000 });
    expect(slow.happened, slow.detail).toBe(false);
  });
});

describe('leaselab run --drift', () => {
  it('a slow clock is the story; a true clock shrinks the overlap under a second; bad rates and scenarios without the knob are usage errors', async () => {
    const runs = [
      { argv: ['run', 'client-clock-drift', '--drift', '1'], code: 1 },
      { argv: ['run', 'client-clock-drift', '--drift', 'fast'], code: 2 },
      { argv: ['run', 'client-clock-drift', '--drift', '0'], code: 2 },
      { argv: ['run', 'lease-expiry', '--drift', '0.5'], code: 2 },
    ];
    let stdout = '';
    let stderr = '';
    for (const { argv, code } of runs) {
      const run = await cli(...argv);
      expect({ argv, code: run.code }).toEqual({ argv, code });
      stdout += run.stdout;
      stderr += run.stderr;
    }
    expect(stdout).toContain("what if: the client's clock runs at 1× real time");
    expect(stdout).toMatch(/✗ alice and bob both believed they held the lock, for longer than a second\n\s+both believed from 9\.510s to 10\.009s/);
    expect(stderr).toContain("--drift takes a clock rate from 0.1 to 10 (0.5: the client's clock runs at half speed), got 'fast'");
    expect(stderr).toContain('lease-expiry takes no --drift');
  });
});
