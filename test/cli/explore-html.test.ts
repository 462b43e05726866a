// `explore … --html FILE` and `replay … --html FILE` write the case as a timeline page.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run as explore } from '../../src/cli/commands/explore.ts';
import { run as replay } from '../../src/cli/commands/replay.ts';
import { encodeReplayCase } from '../../src/explore/property.ts';
import type { TimelineModel } from '../../src/report/timeline-model.ts';
import { pausedPastTtlCase } from '../fixtures/paused-past-ttl-case.ts';
import { capturedIo } from './captured-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function modelOf(file: string): TimelineModel {
  const html = readFileSync(file, 'utf8');
  return JSON.parse(/<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as TimelineModel;
}

describe('--html for explore and replay', () => {
  it('replay writes the case with its violation as the verdict and the schedule as the story', async () => {
    const file = join(dir, 'replay.html');
    const output = capturedIo();
    // A pause past the lease: two believers, a known limitation of lease locks (exit 0), drawn as such.
    expect(await replay(['--lock', 'mutex', '--schedule', encodeReplayCase(pausedPastTtlCase), '--html', file], output)).toBe(0);
    expect(output.out()).toContain(`wrote ${file}`);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('explore etcd-mutex: belief: known limitation');
    expect(html).toContain('1.000 s pause alice; 5.525 s resume alice');
    const model = modelOf(file);
    expect(model.violations[0]!.property).toBe('belief');
    expect(model.verdict.text).toMatch(/^belief: known limitation of lease locks at 5\.524 s, not a bug of this lock: bob acquired the lock/);
    expect(model.lanes.map((lane) => lane.name)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'server', 'storage']);
  });

  it('explore writes the shrunk counterexample', async () => {
    const file = join(dir, 'explore.html');
    const output = capturedIo();
    expect(await explore(['--lock', 'naive', '--property', 'belief', '--runs', '200', '--html', file], output)).toBe(1);
    expect(output.out()).toContain(`wrote ${file}`);
    const model = modelOf(file);
    expect(model.violations.length).toBeGreaterThan(0);
    expect(model.verdict.tone).toBe('unsafe');
  });
});
