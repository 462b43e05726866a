/**
 * The keepalive loop, as clientv3's lessor runs it (client/v3/lease.go,
 * docs/etcd-semantics.md §7.9): one LeaseKeepAlive stream per client shared by
 * every lease kept alive, a send loop, a deadline loop and a stream retry.
 *
 *   keepAlive(L) at t=0 (TTL 6 granted)   → send {L} at once; deadline 0+5 s until the first answer
 *   answer TTL 6 at t=0                   → next send due 0+2 s, deadline 0+6 s
 *   send loop ticks at 0.5, 1.0, … 2.0    → sends {L} at 2.0 (due ≤ tick), then 4.0, 6.0, …
 *   server stops answering after t=4      → deadline 4+6 = 10 s; the 1 s deadline loop sees it
 *                                            passed at t=11 → lease lost ('deadline')
 *   answer TTL 0                          → lease lost at once ('expired': revoked or expired)
 *
 * Choices, each following Go's client unless noted:
 * - The send loop wakes every 500 ms (retryConnWait) from the moment the
 *   stream opens and sends for every lease whose next-send time is ≤ now, so
 *   the period is TTL/3 rounded up to the loop's tick. Until the first answer
 *   a lease is sent on every tick, as in Go.
 * - A lease added to a running loop is sent at once (Go waits for the next
 *   tick, up to 500 ms later): "the first request is sent immediately".
 * - The deadline loop wakes every 1 s and drops leases whose deadline is
 *   strictly before now; before the first answer the deadline is 5 s
 *   (Go's defaultTTL when DialTimeout is 0).
 * - A broken stream is reopened after 500 ms; deadlines keep running.
 * - When no lease is kept alive the loops stop (Go's run forever), so an idle
 *   client leaves no timer behind; they restart with the next keepAlive().
 * - Revoke does not touch the loop (as in Go): a revoked lease is dropped when
 *   its next keepalive is answered with TTL 0.
 * - Idle ticks are not skipped (a timer straight to the next due tick): that
 *   would move sends after a pause (Go's loop re-anchors at the late tick),
 *   by a millisecond under drift (rounding per tick), and reorder events due
 *   at the same millisecond (issue 16: 13 of 100 faulty seeds changed).
 */
import type { LeaseId, LeaseKeepAliveRequest, LeaseKeepAliveResponse } from '../store/messages.ts';
import { LeaseKeepAliveHaltedError } from './errors.ts';
import type { ClientEvent } from './events.ts';
import { armTimer, type ClientRuntime, settledNothing, type TimerHandle } from './runtime.ts';
import type { BidiStream, Transport } from './transport.ts';

/** How often the send loop wakes and how long a broken stream waits to reopen (Go retryConnWait). */
export const keepAliveRetryIntervalMs = 500;
/** How often leases past their local deadline are dropped (Go deadlineLoop). */
export const keepAliveDeadlineCheckIntervalMs = 1000;
/** The local deadline before the first answer (Go defaultTTL, used when DialTimeout is 0). */
export const firstKeepAliveTimeoutMs = 5000;

/**
 * Why a keepalive ended:
 * - `expired`: the server answered TTL 0 (the lease is gone: expired or revoked);
 * - `deadline`: no answer before the local deadline (last answer + TTL);
 * - `revoked`: reserved for a revoke this client is told of locally (not used by the loop, as in Go);
 * - `closed`: the caller stopped it, or the client was closed.
 */
export type LeaseLostReason = 'expired' | 'deadline' | 'revoked' | 'closed';

/** A running keepalive for one lease (clientv3's KeepAlive channel). */
export interface KeepAliveHandle {
  readonly leaseId: LeaseId;
  /** Resolves once, when the keepalive ends, with the reason; never rejects. */
  readonly done: Promise<LeaseLostReason>;
  /** Whether it has ended. */
  readonly ended: boolean;
  /** The TTL of the last answer (undefined before the first). */
  readonly ttlSeconds: number | undefined;
  /** The local deadline on the runtime clock: the lease is believed alive until then. */
  readonly deadlineMs: number;
  /** Stop keeping the lease alive (the lease itself is not revoked). Idempotent. */
  stop(): void;
}

interface LeaseKeepAlive {
  handles: Set<Handle>;
  nextKeepAliveMs: number;
  deadlineMs: number;
  ttlSeconds: number | undefined;
}

class Handle implements KeepAliveHandle {
  readonly leaseId: LeaseId;
  readonly done: Promise<LeaseLostReason>;
  ended = false;
  readonly #resolve: (reason: LeaseLostReason) => void;
  readonly #loop: KeepAliveLoop;
  readonly #state: LeaseKeepAlive;

  constructor(leaseId: LeaseId, loop: KeepAliveLoop, state: LeaseKeepAlive) {
    this.leaseId = leaseId;
    this.#loop = loop;
    this.#state = state;
    let resolve!: (reason: LeaseLostReason) => void;
    this.done = new Promise((r) => (resolve = r));
    this.#resolve = resolve;
  }

  get ttlSeconds(): number | undefined {
    return this.#state.ttlSeconds;
  }

  get deadlineMs(): number {
    return this.#state.deadlineMs;
  }

  end(reason: LeaseLostReason): void {
    if (this.ended) return;
    this.ended = true;
    this.#resolve(reason);
  }

  stop(): void {
    if (this.ended) return;
    this.#loop.detach(this);
  }
}

/** The client's lessor: every keepAlive() of one client goes through one of these. */
export class KeepAliveLoop {
  readonly #transport: Transport;
  readonly #runtime: ClientRuntime;
  readonly #report: (event: ClientEvent) => void;
  /** Insertion order: the send loop visits leases in the order they were first kept alive. */
  readonly #keepAlives = new Map<LeaseId, LeaseKeepAlive>();
  #stream: BidiStream<LeaseKeepAliveRequest> | undefined;
  /** Identifies the current stream, so that a replaced stream's late messages are ignored. */
  #streamToken: object | undefined;
  #sendTickTimer: TimerHandle | undefined;
  #deadlineTickTimer: TimerHandle | undefined;
  #cancelRetry: (() => void) | undefined;
  #haltedReason: string | undefined;

  constructor(transport: Transport, runtime: ClientRuntime, report: (event: ClientEvent) => void) {
    this.#transport = transport;
    this.#runtime = runtime;
    this.#report = report;
  }

  /** Leases currently kept alive. */
  get leaseIds(): LeaseId[] {
    return [...this.#keepAlives.keys()];
  }

  /** @throws LeaseKeepAliveHaltedError once the loop was halted (client closed). */
  keepAlive(leaseId: LeaseId): KeepAliveHandle {
    if (this.#haltedReason !== undefined) throw new LeaseKeepAliveHaltedError(this.#haltedReason);
    const nowMs = this.#runtime.nowMs();
    let state = this.#keepAlives.get(leaseId);
    const fresh = state === undefined;
    if (state === undefined) {
      state = { handles: new Set(), nextKeepAliveMs: nowMs, deadlineMs: nowMs + firstKeepAliveTimeoutMs, ttlSeconds: undefined };
      this.#keepAlives.set(leaseId, state);
    }
    const handle = new Handle(leaseId, this, state);
    state.handles.add(handle);
    const streamWasOpen = this.#stream !== undefined;
    this.#ensureRunning(); // a stream opened here sends every due lease itself
    if (fresh && streamWasOpen) this.#send(leaseId);
    return handle;
  }

  /** One handle stopped; the lease stays kept alive while other handles want it. */
  detach(handle: Handle): void {
    const state = this.#keepAlives.get(handle.leaseId);
    handle.end('closed');
    if (state === undefined || !state.handles.delete(handle) || state.handles.size > 0) return;
    this.#keepAlives.delete(handle.leaseId);
    this.#report({ kind: 'lease-lost', leaseId: handle.leaseId, reason: 'closed' });
    this.#stopIfIdle();
  }

  /** Halt for good (client closed): every keepalive ends `closed`. */
  halt(reason: string): void {
    if (this.#haltedReason !== undefined) return;
    this.#haltedReason = reason;
    for (const leaseId of [...this.#keepAlives.keys()]) this.#lose(leaseId, 'closed');
    this.#stopTimers();
    const stream = this.#stream;
    this.#stream = undefined;
    this.#streamToken = undefined;
    stream?.close();
  }

  #ensureRunning(): void {
    if (this.#keepAlives.size === 0) return;
    if (this.#streamToken === undefined && this.#cancelRetry === undefined) this.#openStream();
    // The stream outlives an idle spell (#stopIfIdle stops only the timers): restart its send tick.
    else if (this.#stream !== undefined && this.#sendTickTimer === undefined) this.#scheduleSendTick();
    if (this.#deadlineTickTimer === undefined) this.#scheduleDeadlineTick();
  }

  #stopIfIdle(): void {
    if (this.#keepAlives.size === 0) this.#stopTimers();
  }

  #stopTimers(): void {
    this.#sendTickTimer?.cancel();
    this.#sendTickTimer = undefined;
    this.#deadlineTickTimer?.cancel();
    this.#deadlineTickTimer = undefined;
    this.#cancelRetry?.();
    this.#cancelRetry = undefined;
  }

  #openStream(): void {
    const token = {};
    this.#streamToken = token;
    // clientv3's lessor opens its stream WithRequireLeader (lease.go NewLease).
    const stream = this.#transport.openKeepAlive(
      {
        message: (response) => (this.#streamToken === token ? this.#received(response) : settledNothing),
        end: () => {
          if (this.#streamToken !== token) return;
          this.#streamToken = undefined;
          this.#stream = undefined;
          this.#sendTickTimer?.cancel();
          this.#sendTickTimer = undefined;
          if (this.#haltedReason === undefined && this.#keepAlives.size > 0) this.#scheduleRetry();
        },
      },
      { requireLeader: true },
    );
    // The stream may have ended already (a transport that fails at once).
    if (this.#streamToken !== token) return;
    this.#stream = stream;
    this.#sendDue();
    this.#scheduleSendTick();
  }

  #scheduleRetry(): void {
    this.#cancelRetry = this.#runtime.setTimer(keepAliveRetryIntervalMs, () => {
      this.#cancelRetry = undefined;
      if (this.#haltedReason === undefined && this.#keepAlives.size > 0) this.#openStream();
    });
  }

  #scheduleSendTick(): void {
    // The tick needs no arg, and its timer is its own handle: no closure or bound function per tick.
    this.#sendTickTimer = armTimer(this.#runtime, keepAliveRetryIntervalMs, this.#sendTick, undefined);
  }

  /** The send loop's tick (one closure for every tick); most send nothing (settledNothing). */
  readonly #sendTick = (): typeof settledNothing | undefined => {
    this.#sendTickTimer = undefined;
    if (this.#stream === undefined || this.#keepAlives.size === 0) return settledNothing;
    const sent = this.#sendDue();
    this.#scheduleSendTick();
    return sent ? undefined : settledNothing;
  };

  #scheduleDeadlineTick(): void {
    this.#deadlineTickTimer = armTimer(this.#runtime, keepAliveDeadlineCheckIntervalMs, this.#deadlineTick, undefined);
  }

  /** The deadline loop's tick (one closure for every tick); most find no lease past its deadline (settledNothing). */
  readonly #deadlineTick = (): typeof settledNothing | undefined => {
    this.#deadlineTickTimer = undefined;
    const nowMs = this.#runtime.nowMs();
    // Most ticks find nothing past its deadline: look before copying the map (losing a lease changes it).
    const anyLost = this.#anyPastDeadline(nowMs);
    if (anyLost)
      for (const [leaseId, state] of [...this.#keepAlives]) {
        if (state.deadlineMs < nowMs) this.#lose(leaseId, 'deadline');
      }
    if (this.#keepAlives.size === 0) {
      this.#stopIfIdle();
      return undefined;
    }
    this.#scheduleDeadlineTick();
    return anyLost ? undefined : settledNothing;
  };

  /** Send every keepalive due; false when none was due. */
  #sendDue(): boolean {
    const nowMs = this.#runtime.nowMs();
    // Most ticks find nothing due: look before copying the map (sending reports to the observer).
    if (!this.#anyDue(nowMs)) return false;
    if (this.#keepAlives.size === 1) {
      // One lease (a session's): nothing to copy.
      for (const leaseId of this.#keepAlives.keys()) this.#send(leaseId);
      return true;
    }
    for (const [leaseId, state] of [...this.#keepAlives]) {
      if (state.nextKeepAliveMs <= nowMs) this.#send(leaseId);
    }
    return true;
  }

  #anyDue(nowMs: number): boolean {
    for (const state of this.#keepAlives.values()) if (state.nextKeepAliveMs <= nowMs) return true;
    return false;
  }

  #anyPastDeadline(nowMs: number): boolean {
    for (const state of this.#keepAlives.values()) if (state.deadlineMs < nowMs) return true;
    return false;
  }

  #send(leaseId: LeaseId): void {
    const stream = this.#stream;
    if (stream === undefined) return;
    this.#report({ kind: 'keepalive-sent', leaseId });
    stream.send({ ID: leaseId });
  }

  /** An answer; settledNothing unless it ended a keepalive (its handles' `done` resolve). */
  #received(response: LeaseKeepAliveResponse): typeof settledNothing | undefined {
    const state = this.#keepAlives.get(response.ID);
    if (state === undefined) return settledNothing;
    this.#report({ kind: 'keepalive-answered', leaseId: response.ID, ttlSeconds: response.TTL });
    if (response.TTL <= 0) {
      this.#lose(response.ID, 'expired');
      return undefined;
    }
    const nowMs = this.#runtime.nowMs();
    state.ttlSeconds = response.TTL;
    state.nextKeepAliveMs = nowMs + (response.TTL * 1000) / 3;
    state.deadlineMs = nowMs + response.TTL * 1000;
    return settledNothing;
  }

  #lose(leaseId: LeaseId, reason: LeaseLostReason): void {
    const state = this.#keepAlives.get(leaseId);
    if (state === undefined) return;
    this.#keepAlives.delete(leaseId);
    this.#report({ kind: 'lease-lost', leaseId, reason });
    for (const handle of state.handles) handle.end(reason);
    this.#stopIfIdle();
  }
}
