import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run as explore } from '../../src/cli/commands/explore.ts';
import { run as replay } from '../../src/cli/commands/replay.ts';
import { capturedIo } from './captured-io.ts';
import { replayLines } from './replay-lines.ts';

describe('leaselab explore / replay', () => {
  it('finds, shrinks and prints a naive-lock violation with replay lines that reproduce it byte for byte', async () => {
    const found = capturedIo();
    expect(await explore(['--lock', 'naive', '--property', 'belief', '--runs', '300'], found)).toBe(1);
    const text = found.out();
    expect(text).toMatch(/^explore naive-lock: belief; 5 clients, ttl 5s; faults .*; up to 300 runs, seed 1\n/);
    expect(text).toMatch(/\nbelief +violated +\d+ +\d+ +bug \(exit 1\), faults shrunk \d+ time\(s\)\ncrash +ok /);
    expect(text).toMatch(/belief violated at [\d.]+s: .*deleted by \w+'s request/);
    expect(text).toContain('the lock key on the server (each revision, what applied it, when it was sent):');
    const scheduleLines = text.slice(text.indexOf('schedule ('), text.indexOf('the lock key on the server')).trim().split('\n').slice(1);
    expect(scheduleLines.length).toBeGreaterThanOrEqual(1);
    expect(scheduleLines.length).toBeLessThanOrEqual(6); // at most 3 fault pairs
    expect(text).toContain('◀');
    expect(found.err()).toMatch(/explore: \d+\/300 runs, 1 violation\(s\), [\d.]+s/);

    const lines = replayLines(text);
    const first = capturedIo();
    const second = capturedIo();
    const byPath = capturedIo();
    expect(await replay(lines.bySchedule, first)).toBe(1);
    expect(await replay(lines.bySchedule, second)).toBe(1);
    expect(await replay(lines.byPath, byPath)).toBe(1);
    expect(second.out()).toBe(first.out());
    expect(byPath.out()).toBe(first.out());
    // what replay prints is exactly explore's report of the shrunk case
    const report = text.slice(text.indexOf('belief violated at'), text.indexOf('or: '));
    expect(first.out()).toBe(report);
  });

  it('reports the etcd Mutex belief overlap under pauses as a known limitation, and its stale write as a bug', async () => {
    const found = capturedIo();
    expect(await explore(['--lock', 'mutex', '--faults', 'pause', '--property', 'belief,fenced', '--runs', '60'], found)).toBe(1);
    const text = found.out();
    expect(text).toMatch(/\nbelief +limitation +\d+ +\d+ +\d+ run\(s\), each explained by a fault longer than the lease \(exit 0\)\nfenced +violated /);
    expect(text).toMatch(/belief: known limitation at [\d.]+s: .* during pause (\w+) /);
    expect(text).toMatch(/fenced violated at [\d.]+s: the resource accepted a stale write by \w+ /);
    const limitationOnly = capturedIo();
    expect(await explore(['--lock', 'mutex', '--faults', 'pause', '--property', 'belief', '--runs', '30'], limitationOnly)).toBe(0);
  });

  it('exits 0 when no schedule breaks the property', async () => {
    const clean = capturedIo();
    expect(await explore(['--lock', 'mutex-fenced', '--property', 'fenced', '--runs', '15', '--seed', '3'], clean)).toBe(0);
    expect(clean.out()).toMatch(/\nfenced +ok +- +- +none in 15 run\(s\)\ncrash +ok /);
  });

  it('loads a user module exporting a LockAlgorithm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaselab-explore-'));
    const file = join(dir, 'no-lock.mjs');
    writeFileSync(
      file,
      "export const lock = { name: 'no-lock', create: () => ({ acquire: async () => ({}), release: async () => {}, lost: new Promise(() => {}) }) };\n",
    );
    const found = capturedIo();
    expect(await explore(['--lock', file, '--property', 'belief', '--clients', '2', '--runs', '5'], found)).toBe(1);
    expect(found.out()).toContain('explore no-lock: belief; 2 clients');
    expect(found.out()).toContain(`replay: npx leaselab replay --lock ${file} --schedule `);
  });

  it('reports usage errors with exit code 2', async () => {
    for (const args of [[], ['--lock', 'naive', '--faults', 'meteor'], ['--lock', 'naive', '--property', 'speed'], ['--lock', './nope.ts']]) {
      const bad = capturedIo();
      expect(await explore(args, bad)).toBe(2);
      expect(bad.err()).toMatch(/^leaselab explore: /);
    }
    const help = capturedIo();
    expect(await explore(['--help'], help)).toBe(0);
    expect(help.out()).toContain('export const lock: LockAlgorithm');
    const noCase = capturedIo();
    expect(await replay(['--lock', 'naive'], noCase)).toBe(2);
    expect(await replay(['--lock', 'naive', '--schedule', 'bm9wZQ'], capturedIo())).toBe(2);
  });
});
