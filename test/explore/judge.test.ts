/**
 * The explorer's verdicts on single runs: no false liveness alarm after a
 * server restart, counts that count processes, crashes with their stack.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/lock-algorithm.ts';
import { failing, livenessBoundMs } from '../../src/explore/judge.ts';
import { renderJudgedRun, runReplayCase, type ReplayCase } from '../../src/explore/property.ts';
import throwsInAcquire from './catalogue/throws-in-acquire.ts';
import txnLockFenced from './catalogue/txn-lock-fenced.ts';
import type { LockAlgorithm } from '../../src/client/lock-algorithm.ts';

/** The correct txn lock, but on a key the explorer cannot know is the lock's (not the lock name, not under it, not reported). */
const elsewhere: LockAlgorithm = { name: 'elsewhere', create: (client, options) => txnLockFenced.create(client, { ...options, lockName: '/elsewhere' }) };

describe('judging one run', () => {
  it('a server down 6 s at 38 s is no liveness failure: the window opens when it is up again, the bound covers promotion', async () => {
    const replay: ReplayCase = {
      seed: 7,
      workload: {},
      schedule: [{ atMs: 38_000, fault: { kind: 'serverRestart', downMs: 6000 } }],
      properties: ['liveness'],
    };
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

  it('a lock whose key the server record does not show cannot be judged: fenced is unknown, not a pass', async () => {
    const replay: ReplayCase = { seed: 1, workload: { clients: 2, durationMs: 10_000, quietMs: 5000 }, schedule: [], properties: ['fenced'] };
    const judged = await runReplayCase(elsewhere, replay);
    expect(failing(judged.violations)).toEqual([
      expect.objectContaining({
        property: 'fenced',
        verdict: 'unknown',
        message: expect.stringMatching(/cannot judge .*who owned the lock cannot be established/),
      }),
    ]);
  });

  it('a lock that reports its key (Acquired.key) is judged by that key', async () => {
    const reporting: LockAlgorithm = {
      name: 'elsewhere-reported',
      create: (client, options) => {
        const lock = elsewhere.create(client, options);
        return {
          acquire: async () => ({ ...(await lock.acquire()), key: '/elsewhere' }),
          release: () => lock.release(),
          get lost() {
            return lock.lost;
          },
        };
      },
    };
    const replay: ReplayCase = { seed: 1, workload: { clients: 2, durationMs: 10_000, quietMs: 5000 }, schedule: [], properties: ['fenced'] };
    const judged = await runReplayCase(reporting, replay);
    expect(judged.run.history.lockKeyChanges.length).toBeGreaterThan(0);
    expect(failing(judged.violations)).toEqual([]);
  });
});
