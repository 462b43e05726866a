/**
 * Facts read from a trace, as intervals: who believed they held which lock
 * and when, how long each lease lived on the server, and when faults were in
 * force. Both timelines draw these, and scenarios assert their stories with
 * them.
 *
 *   0.02 alice lock-acquired /lock token 3     belief  alice [0.02, 9.00) lost
 *   5.51 bob   lock-acquired /lock token 6     belief  bob   [5.51, 11.6) released
 *   9.00 alice lock-lost /lock                 overlap /lock [5.51, 9.00) alice+bob
 *
 * A belief ends when its holder releases the lock, learns it lost it, crashes
 * or exits; one still held when the run stopped has `untilMs` undefined
 * (src/check/beliefs.ts derives them).
 */
import type { TraceEvent } from '../sim/trace.ts';
import type { Fault } from '../sim/faults.ts';
import { describeFault, isPointFault, isUndoFault, undoesFault } from '../sim/faults.ts';
import type { LeaseId } from '../store/messages.ts';

// Beliefs have one home (src/check/beliefs.ts); the reports re-export them.
export { lockBeliefs, overlappingBeliefs, type BeliefOverlap, type LockBelief, type LockBeliefEnd } from '../check/beliefs.ts';

/** A lease from its grant to its expiry or revoke (or the end of the run). */
export interface LeaseLifetime {
  leaseId: LeaseId;
  process: string;
  incarnation: number;
  ttlSeconds: number;
  grantedAtMs: number;
  /** When the server revoked it (expiry sweep or a revoke call); undefined if it outlived the run. */
  endedAtMs: number | undefined;
  end: 'expired' | 'revoked' | 'alive';
  /** The revision the expiry made (expired leases only). */
  revision: number | undefined;
  /** Keepalive answers with TTL > 0 its holder got. */
  renewedAtMs: number[];
  /** When its holder stopped believing in it (lease-lost), and why. */
  lostByClient: { atMs: number; reason: string } | undefined;
}

/** A fault from its start to its end (or the end of the run). */
export interface FaultWindow {
  /** The fault that opened the window (`pause`, `crash`, `partition`, `hold`, `loss`, `latency`, `slowApply`, `serverRestart`, `drift`). */
  kind: Fault['kind'];
  /** Nodes the fault touches (process names, 'server', resources). */
  nodes: string[];
  fromMs: number;
  /** Undefined when never undone (or a point fault such as a clock jump: equal to fromMs). */
  untilMs: number | undefined;
  /** `pause alice`, `partition alice ↔ server`. */
  label: string;
}

/** Each lease the server granted, how long it lived and how its holder saw it. */
export function leaseLifetimes(events: readonly TraceEvent[]): LeaseLifetime[] {
  const leases = new Map<LeaseId, LeaseLifetime>();
  /** leaseRevoke calls in flight: `alice#1/4` → lease ID. */
  const revokes = new Map<string, LeaseId>();
  for (const event of events) {
    switch (event.kind) {
      case 'lease-granted':
        leases.set(event.leaseId, {
          leaseId: event.leaseId,
          process: event.process,
          incarnation: event.incarnation,
          ttlSeconds: event.ttlSeconds,
          grantedAtMs: event.atMs,
          endedAtMs: undefined,
          end: 'alive',
          revision: undefined,
          renewedAtMs: [],
          lostByClient: undefined,
        });
        break;
      case 'lease-expired': {
        const lease = leases.get(event.leaseId);
        if (lease !== undefined && lease.end === 'alive') {
          lease.end = 'expired';
          lease.endedAtMs = event.atMs;
          lease.revision = event.revision;
        }
        break;
      }
      case 'client': {
        const e = event.event;
        const callKey = (callId: number) => `${event.process}#${event.incarnation}/${callId}`;
        if (e.kind === 'call' && e.method === 'leaseRevoke') {
          const id = (e.request as { ID?: LeaseId }).ID;
          if (id !== undefined) revokes.set(callKey(e.callId), id);
        } else if (e.kind === 'return' && e.method === 'leaseRevoke') {
          const id = revokes.get(callKey(e.callId));
          revokes.delete(callKey(e.callId));
          const lease = id === undefined ? undefined : leases.get(id);
          // The revoke happened at the server a little earlier; the answer is the first we know of it.
          if (lease !== undefined && e.outcome === 'ok' && lease.end === 'alive') {
            lease.end = 'revoked';
            lease.endedAtMs = event.atMs;
          }
        } else if (e.kind === 'keepalive-answered' && e.ttlSeconds > 0) {
          leases.get(e.leaseId)?.renewedAtMs.push(event.atMs);
        } else if (e.kind === 'lease-lost') {
          const lease = leases.get(e.leaseId);
          if (lease !== undefined && lease.lostByClient === undefined) lease.lostByClient = { atMs: event.atMs, reason: e.reason };
        }
        break;
      }
      default:
        break;
    }
  }
  return [...leases.values()];
}

function nodesOf(fault: Fault): string[] {
  switch (fault.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'drift':
      return [fault.process];
    case 'partition':
    case 'heal':
    case 'hold':
    case 'release':
    case 'loss':
    case 'latency':
      return fault.from !== undefined && fault.to !== undefined ? [fault.from, fault.to] : [];
    case 'serverRestart':
    case 'slowApply':
      return ['server'];
    case 'aimed':
      // Armed only: the fault it fires is traced on its own, with its nodes.
      return [];
  }
}

/**
 * Faults as windows: a pause until its resume, a partition until its heal, a
 * server restart until the server is up again. A clock jump is a point.
 */
export function faultWindows(events: readonly TraceEvent[]): FaultWindow[] {
  const windows: (FaultWindow & { fault: Fault })[] = [];
  const open: (FaultWindow & { fault: Fault })[] = [];
  for (const event of events) {
    if (event.kind === 'server-up') {
      const index = open.findIndex((window) => window.kind === 'serverRestart');
      if (index >= 0) open.splice(index, 1)[0]!.untilMs = event.atMs;
      continue;
    }
    if (event.kind === 'process-exited') {
      // An exit ends a pause or crash window of that process (nothing is undone after it).
      continue;
    }
    if (event.kind !== 'fault') continue;
    const fault = event.fault;
    if (isUndoFault(fault)) {
      for (let i = open.length - 1; i >= 0; i--) {
        if (!undoesFault(open[i]!.fault, fault)) continue;
        open[i]!.untilMs = event.atMs;
        open.splice(i, 1);
      }
      continue;
    }
    const window = {
      kind: fault.kind,
      nodes: nodesOf(fault),
      fromMs: event.atMs,
      untilMs: undefined as number | undefined,
      label: describeFault(fault),
      fault,
    };
    if (isPointFault(fault)) window.untilMs = event.atMs;
    windows.push(window);
    if (window.untilMs === undefined) open.push(window);
  }
  return windows.map(({ fault: _fault, ...window }) => window);
}

const jsonDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The trace as JSON: bigints (lease IDs) as decimal strings, bytes as UTF-8
 * strings (or `0x…` hex when they are not UTF-8).
 */
export function traceToJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_key, field: unknown) => {
      if (typeof field === 'bigint') return field.toString();
      if (field instanceof Uint8Array) {
        try {
          return jsonDecoder.decode(field);
        } catch {
          return `0x${Array.from(field, (b) => b.toString(16).padStart(2, '0')).join('')}`;
        }
      }
      return field;
    },
    indent,
  );
}
