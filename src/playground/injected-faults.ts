/**
 * The faults a learner injects, in the playground (a click on a lane) and on
 * the command line (`leaselab run <scenario> --fault pause:alice@3000+8000`):
 * one vocabulary, one way to turn it into scheduled faults, so the page's
 * replay line reruns the page's run byte for byte.
 *
 *   pause:alice@3000+8000       alice paused at 3 s, resumed 8 s later
 *   crash:alice@4000+2000       alice crashes at 4 s, restarted 2 s later
 *   partition:bob@2000+5000     bob cut off from etcd (both ways) at 2 s, healed 5 s later
 *   hold:bob@2000+5000          bob's messages to and from etcd held at 2 s, delivered in order 5 s later
 *   restart:etcd@5000+1000      etcd restarts at 5 s, down for 1 s
 *
 *   parseFaultSpec('pause:alice@3000+8000')   // { kind: 'pause', process: 'alice', atMs: 3000, durationMs: 8000 }
 *   scheduledFaults([spec])                    // the pause and the resume, in time order
 */
import { serverNode, type Fault, type ScheduledFault } from '../sim/faults.ts';

/** The fault kinds injected into a process, each undone after `durationMs` (crash: restarted). */
export type InjectKind = 'pause' | 'crash' | 'partition' | 'hold';
export const injectKinds: readonly InjectKind[] = ['pause', 'crash', 'partition', 'hold'];

/** The name etcd goes by in a fault spec (`restart:etcd@…`). */
export const etcdName = 'etcd';

/** One injected fault: a process fault with how long it lasts, or etcd restarting. */
export type FaultSpec =
  | { kind: InjectKind; process: string; atMs: number; durationMs: number }
  | { kind: 'restart'; process: typeof etcdName; atMs: number; durationMs: number };

/** A spec that does not parse, with a sentence saying why. */
export class FaultSpecError extends Error {}

/** etcd restarting at `atMs`, down for `downMs` (data kept, every lease promoted, connections dropped). */
export function injectedServerRestart(atMs: number, downMs: number): ScheduledFault[] {
  return [{ atMs: Math.max(0, Math.round(atMs)), fault: { kind: 'serverRestart', downMs: Math.max(0, Math.round(downMs)) } }];
}

/**
 * A fault on `process` at `atMs` for `durationMs`, as its pair of scheduled
 * faults (pause/resume, crash/restart, partition/heal or hold/release of its
 * link to the etcd server).
 */
export function injectedFault(kind: InjectKind, process: string, atMs: number, durationMs: number): ScheduledFault[] {
  const at = Math.max(0, Math.round(atMs));
  const until = at + Math.max(1, Math.round(durationMs));
  const pair = (begin: Fault, end: Fault): ScheduledFault[] => [
    { atMs: at, fault: begin },
    { atMs: until, fault: end },
  ];
  switch (kind) {
    case 'pause':
      return pair({ kind: 'pause', process }, { kind: 'resume', process });
    case 'crash':
      return pair({ kind: 'crash', process }, { kind: 'restart', process });
    case 'partition':
      return pair({ kind: 'partition', from: process, to: serverNode }, { kind: 'heal', from: process, to: serverNode });
    case 'hold':
      return pair({ kind: 'hold', from: process, to: serverNode }, { kind: 'release', from: process, to: serverNode });
  }
}

/** Faults in time order (stable for equal times), as the playground and `run --fault` give them to the simulator. */
export function sortedFaults(injected: readonly ScheduledFault[]): ScheduledFault[] {
  return injected
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.atMs - b.entry.atMs || a.index - b.index)
    .map(({ entry }) => entry);
}

/** The scheduled faults of specs, in the order given (sort them with {@link sortedFaults} before running). */
export function scheduledFaults(specs: readonly FaultSpec[]): ScheduledFault[] {
  return specs.flatMap((spec) =>
    spec.kind === 'restart' ? injectedServerRestart(spec.atMs, spec.durationMs) : injectedFault(spec.kind, spec.process, spec.atMs, spec.durationMs),
  );
}

/** A spec as `run --fault` takes it: `pause:alice@3000+8000`. */
export function faultSpecText(spec: FaultSpec): string {
  return `${spec.kind}:${spec.process}@${spec.atMs}+${spec.durationMs}`;
}

const specPattern = /^([a-z]+):([^@\s]+)@(.*)$/;
const whenPattern = /^(\d+)\+(\d+)$/;

/**
 * Parse one `--fault` value. `processes` (when given) are the names the run
 * has; a fault on another is refused.
 * @throws FaultSpecError saying what is wrong and what would be right
 */
export function parseFaultSpec(text: string, processes?: readonly string[]): FaultSpec {
  const shape = `KIND:WHO@AT_MS+FOR_MS, KIND one of ${[...injectKinds, 'restart'].join(', ')} (e.g. pause:alice@3000+8000, restart:etcd@5000+1000)`;
  const parts = specPattern.exec(text);
  if (parts === null) throw new FaultSpecError(`--fault '${text}' is not ${shape}`);
  const [, kind, who, when] = parts as unknown as [string, string, string, string];
  if (kind !== 'restart' && !injectKinds.includes(kind as InjectKind))
    throw new FaultSpecError(`--fault '${text}': unknown kind '${kind}'; kinds: ${injectKinds.join(', ')} (a process) and restart (etcd)`);
  const times = whenPattern.exec(when);
  if (times === null) {
    const hint = /^\d+$/.test(when) ? `; say how long it lasts: ${kind}:${who}@${when}+${kind === 'restart' ? '1000' : '2000'}` : '';
    throw new FaultSpecError(`--fault '${text}': '${when}' is not AT_MS+FOR_MS (whole milliseconds of virtual time)${hint}`);
  }
  const atMs = Number(times[1]);
  const durationMs = Number(times[2]);
  if (!Number.isSafeInteger(atMs) || !Number.isSafeInteger(durationMs)) throw new FaultSpecError(`--fault '${text}': the times are too large`);
  if (kind === 'restart') {
    if (who !== etcdName)
      throw new FaultSpecError(
        `--fault '${text}': only etcd restarts this way (restart:etcd@${when}); to crash a process and restart it: crash:${who}@${when}`,
      );
    return { kind: 'restart', process: etcdName, atMs, durationMs };
  }
  if (durationMs < 1) throw new FaultSpecError(`--fault '${text}': a ${kind} lasts at least 1 ms`);
  if (who === etcdName || who === serverNode)
    throw new FaultSpecError(`--fault '${text}': ${kind} takes a client process; etcd itself only restarts (restart:etcd@${when})`);
  if (processes !== undefined && !processes.includes(who))
    throw new FaultSpecError(`--fault '${text}': no process '${who}' in this run; its processes: ${processes.join(', ')}`);
  return { kind: kind as InjectKind, process: who, atMs, durationMs };
}

const undoneBy: Record<InjectKind, Fault['kind']> = { pause: 'resume', crash: 'restart', partition: 'heal', hold: 'release' };

/**
 * The specs behind scheduled faults made by {@link scheduledFaults} (pairs
 * matched back up: a pause with the next resume of the same process, …), or
 * undefined when some fault is not one a spec makes.
 */
export function faultSpecsOf(injected: readonly ScheduledFault[]): FaultSpec[] | undefined {
  const specs: FaultSpec[] = [];
  const open: { spec: FaultSpec & { kind: InjectKind } }[] = [];
  for (const { atMs, fault } of injected) {
    if (fault.kind === 'serverRestart') {
      specs.push({ kind: 'restart', process: etcdName, atMs, durationMs: fault.downMs ?? 0 });
      continue;
    }
    if (fault.kind === 'pause' || fault.kind === 'crash') {
      const spec = { kind: fault.kind, process: fault.process, atMs, durationMs: 0 };
      open.push({ spec });
      specs.push(spec);
      continue;
    }
    if ((fault.kind === 'partition' || fault.kind === 'hold') && fault.to === serverNode && fault.oneWay !== true) {
      const spec = { kind: fault.kind, process: fault.from, atMs, durationMs: 0 };
      open.push({ spec });
      specs.push(spec);
      continue;
    }
    const who =
      fault.kind === 'resume' || fault.kind === 'restart' ? fault.process : fault.kind === 'heal' || fault.kind === 'release' ? fault.from : undefined;
    const at = open.findIndex((entry) => undoneBy[entry.spec.kind] === fault.kind && entry.spec.process === who);
    if (at < 0) return undefined;
    const [{ spec }] = open.splice(at, 1) as [{ spec: FaultSpec }];
    spec.durationMs = atMs - spec.atMs;
  }
  if (open.length > 0) return undefined;
  // the specs must make exactly these faults again
  return JSON.stringify(sortedFaults(scheduledFaults(specs))) === JSON.stringify(sortedFaults(injected)) ? specs : undefined;
}
