/**
 * Determinism a user cannot break by accident: the lock context, the globals
 * replaced during a run, and the replay of every counterexample.
 */
import { describe, expect, it } from 'vitest';
import { compare, op } from '../../src/client/kv.ts';
import type { Lock, LockAlgorithm, LockContext } from '../../src/client/lock-algorithm.ts';
import { LockPropertyError } from '../../src/explore/property.ts';
import { simEpochMs } from '../../src/explore/sim-globals.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';
import { beliefCaseOutcome, noLock } from './no-lock.ts';

/**
 * A polling lock: a txn that takes the key when it is free (its value: the
 * time `waiting.now()` reads), else `waiting.pause()` and try again.
 */
function pollingLockWith(name: string, waiting: (context: LockContext | undefined) => { now(): number; pause(): Promise<void> }): LockAlgorithm {
  return {
    name,
    create(client, { lockName, ttlSeconds }, context): Lock {
      const { now, pause } = waiting(context);
      let leaseId = 0n;
      return {
        lost: new Promise(() => undefined),
        async acquire() {
          if (leaseId === 0n) {
            leaseId = (await client.grant(ttlSeconds)).ID;
            client.keepAlive(leaseId);
          }
          for (;;) {
            const response = await client
              .txn()
              .if(compare.createRevision(lockName, '=', 0))
              .then(op.put(lockName, String(now()), { lease: leaseId }))
              .commit();
            if (response.succeeded) return { fencingToken: response.header.revision };
            await pause();
          }
        },
        async release() {
          await client.delete(lockName);
        },
      };
    },
  };
}

/** The polling lock waiting with the globals a user might reach for. */
const globalsLock = pollingLockWith('globals-lock', () => ({
  now: () => Date.now(),
  // Jittered polling with the globals, and an interval that ticks (and is cleared).
  async pause() {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 10);
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.floor(Math.random() * 100)));
    clearInterval(interval);
    if (ticks === 0) throw new Error('the interval never ticked');
  },
}));

/** The same lock, written with the context instead of the globals. */
const contextLock = pollingLockWith('context-lock', (context) => {
  const { sleep, random, now, log } = context!;
  return {
    now,
    async pause() {
      const waitMs = 100 + Math.floor(random() * 100);
      log(`busy, polling again in ${waitMs} ms`);
      await sleep(waitMs);
    },
  };
});

const workload = { clients: 3, durationMs: 8_000, quietMs: 2_000 };

describe('the lock context', () => {
  it('gives sleep, a seeded random, the local clock and log lines in the trace, the same on every run', async () => {
    const first = await runLockWorkload(contextLock, { ...workload, seed: 4 });
    const second = await runLockWorkload(contextLock, { ...workload, seed: 4 });
    expect(first.trace.toText()).toBe(second.trace.toText());
    expect(first.trace.toText()).toMatch(/busy, polling again in 1\d\d ms/);
    expect(first.history.lockEvents.filter((event) => event.kind === 'acquired').length).toBeGreaterThan(3);
    expect(first.globals.description).toBe('');
    const other = await runLockWorkload(contextLock, { ...workload, seed: 5 });
    expect(other.trace.toText()).not.toBe(first.trace.toText());
  });
});

describe('globals inside a run', () => {
  it('are replaced by seeded and virtual ones, counted, and restored after the run', async () => {
    const realRandom = Math.random;
    const realSetTimeout = globalThis.setTimeout;
    const first = await runLockWorkload(globalsLock, { ...workload, seed: 7 });
    const second = await runLockWorkload(globalsLock, { ...workload, seed: 7 });
    expect(first.trace.toText()).toBe(second.trace.toText());
    expect(first.history.lockEvents.filter((event) => event.kind === 'acquired').length).toBeGreaterThan(3);
    expect(first.globals.used['Math.random']).toBeGreaterThan(0);
    expect(first.globals.used.setTimeout).toBeGreaterThan(0);
    expect(first.globals.used.setInterval).toBeGreaterThan(0);
    expect(first.globals.used['Date.now']).toBeGreaterThan(0);
    expect(first.globals.description).toMatch(/Math\.random ×\d+ \(use the lock context's random\(\)\)/);
    expect(Math.random).toBe(realRandom);
    expect(globalThis.setTimeout).toBe(realSetTimeout);
  });

  it('serve the host its real globals while the run yields to it (a progress bar, a test runner)', async () => {
    // 60 virtual s, not 8: the run turns the event loop every 64 events, but a host timer fires at most once a real
    // millisecond, and a short run on a fast, busy machine once spanned a single tick.
    const longRun = { ...workload, durationMs: 60_000, seed: 7 };
    const alone = await runLockWorkload(globalsLock, longRun);
    // A host timer that keeps re-arming itself with the global setTimeout and draws Math.random,
    // as a progress bar or a test runner's heartbeat does, all through the run.
    let hostTicks = 0;
    let hostDraws = 0;
    let stop = false;
    const hostTick = (): void => {
      hostTicks++;
      hostDraws += Math.random() >= 0 ? 1 : 0;
      if (!stop) setTimeout(hostTick, 0);
    };
    setTimeout(hostTick, 0);
    const beside = await runLockWorkload(globalsLock, longRun);
    stop = true;
    expect(hostTicks).toBeGreaterThan(1); // the host's timer kept firing on real time, between the run's turns
    expect(hostDraws).toBe(hostTicks);
    expect(beside.trace.toText()).toBe(alone.trace.toText());
    expect(beside.globals.used).toEqual(alone.globals.used);
  });

  it('Date.now reads virtual time from a fixed epoch', async () => {
    let seen = 0;
    const lock: LockAlgorithm = {
      name: 'clock-reader',
      create: () => ({ lost: new Promise(() => undefined), acquire: async () => ((seen = Date.now()), {}), release: async () => undefined }),
    };
    await runLockWorkload(lock, { clients: 1, durationMs: 2_000, quietMs: 1_000, seed: 1 });
    expect(seen).toBeGreaterThanOrEqual(simEpochMs);
    expect(seen).toBeLessThan(simEpochMs + 2_000);
  });

  it('are restored when the run throws', async () => {
    const realRandom = Math.random;
    const realDateNow = Date.now;
    // A schedule naming a process that does not exist breaks an invariant inside the run.
    const error = await runLockWorkload(globalsLock, { ...workload, seed: 1 }, [{ atMs: 1_000, fault: { kind: 'pause', process: 'nobody' } }]).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toMatch(/no process named nobody/);
    expect(Math.random).toBe(realRandom);
    expect(Date.now).toBe(realDateNow);
  });
});

/** Acquires at once in every run but the first, in which it also waits: module state that leaks between runs. */
let runsSeen = 0;
const leakyLock: LockAlgorithm = {
  name: 'leaky-lock',
  create: (_client, _options, context) => {
    const call = runsSeen++;
    return {
      lost: new Promise(() => undefined),
      acquire: async () => {
        if (call % 7 === 3) await context!.sleep(5);
        return {};
      },
      release: async () => undefined,
    };
  },
};

describe('every counterexample is replayed before it is reported', () => {
  it('says so, and names the likely cause, when the replay differs', async () => {
    const error = await beliefCaseOutcome(leakyLock);
    expect(error).toBeInstanceOf(LockPropertyError);
    expect((error as Error).message).toMatch(/replay differs from the run that found it \(first difference at trace line \d+/);
    expect((error as Error).message).toMatch(/likely cause: state kept between runs \(module-level variables/);
  });

  it('says nothing when the replay is the same', async () => {
    const error = await beliefCaseOutcome(noLock);
    expect(error).toBeInstanceOf(LockPropertyError);
    expect((error as Error).message).not.toMatch(/replay differs/);
  });
});
