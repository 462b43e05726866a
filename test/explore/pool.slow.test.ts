// explore on worker threads: the first failing case by index, whatever the
// number of workers and whichever finishes first; the CLI prints the same
// report for --workers 2 as for --workers 1.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run as explore } from '../../src/cli/commands/explore.ts';
import { naiveLock } from '../../src/client/lock-algorithm.ts';
import { CasePool, firstFailingCase, type CaseVerdict } from '../../src/explore/pool.ts';
import { checkLockCase, exploreCaseArbitrary, type LockSafetyOptions } from '../../src/explore/property.ts';
import { capturedIo } from '../cli/captured-io.ts';

describe('explore on a worker pool', () => {
  it('finds the same first failing case as one thread running the cases in order', async () => {
    const options: LockSafetyOptions = {};
    const cases = fc.sample(exploreCaseArbitrary(options), { seed: 1, numRuns: 12 });
    let serialFirst: number | undefined;
    for (let index = 0; index < cases.length && serialFirst === undefined; index++)
      await checkLockCase(naiveLock, cases[index]!, options).catch(() => (serialFirst = index));
    expect(serialFirst).toBeDefined();

    const pool = CasePool.start(2, { lock: 'naive', options });
    const verdicts: CaseVerdict[] = [];
    try {
      expect(await firstFailingCase(pool, cases, (verdict) => verdicts.push(verdict))).toBe(serialFirst);
    } finally {
      await pool.close();
    }
    // Every case up to the first failure ran (whatever order they finished in), and those before it passed.
    const indices = verdicts.map((verdict) => verdict.index);
    for (let index = 0; index <= serialFirst!; index++) expect(indices).toContain(index);
    expect(verdicts.filter((verdict) => verdict.failed && verdict.index < serialFirst!)).toEqual([]);
    expect(serialFirst).toBeGreaterThan(0); // the search got past a passing case, so order mattered
  });

  it('reports no failure when every case passes', async () => {
    const options: LockSafetyOptions = { properties: ['fenced'] };
    const cases = fc.sample(exploreCaseArbitrary(options), { seed: 1, numRuns: 6 });
    const pool = CasePool.start(2, { lock: 'mutex-fenced', options });
    let verdicts = 0;
    try {
      expect(await firstFailingCase(pool, cases, () => verdicts++)).toBeUndefined();
    } finally {
      await pool.close();
    }
    expect(verdicts).toBe(6);
  });

  it('leaselab explore --workers 2 prints byte for byte what --workers 1 prints', async () => {
    // Seed 9 first fails past the cases explore runs in its own thread before starting workers.
    const args = ['--lock', 'naive', '--property', 'fenced', '--runs', '40', '--seed', '9'];
    const one = capturedIo();
    const two = capturedIo();
    expect(await explore([...args, '--workers', '1'], one)).toBe(1);
    expect(await explore([...args, '--workers', '2'], two)).toBe(1);
    expect(two.out()).toBe(one.out());
    const found = /\nfenced +violated +(\d+) /.exec(one.out());
    expect(Number(found?.[1])).toBeGreaterThan(8);
  }, 180_000); // two whole explore runs with shrinking: ~40 s alone, far longer beside other test files on 2 cores

  it('refuses --workers 0', async () => {
    let err = '';
    expect(
      await explore(['--lock', 'naive', '--workers', '0'], { stdout: { write: () => undefined }, stderr: { write: (text: string) => void (err += text) } }),
    ).toBe(2);
    expect(err).toContain('--workers must be at least 1');
  });
});
