/**
 * From a trace to what the checkers read (src/check/history.ts): lock
 * beliefs, waits, resource writes and the KV call history.
 *
 *   12.004 alice#1 log 'acquiring'                 → wait {timeMs 12004, process 'alice'}
 *   12.020 alice#1 LOCK ACQUIRED /lock … token 7   → lock event {kind 'acquired', fencingToken 7}
 *   13.000 fault   crash alice                     → lock event {kind 'lost'} (a crashed holder believes nothing)
 *   14.100 storage write by bob#1 token 9 accepted → fenced write {process 'bob', fencingToken 9, accepted}
 *   call #3 txn … / return #3 txn ok …             → operation {process 'bob#1', invokeMs, returnMs, input, output}
 *
 * Processes are named without incarnation in lock events (a restarted
 * process is the same client coming back) and with it in KV operations (each
 * incarnation has its own connection and call numbers). A call still open
 * when its incarnation crashed or the run ended returns at infinity, outcome
 * `unknown`: maybe applied.
 */
import type { FencedWrite, LockEvent, LockWaitStart, Operation } from '../check/history.ts';
import { isLockKey, type LockKeyChange } from '../check/lock-ownership.ts';
import type { Fault } from '../sim/faults.ts';
import { etcdStoreFromMessages, type EtcdStoreOperation } from '../check/models/kv-etcd-store.ts';
import type { LeaseId } from '../store/messages.ts';
import type { Trace } from '../sim/trace.ts';

/** The log line the workload writes when a client starts to acquire. */
export const acquiringLog = 'acquiring';
/** The prefix of the log line the workload writes when acquire() threw. */
export const acquireFailedLog = 'acquire failed';
/** The prefix of the log line the workload writes when acquire() or release() threw something that is not an etcd error or a timeout. */
export const crashedLog = 'CRASHED in';

/** A fault and how long it lasted (until the fault that undoes it, or the end of the run). */
export interface FaultSpan {
  fault: Fault;
  fromMs: number;
  toMs: number;
}

/** A client learned its lease was lost (keepalive deadline passed, TTL 0, revoked or closed). */
export interface LeaseLoss {
  timeMs: number;
  process: string;
  leaseId: LeaseId;
  reason: string;
}

/** acquire() or release() threw something that is neither an etcd error nor a timeout. */
export interface LockCrash {
  timeMs: number;
  process: string;
  incarnation: number;
  /** The log line: `CRASHED in acquire: TypeError: …`. */
  message: string;
}

/** A KV or lease call as the client sent it. */
export interface KvCallInput {
  method: string;
  request: unknown;
  /** The client's call number (per incarnation). */
  callId?: number;
}

/** A fenced write with what the resource knew. */
export interface ExploreFencedWrite extends FencedWrite {
  process: string;
  incarnation: number;
  value: string;
  /** The highest token the resource had accepted before this write (0 when none). */
  highestTokenBefore: number;
  /** When the writer acquired the lock this write was made under (from the workload's value `name#incarnation.round.i`). */
  acquiredMs?: number;
}

/** A lease the server's sweep revoked (it deleted the lease's keys at `revision`). */
export interface LeaseExpiry {
  timeMs: number;
  leaseId: LeaseId;
  revision: number;
}

/** What the judges read from a run's trace. */
export interface ExploreHistory {
  lockEvents: LockEvent[];
  waits: LockWaitStart[];
  writes: ExploreFencedWrite[];
  /** Every unary client call (KV, txn, lease) with its outcome. */
  operations: Operation<KvCallInput, unknown>[];
  leaseExpiries: LeaseExpiry[];
  /** The time the last fault was applied (-Infinity when none). */
  lastFaultMs: number;
  /** When the server last came back up after a restart (-Infinity when it never restarted). */
  lastServerUpMs: number;
  /** The lock keys' changes on the server (the lock's name, keys under `name/`, and keys holders reported), in revision order. */
  lockKeyChanges: LockKeyChange[];
  /** Every fault with its span. */
  faultSpans: FaultSpan[];
  leaseLosses: LeaseLoss[];
  crashes: LockCrash[];
  /** acquire() calls that threw an etcd error or a timeout. */
  failedAcquires: number;
}

export interface TraceToHistoryOptions {
  lockName: string;
  /** Whether the resource fenced: when it did not, writes still carry the writer's belief token. */
  fenced: boolean;
}

interface OpenCall {
  index: number;
}

/** Convert a workload's trace (src/explore/workload.ts) into checker inputs. */
export function traceToHistory(trace: Trace, options: TraceToHistoryOptions): ExploreHistory {
  const lockEvents: LockEvent[] = [];
  const waits: LockWaitStart[] = [];
  const writes: ExploreFencedWrite[] = [];
  const operations: Operation<KvCallInput, unknown>[] = [];
  const leaseExpiries: LeaseExpiry[] = [];
  const lockKeyChanges: LockKeyChange[] = [];
  const faultSpans: FaultSpan[] = [];
  const leaseLosses: LeaseLoss[] = [];
  const crashes: LockCrash[] = [];
  let failedAcquires = 0;
  let lastFaultMs = -Infinity;
  let lastServerUpMs = -Infinity;
  const reportedKeys = new Set<string>();
  for (const event of trace.events) if (event.kind === 'client' && event.event.kind === 'lock-acquired' && event.event.lockName === options.lockName) reportedKeys.add(event.event.key);
  /** Processes that believe they hold the lock now. */
  const believing = new Set<string>();
  /** The index in `waits` of each process's open wait. */
  const waiting = new Map<string, number>();
  /** Per incarnation ('alice#1'): the time of the acquisition in each round (rounds start at each 'acquiring' log). */
  const rounds = new Map<string, (number | undefined)[]>();
  /** Open calls per incarnation ('alice#1') by call id. */
  const openCalls = new Map<string, Map<number, OpenCall>>();

  const endWait = (process: string, abandonedMs: number | undefined) => {
    const index = waiting.get(process);
    if (index === undefined) return;
    waiting.delete(process);
    if (abandonedMs !== undefined) waits[index]!.abandonedMs = abandonedMs;
  };
  /** The process stopped (crash or exit): it believes nothing and waits for nothing; its open calls are unknown. */
  const stop = (process: string, incarnation: number | undefined, atMs: number) => {
    if (believing.delete(process)) lockEvents.push({ timeMs: atMs, process, kind: 'lost', lockName: options.lockName });
    endWait(process, atMs);
    for (const [who, calls] of openCalls) {
      if (incarnation !== undefined ? who !== `${process}#${incarnation}` : !who.startsWith(`${process}#`)) continue;
      for (const call of calls.values()) operations[call.index]!.returnMs = Infinity;
      openCalls.delete(who);
    }
  };

  for (const event of trace.events) {
    switch (event.kind) {
      case 'client': {
        const client = event.event;
        const process = event.process;
        switch (client.kind) {
          case 'call': {
            const who = `${process}#${event.incarnation}`;
            let calls = openCalls.get(who);
            if (calls === undefined) openCalls.set(who, (calls = new Map()));
            calls.set(client.callId, { index: operations.length });
            operations.push({ process: who, invokeMs: event.atMs, returnMs: Infinity, input: { method: client.method, request: client.request, callId: client.callId }, outcome: 'unknown' });
            break;
          }
          case 'return': {
            const who = `${process}#${event.incarnation}`;
            const calls = openCalls.get(who);
            const call = calls?.get(client.callId);
            if (call === undefined) break;
            calls!.delete(client.callId);
            const operation = operations[call.index]!;
            operation.outcome = client.outcome;
            operation.returnMs = client.outcome === 'unknown' ? Infinity : event.atMs;
            if (client.outcome === 'ok') operation.output = client.response;
            break;
          }
          case 'lock-acquired': {
            if (client.lockName !== options.lockName) break;
            const list = rounds.get(`${process}#${event.incarnation}`);
            if (list !== undefined && list.length > 0 && list[list.length - 1] === undefined) list[list.length - 1] = event.atMs;
            believing.add(process);
            endWait(process, undefined);
            lockEvents.push({ timeMs: event.atMs, process, kind: 'acquired', lockName: client.lockName, fencingToken: client.fencingToken });
            break;
          }
          case 'lease-lost':
            leaseLosses.push({ timeMs: event.atMs, process, leaseId: client.leaseId, reason: client.reason });
            break;
          case 'lock-released':
          case 'lock-lost':
            if (client.lockName !== options.lockName) break;
            if (!believing.delete(process)) break;
            lockEvents.push({ timeMs: event.atMs, process, kind: client.kind === 'lock-released' ? 'released' : 'lost', lockName: client.lockName });
            break;
          default:
            break;
        }
        break;
      }
      case 'log':
        if (event.message === acquiringLog) {
          const who = `${event.process}#${event.incarnation}`;
          let list = rounds.get(who);
          if (list === undefined) rounds.set(who, (list = []));
          list.push(undefined);
          endWait(event.process, event.atMs);
          waiting.set(event.process, waits.length);
          waits.push({ timeMs: event.atMs, process: event.process, lockName: options.lockName });
        } else if (event.message.startsWith(acquireFailedLog)) {
          // A failed attempt is retried: the client goes on waiting for the lock.
          failedAcquires++;
        } else if (event.message.startsWith(crashedLog)) {
          crashes.push({ timeMs: event.atMs, process: event.process, incarnation: event.incarnation, message: event.message });
        }
        break;
      case 'process-exited':
        stop(event.process, event.incarnation, event.atMs);
        break;
      case 'fault':
        lastFaultMs = event.atMs;
        addFaultSpan(faultSpans, event.fault, event.atMs);
        if (event.fault.kind === 'crash') stop(event.fault.process, undefined, event.atMs);
        break;
      case 'server-up':
        lastServerUpMs = event.atMs;
        break;
      case 'kv-applied':
        for (const change of event.changes) {
          if (!isLockKey(change.key, options.lockName, reportedKeys)) continue;
          const cause = event.cause;
          lockKeyChanges.push({
            timeMs: event.atMs,
            revision: event.revision,
            type: change.type,
            key: change.key,
            ...(change.createRevision !== undefined ? { createRevision: change.createRevision } : {}),
            ...(change.lease !== undefined ? { lease: change.lease } : {}),
            ...(cause.kind === 'request' ? { process: cause.process, cause: 'request' as const } : { cause: 'lease-expiry' as const, expiredLease: cause.leaseId }),
          });
        }
        break;
      case 'resource-write': {
        const round = /^(.*)\.(\d+)\.\d+$/.exec(event.value);
        const acquiredMs = round !== null ? rounds.get(round[1]!)?.[Number(round[2]) - 1] : undefined;
        writes.push({
          timeMs: event.atMs,
          process: event.process,
          incarnation: event.incarnation,
          fencingToken: event.fencingToken,
          accepted: event.accepted,
          value: event.value,
          highestTokenBefore: event.highestTokenBefore,
          ...(acquiredMs !== undefined ? { acquiredMs } : {}),
        });
        break;
      }
      case 'lease-expired':
        leaseExpiries.push({ timeMs: event.atMs, leaseId: event.leaseId, revision: event.revision });
        break;
      default:
        break;
    }
  }
  void options.fenced;
  const endMs = trace.events.length > 0 ? trace.events[trace.events.length - 1]!.atMs : 0;
  for (const span of faultSpans) if (span.toMs === Infinity) span.toMs = Math.max(endMs, span.fromMs);
  return { lockEvents, waits, writes, operations, leaseExpiries, lastFaultMs, lastServerUpMs, lockKeyChanges, faultSpans, leaseLosses, crashes, failedAcquires };
}

/** The fault that undoes `start`, if `end` is one. */
function undoes(end: Fault, start: Fault): boolean {
  const sameLink = (a: { from?: string; to?: string; oneWay?: boolean }, b: { from?: string; to?: string; oneWay?: boolean }) =>
    a.from === undefined || a.to === undefined || (a.from === b.from && a.to === b.to && (a.oneWay ?? false) === (b.oneWay ?? false));
  switch (start.kind) {
    case 'pause':
      return end.kind === 'resume' && end.process === start.process;
    case 'crash':
      return end.kind === 'restart' && end.process === start.process;
    case 'partition':
      return end.kind === 'heal' && sameLink(end, start);
    case 'hold':
      return end.kind === 'release' && sameLink(end, start);
    case 'loss':
      return end.kind === 'loss' && end.probability === 0 && sameLink(end, start);
    case 'latency':
      return end.kind === 'latency' && end.latencyMs === undefined && sameLink(end, start);
    case 'drift':
      return end.kind === 'drift' && end.process === start.process && (end.driftRate ?? 1) === 1;
    case 'slowApply':
      return end.kind === 'slowApply' && end.delayMs === 0 && (end.member === undefined || end.member === start.member);
    default:
      return false;
  }
}

/** Open a span for a fault that starts something, close the spans a fault undoes. */
function addFaultSpan(spans: FaultSpan[], fault: Fault, atMs: number): void {
  let closed = false;
  for (const span of spans) {
    if (span.toMs === Infinity && undoes(fault, span.fault)) {
      span.toMs = atMs;
      closed = true;
    }
  }
  if (closed) return;
  switch (fault.kind) {
    case 'resume':
    case 'restart':
    case 'heal':
    case 'release':
      return;
    case 'loss':
      if (fault.probability === 0) return;
      break;
    case 'latency':
      if (fault.latencyMs === undefined) return;
      break;
    case 'drift':
      if ((fault.driftRate ?? 1) === 1 && fault.jumpMs === undefined) return;
      break;
    case 'slowApply':
      if (fault.delayMs === 0) return;
      break;
    case 'serverRestart':
      spans.push({ fault, fromMs: atMs, toMs: atMs + (fault.downMs ?? 0) });
      return;
    default:
      break;
  }
  spans.push({ fault, fromMs: atMs, toMs: Infinity });
}

/**
 * The KV part of a run's history in the form of src/check's etcd store model
 * (etcdStoreModel), for checkLinearizability: every KV call as the client saw
 * it (ranges over the lock's prefix, txns, puts with leases, deletes), lease
 * grants and revokes, and each lease expiry as a server-side revoke at the
 * sweep's instant (called and returned then) with the revision it made.
 * Keepalives and other lease queries are left out (`ignored`); calls the
 * conversion cannot follow are counted in `unfollowed` (with any, the history
 * is incomplete and a verdict on it means nothing).
 */
export function etcdKvHistory(history: ExploreHistory): { operations: EtcdStoreOperation[]; ignored: number; unfollowed: number } {
  const operations: EtcdStoreOperation[] = [];
  let ignored = 0;
  let unfollowed = 0;
  for (const operation of history.operations) {
    const { method, request } = operation.input;
    const converted = etcdStoreFromMessages({ method, request, ...(operation.outcome === 'ok' ? { response: operation.output } : {}) });
    if (!converted.ok) {
      if (converted.ignored) ignored++;
      else unfollowed++;
      continue;
    }
    const base = { process: operation.process, invokeMs: operation.invokeMs, returnMs: operation.returnMs, input: converted.input, outcome: operation.outcome };
    operations.push(converted.output === undefined ? base : { ...base, output: converted.output });
  }
  for (const expiry of history.leaseExpiries)
    operations.push({
      process: 'server',
      invokeMs: expiry.timeMs,
      returnMs: expiry.timeMs,
      input: { kind: 'leaseRevoke', lease: expiry.leaseId, expiry: true },
      outcome: 'ok',
      output: { revision: expiry.revision, response: { kind: 'lease' } },
    });
  return { operations, ignored, unfollowed };
}
