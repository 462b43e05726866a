// The list and run commands, run in-process with stdout and stderr captured.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './in-process-cli.ts';
import { scenarios } from '../../src/scenarios/index.ts';

afterEach(() => vi.restoreAllMocks());

describe('leaselab list', () => {
  it('names every scenario with its summary', async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    for (const scenario of scenarios) expect(stdout).toContain(scenario.name);
    expect(stdout).toContain(scenarios[0]!.summary);
  });
});

describe('leaselab run', () => {
  it('prints the title, the story, the timeline and the claims, and exits 0 when they hold', async () => {
    const { code, stdout } = await cli('run', 'pause-breaks-lock', '--seed', '1');
    expect(code).toBe(0);
    expect(stdout).toContain('Check, pause, write');
    expect(stdout).toContain('in etcd 3.4:');
    expect(stdout).toContain('lease/lessor.go (*lessor).revokeExpiredLeases');
    expect(stdout).toContain('(seed 1)');
    expect(stdout).toContain('stop-the-world');
    expect(stdout).toMatch(/ {2}7\.510s {2}bob/);
    expect(stdout).toContain('TWO HOLDERS of /lock');
    expect(stdout).toContain('✓ two clients believed they held the lock at once');
    expect(stdout).not.toContain('✗');
    expect(stdout).not.toContain('keepalive sent');
    expect(stdout).toContain('keepalive events hidden');
  });

  it('--verbose shows every keepalive', async () => {
    const { stdout } = await cli('run', 'lease-keepalive', '--verbose');
    expect(stdout).toContain('keepalive sent lease');
    expect(stdout).not.toContain('keepalive events hidden');
  });

  it('exits 1 and marks ✗ when a claim does not hold', async () => {
    const scenario = scenarios.find((candidate) => candidate.name === 'lease-expiry')!;
    const check = vi.spyOn(scenario, 'check').mockReturnValue([
      { claim: 'the key is gone after the sweep', holds: true, detail: 'fine' },
      { claim: 'the moon is made of cheese', holds: false, detail: 'it is not' },
    ]);
    // The scenario object is shared with other test files in this worker: restore it whatever happens.
    const { code, stdout } = await cli('run', 'lease-expiry').finally(() => check.mockRestore());
    expect(code).toBe(1);
    expect(stdout).toContain('✗ the moon is made of cheese');
    expect(stdout).toContain('1 claim(s) did not hold with seed 1');
  });

  it('--json prints the trace as JSON with lease IDs as strings', async () => {
    const { code, stdout } = await cli('run', 'lease-expiry', '--json');
    expect(code).toBe(0);
    const document = JSON.parse(stdout) as { scenario: string; seed: number; events: { kind: string; leaseId?: unknown }[]; assertions: { holds: boolean }[] };
    expect(document.scenario).toBe('lease-expiry');
    expect(document.seed).toBe(1);
    const granted = document.events.find((event) => event.kind === 'lease-granted')!;
    expect(typeof granted.leaseId).toBe('string');
    expect(BigInt(granted.leaseId as string) > 0n).toBe(true);
    expect(document.assertions.every((assertion) => assertion.holds)).toBe(true);
  });

  it('--html writes a page with the picture', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'leaselab-')), 'out.html');
    const { code, stdout } = await cli('run', 'fencing-saves-the-day', '--html', file);
    expect(code).toBe(0);
    expect(stdout).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    // the picture: the element the viewer draws its SVG into, and the run's facts it draws (test/report/timeline-browser.test.ts draws it)
    expect(html).toContain('<div class="plot" id="plot">');
    expect(html).toContain('<script type="application/json" id="timeline-data">');
    expect(html).toContain('fencing-saves-the-day');
  });

  it('an unknown scenario is a clear error listing the known ones (exit 2)', async () => {
    const { code, stderr } = await cli('run', 'no-such-story');
    expect(code).toBe(2);
    expect(stderr).toContain("unknown scenario 'no-such-story'");
    for (const scenario of scenarios) expect(stderr).toContain(scenario.name);
  });

  it('a bad seed or a missing name is a usage error (exit 2)', async () => {
    expect((await cli('run', 'lease-expiry', '--seed', 'abc')).code).toBe(2);
    expect((await cli('run')).code).toBe(2);
    expect((await cli('run', 'lease-expiry', '--bogus')).code).toBe(2);
  });
});
