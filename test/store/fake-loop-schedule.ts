// Timers in a list, for driving etcd's loops (src/store/etcd-loops.ts) in tests.
import type { LoopTimers } from '../../src/store/etcd-loops.ts';

interface FakeTimer {
  dueMs: number;
  sequence: number;
  fn: () => void;
  cancelled: boolean;
}

/** Timers in a list, fired in (due, sequence) order as time is moved. */
export class FakeSchedule implements LoopTimers<FakeTimer> {
  #nowMs: number;
  #sequence = 0;
  #timers: FakeTimer[] = [];

  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  at(dueMs: number, fn: () => void): FakeTimer {
    const timer = { dueMs: Math.max(dueMs, this.#nowMs), sequence: ++this.#sequence, fn, cancelled: false };
    this.#timers.push(timer);
    return timer;
  }

  cancel(timer: FakeTimer): void {
    timer.cancelled = true;
  }

  get pending(): number {
    return this.#timers.filter((timer) => !timer.cancelled).length;
  }

  advanceTo(targetMs: number): void {
    for (;;) {
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      const live = this.#timers.filter((timer) => timer.dueMs <= targetMs);
      if (live.length === 0) break;
      const next = live.reduce((a, b) => (b.dueMs < a.dueMs || (b.dueMs === a.dueMs && b.sequence < a.sequence) ? b : a));
      next.cancelled = true;
      this.#nowMs = next.dueMs;
      next.fn();
    }
    this.#nowMs = targetMs;
  }
}
