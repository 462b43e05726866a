// addWaitingBob (src/scenarios/waiting-bob.ts): bob asks for the lock half a second in, waits while
// alice holds it, then holds it himself for holdMs with a larger fencing token, releases and leaves.
import { describe, expect, it } from 'vitest';
import { etcdMutexFenced } from '../../src/client/index.ts';
import { calls } from '../../src/scenarios/scenario.ts';
import { addWaitingBob } from '../../src/scenarios/waiting-bob.ts';
import { Sim } from '../../src/sim/index.ts';

async function story(holdMs?: number) {
  const sim = new Sim({ seed: 3, msMax: 20_000 });
  sim.process('alice', async ({ client, sleep, log }) => {
    const lock = etcdMutexFenced.create(client, { lockName: 'job', ttlSeconds: 5 });
    const { fencingToken } = await lock.acquire();
    log(`holds job with token ${fencingToken}`);
    await sleep(2000);
    await lock.release();
    log('released job');
    client.close();
  });
  addWaitingBob(sim, 'job', 5, holdMs);
  const result = await sim.run();
  const logs = result.trace.ofKind('log').map((event) => ({ atMs: event.atMs, process: event.process, message: event.message }));
  // bob's calls (his release is a delete of his lock key), in the order he made them.
  const bobCalls = calls(result, { process: 'bob' });
  return { endedBy: result.endedBy, logs, bobCalls };
}

describe('addWaitingBob', () => {
  it('asks at 500 ms, holds only after alice released, with a larger fencing token', async () => {
    const { endedBy, logs } = await story();
    expect(endedBy).toBe('done');
    const bob = logs.filter((entry) => entry.process === 'bob');
    expect(bob.map((entry) => entry.message.replace(/\d+$/, 'N'))).toEqual(['asks for job', 'holds job with token N']);
    expect(bob[0]!.atMs).toBeGreaterThanOrEqual(500);
    const released = logs.find((entry) => entry.message === 'released job')!;
    expect(bob[1]!.atMs).toBeGreaterThanOrEqual(released.atMs);
    const token = (entry: { message: string }) => Number(/token (\d+)$/.exec(entry.message)![1]);
    const alice = logs.find((entry) => entry.process === 'alice' && entry.message.startsWith('holds'))!;
    expect(token(bob[1]!)).toBeGreaterThan(token(alice));
  });

  it('holds for holdMs before releasing', async () => {
    const [short, long] = [await story(0), await story(1500)];
    const heldAt = (logs: { process: string; message: string; atMs: number }[]) =>
      logs.find((entry) => entry.process === 'bob' && entry.message.startsWith('holds'))!.atMs;
    const releasedAt = (records: { method: string; calledAtMs: number }[]) => records.filter((record) => record.method === 'deleteRange').at(-1)!.calledAtMs;
    expect(heldAt(long.logs)).toBe(heldAt(short.logs)); // the same story up to his turn
    expect(releasedAt(short.bobCalls) - heldAt(short.logs)).toBeLessThan(1500);
    expect(releasedAt(long.bobCalls) - heldAt(long.logs)).toBeGreaterThanOrEqual(1500);
    expect(long.endedBy).toBe('done');
  });
});
