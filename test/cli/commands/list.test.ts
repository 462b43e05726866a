// `leaselab list`: every scenario, one line each, names aligned, then how to run one.
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../../src/scenarios/index.ts';
import { cli } from '../in-process-cli.ts';

describe('leaselab list', () => {
  it('names every scenario with its summary, in one column, and says how to run one', async () => {
    const { code, stdout } = await cli('list');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const rows = lines.slice(0, scenarios.length);
    expect(rows.map((row) => row.trim().split(/\s+/)[0])).toEqual(scenarios.map((scenario) => scenario.name));
    const width = Math.max(...scenarios.map((scenario) => scenario.name.length));
    rows.forEach((row, i) => expect(row).toBe(`  ${scenarios[i]!.name.padEnd(width)}  ${scenarios[i]!.summary}`));
    expect(lines.slice(scenarios.length)).toEqual(['', 'run one: leaselab run <scenario> [--seed N] [--verbose] [--json] [--html out.html]']);
  });

  it('--help says what it does', async () => {
    const { code, stdout } = await cli('list', '--help');
    expect(code).toBe(0);
    expect(stdout).toBe('usage: leaselab list\n\nNames every scenario with one line; run one with: leaselab run <scenario>\n');
  });
});
