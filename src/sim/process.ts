/**
 * A simulated process: an async `main(ctx)` with an etcd client, a drifting
 * local clock and its own random stream. Each start is a new incarnation
 * (alice#1, alice#2, …) with a fresh client.
 *
 * Faults, precisely:
 * - crash: volatile state is lost: the client, its pending calls (they never
 *   answer), its timers, and anything waiting to run. Messages already in
 *   the network stay there (a request sent just before the crash may still
 *   be applied); answers reaching the dead incarnation are discarded. The
 *   operating system closes the process's connections (a disconnect follows
 *   its last messages). `restart` runs main again with a new client.
 * - pause: stop-the-world. The process runs nothing while virtual time goes
 *   on: timers that come due and messages that arrive wait, in order, and run
 *   on resume. Its local clock keeps running, so after resume it carries on
 *   believing what it believed, and reads a clock that has jumped.
 * - exit: main returned (or threw). The process stops like a crash (Go's
 *   main returning ends every goroutine) but it is traced as an exit.
 *
 * A pause or crash takes effect between events: promise continuations that
 * an event set going run before the next event.
 */
import type { ClientObserver } from '../client/events.ts';
import { armTimer, type ClientRuntime, type TimerHandle } from '../client/runtime.ts';
import type { Transport } from '../client/transport.ts';
import { assert } from '../store/assert.ts';
import { LocalClock, type ClockSpec } from './local-clock.ts';
import type { RandomStream, SimRandom } from './random.ts';
import type { Scheduler } from './scheduler.ts';
import { BalancedTransport } from '../client/balanced-transport.ts';
import { SimTransport } from './sim-transport.ts';
import { show, type DropReason, type Trace } from './trace.ts';
import type { FromResource, FromServer, ToResource, ToServer } from './wire.ts';

/** How a write to a storage resource ended: `unknown` when `timeoutMs` passed unanswered. */
export type WriteOutcome = 'accepted' | 'rejected' | 'unknown';

/** Options of a resource write. */
export interface ResourceWriteOptions {
  /** Give up after this many local ms (outcome `unknown`); without it a write may never settle. */
  timeoutMs?: number;
}

/** A process's handle on a storage resource (src/sim/fenced-resource.ts). */
export interface ResourceHandle {
  /** Write `value` with a fencing token (with a lock, the lock key's create revision). */
  write(fencingToken: number, value?: string, options?: ResourceWriteOptions): Promise<WriteOutcome>;
}

/** What a process's main gets. */
export interface ProcessContext<C> {
  readonly name: string;
  /** 1 on first start, +1 on each restart. */
  readonly incarnation: number;
  /** This incarnation's etcd client. */
  readonly client: C;
  /** Wait `ms` on the process's local clock. */
  sleep(ms: number): Promise<void>;
  /** The process's local clock (ms): drifts if its clock does. */
  now(): number;
  /** A line in the trace. */
  log(...parts: unknown[]): void;
  /** This incarnation's random stream. */
  readonly random: RandomStream;
  /** Another seeded stream of this incarnation, by name (draws from it leave `random` untouched). */
  stream(name: string): RandomStream;
  /** A storage resource by name. */
  resource(name: string): ResourceHandle;
}

/** A process's body: runs once per incarnation (again after a restart). */
export type ProcessMain<C> = (ctx: ProcessContext<C>) => Promise<void>;

/** What `createClient` gets to build a process's client: its transport, runtime, observer and process name. */
export interface ClientDeps {
  transport: Transport;
  runtime: ClientRuntime;
  observer: ClientObserver;
  process: string;
}

/** Builds each incarnation's client. */
export type ClientFactory<C> = (deps: ClientDeps) => C;

/** Options of `sim.process()`: its local clock and start time. */
export interface ProcessOptions {
  /** The local clock's drift. @defaultValue rate 1, offset 0 */
  clock?: ClockSpec;
  /** When main first starts (virtual ms). @defaultValue 0 */
  startAtMs?: number;
  /**
   * In a cluster: the members this process's client knows, in its order
   * (clientv3's endpoints), or a function choosing them when each incarnation
   * starts (`({ leader }) => [leader!]`: the member leading then). @defaultValue every member
   */
  endpoints?: readonly string[] | ((cluster: { leader: string | undefined; members: readonly string[] }) => readonly string[]);
}

/** What a process needs of the world around it. */
export interface ProcessHost<C> {
  scheduler: Scheduler;
  trace: Trace;
  random: SimRandom;
  clientFactory: ClientFactory<C>;
  sendToServer(message: ToServer): void;
  /** In a cluster: the members this process's client balances over, and how to reach one. */
  cluster?: { endpoints(): readonly string[]; send(member: string, message: ToServer): void };
  sendToResource(resource: string, message: ToResource): void;
  hasResource(name: string): boolean;
  newConnectionId(): number;
  /** A message reached this process but was discarded; `from` sent it. */
  dropped(from: string, message: FromServer | FromResource, reason: DropReason): void;
  /** Main of this incarnation threw `error` (told once it is traced as process-exited). */
  failed(incarnation: number, error: string): void;
}

/** Where a process is in its life. */
export type ProcessState = 'not-started' | 'running' | 'exited' | 'crashed';

/** The timer of a process that is no longer running: it never fires. */
const noTimer: TimerHandle = { cancel() {} };

/** A sleep's timer: its arg is the sleep's resolve. */
function resolveSleep(resolve: () => void): void {
  resolve();
}

interface PendingWrite {
  resolve(outcome: WriteOutcome): void;
  cancelTimer: (() => void) | undefined;
}

export class SimProcess<C> {
  readonly name: string;
  readonly clock: LocalClock;
  readonly #main: ProcessMain<C>;
  readonly #host: ProcessHost<C>;
  #state: ProcessState = 'not-started';
  #paused = false;
  #incarnation = 0;
  /** What came due while paused, in order. */
  #deferred: (() => void)[] = [];
  #transport: SimTransport | undefined;
  /** In a cluster: one transport per endpoint, by member name. */
  #memberTransports: Map<string, SimTransport> | undefined;
  #client: C | undefined;
  readonly #writes = new Map<number, PendingWrite>();
  #nextWriteId = 0;

  constructor(name: string, main: ProcessMain<C>, host: ProcessHost<C>, options: ProcessOptions = {}) {
    this.name = name;
    this.#main = main;
    this.#host = host;
    this.clock = new LocalClock(host.scheduler, options.clock ?? {}, {
      open: () => this.#state === 'running' && !this.#paused,
      hold: (fn) => this.#runOrDefer(fn),
    });
  }

  get state(): ProcessState {
    return this.#state;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  /** The current incarnation's client (undefined before the first start). */
  get client(): C | undefined {
    return this.#client;
  }

  /** Start main as a new incarnation. */
  start(): void {
    assert(this.#state !== 'running', `${this.name} is already running`);
    const incarnation = ++this.#incarnation;
    this.#state = 'running';
    this.#paused = false;
    const trace = this.#host.trace;
    const scheduler = this.#host.scheduler;
    const runtime: ClientRuntime = {
      nowMs: () => this.clock.nowMs(),
      setTimer: (delayMs, fn) => (this.#incarnation === incarnation && this.#state === 'running' ? this.clock.setTimer(delayMs, fn) : () => {}),
      setTimerWith: (delayMs, fn, arg) =>
        this.#incarnation === incarnation && this.#state === 'running' ? this.clock.setTimerWith(delayMs, fn, arg) : noTimer,
    };
    const cluster = this.#host.cluster;
    let transport: SimTransport;
    let clientTransport: Transport;
    if (cluster === undefined) {
      transport = new SimTransport({
        process: this.name,
        incarnation,
        send: (message) => this.#host.sendToServer(message),
        newConnectionId: () => this.#host.newConnectionId(),
      });
      clientTransport = transport;
    } else {
      const transports = new Map<string, SimTransport>();
      let callIds = 0;
      const newCallId = () => ++callIds;
      const endpoints = cluster.endpoints();
      for (const member of endpoints)
        transports.set(
          member,
          new SimTransport({
            process: this.name,
            incarnation,
            send: (message) => cluster.send(member, message),
            newConnectionId: () => this.#host.newConnectionId(),
            failCallsOnReset: { endpoint: member },
            newCallId,
          }),
        );
      this.#memberTransports = transports;
      transport = transports.get(endpoints[0]!)!;
      clientTransport = new BalancedTransport(
        [...transports].map(([name, memberTransport]) => ({ name, transport: memberTransport })),
        runtime,
      );
    }
    const observer: ClientObserver = (event) => trace.record({ kind: 'client', atMs: scheduler.nowMs(), process: this.name, incarnation, event });
    this.#transport = transport;
    this.#client = this.#host.clientFactory({ transport: clientTransport, runtime, observer, process: this.name });
    const ctx: ProcessContext<C> = {
      name: this.name,
      incarnation,
      client: this.#client,
      sleep: (ms) => new Promise<void>((resolve) => armTimer(runtime, ms, resolveSleep, resolve)),
      now: () => this.clock.nowMs(),
      log: (...parts) =>
        trace.record({
          kind: 'log',
          atMs: scheduler.nowMs(),
          process: this.name,
          incarnation,
          message:
            parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((part) => (typeof part === 'string' ? part : show(part))).join(' '),
        }),
      random: this.#host.random.stream(`process/${this.name}#${incarnation}`),
      stream: (name) => this.#host.random.stream(`process/${this.name}#${incarnation}/${name}`),
      resource: (name) => this.#resource(name, incarnation, runtime),
    };
    trace.record({ kind: 'process-started', atMs: scheduler.nowMs(), process: this.name, incarnation });
    const main = this.#main;
    Promise.resolve()
      .then(() => main(ctx))
      .then(
        () => this.#exit(incarnation, undefined),
        (error: unknown) => this.#exit(incarnation, error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
      );
  }

  crash(): void {
    if (this.#state !== 'running') return;
    this.#stop('crashed');
  }

  pause(): void {
    if (this.#state === 'running') this.#paused = true;
  }

  /** Run what waited, in order, one event each. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const deferred = this.#deferred;
    this.#deferred = [];
    const incarnation = this.#incarnation;
    for (const fn of deferred) this.#host.scheduler.after(0, () => incarnation === this.#incarnation && this.#runOrDefer(fn));
  }

  /** The network hands this process a message; returns what its client's handler returned (settledNothing: no yield needed). */
  deliver(from: string, message: FromServer | FromResource): unknown {
    if (this.#state !== 'running' || message.incarnation !== this.#incarnation) return this.#host.dropped(from, message, 'stale-incarnation');
    // As #runOrDefer, with no closure unless the message has to wait for a resume.
    if (this.#paused) this.#deferred.push(() => this.#receive(message, from));
    else return this.#receive(message, from);
    return undefined;
  }

  #receive(message: FromServer | FromResource, from: string): unknown {
    if (message.type === 'resource-result') this.#writeResult(message);
    else if (this.#memberTransports !== undefined) return this.#memberTransports.get(from)?.receive(message);
    else return this.#transport!.receive(message);
    return undefined;
  }

  #runOrDefer(fn: () => void): void {
    if (this.#state !== 'running') return;
    if (this.#paused) this.#deferred.push(fn);
    else fn();
  }

  #exit(incarnation: number, error: string | undefined): void {
    if (incarnation !== this.#incarnation || this.#state !== 'running') return;
    const event = { kind: 'process-exited' as const, atMs: this.#host.scheduler.nowMs(), process: this.name, incarnation };
    this.#host.trace.record(error === undefined ? event : Object.assign(event, { error }));
    if (error !== undefined) this.#host.failed(incarnation, error);
    this.#stop('exited');
  }

  #stop(state: 'crashed' | 'exited'): void {
    this.#state = state;
    this.#paused = false;
    this.#deferred = [];
    this.clock.dropTimers();
    this.#writes.clear();
    const cluster = this.#host.cluster;
    if (cluster !== undefined && this.#memberTransports !== undefined) {
      for (const [member, transport] of this.#memberTransports) {
        const connection = transport.connection;
        transport.kill();
        if (connection !== undefined) cluster.send(member, { type: 'disconnect', process: this.name, incarnation: this.#incarnation, connection });
      }
      return;
    }
    const transport = this.#transport!;
    const connection = transport.connection;
    transport.kill();
    if (connection !== undefined) this.#host.sendToServer({ type: 'disconnect', process: this.name, incarnation: this.#incarnation, connection });
  }

  #resource(name: string, incarnation: number, runtime: ClientRuntime): ResourceHandle {
    assert(this.#host.hasResource(name), `no resource named ${name}`);
    return {
      write: (fencingToken, value = '', options = {}) =>
        new Promise<WriteOutcome>((resolve) => {
          if (incarnation !== this.#incarnation || this.#state !== 'running') return;
          const requestId = ++this.#nextWriteId;
          const pending: PendingWrite = { resolve, cancelTimer: undefined };
          if (options.timeoutMs !== undefined)
            pending.cancelTimer = runtime.setTimer(options.timeoutMs, () => {
              this.#writes.delete(requestId);
              resolve('unknown');
            });
          this.#writes.set(requestId, pending);
          this.#host.sendToResource(name, { type: 'resource-write', process: this.name, incarnation, requestId, fencingToken, value });
        }),
    };
  }

  #writeResult(message: FromResource): void {
    const pending = this.#writes.get(message.requestId);
    if (pending === undefined) return;
    this.#writes.delete(message.requestId);
    pending.cancelTimer?.();
    pending.resolve(message.accepted ? 'accepted' : 'rejected');
  }
}
