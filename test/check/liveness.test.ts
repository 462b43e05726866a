import { describe, expect, it } from 'vitest';
import type { LockEvent } from '../../src/check/history.ts';
import { checkLiveness } from '../../src/check/liveness.ts';

const event = (timeMs: number, process: string, kind: LockEvent['kind']): LockEvent => ({ timeMs, process, kind, lockName: 'L', fencingToken: 1 });

describe('checkLiveness', () => {
  it('accepts a waiter that gets the lock within the bound of it becoming free', () => {
    const verdict = checkLiveness(
      {
        events: [event(0, 'p1', 'acquired'), event(120, 'p1', 'released'), event(400, 'p2', 'acquired')],
        waits: [{ timeMs: 90, process: 'p2', lockName: 'L' }],
        faultsStoppedMs: 100,
        endMs: 1000,
      },
      { boundMs: 500 },
    );
    expect(verdict.result).toBe('ok');
  });

  it('reports a stall past the bound, with its waiters and who ended it', () => {
    const verdict = checkLiveness(
      {
        events: [event(0, 'p1', 'acquired'), event(120, 'p1', 'released'), event(900, 'p2', 'acquired')],
        waits: [{ timeMs: 90, process: 'p2', lockName: 'L' }],
        faultsStoppedMs: 100,
        endMs: 1000,
      },
      { boundMs: 500 },
    );
    expect(verdict.violations).toEqual([
      {
        kind: 'stall',
        lockName: 'L',
        fromMs: 120,
        toMs: 900,
        stalledMs: 780,
        boundMs: 500,
        endedBy: 'acquired',
        acquiredBy: 'p2',
        waiters: [{ process: 'p2', waitingSinceMs: 90, waitEndedMs: 900 }],
      },
    ]);
  });

  it('does not count time before faults stopped, nor a long-held lock', () => {
    const verdict = checkLiveness(
      {
        events: [event(1000, 'p1', 'acquired'), event(5000, 'p1', 'released'), event(5100, 'p2', 'acquired')],
        waits: [{ timeMs: 0, process: 'p2', lockName: 'L' }],
        faultsStoppedMs: 800,
        endMs: 6000,
      },
      { boundMs: 500 },
    );
    expect(verdict.result).toBe('ok');
  });

  it('reports a waiter never served by the end of the run, and ignores an abandoned wait', () => {
    const never = checkLiveness({ events: [], waits: [{ timeMs: 10, process: 'p1', lockName: 'L' }], faultsStoppedMs: 0, endMs: 2000 }, { boundMs: 500 });
    expect(never.violations).toEqual([
      expect.objectContaining({ fromMs: 10, toMs: 2000, endedBy: 'end-of-run', waiters: [{ process: 'p1', waitingSinceMs: 10, waitEndedMs: undefined }] }),
    ]);
    const abandoned = checkLiveness(
      { events: [], waits: [{ timeMs: 10, process: 'p1', lockName: 'L', abandonedMs: 300 }], faultsStoppedMs: 0, endMs: 2000 },
      { boundMs: 500 },
    );
    expect(abandoned.result).toBe('ok');
  });

  it('does not judge a stall the run ended too early to finish', () => {
    const verdict = checkLiveness({ events: [], waits: [{ timeMs: 10, process: 'p1', lockName: 'L' }], faultsStoppedMs: 0, endMs: 400 }, { boundMs: 500 });
    expect(verdict.result).toBe('ok');
  });
});
