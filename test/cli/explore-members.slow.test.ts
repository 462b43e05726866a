// explore --members: the stale-read lock found against a three-member cluster, its replay lines reproducing it.
import { describe, expect, it } from 'vitest';
import { run as explore } from '../../src/cli/commands/explore.ts';
import { run as replay } from '../../src/cli/commands/replay.ts';
import { capturedIo } from './captured-io.ts';
import { replayLines } from './replay-lines.ts';

const lock = 'test/explore/catalogue/mutex-serializable-wait.ts';

describe('leaselab explore --members', () => {
  it('finds the serializable-read queue lock double holder on a 3-member cluster, and the replay lines reproduce it', { timeout: 120_000 }, async () => {
    const found = capturedIo();
    expect(await explore(['--lock', lock, '--members', '3', '--clients', '2', '--property', 'belief', '--runs', '40', '--workers', '1'], found)).toBe(1);
    const text = found.out();
    expect(text).toMatch(
      /^explore mutex-serializable-wait: belief; 2 clients, 3 etcd members, ttl 5s; faults .*memberIsolate,memberCrash,memberSlow; up to 40 runs, seed 1\n/,
    );
    expect(text).toMatch(/\nbelief +violated +\d+ +\d+ +bug \(exit 1\)/);
    expect(text).toMatch(/belief violated at [\d.]+s: \w+ acquired the lock .* was there but not the owner/);
    const lines = replayLines(text);
    expect(lines.byPath.join(' ')).toContain('--members 3');
    const first = capturedIo();
    const byPath = capturedIo();
    expect(await replay(lines.bySchedule, first)).toBe(1);
    expect(await replay(lines.byPath, byPath)).toBe(1);
    expect(byPath.out()).toBe(first.out());
    expect(first.out()).toBe(text.slice(text.indexOf('belief violated at'), text.indexOf('or: ')));
  });

  it('rejects a member count out of range', async () => {
    const bad = capturedIo();
    expect(await explore(['--lock', lock, '--members', '0'], bad)).toBe(2);
    expect(bad.err()).toContain('--members must be from 1 to 9');
  });
});
