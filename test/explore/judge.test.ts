/**
 * The explorer's verdicts on single runs: no false liveness alarm after a
 * server restart, counts that count processes, crashes with their stack.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/lock-algorithm.ts';
import { failing, livenessBoundMs } from '../../src/explore/judge.ts';
import { renderJudgedRun, runReplayCase, type ReplayCase } from '../../src/explore/property.ts';
import throwsInAcquire from './catalogue/throws-in-acquire.ts';

describe('judging one run', () => {
  it('a server down 6 s at 38 s is no liveness failure: the window opens when it is up again, the bound covers promotion', async () => {
    const replay: ReplayCase = { seed: 7, workload: {}, schedule: [{ atMs: 38_000, fault: { kind: 'serverRestart', downMs: 6000 } }], properties: ['liveness'] };
    const judged = await runReplayCase(etcdMutexFenced, replay);
    expect(judged.run.history.lastServerUpMs).toBe(44_000);
    expect(failing(judged.violations)).toEqual([]);
    expect(livenessBoundMs({ ttlSeconds: 5 })).toBe(5000 + 1000 + 500 + 1000 + 5000);
  });

  it('a lock whose acquire throws a TypeError is a crash (with the stack) and a liveness failure naming each waiting client once', async () => {
    const replay: ReplayCase = { seed: 1, workload: { clients: 3 }, schedule: [], properties: ['belief', 'fenced', 'liveness'] };
    const judged = await runReplayCase(throwsInAcquire, replay);
    const crash = judged.violations.find((violation) => violation.property === 'crash')!;
    expect(crash).toMatchObject({ verdict: 'bug', processes: [expect.any(String)] });
    expect(crash.message).toMatch(/CRASHED in acquire: TypeError: .*\(\d+ crash\(es\) in the run\)/);
    const liveness = judged.violations.find((violation) => violation.property === 'liveness')!;
    expect(liveness.message).toMatch(/with 3 client\(s\) waiting \(alice, bob, carol\)/);
    expect(liveness.message).toContain('no lock key on the server');
    const report = renderJudgedRun(judged, replay, 'throws.ts');
    expect(report).toMatch(/\nstack \(\w+#1 at [\d.]+s, the first of \d+ crash\(es\)\):\n  TypeError: [^\n]+\n  at .*throws-in-acquire\.ts/);
  });
});
