// `leaselab demo` tells three stories, each exactly what `leaselab run <scenario>` prints for it.
import { describe, expect, it } from 'vitest';
import { cli } from '../in-process-cli.ts';

describe('leaselab demo', () => {
  it('prints the run of lease-expiry, lease-keepalive and pause-breaks-lock, in that order, then where to go next', async () => {
    const demo = await cli('demo', '--seed', '3');
    expect(demo.code).toBe(0);
    const runs = [
      await cli('run', 'lease-expiry', '--seed', '3'),
      await cli('run', 'lease-keepalive', '--seed', '3'),
      await cli('run', 'pause-breaks-lock', '--seed', '3'),
    ];
    let rest = demo.stdout;
    for (const run of runs) {
      expect(run.code).toBe(0);
      const at = rest.indexOf(run.stdout);
      expect(at).toBeGreaterThanOrEqual(0);
      rest = rest.slice(at + run.stdout.length);
    }
    expect(demo.stdout.startsWith('lease-expiry: ')).toBe(true);
    expect(demo.stdout).toContain('(seed 3)');
    expect(rest).toContain('npx leaselab list');
    expect(rest).toContain('npx leaselab explore --lock mutex');
  });

  it("passes its flags to each run, and a run's usage error is the demo's exit code", async () => {
    const { code, stderr } = await cli('demo', '--no-such-flag');
    expect(code).toBe(2);
    expect(stderr).toContain('--no-such-flag');
  });
});
