// compareReplay: where a replay parts from the run that found a counterexample, and the likely cause.
import { describe, expect, it } from 'vitest';
import { compareReplay, likelyCause } from '../../src/explore/replay-check.ts';
import type { LockRun } from '../../src/explore/workload.ts';
import { Sim } from '../../src/sim/sim.ts';
import { renderTraceEvent, type Trace } from '../../src/sim/trace.ts';

/** A seeded run's trace: alice takes a lease and writes `value` under it. */
async function traceOf(seed: number, value: string): Promise<Trace> {
  const sim = new Sim({ seed });
  sim.process('alice', async ({ client }) => {
    const { ID } = await client.grant(3);
    await client.put('/k', value, { lease: ID });
  });
  return (await sim.run()).trace;
}

/** A lock run as compareReplay reads it: its trace and the globals it used. */
const run = (trace: Trace, globals: Partial<LockRun['globals']> = {}) =>
  ({ trace, globals: { used: {}, shared: false, description: '', ...globals } }) as unknown as LockRun;

describe('compareReplay', () => {
  it('is undefined when the replay gives the same trace', async () => {
    expect(compareReplay(run(await traceOf(3, 'v')), run(await traceOf(3, 'v')))).toBeUndefined();
  });

  it('names the first line that differs, as the text timeline shows it, and the likely cause', async () => {
    const found = await traceOf(3, 'v');
    const replayed = await traceOf(3, 'w');
    const at = found.events.findIndex((event, i) => renderTraceEvent(event) !== renderTraceEvent(replayed.events[i]!));
    expect(at).toBeGreaterThan(0);
    const report = compareReplay(run(found), run(replayed))!.split('\n');
    expect(report).toEqual([
      `replay differs from the run that found it (first difference at trace line ${at + 1} of ${found.events.length} / ${replayed.events.length}):`,
      `  found:  ${renderTraceEvent(found.events[at]!).trim()}`,
      `  replay: ${renderTraceEvent(replayed.events[at]!).trim()}`,
      `likely cause: ${likelyCause(run(found), run(replayed))}`,
    ]);
    expect(report[1]).toContain('"v"');
    expect(report[2]).toContain('"w"');
  });

  it('a replay that stops early (or goes on) differs where the shorter trace ends', async () => {
    const found = await traceOf(3, 'v');
    // the first four events only (compareReplay reads a trace's events)
    const cut = { events: found.events.slice(0, 4) } as unknown as Trace;
    const report = compareReplay(run(found), run(cut))!.split('\n');
    expect(report[0]).toBe(`replay differs from the run that found it (first difference at trace line 5 of ${found.events.length} / 4):`);
    expect(report[1]).toBe(`  found:  ${renderTraceEvent(found.events[4]!).trim()}`);
    expect(report[2]).toBe('  replay: (the trace ended here)');
    expect(compareReplay(run(cut), run(found))!.split('\n')[1]).toBe('  found:  (the trace ended here)');
  });
});

describe('likelyCause', () => {
  const state =
    'state kept between runs (module-level variables, caches, counters in the lock module), or time and randomness the simulator cannot replace (new Date(), performance.now, node:timers, crypto.randomUUID, real I/O)';

  it('with nothing else to go on, blames state kept between runs', async () => {
    const trace = await traceOf(1, 'v');
    expect(likelyCause(run(trace), run(trace))).toBe(state);
  });

  it('names the globals either run used, and a run that shared them, before that', async () => {
    const trace = await traceOf(1, 'v');
    const cause = likelyCause(run(trace), run(trace, { description: 'Math.random ×12', shared: true }));
    expect(cause.split('; or ')).toEqual([
      'the algorithm used globals: Math.random ×12; they were replaced by seeded/virtual ones, but global timers ignore pauses and crashes',
      'another simulated run was going on at the same time in this process and shared the replaced globals (run explorations one at a time)',
      state,
    ]);
  });
});
