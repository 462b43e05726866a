// `leaselab run <scenario> --fault …`: the playground's faults on the command
// line. The playground's replay line, run by the CLI, gives the page's trace
// (same digest); bad specs exit 2 before anything runs.
import { describe, expect, it } from 'vitest';
import { faultSpecsOf, parseFaultSpec, scheduledFaults, sortedFaults } from '../../src/playground/injected-faults.ts';
import { injectedFault, injectedServerRestart, runPlayground, type ScenarioSetup } from '../../src/playground/playground-run.ts';
import { cli } from './in-process-cli.ts';

/** The replay line's argv, without `npx leaselab`. */
function argvOf(replay: string): string[] {
  expect(replay).toMatch(/^npx leaselab run /);
  return replay.split(' ').slice(2);
}

describe('run --fault', () => {
  it("reruns a playground scenario with injected faults: the CLI's trace digest is the page's", async () => {
    const setups: ScenarioSetup[] = [
      {
        mode: 'scenario',
        scenario: 'lock-contention',
        seed: 3,
        knobs: {},
        injected: [
          ...injectedFault('pause', 'alice', 3000, 8000),
          ...injectedFault('partition', 'bob', 2000, 5000),
          ...injectedFault('crash', 'carol', 4000, 2000),
          ...injectedServerRestart(9000, 1000),
        ],
      },
      { mode: 'scenario', scenario: 'pause-breaks-lock', seed: 1, knobs: { ttlSeconds: 3, fenced: true }, injected: injectedFault('hold', 'bob', 1500, 4000) },
      {
        mode: 'scenario',
        scenario: 'client-clock-drift',
        seed: -7,
        knobs: { driftRate: 0.75, latencyMs: 20 },
        injected: injectedFault('crash', 'bob', 500, 300),
      },
    ];
    for (const setup of setups) {
      const page = await runPlayground(setup);
      const { code, stdout, stderr } = await cli(...argvOf(page.replay));
      expect(stderr).toBe('');
      expect(code === 0 || code === 1).toBe(true);
      expect(stdout).toContain(`(trace ${page.traceDigest})`);
    }
    // and a run without faults differs
    const plain = await cli('run', 'lock-contention', '--seed', '3');
    expect(plain.stdout).not.toContain(`(trace ${(await runPlayground(setups[0]!)).traceDigest})`);
  });

  it('says the faults in the what-if line and in --json', async () => {
    const { code, stdout } = await cli('run', 'lock-contention', '--fault', 'pause:alice@3000+8000', '--json');
    expect(code === 0 || code === 1).toBe(true);
    const document = JSON.parse(stdout) as { faults: string[]; events: { kind: string; fault?: { kind: string } }[] };
    expect(document.faults).toEqual(['pause:alice@3000+8000']);
    expect(document.events.filter((event) => event.kind === 'fault').map((event) => event.fault!.kind)).toEqual(expect.arrayContaining(['pause', 'resume']));
    const text = await cli('run', 'lock-contention', '--fault', 'crash:bob@2000+1000', '--ascii');
    expect(text.stdout).toContain('what if: faults crash:bob@2000+1000');
  });

  it('refuses bad specs with exit 2 and runs nothing', async () => {
    const bad: [string, RegExp][] = [
      ['pause:carol@1000+2000', /no process 'carol' in this run; its processes: alice, bob/],
      ['pause:alice@3000', /say how long it lasts: pause:alice@3000\+2000/],
      ['pause', /is not KIND:WHO@AT_MS\+FOR_MS/],
      ['smash:alice@1+1', /unknown kind 'smash'/],
      ['restart:alice@1000+1000', /only etcd restarts this way.*crash:alice@1000\+1000/],
      ['crash:etcd@1000+1000', /etcd itself only restarts/],
      ['pause:alice@1000+0', /a pause lasts at least 1 ms/],
      ['pause:alice@-5+10', /is not AT_MS\+FOR_MS/],
      ['hold:alice@1.5+10', /is not AT_MS\+FOR_MS/],
    ];
    for (const [spec, message] of bad) {
      const { code, stdout, stderr } = await cli('run', 'pause-breaks-lock', '--fault', 'pause:bob@100+100', '--fault', spec);
      expect(code, spec).toBe(2);
      expect(stdout, spec).toBe('');
      expect(stderr, spec).toMatch(message);
    }
    const endpoint = await cli('run', 'pause-breaks-lock', '--fault', 'pause:bob@100+100', '--endpoint', '127.0.0.1:1');
    expect(endpoint.code).toBe(2);
    expect(endpoint.stderr).toContain('does not go with --endpoint');
  });

  it('specs and scheduled faults turn into each other', () => {
    const specs = ['pause:alice@3000+8000', 'partition:bob@2000+5000', 'crash:alice@4000+2000', 'hold:bob@100+50', 'restart:etcd@5000+0'].map((text) =>
      parseFaultSpec(text),
    );
    const schedule = scheduledFaults(specs);
    expect(faultSpecsOf(schedule)).toEqual(specs);
    expect(sortedFaults(schedule).map((entry) => entry.atMs)).toEqual([100, 150, 2000, 3000, 4000, 5000, 6000, 7000, 11_000]);
    // a resume without its pause is no spec
    expect(faultSpecsOf([{ atMs: 5, fault: { kind: 'resume', process: 'alice' } }])).toBeUndefined();
  });
});
