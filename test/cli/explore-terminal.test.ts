// explore on a terminal: the report fits its width (replay lines stay whole
// to be copied), speaks run's words, honours --ascii, and the progress line
// on stderr stays within 80 columns and shows the shrinking phase.
import { describe, expect, it } from 'vitest';
import { run as explore, type CommandIo } from '../../src/cli/commands/explore.ts';
import { run as replay } from '../../src/cli/commands/replay.ts';

function terminal(columns: number): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => void (out += text), isTTY: true, columns },
    stderr: { write: (text: string) => void (err += text), isTTY: true, columns: 200 },
    out: () => out,
    err: () => err,
  };
}

const args = ['--lock', 'mutex', '--faults', 'pause', '--property', 'fenced', '--runs', '30', '--workers', '1'];

describe('leaselab explore on a terminal', () => {
  it('wraps to 60 columns, tells the case in run’s words, marks the violation, and shows shrinking on an 80-column progress line', async () => {
    const io = terminal(60);
    expect(await explore(args, io)).toBe(1);
    const text = io.out();
    for (const line of text.split('\n')) if (!/^(replay|or): /.test(line)) expect([...line].length, line).toBeLessThanOrEqual(60);
    expect(text).toMatch(/^replay: npx leaselab replay --lock mutex --schedule \S+$/m);
    expect(text).toContain('🔒 believes it holds /lock');
    expect(text).toContain('⚠ TWO HOLDERS of /lock');
    expect(text).toContain('accepted STALE write');
    expect(text).toContain('◀');
    expect(text).toMatch(/^icons: .*🔒 believes it holds a lock/m);
    const redraws = io
      .err()
      .split('\r')
      .filter((part) => part.trim() !== '');
    for (const drawn of redraws) expect([...drawn].length).toBeLessThanOrEqual(80);
    expect(redraws.some((drawn) => /shrinking fenced: \d+ run\(s\)/.test(drawn))).toBe(true);
    expect(redraws.some((drawn) => /^explore \[[█░]+\] +\d+\/30 runs/.test(drawn))).toBe(true);
  });

  it('--ascii: no icons or box characters; replay honours it too', async () => {
    const io = terminal(100);
    expect(await explore([...args, '--ascii'], io)).toBe(1);
    expect(io.out()).not.toMatch(/[^\x00-\x7f]/);
    expect(io.out()).toContain('[L] believes it holds /lock');
    expect(io.out()).toContain('<==');
    const line = /replay: npx leaselab (replay .*)\n/.exec(io.out())![1]!;
    const again = terminal(100);
    expect(await replay([...line.split(' ').slice(1), '--ascii'], again)).toBe(1);
    expect(again.out()).not.toMatch(/[^\x00-\x7f]/);
    expect(again.out()).toContain('!! TWO HOLDERS of /lock');
  });

  it('a write the network held shows when it was sent, beside when the storage took it', async () => {
    const io = terminal(200);
    expect(await explore(['--lock', 'mutex', '--faults', 'hold', '--property', 'fenced', '--runs', '30', '--workers', '1'], io)).toBe(1);
    expect(io.out()).toMatch(
      / {2}\d+\.\d{3}s {2}storage {2}⚠ accepted STALE write "\S+" from \w+, token \d+ after token \d+ \(it does not check tokens\) \(sent \d+\.\d{3}s\) {3}◀/,
    );
  });
});
