// The faults a learner injects: the --fault spec text, the scheduled faults it makes, and back again
// (the playground's replay line names its faults as specs that must make exactly the same faults).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FaultSpec,
  FaultSpecError,
  faultSpecsOf,
  faultSpecText,
  injectedFault,
  injectKinds,
  parseFaultSpec,
  scheduledFaults,
  sortedFaults,
} from '../../src/playground/injected-faults.ts';
import type { ScheduledFault } from '../../src/sim/faults.ts';
import { casesFor } from '../quick-tier.ts';

describe('parseFaultSpec', () => {
  it('reads KIND:WHO@AT+FOR for each process fault, and restart:etcd', () => {
    expect(parseFaultSpec('pause:alice@3000+8000')).toEqual({ kind: 'pause', process: 'alice', atMs: 3000, durationMs: 8000 });
    expect(parseFaultSpec('hold:bob#2@0+1', ['alice', 'bob#2'])).toEqual({ kind: 'hold', process: 'bob#2', atMs: 0, durationMs: 1 });
    expect(parseFaultSpec('restart:etcd@5000+0')).toEqual({ kind: 'restart', process: 'etcd', atMs: 5000, durationMs: 0 });
    for (const kind of injectKinds) expect(faultSpecText(parseFaultSpec(`${kind}:p@1+2`))).toBe(`${kind}:p@1+2`);
  });

  it('refuses a bad spec with what is wrong and what would be right', () => {
    const shape = 'KIND:WHO@AT_MS+FOR_MS, KIND one of pause, crash, partition, hold, restart (e.g. pause:alice@3000+8000, restart:etcd@5000+1000)';
    const refusals: [string, string][] = [
      ['pause alice', `--fault 'pause alice' is not ${shape}`],
      ['Pause:alice@1+1', `--fault 'Pause:alice@1+1' is not ${shape}`],
      ['sleep:alice@1+1', "--fault 'sleep:alice@1+1': unknown kind 'sleep'; kinds: pause, crash, partition, hold (a process) and restart (etcd)"],
      [
        'pause:alice@3000',
        "--fault 'pause:alice@3000': '3000' is not AT_MS+FOR_MS (whole milliseconds of virtual time); say how long it lasts: pause:alice@3000+2000",
      ],
      [
        'restart:etcd@5000',
        "--fault 'restart:etcd@5000': '5000' is not AT_MS+FOR_MS (whole milliseconds of virtual time); say how long it lasts: restart:etcd@5000+1000",
      ],
      ['pause:alice@1.5+2', "--fault 'pause:alice@1.5+2': '1.5+2' is not AT_MS+FOR_MS (whole milliseconds of virtual time)"],
      ['pause:alice@99999999999999999+1', "--fault 'pause:alice@99999999999999999+1': the times are too large"],
      ['restart:alice@1+1', "--fault 'restart:alice@1+1': only etcd restarts this way (restart:etcd@1+1); to crash a process and restart it: crash:alice@1+1"],
      ['pause:alice@1+0', "--fault 'pause:alice@1+0': a pause lasts at least 1 ms"],
      ['crash:etcd@1+1', "--fault 'crash:etcd@1+1': crash takes a client process; etcd itself only restarts (restart:etcd@1+1)"],
      ['partition:server@1+1', "--fault 'partition:server@1+1': partition takes a client process; etcd itself only restarts (restart:etcd@1+1)"],
    ];
    for (const [text, message] of refusals) expect(() => parseFaultSpec(text), text).toThrow(new FaultSpecError(message));
    expect(() => parseFaultSpec('pause:carol@1+1', ['alice', 'bob'])).toThrow(
      "--fault 'pause:carol@1+1': no process 'carol' in this run; its processes: alice, bob",
    );
  });
});

describe('scheduled faults', () => {
  it('each process fault is a pair on its link to etcd; times are whole ms, at least 1 ms apart', () => {
    expect(injectedFault('partition', 'bob', 2000, 5000)).toEqual([
      { atMs: 2000, fault: { kind: 'partition', from: 'bob', to: 'server' } },
      { atMs: 7000, fault: { kind: 'heal', from: 'bob', to: 'server' } },
    ]);
    expect(injectedFault('crash', 'a', 10.4, 0.2)).toEqual([
      { atMs: 10, fault: { kind: 'crash', process: 'a' } },
      { atMs: 11, fault: { kind: 'restart', process: 'a' } },
    ]);
    expect(injectedFault('pause', 'a', -5, 3).map((entry) => entry.atMs)).toEqual([0, 3]);
    expect(scheduledFaults([{ kind: 'restart', process: 'etcd', atMs: 5000, durationMs: 1000 }])).toEqual([
      { atMs: 5000, fault: { kind: 'serverRestart', downMs: 1000 } },
    ]);
  });

  it('sortedFaults orders by time, equal times as given, and leaves its input alone', () => {
    const faults: ScheduledFault[] = [
      { atMs: 5, fault: { kind: 'resume', process: 'a' } },
      { atMs: 1, fault: { kind: 'pause', process: 'b' } },
      { atMs: 5, fault: { kind: 'pause', process: 'c' } },
      { atMs: 1, fault: { kind: 'pause', process: 'd' } },
    ];
    const before = JSON.stringify(faults);
    expect(sortedFaults(faults).map((entry) => `${entry.atMs}${entry.fault.kind}`)).toEqual(['1pause', '1pause', '5resume', '5pause']);
    expect(sortedFaults(faults).map((entry) => ('process' in entry.fault ? entry.fault.process : ''))).toEqual(['b', 'd', 'a', 'c']);
    expect(JSON.stringify(faults)).toBe(before);
  });
});

describe('faultSpecsOf', () => {
  const specArbitrary: fc.Arbitrary<FaultSpec> = fc.oneof(
    fc.record({
      kind: fc.constantFrom(...injectKinds),
      process: fc.constantFrom('alice', 'bob'),
      atMs: fc.nat({ max: 10_000 }),
      durationMs: fc.integer({ min: 1, max: 10_000 }),
    }),
    fc.record({
      kind: fc.constant('restart' as const),
      process: fc.constant('etcd' as const),
      atMs: fc.nat({ max: 10_000 }),
      durationMs: fc.nat({ max: 5000 }),
    }),
  );

  it('gives back specs that make exactly the same faults, however they overlap', () => {
    fc.assert(
      fc.property(fc.array(specArbitrary, { maxLength: 8 }), (specs) => {
        // as the page keeps them: in the order the faults were injected (the run sorts them)
        const faults = scheduledFaults(specs);
        const found = faultSpecsOf(faults);
        expect(found).toBeDefined();
        expect(sortedFaults(scheduledFaults(found!))).toEqual(sortedFaults(faults));
        expect(found!.map((spec) => faultSpecText(spec)).map((text) => parseFaultSpec(text))).toEqual(found);
      }),
      { seed: 14, numRuns: casesFor(300, 60) },
    );
  });

  it('is undefined for faults no spec makes: an end without a start, a start never ended, a one-way cut', () => {
    expect(faultSpecsOf([{ atMs: 5, fault: { kind: 'resume', process: 'a' } }])).toBeUndefined();
    expect(faultSpecsOf([{ atMs: 5, fault: { kind: 'pause', process: 'a' } }])).toBeUndefined();
    expect(
      faultSpecsOf([
        { atMs: 1, fault: { kind: 'partition', from: 'a', to: 'server', oneWay: true } },
        { atMs: 2, fault: { kind: 'heal', from: 'a', to: 'server', oneWay: true } },
      ]),
    ).toBeUndefined();
    expect(
      faultSpecsOf([
        { atMs: 1, fault: { kind: 'partition', from: 'a', to: 'b' } },
        { atMs: 2, fault: { kind: 'heal', from: 'a', to: 'b' } },
      ]),
    ).toBeUndefined();
    expect(faultSpecsOf([])).toEqual([]);
  });
});
