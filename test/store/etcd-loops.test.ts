// etcd's background loops (src/store/etcd-loops.ts) driven by a fake
// schedule (timers in a list) and a fake apply (a log of what each tick
// asked for): when each loop ticks, what the lessor's tick does, exactExpiry's
// wake-up, and how the loops stop.
import { describe, expect, it } from 'vitest';
import { type EarliestDeadline, type EtcdLoopWork, every, startEtcdLoops } from '../../src/store/etcd-loops.ts';
import { FakeSchedule } from './fake-loop-schedule.ts';

/** A fake apply: leases with deadlines, revoked when a tick asks; every call logged as `what@ms`. */
class FakeApply {
  readonly log: string[] = [];
  readonly deadlines = new Map<string, number>();
  counting = true;
  running = true;
  readonly #listeners = new Set<(earliestMs: number | undefined) => void>();

  constructor(readonly schedule: FakeSchedule) {}

  work(withCheckpoint = false, exact = false): EtcdLoopWork {
    const at = () => `@${this.schedule.nowMs()}`;
    return {
      lessor: {
        counting: () => this.counting,
        revokeExpired: () => {
          this.log.push(`sweep${at()}`);
          for (const [id, deadlineMs] of [...this.deadlines]) if (deadlineMs <= this.schedule.nowMs()) this.revoke(id);
        },
        checkpointDue: withCheckpoint ? () => this.log.push(`checkpoint${at()}`) : undefined,
      },
      syncWatchers: () => this.log.push(`resync${at()}`),
      notifyWatchProgress: () => this.log.push(`progress${at()}`),
      running: () => this.running,
      exactExpiry: exact ? this.earliest : undefined,
    };
  }

  readonly earliest: EarliestDeadline = {
    nextDeadlineMs: () => this.#earliest(),
    onEarliestDeadlineChange: (listener) => {
      this.#listeners.add(listener);
      return () => this.#listeners.delete(listener);
    },
  };

  get listeners(): number {
    return this.#listeners.size;
  }

  grant(id: string, deadlineMs: number): void {
    const before = this.#earliest();
    this.deadlines.set(id, deadlineMs);
    this.#announce(before);
  }

  revoke(id: string): void {
    const before = this.#earliest();
    this.deadlines.delete(id);
    this.log.push(`revoked ${id}@${this.schedule.nowMs()}`);
    this.#announce(before);
  }

  #earliest(): number | undefined {
    const all = [...this.deadlines.values()];
    return all.length === 0 ? undefined : Math.min(...all);
  }

  #announce(before: number | undefined): void {
    const after = this.#earliest();
    if (after !== before) for (const listener of this.#listeners) listener(after);
  }
}

function setup(options: { startMs?: number; checkpoint?: boolean; exact?: boolean; intervals?: Parameters<typeof startEtcdLoops>[2] } = {}) {
  const schedule = new FakeSchedule(options.startMs ?? 0);
  const apply = new FakeApply(schedule);
  const stop = startEtcdLoops(apply.work(options.checkpoint, options.exact), schedule, options.intervals);
  const lessorTicks = () => apply.log.filter((line) => line.startsWith('sweep') || line.startsWith('checkpoint'));
  return { schedule, apply, stop, lessorTicks };
}

describe('what runs when', () => {
  it('ticks at start + k × interval: the lessor every 500 ms, watch resync every 100 ms, progress every 10 min', () => {
    const { schedule, apply } = setup({ startMs: 30 });
    schedule.advanceTo(1030);
    expect(apply.log).toEqual([
      'resync@130',
      'resync@230',
      'resync@330',
      'resync@430',
      'sweep@530',
      'resync@530',
      'resync@630',
      'resync@730',
      'resync@830',
      'resync@930',
      'sweep@1030',
      'resync@1030',
    ]);
    apply.log.length = 0;
    schedule.advanceTo(600_030);
    // On a shared ms the loop armed first fires first: progress (armed at the start) before that ms's sweep and resync.
    expect(apply.log.slice(-3)).toEqual(['progress@600030', 'sweep@600030', 'resync@600030']);
    expect(apply.log.filter((line) => line.startsWith('progress'))).toEqual(['progress@600030']);
  });

  it('takes other intervals, and refuses one that is not a positive number of ms', () => {
    const { schedule, apply } = setup({ intervals: { sweepIntervalMs: 250, watchResyncIntervalMs: 1000, progressNotifyIntervalMs: 1000 } });
    schedule.advanceTo(1000);
    // At 1000 the resync and progress ticks were armed at the start, the sweep's at 750: they fire first.
    expect(apply.log).toEqual(['sweep@250', 'sweep@500', 'sweep@750', 'resync@1000', 'progress@1000', 'sweep@1000']);
    const apply2 = new FakeApply(new FakeSchedule());
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => startEtcdLoops(apply2.work(), apply2.schedule, { sweepIntervalMs: bad })).toThrow(RangeError);
  });

  it('does its work, then arms the next tick: what the work schedules for that ms runs first', () => {
    const schedule = new FakeSchedule();
    const log: string[] = [];
    every(schedule, 100, () => {
      log.push(`tick@${schedule.nowMs()}`);
      if (schedule.nowMs() === 100) schedule.at(200, () => log.push('scheduled by the work@200'));
    });
    schedule.advanceTo(200);
    expect(log).toEqual(['tick@100', 'scheduled by the work@200', 'tick@200']);
  });
});

describe("the lessor's tick", () => {
  it('revokes a lease at the first sweep at or after its deadline', () => {
    const { schedule, apply } = setup();
    apply.grant('a', 2000); // a tick
    apply.grant('b', 2010);
    schedule.advanceTo(3000);
    expect(apply.log.filter((line) => line.startsWith('revoked'))).toEqual(['revoked a@2000', 'revoked b@2500']);
  });

  it('revokes, then checkpoints, at each tick', () => {
    const { schedule, lessorTicks } = setup({ checkpoint: true });
    schedule.advanceTo(1000);
    expect(lessorTicks()).toEqual(['sweep@500', 'checkpoint@500', 'sweep@1000', 'checkpoint@1000']);
  });

  it('does nothing while the lessor does not count time (a follower), and resumes on the same grid', () => {
    const { schedule, apply, lessorTicks } = setup({ checkpoint: true });
    apply.counting = false;
    apply.grant('a', 700);
    schedule.advanceTo(1200);
    expect(lessorTicks()).toEqual([]);
    expect(apply.deadlines.has('a')).toBe(true);
    apply.counting = true;
    schedule.advanceTo(1500);
    expect(lessorTicks()).toEqual(['sweep@1500', 'checkpoint@1500']);
    expect(apply.log).toContain('revoked a@1500');
  });

  it('skips every loop while the host is down; the ticks keep their times', () => {
    const { schedule, apply } = setup();
    apply.running = false;
    schedule.advanceTo(1000);
    expect(apply.log).toEqual([]);
    apply.running = true;
    schedule.advanceTo(1100);
    expect(apply.log).toEqual(['resync@1100']);
  });
});

describe('exactExpiry', () => {
  it('ticks the lessor at the earliest deadline too, moving the wake-up earlier for a sooner lease', () => {
    const { schedule, apply } = setup({ exact: true });
    apply.grant('late', 2300);
    apply.grant('soon', 1210);
    schedule.advanceTo(2400);
    expect(apply.log.filter((line) => !line.startsWith('resync'))).toEqual([
      'sweep@500',
      'sweep@1000',
      'sweep@1210',
      'revoked soon@1210',
      'sweep@1500',
      'sweep@2000',
      'sweep@2300',
      'revoked late@2300',
    ]);
  });

  it('leaves a deadline already due to the 500 ms ticks', () => {
    const { schedule, apply } = setup({ exact: true });
    schedule.advanceTo(1100);
    apply.grant('due', 1050);
    schedule.advanceTo(1499);
    expect(apply.deadlines.has('due')).toBe(true);
    schedule.advanceTo(1500);
    expect(apply.log).toContain('revoked due@1500');
  });
});

describe('shutdown', () => {
  it('cancels every timer and stops listening for deadlines; stopping twice is harmless', () => {
    const { schedule, apply, stop } = setup({ exact: true });
    apply.grant('a', 1234);
    expect(schedule.pending).toBe(4);
    expect(apply.listeners).toBe(1);
    stop();
    stop();
    expect(schedule.pending).toBe(0);
    expect(apply.listeners).toBe(0);
    apply.log.length = 0;
    schedule.advanceTo(10_000);
    expect(apply.log).toEqual([]);
    expect(apply.deadlines.has('a')).toBe(true);
  });

  it('stops from inside a tick: no further tick is armed', () => {
    const schedule = new FakeSchedule();
    const apply = new FakeApply(schedule);
    const work = apply.work();
    let stop = () => {};
    const stopAtSecondSweep: EtcdLoopWork = {
      ...work,
      lessor: {
        revokeExpired: () => {
          work.lessor.revokeExpired();
          if (schedule.nowMs() === 1000) stop();
        },
      },
    };
    stop = startEtcdLoops(stopAtSecondSweep, schedule);
    schedule.advanceTo(5000);
    expect(apply.log.filter((line) => line.startsWith('sweep'))).toEqual(['sweep@500', 'sweep@1000']);
    expect(apply.log.at(-1)).toBe('sweep@1000'); // the resync at 1000 was cancelled too
    expect(schedule.pending).toBe(0);
  });
});

describe('skipping idle ticks inside a jump (LoopTimers.jumps, EtcdLoopWork.idle)', () => {
  /** A fake schedule whose advances are jumps, and loops with idle hints read from the fake apply. */
  function jumpingSetup() {
    const schedule = new FakeSchedule();
    const apply = new FakeApply(schedule);
    let jumping = false;
    let jumpEnd: (() => void) | undefined;
    let revoked = 0;
    const base = apply.work();
    const work: EtcdLoopWork = {
      ...base,
      lessor: {
        revokeExpired: () => {
          const before = apply.deadlines.size;
          base.lessor.revokeExpired();
          revoked += before - apply.deadlines.size;
        },
      },
      idle: {
        nextLeaseDeadlineMs: () => apply.earliest.nextDeadlineMs(),
        leasesRevoked: () => revoked,
        hasWatchersToSync: () => false,
        progressPending: () => false,
      },
    };
    const timers = {
      nowMs: () => schedule.nowMs(),
      at: (dueMs: number, fn: () => void) => schedule.at(dueMs, fn),
      cancel: (timer: ReturnType<FakeSchedule['at']>) => schedule.cancel(timer),
      jumps: {
        jumping: () => jumping,
        onJumpEnd: (listener: () => void) => {
          jumpEnd = listener;
          return () => {
            jumpEnd = undefined;
          };
        },
      },
    };
    const stop = startEtcdLoops(work, timers);
    const jumpTo = (ms: number) => {
      jumping = true;
      schedule.advanceTo(ms);
      jumping = false;
      jumpEnd?.();
    };
    return { schedule, apply, stop, jumpTo, timers };
  }

  it('ticks the lessor only at the tick at or after the lease deadline, and wakes the watch loops once after a revoke', () => {
    const { apply, jumpTo, schedule } = jumpingSetup();
    apply.grant('a', 3_600_010);
    jumpTo(36_000_000);
    // The revoke wakes the resync at its tick at that very ms (it comes after the lessor's, as when stepping), progress at its next.
    expect(apply.log).toEqual(['resync@100', 'sweep@500', 'progress@600000', 'sweep@3600500', 'revoked a@3600500', 'resync@3600500', 'progress@4200000']);
    expect(schedule.pending).toBe(3); // after the jump every loop waits for its next tick again
    apply.log.length = 0;
    schedule.advanceTo(36_000_500);
    expect(apply.log).toEqual(['resync@36000100', 'resync@36000200', 'resync@36000300', 'resync@36000400', 'sweep@36000500', 'resync@36000500']);
  });

  it('needs idle hints when its timers jump, and stops listening for jump ends when stopped', () => {
    const { apply, timers, stop, jumpTo, schedule } = jumpingSetup();
    expect(() => startEtcdLoops(apply.work(), timers)).toThrow(/idle hints/);
    stop();
    jumpTo(10_000);
    expect(schedule.pending).toBe(0);
  });
});
