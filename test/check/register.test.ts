// The register model and Jepsen log reader: hand-written logs with known
// verdicts, and, when LEASELAB_PORCUPINE names a porcupine checkout, the
// verdicts porcupine's own tests expect of its Jepsen etcd logs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import { readJepsenRegisterLog, registerModel } from '../../src/check/models/register.ts';

const line = (process: number, type: string, f: string, value: string) => `INFO  jepsen.util - ${process}\t${type}\t${f}\t${value}`;
const verdict = (lines: string[]) => checkLinearizability(readJepsenRegisterLog(lines.join('\n')).operations, registerModel());

describe('register model (Jepsen etcd logs)', () => {
  it('reads calls, returns, failed cas and timeouts', () => {
    const { operations } = readJepsenRegisterLog(
      [
        line(0, ':invoke', ':write', '3'),
        line(1, ':invoke', ':cas', '[3 4]'),
        line(0, ':ok', ':write', '3'),
        line(1, ':fail', ':cas', '[3 4]'),
        line(2, ':invoke', ':read', 'nil'),
        line(2, ':info', ':read', ':timed-out'),
        'unrelated line',
      ].join('\n'),
    );
    expect(operations.map((op) => [op.process, op.input.kind, op.outcome, op.output])).toEqual([
      [0, 'write', 'ok', { swapped: true }],
      [1, 'cas', 'ok', { swapped: false }],
      [2, 'read', 'unknown', undefined],
    ]);
  });

  it('a read after a finished write must see it; a cas that failed cannot have found its value', () => {
    expect(
      verdict([line(0, ':invoke', ':write', '1'), line(0, ':ok', ':write', '1'), line(1, ':invoke', ':read', 'nil'), line(1, ':ok', ':read', '1')]).result,
    ).toBe('ok');
    expect(
      verdict([line(0, ':invoke', ':write', '1'), line(0, ':ok', ':write', '1'), line(1, ':invoke', ':read', 'nil'), line(1, ':ok', ':read', 'nil')]).result,
    ).toBe('illegal');
    expect(
      verdict([line(0, ':invoke', ':write', '2'), line(0, ':ok', ':write', '2'), line(1, ':invoke', ':cas', '[2 5]'), line(1, ':fail', ':cas', '[2 5]')])
        .result,
    ).toBe('illegal');
    // concurrent: the cas may go first
    expect(
      verdict([line(0, ':invoke', ':write', '2'), line(1, ':invoke', ':cas', '[2 5]'), line(1, ':fail', ':cas', '[2 5]'), line(0, ':ok', ':write', '2')])
        .result,
    ).toBe('ok');
    // a timed-out write may have taken effect at any time after its call
    expect(
      verdict([line(0, ':invoke', ':write', '7'), line(0, ':info', ':write', ':timed-out'), line(1, ':invoke', ':read', 'nil'), line(1, ':ok', ':read', '7')])
        .result,
    ).toBe('ok');
    // writing the value already there is still a write (not taken for a read)
    expect(
      verdict([
        line(0, ':invoke', ':write', '1'),
        line(0, ':ok', ':write', '1'),
        line(1, ':invoke', ':write', '1'),
        line(2, ':invoke', ':cas', '[1 2]'),
        line(2, ':ok', ':cas', '[1 2]'),
        line(3, ':invoke', ':read', 'nil'),
        line(3, ':ok', ':read', '1'),
        line(1, ':ok', ':write', '1'),
      ]).result,
    ).toBe('ok');
  });

  const porcupine = process.env.LEASELAB_PORCUPINE ?? '';
  const jepsen = join(porcupine, 'test_data', 'jepsen');
  const testFile = join(porcupine, 'porcupine_test.go');
  it.skipIf(!existsSync(jepsen) || !existsSync(testFile))(
    "gives the verdicts porcupine's tests expect of its Jepsen etcd logs (LEASELAB_PORCUPINE=<porcupine checkout>)",
    () => {
      const expected = [...readFileSync(testFile, 'utf8').matchAll(/checkJepsen\(t, (\d+), (true|false)\)/g)].map(
        (m) => [Number(m[1]), m[2] === 'true'] as const,
      );
      expect(expected.length).toBeGreaterThan(100);
      for (const [number, linearizable] of expected) {
        const file = join(jepsen, `etcd_${String(number).padStart(3, '0')}.log`);
        expect(readdirSync(jepsen)).toContain(`etcd_${String(number).padStart(3, '0')}.log`);
        const result = checkLinearizability(readJepsenRegisterLog(readFileSync(file, 'utf8')).operations, registerModel()).result;
        expect(result, file).toBe(linearizable ? 'ok' : 'illegal');
      }
    },
  );
});
