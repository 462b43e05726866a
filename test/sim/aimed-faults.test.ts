/**
 * Faults aimed at roles (src/sim/aimed-faults.ts): armed at a time, fired at
 * the role's next moment, traced as the concrete faults they become.
 */
import { describe, expect, it } from 'vitest';
import { etcdMutex, naiveLock } from '../../src/client/lock-algorithm.ts';
import { judgeRun } from '../../src/explore/judge.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';
import { describeFault, type AimedFault, type Fault } from '../../src/sim/faults.ts';
import type { Trace } from '../../src/sim/trace.ts';

const workload = { clients: 3, durationMs: 30_000, quietMs: 10_000 };

function faultsOf(trace: Trace): { atMs: number; fault: Fault }[] {
  return trace.ofKind('fault').map(({ atMs, fault }) => ({ atMs, fault }));
}

async function runAimed(fault: AimedFault, atMs = 5_000, algorithm = etcdMutex, seed = 1) {
  return runLockWorkload(algorithm, { ...workload, seed }, [{ atMs, fault }]);
}

describe('aimed faults', () => {
  it('holder: pause the next process to acquire, right after it acquires, then resume it', async () => {
    const run = await runAimed({ kind: 'aimed', role: 'holder', action: 'pause', durationMs: 7_000, untilMs: 20_000 });
    const faults = faultsOf(run.trace);
    expect(faults[0]).toEqual({ atMs: 5_000, fault: expect.objectContaining({ kind: 'aimed', role: 'holder' }) });
    const [, pause, resume] = faults;
    const acquired = run.trace.clientEvents('lock-acquired').find((event) => event.atMs >= 5_000)!;
    expect(pause).toEqual({ atMs: acquired.atMs, fault: { kind: 'pause', process: acquired.process } });
    expect(resume).toEqual({ atMs: acquired.atMs + 7_000, fault: { kind: 'resume', process: acquired.process } });
    expect(faults).toHaveLength(3);
  });

  it('waiter: a process waiting when armed is hit at once; its key expires while it waits (etcd 3.4 Mutex breaks belief)', async () => {
    const run = await runAimed({ kind: 'aimed', role: 'waiter', action: 'pause', durationMs: 9_000, untilMs: 20_000 });
    const [, pause] = faultsOf(run.trace);
    expect(pause!.atMs).toBe(5_000);
    const paused = (pause!.fault as { process: string }).process;
    // it was waiting: it had logged 'acquiring' and not acquired since
    const lines = run.trace.events.filter((event) => event.atMs <= 5_000 && (event.kind === 'log' || event.kind === 'client') && event.process === paused);
    const lastWait = lines.map((event) => event.kind === 'log' && event.message === 'acquiring').lastIndexOf(true);
    expect(lastWait).toBeGreaterThanOrEqual(0);
    expect(lines.slice(lastWait).some((event) => event.kind === 'client' && event.event.kind === 'lock-acquired')).toBe(false);
    const violations = judgeRun(run.history, ['belief'], { ttlSeconds: 5, durationMs: 30_000, quietFromMs: 20_000, fenced: run.fenced });
    expect(violations[0]?.processes).toContain(paused);
  });

  it('caller: cut the replies of an in-flight deleteRange: the delete is applied, its outcome unknown to the caller', async () => {
    const run = await runAimed(
      { kind: 'aimed', role: 'caller', method: 'deleteRange', action: 'partition', direction: 'in', durationMs: 3_000, untilMs: 20_000 },
      5_000,
      naiveLock,
    );
    const [, partition, heal] = faultsOf(run.trace);
    const call = run.trace.clientEvents('call').find((event) => event.atMs >= 5_000 && event.event.method === 'deleteRange')!;
    expect(partition).toEqual({ atMs: call.atMs, fault: { kind: 'partition', from: 'server', to: call.process, oneWay: true } });
    expect(heal!.atMs).toBe(call.atMs + 3_000);
    const answer = run.trace
      .clientEvents('return')
      .find((event) => event.process === call.process && event.incarnation === call.incarnation && event.event.callId === call.event.callId);
    expect(answer?.event.outcome ?? 'unknown').not.toBe('ok');
  });

  it('holder link to the storage: hold the holder ↔ storage link right after it acquires', async () => {
    const run = await runAimed({ kind: 'aimed', role: 'holder', action: 'hold', link: 'storage', durationMs: 4_000, untilMs: 20_000 });
    const [, hold, release] = faultsOf(run.trace);
    const holder = run.trace.clientEvents('lock-acquired').find((event) => event.atMs >= 5_000)!;
    expect(hold!.fault).toEqual({ kind: 'hold', from: holder.process, to: 'storage' });
    expect(release!.fault).toEqual({ kind: 'release', from: holder.process, to: 'storage' });
  });

  it('server while a call is in flight: restart the server as the next txn is sent', async () => {
    const run = await runAimed({ kind: 'aimed', role: 'caller', method: 'txn', action: 'serverRestart', durationMs: 1_500, untilMs: 20_000 });
    const [, restart] = faultsOf(run.trace);
    const txn = run.trace.clientEvents('call').find((event) => event.atMs >= 5_000 && event.event.method === 'txn')!;
    expect(restart).toEqual({ atMs: txn.atMs, fault: { kind: 'serverRestart', downMs: 1_500 } });
  });

  it('lapses when its moment does not come before untilMs, and ends by untilMs', async () => {
    const lapsed = await runAimed({ kind: 'aimed', role: 'caller', method: 'compact', action: 'crash', durationMs: 1_000, untilMs: 20_000 });
    expect(faultsOf(lapsed.trace)).toHaveLength(1);
    const cut = await runAimed({ kind: 'aimed', role: 'holder', action: 'pause', durationMs: 60_000, untilMs: 12_000 });
    const resume = faultsOf(cut.trace).find(({ fault }) => fault.kind === 'resume');
    expect(resume?.atMs).toBe(12_000);
  });

  it('replays byte for byte', async () => {
    const fault: AimedFault = { kind: 'aimed', role: 'waiter', action: 'crash', pick: 1, durationMs: 2_000, untilMs: 20_000 };
    const a = await runAimed(fault, 3_000, etcdMutex, 9);
    const b = await runAimed(fault, 3_000, etcdMutex, 9);
    expect(a.trace.toText()).toBe(b.trace.toText());
    expect(faultsOf(a.trace).map(({ fault }) => fault.kind)).toEqual(['aimed', 'crash', 'restart']);
  });

  it('describe themselves in one line', () => {
    expect(describeFault({ kind: 'aimed', role: 'holder', action: 'partition', link: 'storage', direction: 'out', durationMs: 6_000 })).toBe(
      'aimed partition → storage at the next holder, right after it acquires, for 6000ms',
    );
    expect(describeFault({ kind: 'aimed', role: 'caller', method: 'txn', action: 'serverRestart', durationMs: 2_000 })).toBe(
      'aimed serverRestart at the next txn caller, while the call is in flight, down 2000ms',
    );
  });
});
