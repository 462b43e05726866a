// `leaselab exercise`: the list, a task explained, and answers checked in the
// simulator. The reference answers (test/exercises/answers/, not in the
// package) pass; wrong answers and the starting templates fail with the
// reason, a hint and a replay line that fails the same way again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exercises, findExercise } from '../../src/exercises/index.ts';
import { cli } from '../cli/in-process-cli.ts';

const answers = 'test/exercises/answers';
const scratch = mkdtempSync(join(tmpdir(), 'leaselab-exercise-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('leaselab exercise', () => {
  it('lists the exercises, explains one with a module to start from, and refuses what it does not know', async () => {
    const listed = await cli('exercise');
    expect(listed.code).toBe(0);
    for (const exercise of exercises) expect(listed.stdout).toContain(`${exercise.name}  `.slice(0, exercise.name.length + 1));
    expect(exercises.length).toBeGreaterThanOrEqual(3);
    const explained = await cli('exercise', 'ttl-for-a-pause');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toContain('Choose the TTL (whole seconds)');
    expect(explained.stdout).toContain('    export const ttlSeconds = 2;');
    expect(explained.stdout).toContain('Check it: npx leaselab exercise ttl-for-a-pause --answer ./answer.ts');
    const unknown = await cli('exercise', 'no-such-thing');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown exercise 'no-such-thing'");
  });

  it('a module that does not load, or exports the wrong thing, is a usage error that names what is missing', async () => {
    const missing = await cli('exercise', 'fix-check-then-act', '--answer', `${answers}/nope.ts`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot load ${answers}/nope.ts`);
    const wrongShape = await cli('exercise', 'ttl-for-a-pause', '--answer', `${answers}/check-then-act-txn.ts`);
    expect(wrongShape.code).toBe(2);
    expect(wrongShape.stderr).toContain('the module must export ttlSeconds, a whole number of seconds from 1 to 3600');
    const noFunction = await cli('exercise', 'fix-check-then-act', '--answer', `${answers}/ttl-8.ts`);
    expect(noFunction.code).toBe(2);
    expect(noFunction.stderr).toContain('the module exports no function becomeLeader(client, name)');
  });
});

describe('fix-check-then-act', () => {
  it('the transaction passes every seed', async () => {
    const { code, stdout } = await cli('exercise', 'fix-check-then-act', '--answer', `${answers}/check-then-act-txn.ts`);
    expect(code).toBe(0);
    expect(stdout).toContain('PASS: all 20 seeds: exactly one leader, written once');
    expect(stdout).not.toContain('✗');
  });

  it('get-then-put fails with the seed, what went wrong, the hint, the interleaving and a replay line that fails again', async () => {
    const { code, stdout } = await cli('exercise', 'fix-check-then-act', '--answer', `${answers}/check-then-act-get-put.mjs`);
    expect(code).toBe(1);
    expect(stdout).toContain('✗ exactly one worker was told it leads');
    expect(stdout).toMatch(/FAIL: with seed 1, exactly one worker was told it leads did not hold: told they lead: \w+, \w+/);
    expect(stdout).toContain("hint: Make the check and the write one request: client.txn().if(compare.createRevision('/leader', '=', 0))");
    expect(stdout).toMatch(/get "\/leader" → nothing/);
    const replay = /replay: npx leaselab (exercise fix-check-then-act --answer \S+ --seed (\d+))/.exec(stdout);
    expect(replay?.[2]).toBe('1');
    const again = await cli(...replay![1]!.split(' '));
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('FAIL: with seed 1,');
  });

  it('the starting template is the bug the task is about', async () => {
    const file = join(scratch, 'template.ts');
    writeFileSync(file, findExercise('fix-check-then-act')!.template);
    const { code, stdout } = await cli('exercise', 'fix-check-then-act', '--answer', file);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL: with seed 1,');
  });
});

describe('ttl-for-a-pause', () => {
  it('8 s rides out a 3 s pause and frees a crashed leader in time', async () => {
    const { code, stdout } = await cli('exercise', 'ttl-for-a-pause', '--answer', `${answers}/ttl-8.ts`);
    expect(code).toBe(0);
    expect(stdout).toContain('✓ a 3 s pause at any moment of a keepalive period kept the lease (server and client)');
    expect(stdout).toMatch(
      /slowest: crash at \d+\.\d+s, key gone \d+\.\d+s later: \d+ ms to spare|slowest: crash at \d+\.\d+s, key gone \d+\.\d+s later: \d+\.\d+ s to spare/,
    );
    expect(stdout).toContain("PASS: TTL 8 s rides out the pause and frees a crashed leader's key in time");
  });

  it('3 s (the template says 2) loses the lease in the pause; 15 s keeps a crashed leader too long', async () => {
    const short = await cli('exercise', 'ttl-for-a-pause', '--answer', `${answers}/ttl-3.mjs`);
    expect(short.code).toBe(1);
    expect(short.stdout).toMatch(/FAIL: TTL 3 s: the server expired the lease at \d+\.\d+s \(pause 4\.\d+s–7\.\d+s\)/);
    expect(short.stdout).toContain('the failing run:');
    expect(short.stdout).toContain('replay: npx leaselab exercise ttl-for-a-pause --answer');
    const long = await cli('exercise', 'ttl-for-a-pause', '--answer', `${answers}/ttl-15.mjs`);
    expect(long.code).toBe(1);
    expect(long.stdout).toContain('✓ a 3 s pause at any moment of a keepalive period kept the lease');
    expect(long.stdout).toMatch(/FAIL: TTL 15 s: slowest: crash at \d+\.\d+s, key gone 15\.\d+s later: 5\.\d+ s too late/);
    const file = join(scratch, 'ttl-template.mjs');
    writeFileSync(file, findExercise('ttl-for-a-pause')!.template);
    expect((await cli('exercise', 'ttl-for-a-pause', '--answer', file)).code).toBe(1);
  });
});
