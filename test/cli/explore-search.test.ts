/**
 * explore's search knobs: --exhaustive, --keep-going, --critical-section,
 * --duration/--quiet, --links, --aimed, --max-faults, --grid.
 */
import { describe, expect, it } from 'vitest';
import { parseExploreArgs, run as explore, safetyOptions, type ExploreArgs } from '../../src/cli/commands/explore.ts';
import { run as replay } from '../../src/cli/commands/replay.ts';
import { capturedIo } from './captured-io.ts';

describe('leaselab explore: search knobs', () => {
  it('--exhaustive ends with the first counterexample, a single aimed fault, and a replay line that reproduces it', async () => {
    const found = capturedIo();
    // etcd 3.4's Mutex: a waiter cut off past its lease acquires without its key, and its write is stale.
    expect(await explore(['--lock', 'mutex', '--exhaustive', '--property', 'fenced', '--faults', 'partition', '--max-faults', '1'], found)).toBe(1);
    const text = found.out();
    expect(text).toMatch(/^explore etcd-mutex --exhaustive: fenced; 2 clients, ttl 5s; faults partition; seed 1\n/);
    expect(text).toMatch(/\ncounterexample with 1 aimed fault\(s\) after \d+ of \d+ schedule\(s\) \(2 client\(s\)/);
    expect(text).toMatch(/schedule \(1 fault event\(s\)\):\n +[\d.]+ +aimed partition ↔ server at a waiter, while it waits, for \d+ms\n/);
    expect(text).not.toContain('replay differs');
    const line = /replay: npx leaselab replay (.*)\n/.exec(text)![1]!;
    const again = capturedIo();
    expect(await replay(line.split(' '), again)).toBe(1);
    expect(again.out()).toBe(text.slice(text.indexOf('fenced violated at')));
  });

  it('--exhaustive ends with a bounded proof when nothing breaks', async () => {
    const clean = capturedIo();
    expect(
      await explore(['--lock', 'mutex-fenced', '--exhaustive', '--property', 'fenced', '--faults', 'crash', '--max-faults', '1', '--grid', '5000'], clean),
    ).toBe(0);
    expect(clean.out()).toMatch(
      /\nno counterexample with ≤ 1 fault\(s\) in this scope \(2 client\(s\), ttl 5s, seed 1, \d+ aimed faults every 5000ms, before 12s of 20s; \d+ schedules\)\n$/,
    );
  });

  it('--keep-going runs every schedule, counts the failing runs per property, then reports the first', async () => {
    const found = capturedIo();
    expect(await explore(['--lock', 'naive', '--property', 'belief', '--faults', 'pause', '--runs', '12', '--keep-going', '--clients', '3'], found)).toBe(1);
    expect(found.out()).toMatch(/^12 run\(s\), \d+ shrink run\(s\)$/m);
    expect(found.out()).toMatch(/\nbelief +violated +\d+ +\d+ +bug \(exit 1\), faults shrunk \d+ time\(s\); \d+ failing run\(s\)\n/);
    expect(found.out()).toMatch(/belief violated at /);
  });

  it('parses the workload and search knobs and hands them to the property', async () => {
    const args = (await parseExploreArgs([
      '--lock',
      'mutex',
      '--critical-section',
      '500-8000',
      '--duration',
      '30',
      '--quiet',
      '10',
      '--links',
      'server',
      '--aimed',
      '0.8',
      '--max-faults',
      '2',
    ])) as ExploreArgs;
    expect(safetyOptions(args)).toMatchObject({
      criticalSectionMs: { min: 500, max: 8000 },
      durationMs: 30_000,
      quietMs: 10_000,
      links: ['server'],
      aimedShare: 0.8,
      countMax: 2,
    });
    const short = (await parseExploreArgs(['--lock', 'mutex', '--critical-section', '3000'])) as ExploreArgs;
    expect(short.criticalSectionMs).toEqual({ min: 200, max: 3000 });
    const defaults = (await parseExploreArgs(['--lock', 'mutex'])) as ExploreArgs;
    expect(safetyOptions(defaults)).not.toHaveProperty('criticalSectionMs');
    expect(safetyOptions(defaults)).not.toHaveProperty('aimedShare');
  });

  it('rejects bad knobs with exit code 2', async () => {
    for (const bad of [
      ['--critical-section', '5000-100'],
      ['--critical-section', 'long'],
      ['--aimed', '2'],
      ['--links', 'moon'],
      ['--exhaustive', '--max-faults', '3'],
      ['--duration', '10', '--quiet', '10'],
      ['--grid', '5'],
    ]) {
      const out = capturedIo();
      expect(await explore(['--lock', 'mutex', ...bad], out), bad.join(' ')).toBe(2);
      expect(out.err()).toMatch(/^leaselab explore: --/);
    }
  });
});

describe('leaselab explore: determinism guards in the report', () => {
  it('names the globals a lock used', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const file = join(mkdtempSync(join(tmpdir(), 'leaselab-globals-')), 'random-lock.mjs');
    writeFileSync(
      file,
      "export default { name: 'random-lock', create: () => ({ acquire: async () => { await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 50))); return {}; }, release: async () => {}, lost: new Promise(() => {}) }) };\n",
    );
    const found = capturedIo();
    expect(await explore(['--lock', file, '--property', 'belief', '--clients', '2', '--runs', '3', '--duration', '6', '--quiet', '2'], found)).toBe(1);
    expect(found.out()).toMatch(
      /\nnote: the algorithm used globals, replaced during the run by seeded and virtual ones: Math\.random ×\d+ \(use the lock context's random\(\)\), setTimeout ×\d+ \(use the lock context's sleep\(ms\)\)\n/,
    );
    expect(found.out()).not.toContain('replay differs');
  });
});
