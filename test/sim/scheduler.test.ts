import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { settledNothing } from '../../src/client/runtime.ts';
import { QueuedEvent, Scheduler } from '../../src/sim/scheduler.ts';

const forever = { msMax: Number.POSITIVE_INFINITY, eventsMax: Number.POSITIVE_INFINITY };
const untilEmpty = { done: () => false, canWake: () => true };

describe('Scheduler', () => {
  it('runs events by time, ties in the order they were scheduled', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    scheduler.at(5, () => seen.push(`a@${scheduler.nowMs()}`));
    scheduler.at(3, () => seen.push(`b@${scheduler.nowMs()}`));
    scheduler.at(5, () => seen.push(`c@${scheduler.nowMs()}`));
    scheduler.at(0, () => scheduler.after(5, () => seen.push(`d@${scheduler.nowMs()}`)));
    expect(await scheduler.run(forever, untilEmpty)).toBe('idle');
    expect(seen).toEqual(['b@3', 'a@5', 'c@5', 'd@5']);
  });

  it('never schedules into the past and skips cancelled events', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    scheduler.at(10, () => scheduler.at(2, () => seen.push(`late@${scheduler.nowMs()}`)));
    const cancelled = scheduler.at(4, () => seen.push('cancelled'));
    scheduler.cancel(cancelled);
    scheduler.cancel(cancelled);
    expect(scheduler.foregroundPending).toBe(1);
    await scheduler.run(forever, untilEmpty);
    expect(seen).toEqual(['late@10']);
  });

  it('queues an event object its owner keeps (enqueue): next sequence number, never into the past, again once it left the queue', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    const kept = new QueuedEvent(0, 0, (name) => seen.push(`${String(name)}@${scheduler.nowMs()}`), 'kept', 0);
    scheduler.at(5, () => seen.push(`first@${scheduler.nowMs()}`));
    scheduler.enqueue(kept, 5); // scheduled after 'first': runs after it at the same ms
    scheduler.at(5, () => seen.push(`last@${scheduler.nowMs()}`));
    expect(() => scheduler.enqueue(kept, 6)).toThrow(/already queued/);
    scheduler.at(7, () => scheduler.enqueue(kept, 1)); // into the past: runs now
    expect(scheduler.foregroundPending).toBe(4);
    await scheduler.run(forever, untilEmpty);
    expect(seen).toEqual(['first@5', 'kept@5', 'last@5', 'kept@7']);
    scheduler.enqueue(kept, 20);
    scheduler.cancel(kept);
    expect(scheduler.foregroundPending).toBe(0);
  });

  it('lets promise continuations settle before the next event', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    let wake!: () => void;
    const sleeping = new Promise<void>((resolve) => (wake = resolve));
    void (async () => {
      await sleeping;
      // a deep chain of awaits that keeps doing something to the world settles before virtual time moves on
      for (let i = 0; i < 100; i++) {
        await Promise.resolve();
        if (i % 8 === 0) scheduler.cancel(scheduler.after(0, () => undefined));
      }
      seen.push(`continued@${scheduler.nowMs()}`);
      scheduler.after(0, () => seen.push(`same-ms@${scheduler.nowMs()}`));
    })();
    scheduler.at(1, () => wake());
    scheduler.at(2, () => seen.push('next@2'));
    await scheduler.run(forever, untilEmpty);
    expect(seen).toEqual(['continued@1', 'same-ms@1', 'next@2']);
  });

  it('settles every continuation before the next event when it drains the microtask queue at once, without a nextTick per event', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    const expected: string[] = [];
    for (let i = 1; i <= 40; i++) {
      scheduler.at(i, () => {
        void (async () => {
          for (let depth = 0; depth < i; depth++) await null; // ever deeper chains
          seen.push(`continued@${scheduler.nowMs()}`);
          scheduler.after(0, () => seen.push(`same-ms@${scheduler.nowMs()}`));
        })();
        seen.push(`event@${i}`);
      });
      expected.push(`event@${i}`, `continued@${i}`, `same-ms@${i}`);
    }
    const nextTick = vi.spyOn(process, 'nextTick');
    try {
      await scheduler.run(forever, untilEmpty);
      expect(seen).toEqual(expected);
      // The first event runs inside run() (perhaps in a microtask: no drain there), the rest from a callback.
      const loopTicks = nextTick.mock.calls.filter(([fn]) => fn.name === 'loop').length;
      const nodeDrains = (process as unknown as { _tickCallback?: { name: string } })._tickCallback?.name === 'runNextTicks';
      expect(loopTicks).toBe(nodeDrains ? 1 : 80); // 80 events: 40, and what their continuations scheduled
    } finally {
      nextTick.mockRestore();
    }
  });

  it('runs the next event without waiting when an event returns settledNothing (a tick that found nothing to do)', async () => {
    const scheduler = new Scheduler();
    const seen: string[] = [];
    const onTimeTick = (name: string, saysSettledNothing: boolean) => () => {
      seen.push(name);
      void Promise.resolve().then(() => seen.push(`${name}'s continuation`));
      return saysSettledNothing ? settledNothing : undefined;
    };
    scheduler.atWith(1, (name: string) => onTimeTick(name, false)(), 'honest');
    scheduler.at(1, () => seen.push('next@1'));
    // Claiming settledNothing skips the wait: had it been a lie, its continuation would run after the next event.
    scheduler.atWith(2, (name: string) => onTimeTick(name, true)(), 'quiet');
    scheduler.at(2, () => seen.push('next@2'));
    await scheduler.run(forever, untilEmpty);
    expect(seen).toEqual(['honest', "honest's continuation", 'next@1', 'quiet', 'next@2', "quiet's continuation"]);
  });

  it('yields a macrotask before the run ends, so even a long silent chain settles', async () => {
    const scheduler = new Scheduler();
    let finished = false;
    scheduler.at(1, () => {
      void (async () => {
        for (let i = 0; i < 1000; i++) await undefined;
        finished = true;
      })();
    });
    expect(await scheduler.run(forever, { done: () => finished, canWake: () => false })).toBe('done');
  });

  it('stops at msMax, at eventsMax, when done, and when only upkeep that cannot wake anyone is left', async () => {
    const ticking = (scheduler: Scheduler, background: boolean) => {
      const tick = () => scheduler.after(100, tick, { background });
      scheduler.after(100, tick, { background });
    };
    const byTime = new Scheduler();
    ticking(byTime, false);
    expect(await byTime.run({ msMax: 1050, eventsMax: Infinity }, untilEmpty)).toBe('msMax');
    expect(byTime.nowMs()).toBe(1050);
    expect(byTime.eventsRun).toBe(10);

    const byEvents = new Scheduler();
    ticking(byEvents, false);
    expect(await byEvents.run({ msMax: Infinity, eventsMax: 7 }, untilEmpty)).toBe('eventsMax');
    expect(byEvents.nowMs()).toBe(700);

    const done = new Scheduler();
    ticking(done, false);
    expect(await done.run(forever, { done: () => done.nowMs() >= 300, canWake: () => true })).toBe('done');
    expect(done.nowMs()).toBe(300);

    const idle = new Scheduler();
    ticking(idle, true);
    idle.at(250, () => undefined);
    expect(await idle.run(forever, { done: () => false, canWake: () => false })).toBe('idle');
    expect(idle.nowMs()).toBe(250);
  });

  it('propagates what an event throws', async () => {
    const scheduler = new Scheduler();
    scheduler.at(1, () => {
      throw new Error('invariant broken');
    });
    await expect(scheduler.run(forever, untilEmpty)).rejects.toThrow('invariant broken');
  });

  it('keeps its queue valid under random scheduling, cancelling and running (checkValid after every step)', async () => {
    const step = fc.oneof(
      fc.record({ at: fc.integer({ min: -5, max: 50 }), background: fc.boolean(), quiet: fc.boolean() }),
      fc.record({ cancel: fc.nat(30) }),
      fc.record({ runTo: fc.integer({ min: 0, max: 60 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 60 }), async (steps) => {
        const scheduler = new Scheduler();
        const handles: ReturnType<Scheduler['at']>[] = [];
        for (const s of steps) {
          if ('at' in s) handles.push(scheduler.at(s.at, () => {}, { background: s.background, quiet: s.quiet }));
          else if ('cancel' in s) {
            const handle = handles[s.cancel % Math.max(1, handles.length)];
            if (handle !== undefined) scheduler.cancel(handle);
          } else await scheduler.run({ msMax: s.runTo, eventsMax: Number.POSITIVE_INFINITY }, untilEmpty);
          scheduler.checkValid();
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('checkValid catches an event cancelled behind its back', () => {
    const scheduler = new Scheduler();
    const handle = scheduler.at(5, () => {});
    scheduler.checkValid();
    (handle as unknown as { queueIndex: number }).queueIndex = -1; // marked as gone (so cancelling it would do nothing) behind the scheduler's back
    expect(() => scheduler.checkValid()).toThrow('entry at 0 thinks it is at -1');
  });
});
