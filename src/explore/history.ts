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
import { LockBeliefTracker, lockEventsOf } from '../check/beliefs.ts';
import { isLockKey, type LockKeyChange } from '../check/lock-ownership.ts';
import { isPointFault, isUndoFault, undoesFault, type Fault } from '../sim/faults.ts';
import { etcdKvFromMessages, type EtcdKvOperation } from '../check/models/kv-etcd.ts';
import type { LeaseId } from '../store/messages.ts';
import type { Trace, TraceEvent } from '../sim/trace.ts';

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
  const recorder = new HistoryRecorder(options.lockName, trace.events);
  for (const event of trace.events) recorder.record(event);
  void options.fenced;
  const endMs = trace.events.length > 0 ? trace.events[trace.events.length - 1]!.atMs : 0;
  return recorder.finish(endMs);
}

type TraceEventOf<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;

/** Reads a trace event by event into the history's lists; one method per kind of event. */
class HistoryRecorder {
  readonly lockEvents: LockEvent[] = [];
  readonly waits: LockWaitStart[] = [];
  readonly writes: ExploreFencedWrite[] = [];
  readonly operations: Operation<KvCallInput, unknown>[] = [];
  readonly leaseExpiries: LeaseExpiry[] = [];
  readonly lockKeyChanges: LockKeyChange[] = [];
  readonly faultSpans: FaultSpan[] = [];
  readonly leaseLosses: LeaseLoss[] = [];
  readonly crashes: LockCrash[] = [];
  failedAcquires = 0;
  lastFaultMs = -Infinity;
  lastServerUpMs = -Infinity;
  readonly #lockName: string;
  /** Keys holders reported for the lock (lock keys even outside the lock's prefix). */
  readonly #reportedKeys = new Set<string>();
  /** Who believes they hold which lock now (src/check/beliefs.ts: a crashed or exited holder believes nothing). */
  readonly #beliefs = new LockBeliefTracker();
  /** The index in `waits` of each process's open wait. */
  readonly #waiting = new Map<string, number>();
  /** Per incarnation ('alice#1'): the time of the acquisition in each round (rounds start at each 'acquiring' log). */
  readonly #rounds = new Map<string, (number | undefined)[]>();
  /** Open calls per incarnation ('alice#1') by call id. */
  readonly #openCalls = new Map<string, Map<number, OpenCall>>();

  constructor(lockName: string, events: readonly TraceEvent[]) {
    this.#lockName = lockName;
    for (const event of events)
      if (event.kind === 'client' && event.event.kind === 'lock-acquired' && event.event.lockName === lockName) this.#reportedKeys.add(event.event.key);
  }

  record(event: TraceEvent): void {
    switch (event.kind) {
      case 'client':
        return this.#client(event);
      case 'log':
        return this.#log(event);
      case 'process-exited':
        this.#followBeliefs(event);
        return this.#stop(event.process, event.incarnation, event.atMs);
      case 'fault':
        this.lastFaultMs = event.atMs;
        addFaultSpan(this.faultSpans, event.fault, event.atMs);
        this.#followBeliefs(event);
        if (event.fault.kind === 'crash') this.#stop(event.fault.process, undefined, event.atMs);
        return;
      case 'server-up':
        this.lastServerUpMs = event.atMs;
        return;
      case 'kv-applied':
        return this.#kvApplied(event);
      case 'resource-write':
        return this.#resourceWrite(event);
      case 'lease-expired':
        this.leaseExpiries.push({ timeMs: event.atMs, leaseId: event.leaseId, revision: event.revision });
        return;
      default:
        return;
    }
  }

  /** The history, with fault spans still open at the end of the run closed there. */
  finish(endMs: number): ExploreHistory {
    for (const span of this.faultSpans) if (span.toMs === Infinity) span.toMs = Math.max(endMs, span.fromMs);
    return {
      lockEvents: this.lockEvents,
      waits: this.waits,
      writes: this.writes,
      operations: this.operations,
      leaseExpiries: this.leaseExpiries,
      lastFaultMs: this.lastFaultMs,
      lastServerUpMs: this.lastServerUpMs,
      lockKeyChanges: this.lockKeyChanges,
      faultSpans: this.faultSpans,
      leaseLosses: this.leaseLosses,
      crashes: this.crashes,
      failedAcquires: this.failedAcquires,
    };
  }

  #client(event: TraceEventOf<'client'>): void {
    const client = event.event;
    const process = event.process;
    switch (client.kind) {
      case 'call': {
        const who = `${process}#${event.incarnation}`;
        let calls = this.#openCalls.get(who);
        if (calls === undefined) this.#openCalls.set(who, (calls = new Map()));
        calls.set(client.callId, { index: this.operations.length });
        this.operations.push({
          process: who,
          invokeMs: event.atMs,
          returnMs: Infinity,
          input: { method: client.method, request: client.request, callId: client.callId },
          outcome: 'unknown',
        });
        return;
      }
      case 'return': {
        const calls = this.#openCalls.get(`${process}#${event.incarnation}`);
        const call = calls?.get(client.callId);
        if (call === undefined) return;
        calls!.delete(client.callId);
        const operation = this.operations[call.index]!;
        operation.outcome = client.outcome;
        operation.returnMs = client.outcome === 'unknown' ? Infinity : event.atMs;
        if (client.outcome === 'ok') operation.output = client.response;
        return;
      }
      case 'lock-acquired': {
        if (client.lockName !== this.#lockName) return;
        const list = this.#rounds.get(`${process}#${event.incarnation}`);
        if (list !== undefined && list.length > 0 && list[list.length - 1] === undefined) list[list.length - 1] = event.atMs;
        this.#followBeliefs(event);
        this.#endWait(process, undefined);
        return;
      }
      case 'lease-lost':
        this.leaseLosses.push({ timeMs: event.atMs, process, leaseId: client.leaseId, reason: client.reason });
        return;
      case 'lock-released':
      case 'lock-lost':
        this.#followBeliefs(event);
        return;
      default:
        return;
    }
  }

  #log(event: TraceEventOf<'log'>): void {
    if (event.message === acquiringLog) {
      const who = `${event.process}#${event.incarnation}`;
      let list = this.#rounds.get(who);
      if (list === undefined) this.#rounds.set(who, (list = []));
      list.push(undefined);
      this.#endWait(event.process, event.atMs);
      this.#waiting.set(event.process, this.waits.length);
      this.waits.push({ timeMs: event.atMs, process: event.process, lockName: this.#lockName });
    } else if (event.message.startsWith(acquireFailedLog)) {
      // A failed attempt is retried: the client goes on waiting for the lock.
      this.failedAcquires++;
    } else if (event.message.startsWith(crashedLog)) {
      this.crashes.push({ timeMs: event.atMs, process: event.process, incarnation: event.incarnation, message: event.message });
    }
  }

  #kvApplied(event: TraceEventOf<'kv-applied'>): void {
    for (const change of event.changes) {
      if (!isLockKey(change.key, this.#lockName, this.#reportedKeys)) continue;
      const cause = event.cause;
      this.lockKeyChanges.push({
        timeMs: event.atMs,
        revision: event.revision,
        type: change.type,
        key: change.key,
        ...(change.createRevision !== undefined ? { createRevision: change.createRevision } : {}),
        ...(change.lease !== undefined ? { lease: change.lease } : {}),
        ...(cause.kind === 'request' ? { process: cause.process, cause: 'request' as const } : { cause: 'lease-expiry' as const, expiredLease: cause.leaseId }),
      });
    }
  }

  #resourceWrite(event: TraceEventOf<'resource-write'>): void {
    const round = /^(.*)\.(\d+)\.\d+$/.exec(event.value);
    const acquiredMs = round !== null ? this.#rounds.get(round[1]!)?.[Number(round[2]) - 1] : undefined;
    this.writes.push({
      timeMs: event.atMs,
      process: event.process,
      incarnation: event.incarnation,
      fencingToken: event.fencingToken,
      accepted: event.accepted,
      value: event.value,
      highestTokenBefore: event.highestTokenBefore,
      ...(acquiredMs !== undefined ? { acquiredMs } : {}),
    });
  }

  #followBeliefs(event: TraceEvent): void {
    for (const lockEvent of lockEventsOf(this.#beliefs.apply(event), this.#lockName)) this.lockEvents.push(lockEvent);
  }

  #endWait(process: string, abandonedMs: number | undefined): void {
    const index = this.#waiting.get(process);
    if (index === undefined) return;
    this.#waiting.delete(process);
    if (abandonedMs !== undefined) this.waits[index]!.abandonedMs = abandonedMs;
  }

  /** The process stopped (crash or exit): it waits for nothing; its open calls are unknown. */
  #stop(process: string, incarnation: number | undefined, atMs: number): void {
    this.#endWait(process, atMs);
    for (const [who, calls] of this.#openCalls) {
      if (incarnation !== undefined ? who !== `${process}#${incarnation}` : !who.startsWith(`${process}#`)) continue;
      for (const call of calls.values()) this.operations[call.index]!.returnMs = Infinity;
      this.#openCalls.delete(who);
    }
  }
}

/** Open a span for a fault that starts something, close the spans a fault undoes. */
function addFaultSpan(spans: FaultSpan[], fault: Fault, atMs: number): void {
  if (isUndoFault(fault)) {
    for (const span of spans) if (span.toMs === Infinity && undoesFault(span.fault, fault)) span.toMs = atMs;
    return;
  }
  if (fault.kind === 'serverRestart') spans.push({ fault, fromMs: atMs, toMs: atMs + (fault.downMs ?? 0) });
  else if (isPointFault(fault)) spans.push({ fault, fromMs: atMs, toMs: atMs });
  else spans.push({ fault, fromMs: atMs, toMs: Infinity });
}

/**
 * The KV part of a run's history in the form of src/check's etcd KV model
 * (etcdKvModel), for checkLinearizability: every KV call as the client saw
 * it (ranges over the lock's prefix, txns, puts with leases, deletes), lease
 * grants and revokes, and each lease expiry as a server-side revoke at the
 * sweep's instant (called and returned then) with the revision it made.
 * Keepalives and other lease queries are left out (`ignored`); calls the
 * conversion cannot follow are counted in `unfollowed` (with any, the history
 * is incomplete and a verdict on it means nothing).
 */
export function etcdKvHistory(history: ExploreHistory): { operations: EtcdKvOperation[]; ignored: number; unfollowed: number } {
  const operations: EtcdKvOperation[] = [];
  let ignored = 0;
  let unfollowed = 0;
  for (const operation of history.operations) {
    const { method, request } = operation.input;
    const converted = etcdKvFromMessages({ method, request, ...(operation.outcome === 'ok' ? { response: operation.output } : {}) });
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
