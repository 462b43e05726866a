import { describe, expect, it } from 'vitest';
import { describeFault, type Fault, isPointFault, isUndoFault, undoesFault } from '../../src/sim/faults.ts';
import { faultWindows } from '../../src/report/trace-facts.ts';
import { traceToHistory } from '../../src/explore/history.ts';
import { Trace, type TraceEvent } from '../../src/sim/trace.ts';

describe('fault pairing', () => {
  it('pairs each start with its undo, on the same process', () => {
    const pairs: [Fault, Fault][] = [
      [
        { kind: 'pause', process: 'a' },
        { kind: 'resume', process: 'a' },
      ],
      [
        { kind: 'crash', process: 'a' },
        { kind: 'restart', process: 'a' },
      ],
      [
        { kind: 'loss', probability: 0.5, from: 'a', to: 'server' },
        { kind: 'loss', probability: 0, from: 'a', to: 'server' },
      ],
      [{ kind: 'latency', latencyMs: 100 }, { kind: 'latency' }],
      [
        { kind: 'slowApply', delayMs: 50 },
        { kind: 'slowApply', delayMs: 0 },
      ],
      [
        { kind: 'drift', process: 'a', driftRate: 2 },
        { kind: 'drift', process: 'a', driftRate: 1 },
      ],
    ];
    for (const [start, end] of pairs) {
      expect([isUndoFault(start), isUndoFault(end), undoesFault(start, end)], describeFault(start)).toEqual([false, true, true]);
      expect(undoesFault(end, start)).toBe(false);
    }
    expect(undoesFault({ kind: 'pause', process: 'a' }, { kind: 'resume', process: 'b' })).toBe(false);
    expect(undoesFault({ kind: 'pause', process: 'a' }, { kind: 'restart', process: 'a' })).toBe(false);
  });

  it('a link undo must cover every direction the start touched, as the network heals them', () => {
    const both: Fault = { kind: 'partition', from: 'a', to: 'server' };
    const oneWay: Fault = { kind: 'partition', from: 'a', to: 'server', oneWay: true };
    expect(undoesFault(both, { kind: 'heal', from: 'server', to: 'a' })).toBe(true); // the other way round
    expect(undoesFault(both, { kind: 'heal' })).toBe(true); // every link
    expect(undoesFault(oneWay, { kind: 'heal', from: 'a', to: 'server' })).toBe(true);
    expect(undoesFault(both, { kind: 'heal', from: 'a', to: 'server', oneWay: true })).toBe(false); // server → a still drops
    expect(undoesFault(oneWay, { kind: 'heal', from: 'server', to: 'a', oneWay: true })).toBe(false);
    expect(undoesFault(both, { kind: 'heal', from: 'a', to: 'storage' })).toBe(false);
    expect(undoesFault({ kind: 'hold', from: 'a', to: 'server' }, { kind: 'release', from: 'server', to: 'a' })).toBe(true);
  });

  it('a clock jump is a point; server restarts and aimed faults are never undone by a partner', () => {
    expect(isPointFault({ kind: 'drift', process: 'a', jumpMs: 500 })).toBe(true);
    expect(isPointFault({ kind: 'drift', process: 'a', driftRate: 2 })).toBe(false);
    expect(undoesFault({ kind: 'drift', process: 'a', jumpMs: 500 }, { kind: 'drift', process: 'a', driftRate: 1 })).toBe(false);
    expect(isUndoFault({ kind: 'serverRestart' })).toBe(false);
  });

  it('the report and the explorer read the same windows from one trace', () => {
    const at = (atMs: number, fault: Fault): TraceEvent => ({ kind: 'fault', atMs, fault });
    const events: TraceEvent[] = [
      at(10, { kind: 'partition', from: 'a', to: 'server' }),
      at(20, { kind: 'pause', process: 'b' }),
      at(25, { kind: 'drift', process: 'c', jumpMs: 100 }),
      at(30, { kind: 'heal', from: 'server', to: 'a' }),
      at(40, { kind: 'resume', process: 'b' }),
    ];
    const windows = faultWindows(events).map((w) => [w.kind, w.fromMs, w.untilMs]);
    const trace = new Trace();
    for (const event of events) trace.record(event);
    const spans = traceToHistory(trace, { lockName: 'L', fenced: true }).faultSpans.map((s) => [s.fault.kind, s.fromMs, s.toMs]);
    expect(windows).toEqual([
      ['partition', 10, 30],
      ['pause', 20, 40],
      ['drift', 25, 25],
    ]);
    expect(spans).toEqual(windows);
  });
});
