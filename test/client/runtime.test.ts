// The real runtime a client uses outside the simulator: the wall clock and timers that can be cancelled.
import { describe, expect, it } from 'vitest';
import { armTimer, type ClientRuntime, realRuntime } from '../../src/client/runtime.ts';

describe('realRuntime', () => {
  it('tells wall-clock ms', () => {
    const before = Date.now();
    const now = realRuntime.nowMs();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('runs a timer once its delay has passed, and not once cancelled', async () => {
    const fired: string[] = [];
    const start = realRuntime.nowMs();
    let firedAt = 0;
    realRuntime.setTimer(20, () => {
      fired.push('kept');
      firedAt = realRuntime.nowMs();
    });
    const cancel = realRuntime.setTimer(10, () => fired.push('cancelled'));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toEqual(['kept']);
    // timers may fire a millisecond early by Date's rounding, never much earlier
    expect(firedAt - start).toBeGreaterThanOrEqual(19);
  });
});

describe('armTimer', () => {
  it("uses a runtime's setTimerWith, and without one wraps setTimer: fn(arg) runs once, the handle cancels", () => {
    const pending: (() => void)[] = [];
    const plain: ClientRuntime = {
      nowMs: () => 0,
      setTimer(_delayMs, fn) {
        pending.push(fn);
        return () => pending.splice(pending.indexOf(fn), 1);
      },
    };
    const fired: string[] = [];
    armTimer(plain, 10, (name: string) => fired.push(name), 'kept');
    armTimer(plain, 10, (name: string) => fired.push(name), 'cancelled').cancel();
    for (const fn of pending) fn();
    expect(fired).toEqual(['kept']);
    const handle = { cancel() {} };
    const withArg: ClientRuntime = { ...plain, setTimerWith: (_delayMs, fn, arg) => (fn(arg), handle) };
    expect(armTimer(withArg, 10, (name: string) => fired.push(name), 'direct')).toBe(handle);
    expect(fired).toEqual(['kept', 'direct']);
  });
});
