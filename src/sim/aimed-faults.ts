/**
 * Faults aimed at roles. A random schedule hits a process at a time chosen
 * blind; the subtle lock bugs need a fault at the right process at the right
 * moment: the holder right after it acquires, a waiter while it waits, the
 * process whose write is in flight. An aimed fault is data like any other
 * (so it replays and shrinks), armed at its time and fired when the run
 * reaches the moment it names:
 *
 *   { atMs: 8_000, fault: { kind: 'aimed', role: 'holder', action: 'pause', durationMs: 7_000 } }
 *     8.000  fault  aimed pause at the next holder, right after it acquires, for 7000ms
 *     9.312  fault  pause carol          (carol acquired at 9.312)
 *    16.312  fault  resume carol
 *
 * Roles are read from the trace as it is written (deterministic: the trace
 * is), never from outside the run:
 * - a holder is a process that reported lock-acquired and not yet released,
 *   lost, exited or crashed;
 * - a waiter is a process that logged {@link waitStartLog} (the explorer's
 *   workload does, before each acquire) and has not acquired or failed since;
 * - a caller is a process whose unary call was just sent.
 * The fault fires in an event of its own at the same virtual ms (or
 * `delayMs` later), never inside the code that revealed the role.
 */
import type { AimedFault, Fault } from './faults.ts';
import { serverNode } from './faults.ts';
import type { TraceEvent } from './trace.ts';

/** The log line that marks a process starting to wait for the lock (src/explore/history.ts writes the same). */
export const waitStartLog = 'acquiring';
/** The prefix of the log line that marks an acquire that failed (the wait is over). */
export const waitFailedLogPrefix = 'acquire failed';

/** What the resolver needs of the world. */
export interface AimedFaultHost {
  nowMs(): number;
  /** Run `action` at `atMs` (keeps the run going until it ran). */
  schedule(atMs: number, action: () => void): void;
  /** Apply (and trace) a concrete fault. */
  apply(fault: Fault): void;
  /** The storage resource a `link: 'storage'` fault cuts, if there is one. */
  storageName(): string | undefined;
}

interface Armed {
  fault: AimedFault;
  armedAtMs: number;
}

export class AimedFaults {
  readonly #host: AimedFaultHost;
  /** Processes that believe they hold the lock, in the order they acquired. */
  readonly #holders = new Map<string, number>();
  /** Processes waiting for the lock, with when they started. */
  readonly #waiters = new Map<string, number>();
  /** Armed faults not yet fired, in the order they were armed. */
  #armed: Armed[] = [];

  constructor(host: AimedFaultHost) {
    this.#host = host;
  }

  /** Faults armed and not yet fired. */
  get armed(): number {
    return this.#armed.length;
  }

  /** Arm a fault: it fires on the first matching moment from now on (a waiter already waiting counts). */
  arm(fault: AimedFault): void {
    const nowMs = this.#host.nowMs();
    if (fault.untilMs !== undefined && nowMs >= fault.untilMs) return;
    if (fault.role === 'waiter' && this.#waiters.size > 0) {
      const waiters = [...this.#waiters].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const [process] = waiters[(fault.pick ?? 0) % waiters.length]!;
      this.#fire(fault, process);
      return;
    }
    this.#armed.push({ fault, armedAtMs: nowMs });
  }

  /** Follow the trace: keep the roles current and fire what waited for this moment. */
  observe(event: TraceEvent): void {
    switch (event.kind) {
      case 'client': {
        const client = event.event;
        if (client.kind === 'lock-acquired') {
          this.#holders.set(event.process, event.atMs);
          this.#waiters.delete(event.process);
          this.#trigger('holder', event.process, undefined);
        } else if (client.kind === 'lock-released' || client.kind === 'lock-lost') {
          this.#holders.delete(event.process);
        } else if (client.kind === 'call') {
          this.#trigger('caller', event.process, client.method);
        }
        return;
      }
      case 'log':
        if (event.message === waitStartLog) {
          this.#waiters.set(event.process, event.atMs);
          this.#trigger('waiter', event.process, undefined);
        } else if (event.message.startsWith(waitFailedLogPrefix)) this.#waiters.delete(event.process);
        return;
      case 'process-exited':
        this.#forget(event.process);
        return;
      case 'fault':
        if (event.fault.kind === 'crash') this.#forget(event.fault.process);
        return;
      default:
        return;
    }
  }

  #forget(process: string): void {
    this.#holders.delete(process);
    this.#waiters.delete(process);
  }

  #trigger(role: AimedFault['role'], process: string, method: string | undefined): void {
    if (this.#armed.length === 0) return;
    const nowMs = this.#host.nowMs();
    let kept: Armed[] | undefined;
    for (let i = 0; i < this.#armed.length; i++) {
      const armed = this.#armed[i]!;
      const fault = armed.fault;
      const lapsed = fault.untilMs !== undefined && nowMs >= fault.untilMs;
      const matches = !lapsed && fault.role === role && (fault.method === undefined || fault.method === method);
      if (matches) this.#fire(fault, process);
      if (matches || lapsed) {
        kept ??= this.#armed.slice(0, i);
      } else kept?.push(armed);
    }
    if (kept !== undefined) this.#armed = kept;
  }

  /** Schedule the concrete fault on `process` (and its undo). */
  #fire(fault: AimedFault, process: string): void {
    const startMs = this.#host.nowMs() + Math.max(0, fault.delayMs ?? 0);
    if (fault.untilMs !== undefined && startMs >= fault.untilMs) return;
    const endMs = Math.max(startMs + 1, fault.untilMs === undefined ? startMs + fault.durationMs : Math.min(startMs + fault.durationMs, fault.untilMs));
    const pair = concreteFaults(fault, process, endMs - startMs, this.#host.storageName());
    if (pair === undefined) return;
    this.#host.schedule(startMs, () => this.#host.apply(pair.start));
    if (pair.end !== undefined) {
      const end = pair.end;
      this.#host.schedule(endMs, () => this.#host.apply(end));
    }
  }
}

/** The concrete fault an aimed one stands for once its target is known, and what undoes it. */
export function concreteFaults(fault: AimedFault, process: string, durationMs: number, storage: string | undefined): { start: Fault; end?: Fault } | undefined {
  const peer = fault.link === 'storage' ? storage : serverNode;
  if (peer === undefined) return undefined;
  const link =
    fault.direction === 'out'
      ? { from: process, to: peer, oneWay: true }
      : fault.direction === 'in'
        ? { from: peer, to: process, oneWay: true }
        : { from: process, to: peer };
  switch (fault.action) {
    case 'pause':
      return { start: { kind: 'pause', process }, end: { kind: 'resume', process } };
    case 'crash':
      return { start: { kind: 'crash', process }, end: { kind: 'restart', process } };
    case 'partition':
      return { start: { kind: 'partition', ...link }, end: { kind: 'heal', ...link } };
    case 'hold':
      return { start: { kind: 'hold', ...link }, end: { kind: 'release', ...link } };
    case 'drift':
      return { start: { kind: 'drift', process, driftRate: fault.magnitude ?? 0.25 }, end: { kind: 'drift', process, driftRate: 1 } };
    case 'serverRestart':
      return { start: { kind: 'serverRestart', downMs: durationMs } };
    case 'slowApply':
      return { start: { kind: 'slowApply', delayMs: fault.magnitude ?? 1000 }, end: { kind: 'slowApply', delayMs: 0 } };
  }
}
