// The virtual clock: timers fire in (due time, sequence) order with nowMs()
// set to each one's due time; nothing moves unless the owner says so.
// The property at the end runs random timer programs against a naive sorted
// list. Reproducible: LEASELAB_SEED (default 42).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

/** A clock and a log of `name@nowMs` entries, one per timer fired. */
function setup(startMs = 0) {
  const clock = new VirtualClock(startMs);
  const fired: string[] = [];
  const at = (name: string, then?: () => void) => () => {
    fired.push(`${name}@${clock.nowMs()}`);
    then?.();
  };
  return { clock, fired, at };
}

describe('ordering', () => {
  it('fires by due time, ties in the order set, with nowMs at each due time', () => {
    const { clock, fired, at } = setup(100);
    clock.setTimer(500, at('sweep'));
    clock.setTimer(200, at('early'));
    clock.setTimer(500, at('resync'));
    clock.setTimerAt(300, at('absolute'));
    clock.setTimer(0, at('now'));
    expect(clock.nowMs()).toBe(100);
    clock.advance(1000);
    expect(fired).toEqual(['now@100', 'early@300', 'absolute@300', 'sweep@600', 'resync@600']);
    expect(clock.nowMs()).toBe(1100);
  });

  it('treats negative delays and past due times as now, after timers already due now', () => {
    const { clock, fired, at } = setup(1000);
    clock.setTimer(0, at('first'));
    clock.setTimer(-50, at('negative'));
    clock.setTimerAt(10, at('past'));
    expect(clock.nextDueMs()).toBe(1000);
    clock.advance(0);
    expect(fired).toEqual(['first@1000', 'negative@1000', 'past@1000']);
  });

  it('fires a timer due exactly at the target, and not one a millisecond later', () => {
    const { clock, fired, at } = setup();
    clock.setTimer(500, at('on'));
    clock.setTimer(501, at('after'));
    clock.advanceTo(500);
    expect(fired).toEqual(['on@500']);
    expect(clock.pendingTimers).toBe(1);
  });
});

describe('timers set while firing', () => {
  it('run in the same advance when due by its target, in order with the rest', () => {
    const { clock, fired, at } = setup();
    clock.setTimer(
      100,
      at('a', () => {
        clock.setTimer(0, at('a-now')); // due 100: after b, which was set earlier for 100
        clock.setTimer(150, at('a-250'));
        clock.setTimer(950, at('a-1050')); // past this advance's target
      }),
    );
    clock.setTimer(100, at('b'));
    clock.setTimer(250, at('c')); // set before a-250: fires first
    clock.advance(1000);
    expect(fired).toEqual(['a@100', 'b@100', 'a-now@100', 'c@250', 'a-250@250']);
    expect([clock.nowMs(), clock.pendingTimers, clock.nextDueMs()]).toEqual([1000, 1, 1050]);
  });

  it('a periodic timer re-arming itself fires once per period', () => {
    const { clock, fired } = setup();
    const tick = () => {
      fired.push(`tick@${clock.nowMs()}`);
      clock.setTimer(500, tick);
    };
    clock.setTimer(500, tick);
    clock.advance(1600);
    expect(fired).toEqual(['tick@500', 'tick@1000', 'tick@1500']);
  });
});

describe('cancel', () => {
  it('before it fires: it never does; after: a no-op; twice: a no-op', () => {
    const { clock, fired, at } = setup();
    const a = clock.setTimer(100, at('a'));
    const b = clock.setTimer(200, at('b'));
    clock.cancelTimer(b);
    clock.cancelTimer(b);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(300);
    clock.cancelTimer(a);
    expect(fired).toEqual(['a@100']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a cancelled timer at the top of the heap is skipped by nextDueMs, fireNext and advance', () => {
    const { clock, fired, at } = setup();
    const first = clock.setTimer(100, at('first'));
    const second = clock.setTimer(100, at('second'));
    clock.setTimer(300, at('third'));
    clock.cancelTimer(first);
    expect(clock.nextDueMs()).toBe(100);
    clock.cancelTimer(second);
    expect([clock.nextDueMs(), clock.pendingTimers]).toEqual([300, 1]);
    expect(clock.fireNext(299)).toBe(false);
    expect(clock.nowMs()).toBe(0);
    expect(clock.fireNext()).toBe(true);
    expect([fired, clock.nowMs()]).toEqual([['third@300'], 300]);
  });

  it('a timer can cancel another due at the same time', () => {
    const { clock, fired, at } = setup();
    let victim = 0;
    clock.setTimer(
      100,
      at('killer', () => clock.cancelTimer(victim)),
    );
    victim = clock.setTimer(100, at('victim'));
    clock.advance(100);
    expect(fired).toEqual(['killer@100']);
  });
});

describe('advance and advanceTo', () => {
  it('never move backwards: assertion failures', () => {
    const { clock } = setup(1000);
    expect(() => clock.advance(-1)).toThrow(/backwards/);
    expect(() => clock.advanceTo(999)).toThrow(/backwards/);
    expect(() => clock.advanceTo(Number.NaN)).toThrow();
    expect(() => clock.advanceTo(Number.POSITIVE_INFINITY)).toThrow();
    clock.advanceTo(1000);
    expect(clock.nowMs()).toBe(1000);
  });

  it('without timers only move the time', () => {
    const { clock } = setup(7);
    clock.advance(10);
    clock.advanceTo(20);
    expect(clock.nowMs()).toBe(20);
  });

  it('a timer that advances the clock further leaves it there (time never goes back)', () => {
    const { clock, fired, at } = setup();
    clock.setTimer(
      100,
      at('nested', () => clock.advance(2000)),
    );
    clock.setTimer(1500, at('inner'));
    clock.setTimer(3000, at('later'));
    clock.advanceTo(1000);
    expect(fired).toEqual(['nested@100', 'inner@1500']);
    expect(clock.nowMs()).toBe(2100);
  });
});

describe('fireNext', () => {
  it('fires only the earliest timer, and only if due by the limit', () => {
    const { clock, fired, at } = setup();
    clock.setTimer(100, at('a'));
    clock.setTimer(200, at('b'));
    expect(clock.fireNext(99)).toBe(false);
    expect(clock.nowMs()).toBe(0);
    expect(clock.fireNext(100)).toBe(true);
    expect([fired, clock.nowMs()]).toEqual([['a@100'], 100]);
    expect(clock.fireNext()).toBe(true);
    expect(clock.fireNext()).toBe(false);
    expect([fired, clock.nowMs()]).toEqual([['a@100', 'b@200'], 200]);
  });
});

describe('runUntil', () => {
  it('returns true at once, time unchanged, when the predicate already holds', () => {
    const { clock, fired, at } = setup();
    clock.setTimer(10, at('a'));
    expect(clock.runUntil(() => true, { msMax: 1000 })).toBe(true);
    expect([fired, clock.nowMs()]).toEqual([[], 0]);
  });

  it('stops at the timer after which the predicate holds', () => {
    const { clock, fired, at } = setup();
    let done = false;
    clock.setTimer(100, at('a'));
    clock.setTimer(
      200,
      at('b', () => (done = true)),
    );
    clock.setTimer(300, at('c'));
    expect(clock.runUntil(() => done, { msMax: 1000 })).toBe(true);
    expect([fired, clock.nowMs(), clock.pendingTimers]).toEqual([['a@100', 'b@200'], 200, 1]);
  });

  it('gives up at now + msMax, time set to that limit, timers due by then fired', () => {
    const { clock, fired, at } = setup(50);
    clock.setTimer(100, at('a'));
    clock.setTimer(500, at('on-limit'));
    clock.setTimer(501, at('beyond'));
    expect(clock.runUntil(() => false, { msMax: 500 })).toBe(false);
    expect([fired, clock.nowMs(), clock.nextDueMs()]).toEqual([['a@150', 'on-limit@550'], 550, 551]);
  });

  it('checks the predicate once more at the limit', () => {
    const { clock } = setup();
    expect(clock.runUntil(() => clock.nowMs() >= 300, { msMax: 300 })).toBe(true);
    expect(clock.nowMs()).toBe(300);
  });

  it('refuses a negative or infinite msMax (it would move time backwards or forever)', () => {
    const { clock } = setup(1000);
    expect(() => clock.runUntil(() => false, { msMax: -1 })).toThrow(/msMax/);
    expect(() => clock.runUntil(() => false, { msMax: Number.POSITIVE_INFINITY })).toThrow(/msMax/);
    expect(clock.nowMs()).toBe(1000);
  });
});

describe('nextDueMs and pendingTimers', () => {
  it('report the earliest live timer and how many wait', () => {
    const { clock, at } = setup();
    expect([clock.nextDueMs(), clock.pendingTimers]).toEqual([undefined, 0]);
    clock.setTimer(300, at('a'));
    const b = clock.setTimer(100, at('b'));
    expect([clock.nextDueMs(), clock.pendingTimers]).toEqual([100, 2]);
    clock.cancelTimer(b);
    expect([clock.nextDueMs(), clock.pendingTimers]).toEqual([300, 1]);
    clock.advance(300);
    expect([clock.nextDueMs(), clock.pendingTimers]).toEqual([undefined, 0]);
  });

  it('refuse non-finite due times', () => {
    const { clock, at } = setup();
    expect(() => clock.setTimer(Number.NaN, at('x'))).toThrow(/finite/);
    expect(() => clock.setTimerAt(Number.POSITIVE_INFINITY, at('x'))).toThrow(/finite/);
    expect(clock.pendingTimers).toBe(0);
  });
});

// ------------------------------------------------------------ against a naive model

/** A timer program: each set timer may, when it fires, set one more (delay drawn up front). */
type Action =
  | { kind: 'set'; delayMs: number; childDelayMs: number | undefined }
  | { kind: 'setAt'; offsetMs: number }
  | { kind: 'cancel'; index: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'fireNext'; limitOffsetMs: number | undefined };

interface NaiveTimer {
  id: number;
  dueMs: number;
  sequence: number;
  childDelayMs: number | undefined;
}

/** Timers in an array, the earliest found by a scan: obviously right. */
class NaiveClock {
  nowMs: number;
  timers: NaiveTimer[] = [];
  fired: string[] = [];
  sequence = 0;
  constructor(startMs: number) {
    this.nowMs = startMs;
  }
  set(dueMs: number, childDelayMs: number | undefined): number {
    const timer = { id: ++this.sequence, dueMs: Math.max(dueMs, this.nowMs), sequence: this.sequence, childDelayMs };
    this.timers.push(timer);
    return timer.id;
  }
  cancel(id: number): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }
  earliest(): NaiveTimer | undefined {
    return [...this.timers].sort((a, b) => a.dueMs - b.dueMs || a.sequence - b.sequence)[0];
  }
  fireNext(limitMs: number): boolean {
    const timer = this.earliest();
    if (timer === undefined || timer.dueMs > limitMs) return false;
    this.cancel(timer.id);
    this.nowMs = timer.dueMs;
    this.fired.push(`${timer.id}@${this.nowMs}`);
    if (timer.childDelayMs !== undefined) this.set(this.nowMs + Math.max(0, timer.childDelayMs), undefined);
    return true;
  }
  advance(ms: number): void {
    const targetMs = this.nowMs + ms;
    while (this.fireNext(targetMs)) {
      // keep firing
    }
    this.nowMs = targetMs;
  }
}

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      delayMs: fc.integer({ min: -5, max: 60 }),
      childDelayMs: fc.option(fc.integer({ min: -5, max: 40 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('setAt' as const), offsetMs: fc.integer({ min: -20, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat({ max: 30 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 })) }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('fireNext' as const), limitOffsetMs: fc.option(fc.integer({ min: -5, max: 40 }), { nil: undefined }) }),
  },
);

describe('against a naive sorted list of timers', () => {
  it('fires the same timers at the same times, and agrees on now, pending and next due', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(actionArb, { maxLength: 60 }), (startMs, actions) => {
        const clock = new VirtualClock(startMs);
        const naive = new NaiveClock(startMs);
        const fired: string[] = [];
        /** Real IDs, in the order the naive clock numbers them (children included). */
        const ids: number[] = [];
        const setReal = (dueMs: number, childDelayMs: number | undefined): void => {
          const index = ids.length;
          ids.push(
            clock.setTimerAt(dueMs, () => {
              fired.push(`${index + 1}@${clock.nowMs()}`);
              if (childDelayMs !== undefined) setReal(clock.nowMs() + Math.max(0, childDelayMs), undefined);
            }),
          );
        };
        for (const action of actions) {
          switch (action.kind) {
            case 'set':
              naive.set(naive.nowMs + Math.max(0, action.delayMs), action.childDelayMs);
              setReal(clock.nowMs() + Math.max(0, action.delayMs), action.childDelayMs);
              break;
            case 'setAt':
              naive.set(naive.nowMs + action.offsetMs, undefined);
              setReal(clock.nowMs() + action.offsetMs, undefined);
              break;
            case 'cancel':
              if (ids.length === 0) break;
              naive.cancel((action.index % ids.length) + 1);
              clock.cancelTimer(ids[action.index % ids.length]!);
              break;
            case 'advance':
              naive.advance(action.ms);
              clock.advance(action.ms);
              break;
            case 'fireNext': {
              const limitMs = action.limitOffsetMs === undefined ? Number.POSITIVE_INFINITY : naive.nowMs + action.limitOffsetMs;
              expect(clock.fireNext(limitMs)).toBe(naive.fireNext(limitMs));
              break;
            }
          }
          expect(fired).toEqual(naive.fired);
          expect([clock.nowMs(), clock.pendingTimers, clock.nextDueMs()]).toEqual([naive.nowMs, naive.timers.length, naive.earliest()?.dueMs]);
        }
      }),
      { seed, numRuns: 300 },
    );
  });
});
