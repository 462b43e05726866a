// V8 set for one cold run: `leaselab run` in its own process sets the flags once its modules are loaded; a
// process that goes on to other work (a test calling main, explore) keeps V8's defaults.
import { spawnSync } from 'node:child_process';
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { oneRunV8Flags } from '../../src/cli/one-run-v8-flags.ts';

/** main(argv) with output dropped and V8 left alone; returns the flags it asked V8 for. */
async function flagsSetBy(argv: string[], ownProcess: boolean): Promise<string[]> {
  const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => {});
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  await main(argv, { ownProcess });
  return set.mock.calls.map(([flag]) => flag);
}

describe('one-run V8 flags', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('are flags this V8 knows (setFlagsFromString ignores an unknown one without a word; the command line refuses it)', () => {
    const run = spawnSync(process.execPath, [...oneRunV8Flags, '-e', ''], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('are set by `leaselab run` in its own process', async () => {
    expect(await flagsSetBy(['run', 'lease-expiry'], true)).toEqual([...oneRunV8Flags]);
  });

  it('are left alone when main runs in a process that goes on (a test), and by the other commands', async () => {
    expect(await flagsSetBy(['run', 'lease-expiry'], false)).toEqual([]);
    expect(await flagsSetBy(['list'], true)).toEqual([]);
  });
});
