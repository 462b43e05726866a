// A cluster leader's lessor tick (src/store/proposing-lessor-tick.ts), run by
// etcd's loops on a fake schedule, proposing into a fake log that applies
// (or loses) each proposal: which revokes and checkpoints are proposed when,
// retries of a lost revoke, and what demotion and shutdown forget.
import { describe, expect, it } from 'vitest';
import { startEtcdLoops } from '../../src/store/etcd-loops.ts';
import type { LeaseId } from '../../src/store/messages.ts';
import { ProposingLessorTick } from '../../src/store/proposing-lessor-tick.ts';
import { FakeSchedule } from './fake-loop-schedule.ts';

interface FakeLease {
  deadlineMs: number;
  ttlSeconds: number;
}

function setup(options: { checkpointIntervalMs?: number; applyAfterMs?: number } = {}) {
  const schedule = new FakeSchedule();
  const leases = new Map<LeaseId, FakeLease>();
  const proposed: string[] = [];
  const state = { leader: true, loseProposals: false };
  const tick: ProposingLessorTick = new ProposingLessorTick({
    clock: schedule,
    leases: {
      leases: () => [...leases].sort((a, b) => a[1].deadlineMs - b[1].deadlineMs).map(([id]) => id),
      nextDeadlineMs: () => (leases.size === 0 ? undefined : Math.min(...[...leases.values()].map((lease) => lease.deadlineMs))),
      deadlineMs: (id) => leases.get(id)?.deadlineMs,
      grantedTtlSeconds: (id) => leases.get(id)?.ttlSeconds ?? 0,
    },
    propose: {
      revoke: (id) => {
        proposed.push(`revoke ${id}@${schedule.nowMs()}`);
        // The log applies it a little later, unless the proposal is lost.
        if (!state.loseProposals)
          schedule.at(schedule.nowMs() + (options.applyAfterMs ?? 10), () => {
            if (leases.delete(id)) tick.leaseGone(id);
          });
      },
      checkpoint: (id, remainingSeconds) => proposed.push(`checkpoint ${id} ${remainingSeconds}s@${schedule.nowMs()}`),
    },
    counting: () => state.leader,
    checkpointIntervalMs: options.checkpointIntervalMs,
  });
  const stop = startEtcdLoops({ lessor: tick, syncWatchers: () => {}, notifyWatchProgress: () => {} }, schedule);
  const grant = (id: LeaseId, ttlSeconds: number) => {
    leases.set(id, { deadlineMs: schedule.nowMs() + ttlSeconds * 1000, ttlSeconds });
    tick.scheduleCheckpoint(id, undefined);
  };
  return { schedule, leases, proposed, state, tick, stop, grant };
}

describe('revokes, proposed', () => {
  it('proposes a revoke at the first tick at or after the deadline, once while it is being applied', () => {
    const { schedule, leases, proposed, grant } = setup({ applyAfterMs: 700 });
    grant(1n, 2); // deadline 2000
    schedule.advanceTo(1999);
    expect(proposed).toEqual([]);
    schedule.advanceTo(3000);
    // Applied at 2700: the 2500 tick sees it still expired and does not ask again.
    expect(proposed).toEqual(['revoke 1@2000']);
    expect(leases.has(1n)).toBe(false);
  });

  it('asks again for a lease whose proposal was lost, after the retry interval (3 s)', () => {
    const { schedule, proposed, state, grant } = setup();
    state.loseProposals = true;
    grant(1n, 2);
    schedule.advanceTo(8000);
    expect(proposed).toEqual(['revoke 1@2000', 'revoke 1@5000', 'revoke 1@8000']);
  });

  it('proposes at most 500 revokes a tick, soonest deadline first', () => {
    const { schedule, proposed, grant } = setup();
    for (let id = 1n; id <= 1200n; id++) grant(id, 2);
    schedule.advanceTo(2000);
    expect(proposed).toHaveLength(500);
    expect(proposed[0]).toBe('revoke 1@2000');
    schedule.advanceTo(2500);
    expect(proposed).toHaveLength(1000);
    schedule.advanceTo(3000);
    expect(proposed).toHaveLength(1200);
    expect(proposed.at(-1)).toBe('revoke 1200@3000');
  });

  it('proposes nothing while not the leader; demotion forgets what was asked, so a new term asks at once', () => {
    const { schedule, proposed, state, tick, grant } = setup();
    state.loseProposals = true;
    grant(1n, 2);
    schedule.advanceTo(2000);
    state.leader = false;
    tick.demote();
    schedule.advanceTo(4000);
    expect(proposed).toEqual(['revoke 1@2000']);
    state.leader = true;
    schedule.advanceTo(4500);
    expect(proposed).toEqual(['revoke 1@2000', 'revoke 1@4500']);
  });
});

describe('checkpoints, proposed', () => {
  it('checkpoints a lease an interval after it was scheduled, with its remaining TTL rounded up', () => {
    const { schedule, proposed, tick, grant } = setup({ checkpointIntervalMs: 1000 });
    grant(1n, 10);
    expect(tick.checkpointsScheduled).toBe(true);
    schedule.advanceTo(1600);
    expect(proposed).toEqual(['checkpoint 1 9s@1000']);
    // Once: the next one is scheduled when the checkpoint is applied.
    expect(tick.checkpointsScheduled).toBe(false);
  });

  it('schedules none for a lease with no more than an interval to go, granted or checkpointed', () => {
    const { schedule, proposed, tick, grant } = setup({ checkpointIntervalMs: 5000 });
    grant(1n, 5);
    tick.scheduleCheckpoint(2n, 3);
    expect(tick.checkpointsScheduled).toBe(false);
    schedule.advanceTo(4000);
    expect(proposed).toEqual([]);
  });

  it('checkpoints nothing without checkpointing, or for a lease gone since', () => {
    const without = setup();
    without.grant(1n, 600);
    expect(without.tick.checkpointsScheduled).toBe(false);
    const { schedule, proposed, tick, leases, grant } = setup({ checkpointIntervalMs: 1000 });
    grant(1n, 10);
    grant(2n, 10);
    leases.delete(2n);
    tick.leaseGone(2n);
    schedule.advanceTo(1000);
    expect(proposed).toEqual(['checkpoint 1 9s@1000']);
  });
});

describe('shutdown', () => {
  it('stopping the loops ends every proposal; demoting forgets scheduled checkpoints', () => {
    const { schedule, proposed, tick, stop, grant } = setup({ checkpointIntervalMs: 1000 });
    grant(1n, 10);
    grant(2n, 1);
    stop();
    schedule.advanceTo(20_000);
    expect(proposed).toEqual([]);
    expect(schedule.pending).toBe(0);
    tick.demote();
    expect(tick.checkpointsScheduled).toBe(false);
  });
});
