// The real runtime a client uses outside the simulator: the wall clock and timers that can be cancelled.
import { describe, expect, it } from 'vitest';
import { realRuntime } from '../../src/client/runtime.ts';

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
