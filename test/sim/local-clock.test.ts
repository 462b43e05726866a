import { describe, expect, it } from 'vitest';
import { settledNothing } from '../../src/client/runtime.ts';
import { LocalClock, type TimerGate } from '../../src/sim/local-clock.ts';
import { Scheduler } from '../../src/sim/scheduler.ts';

const forever = { msMax: Number.POSITIVE_INFINITY, eventsMax: Number.POSITIVE_INFINITY };
const untilEmpty = { done: () => false, canWake: () => true };
const runNow: TimerGate = { open: () => true, hold: () => expect.fail('an open gate holds nothing') };
/** A gate that holds timers while `paused()` says so, in `held`, for the test to run. */
const holding = (paused: () => boolean) => {
  const held: (() => void)[] = [];
  const gate: TimerGate = { open: () => !paused(), hold: (fn) => held.push(fn) };
  return { gate, held };
};

describe('LocalClock', () => {
  it('reads offset + rate × virtual time, and runs timers on local time', async () => {
    const scheduler = new Scheduler();
    const clock = new LocalClock(scheduler, { driftRate: 2, offsetMs: 100 }, runNow);
    expect(clock.nowMs()).toBe(100);
    const fired: [number, number][] = [];
    clock.setTimer(1000, () => fired.push([scheduler.nowMs(), clock.nowMs()]));
    await scheduler.run(forever, untilEmpty);
    expect(fired).toEqual([[500, 1100]]);
  });

  it('fires a slow clock’s timer later in virtual time, never before its local due time', async () => {
    const scheduler = new Scheduler();
    const clock = new LocalClock(scheduler, { driftRate: 0.3 }, runNow);
    const fired: [number, number][] = [];
    clock.setTimer(1000, () => fired.push([scheduler.nowMs(), clock.nowMs()]));
    await scheduler.run(forever, untilEmpty);
    expect(fired[0]![0]).toBe(3334);
    expect(fired[0]![1]).toBeGreaterThanOrEqual(1000);
  });

  it('reschedules pending timers when the rate changes or the clock jumps', async () => {
    const scheduler = new Scheduler();
    const clock = new LocalClock(scheduler, {}, runNow);
    const fired: string[] = [];
    clock.setTimer(1000, () => fired.push(`a@${scheduler.nowMs()}`));
    clock.setTimer(3000, () => fired.push(`b@${scheduler.nowMs()}`));
    const cancel = clock.setTimer(2000, () => fired.push('cancelled'));
    scheduler.at(500, () => clock.setDriftRate(2)); // local 500 at 500; a due at local 1000 → virtual 750
    scheduler.at(800, () => clock.jump(1000)); // local 1100 → 2100; b (3000) due at virtual 800 + 900/2 = 1250
    cancel();
    await scheduler.run(forever, untilEmpty);
    expect(fired).toEqual(['a@750', 'b@1250']);
  });

  it('drops timers on request and defers them through its gate', async () => {
    const scheduler = new Scheduler();
    const { gate, held: deferred } = holding(() => true);
    const clock = new LocalClock(scheduler, {}, gate);
    const fired: string[] = [];
    clock.setTimer(10, () => fired.push('a'));
    const cancelB = clock.setTimer(20, () => fired.push('b'));
    await scheduler.run(forever, untilEmpty);
    expect(fired).toEqual([]);
    cancelB(); // still cancellable while waiting at the gate
    for (const fn of deferred) fn();
    expect(fired).toEqual(['a']);
    clock.setTimer(10, () => fired.push('dropped'));
    clock.dropTimers();
    expect(clock.pendingTimers).toBe(0);
  });

  it("passes a timer's settledNothing on to the scheduler (its next event runs without waiting), and not a deferred timer's", async () => {
    const scheduler = new Scheduler();
    let paused = false;
    const { gate, held: deferred } = holding(() => paused);
    const clock = new LocalClock(scheduler, {}, gate);
    const seen: string[] = [];
    const tick = (name: string) => () => {
      seen.push(name);
      void Promise.resolve().then(() => seen.push(`${name}'s continuation`));
      return settledNothing;
    };
    clock.setTimer(1, tick('quiet'));
    scheduler.at(1, () => seen.push('next@1'));
    scheduler.at(2, () => {
      paused = true;
    });
    clock.setTimer(3, tick('deferred'));
    scheduler.at(3, () => seen.push('next@3'));
    await scheduler.run(forever, untilEmpty);
    for (const fn of deferred) fn();
    await Promise.resolve();
    expect(seen).toEqual(['quiet', 'next@1', "quiet's continuation", 'next@3', 'deferred', "deferred's continuation"]);
  });

  it("runs setTimerWith's fn with its arg in order with setTimer's timers; its handle cancels it, also while held at the gate", async () => {
    const scheduler = new Scheduler();
    let paused = false;
    const { gate, held } = holding(() => paused);
    const clock = new LocalClock(scheduler, { driftRate: 2 }, gate);
    const fired: string[] = [];
    const record = (name: string) => fired.push(`${name}@${scheduler.nowMs()}`);
    const ran = clock.setTimerWith(1000, record, 'with');
    clock.setTimer(1000, () => record('plain'));
    clock.setTimerWith(1000, record, 'cancelled').cancel();
    scheduler.at(600, () => {
      paused = true;
    });
    clock.setTimerWith(1400, record, 'held');
    const heldThenCancelled = clock.setTimerWith(1400, record, 'held then cancelled');
    await scheduler.run(forever, untilEmpty);
    expect(fired).toEqual(['with@500', 'plain@500']);
    ran.cancel(); // it ran: nothing to cancel
    heldThenCancelled.cancel();
    expect(held).toHaveLength(2);
    for (const fn of held) fn();
    expect(fired).toEqual(['with@500', 'plain@500', 'held@700']);
    expect(clock.pendingTimers).toBe(0);
  });
});
