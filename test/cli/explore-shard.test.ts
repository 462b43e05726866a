// explore --shard i/n + explore-merge: the n parts of one exploration, merged,
// print byte for byte what the unsharded run prints (verdicts, first
// violation by case index, its shrinking), for a buggy and a correct lock;
// reports that do not make up one exploration are refused and change nothing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as explore } from '../../src/cli/commands/explore.ts';
import { run as merge } from '../../src/cli/commands/explore-merge.ts';
import { capturedIo } from './captured-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sharded(args: string[], count: number, workers = 1): Promise<{ code: number; out: string; reports: string[] }> {
  const reports: string[] = [];
  for (let shard = 1; shard <= count; shard++) {
    const report = join(dir, `${args.join('_').replace(/[^\w]+/g, '-')}-${shard}-of-${count}.json`);
    const part = capturedIo();
    expect(await explore([...args, '--workers', String(workers), '--shard', `${shard}/${count}`, '--report', report], part)).toBe(0);
    expect(part.out()).toContain(`shard ${shard}/${count}: judged `);
    reports.push(report);
  }
  const merged = capturedIo();
  const code = await merge(reports, merged);
  return { code, out: merged.out(), reports };
}

describe('explore --shard and explore-merge', () => {
  it('a buggy lock: two shards merged print what one run prints (same first failing case, same shrink)', async () => {
    // Seed 9 first fails fenced at case 14: shard 2/2 holds it, shard 1/2 fails later (case 21).
    const args = ['--lock', 'naive', '--property', 'fenced', '--runs', '40', '--seed', '9'];
    const whole = capturedIo();
    expect(await explore([...args, '--workers', '1'], whole)).toBe(1);
    expect(whole.out()).toMatch(/\nfenced +violated +14 /);
    const { code, out } = await sharded(args, 2);
    expect(code).toBe(1);
    expect(out).toBe(whole.out());
  }, 180_000); // three searches, each shrinking its failure: ~30 s alone, far longer beside other files on 2 cores

  it('a correct lock: three shards merged print what one run prints (every case judged, none fails)', async () => {
    const args = ['--lock', 'mutex-fenced', '--property', 'fenced', '--runs', '7', '--seed', '3', '--duration', '20', '--quiet', '8'];
    const whole = capturedIo();
    expect(await explore([...args, '--workers', '1'], whole)).toBe(0);
    expect(whole.out()).toMatch(/\nfenced +ok +- +- +none in 7 run\(s\)/);
    const { code, out, reports } = await sharded(args, 3);
    expect(code).toBe(0);
    expect(out).toBe(whole.out());

    // Bad input is refused with the reason (exit 2).
    const missing = capturedIo();
    expect(await merge(reports.slice(0, 2), missing)).toBe(2);
    expect(missing.err()).toContain('missing shard(s) 3/3');
    const twice = capturedIo();
    expect(await merge([reports[0]!, reports[0]!, reports[1]!], twice)).toBe(2);
    expect(twice.err()).toContain('shard 1/3 twice');
    const other = join(dir, 'other.json');
    const changed = JSON.parse(readFileSync(reports[2]!, 'utf8')) as { argv: string[] };
    changed.argv[changed.argv.indexOf('--seed') + 1] = '4';
    writeFileSync(other, JSON.stringify(changed));
    const mixed = capturedIo();
    expect(await merge([reports[0]!, reports[1]!, other], mixed)).toBe(2);
    expect(mixed.err()).toContain('is from another exploration');
    const notReport = join(dir, 'not.json');
    writeFileSync(notReport, '{"hello": 1}');
    const wrong = capturedIo();
    expect(await merge([notReport], wrong)).toBe(2);
    expect(wrong.err()).toContain('not a leaselab explore shard report');
  });

  it('refuses a bad --shard', async () => {
    for (const [flag, message] of [
      ['0/2', 'i must be from 1 to 2'],
      ['3/2', 'i must be from 1 to 2'],
      ['a/b', '--shard must be i/n'],
    ] as const) {
      const bad = capturedIo();
      expect(await explore(['--lock', 'naive', '--shard', flag], bad)).toBe(2);
      expect(bad.err()).toContain(message);
    }
    const exhaustive = capturedIo();
    expect(await explore(['--lock', 'naive', '--exhaustive', '--shard', '1/2'], exhaustive)).toBe(2);
    expect(exhaustive.err()).toContain('not with --exhaustive');
  });
});
