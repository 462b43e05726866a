// `leaselab exercise fence-the-pause`, judged by the explorer (a search over
// pause schedules, so in the slow tier): the Mutex with its key's create
// revision as the token passes; the Mutex without one fails with the stale
// write, the hint and a replay line that `leaselab replay` runs.

import { describe, expect, it } from 'vitest';
import { cli } from '../cli/in-process-cli.ts';

describe('fence-the-pause', () => {
  it('the fenced Mutex passes: no stale write in 40 runs with pauses, and the lock kept moving', async () => {
    const { code, stdout } = await cli('exercise', 'fence-the-pause', '--answer', 'test/exercises/answers/fenced-mutex.ts');
    expect(code).toBe(0);
    expect(stdout).toContain('✓ acquire() hands out a fencing token');
    expect(stdout).toContain('✓ fenced: no stale write was accepted');
    expect(stdout).toContain('✓ liveness: the lock kept being handed on');
    expect(stdout).toContain('PASS: no stale write got through in 40 runs with pauses');
  });

  it('the Mutex without a token fails: the stale write, why, the hint, and a replay that shows it again', async () => {
    const { code, stdout } = await cli('exercise', 'fence-the-pause', '--answer', 'test/exercises/answers/unfenced-mutex.ts');
    expect(code).toBe(1);
    expect(stdout).toContain('✗ acquire() hands out a fencing token');
    expect(stdout).toMatch(/✗ fenced: no stale write was accepted\n\s+violated in run \d+: the resource accepted a stale write by \w+/);
    expect(stdout).toContain('FAIL: acquire() returned no fencingToken: the storage cannot tell a stale write from a fresh one');
    expect(stdout).toContain('hint: Return a fencingToken from acquire()');
    const replay = /replay: npx leaselab (replay --lock \S+ --schedule \S+)/.exec(stdout);
    expect(replay).not.toBeNull();
    const again = await cli(...replay![1]!.split(' '));
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('the resource accepted a stale write');
  });
});
