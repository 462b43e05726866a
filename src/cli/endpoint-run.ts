/**
 * A scenario's client scripts on real time against any etcd endpoint (a real
 * etcd, a cluster member, `leaselab serve`), through GrpcTransport, with the
 * story's claims checked from what the clients saw:
 *
 *   const run = await runScenarioOnEndpoint(lateKeepalive, '127.0.0.1:2379');
 *   run.assertions   // the same claims as in the simulator, judged with place 'endpoint'
 *
 * Each process gets its own connection and a leaselab Client on the wall
 * clock; its `sleep`, `now` and `log` are real. The simulator's server events
 * are derived, since nobody can see inside a real etcd:
 * - `lease-granted` when a LeaseGrant answer arrives (so the deadline it
 *   implies is the latest the real one can be);
 * - `lease-expired` when a watch on every key (opened before the scripts
 *   start) sees the keys of a lease this run granted deleted in a revision
 *   that no client's LeaseRevoke, DeleteRange or Txn made. A lease without
 *   keys expires unseen.
 * Times are ms since the run started. What only the simulator can do (faults,
 * simulated storage, drifting clocks, exact expiry, its own client factory)
 * makes the scenario refuse to run here, with the reason
 * (NotOnEndpointError): emulating a pause or a partition from the client
 * side would tell another story.
 */
import { Client } from '../client/client.ts';
import type { ClientEvent } from '../client/events.ts';
import type { ClientRuntime } from '../client/runtime.ts';
import type { Knobs, RunPlace, Scenario, StoryAssertion } from '../scenarios/index.ts';
import { GrpcTransport } from '../server/grpc-transport.ts';
import { describeFault, type Fault } from '../sim/faults.ts';
import { FencedResource, type ResourceOptions } from '../sim/fenced-resource.ts';
import { internalWorldOf, type SimPlan, simPlanOf } from '../sim/sim.ts';
import type { SimResult, SimWorld } from '../sim/index.ts';
import type { ProcessContext, WriteOutcome } from '../sim/process.ts';
import { type EdgeAnswer, FaultyTransport, LinkDirection, ProcessGate } from './endpoint-faults.ts';
import { SimRandom } from '../sim/random.ts';
import { type AppliedCause, type KvChange, show, Trace, type TraceEvent } from '../sim/trace.ts';
import type { RunEnd } from '../sim/scheduler.ts';
import { fromUtf8 } from '../store/bytes.ts';
import type { LeaseGrantResponse, LeaseId, WatchResponse } from '../store/messages.ts';

/** After the last script ends, how long the key watch may still bring a revoke's events. */
const trailingWatchMs = 300;
/** How long to wait for the endpoint's first answers (its revision, the watch's creation). */
const connectTimeoutMs = 5000;

/** Why a scenario cannot run on an endpoint. */
export class NotOnEndpointError extends Error {}

/** The endpoint did not answer the run's first calls. */
export class EndpointUnreachableError extends Error {}

/** What an endpoint run did: the derived trace, the claims judged from it, and how it ended. */
export interface EndpointRun {
  scenario: Scenario;
  address: string;
  /** A SimResult-shaped record (its `world` throws: there is no simulated world). */
  result: SimResult<Client>;
  assertions: StoryAssertion[];
  ok: boolean;
}

/** The fault kinds an endpoint run emulates at the client's edge (src/cli/endpoint-faults.ts). */
const emulatedFaults: ReadonlySet<string> = new Set(['pause', 'resume', 'crash', 'partition', 'heal', 'hold', 'release']);

/** Why the scenario needs the simulator, or undefined when its scripts can run on an endpoint. */
export function endpointRefusal(scenario: Scenario, seed = scenario.defaultSeed, knobs: Knobs = {}): string | undefined {
  const plan = simPlanOf(scenario.build(seed, knobs));
  const reasons: string[] = [];
  const nodes = new Set(['server', ...plan.processes.map((p) => p.name), ...plan.resources]);
  const unsupported: string[] = [];
  for (const entry of plan.scheduled) {
    const faults = 'fault' in entry ? [entry.fault] : faultsOfAction(entry.action);
    const why =
      faults === undefined
        ? 'an action that reads the simulated world (its members, store or processes)'
        : faults.map(emulationGap).find((gap) => gap !== undefined);
    if (why !== undefined)
      unsupported.push(
        `${faults === undefined || faults.length === 0 ? 'an action' : faults.map(describeFault).join(' + ')} at ${seconds(entry.atMs)}: ${why}`,
      );
  }
  if (unsupported.length > 0) reasons.push(`it injects faults only the simulator can do (${unsupported.join(', ')})`);
  const drifting = plan.processes.filter(
    ({ options }) => options.clock !== undefined && ((options.clock.driftRate ?? 1) !== 1 || (options.clock.offsetMs ?? 0) !== 0),
  );
  if (drifting.length > 0) reasons.push(`its processes' clocks drift (${drifting.map((p) => p.name).join(', ')})`);
  if (plan.options.store?.exactExpiry === true) reasons.push("it uses the simulator's exact-expiry mode");
  if (plan.options.createClient !== undefined) reasons.push('it builds its own clients');
  if (plan.options.createStore !== undefined) reasons.push('it builds its own store');
  // Read loosely: the simulator's cluster option (src/sim/cluster) is newer than this check.
  const members = (plan.options as { cluster?: { members?: number } }).cluster?.members;
  if (members !== undefined && members >= 2)
    reasons.push(`it runs a simulated ${members}-member cluster (point --endpoint at one member of a real cluster and run a single-server story)`);
  return reasons.length === 0 ? undefined : `${scenario.name} cannot run on an endpoint: ${reasons.join('; ')}`;

  /** Why a fault cannot be emulated from the client's side, or undefined when it can. */
  function emulationGap(fault: Fault): string | undefined {
    if (!emulatedFaults.has(fault.kind)) return 'the client side cannot emulate it';
    if ('from' in fault && fault.from !== undefined && fault.to !== undefined) {
      const processes = [fault.from, fault.to].filter((node) => plan.processes.some((p) => p.name === node));
      if (processes.length !== 1 || ![fault.from, fault.to].every((node) => nodes.has(node)))
        return 'only a link between one process and the server or a resource can be cut or held';
    }
    return undefined;
  }
}

/** The faults a scheduled action applies, found by calling it on a recorder; undefined when it does more than call fault verbs. */
function faultsOfAction(action: (world: SimWorld<Client>) => void): Fault[] | undefined {
  const faults: Fault[] = [];
  let reads = false;
  const link = (from: unknown, to: unknown, options: unknown) =>
    Object.assign({ from: from as string, to: to as string }, (options as { oneWay?: boolean } | undefined)?.oneWay === true ? { oneWay: true } : {});
  const optionalLink = (from: unknown, to: unknown, options: unknown) => (from === undefined || to === undefined ? {} : link(from, to, options));
  const recorder = new Proxy({} as SimWorld<Client>, {
    get:
      (_target, verb) =>
      (...args: unknown[]) => {
        switch (verb) {
          case 'apply':
            faults.push(args[0] as Fault);
            return;
          case 'pause':
          case 'resume':
          case 'crash':
          case 'restart':
            faults.push({ kind: verb, process: args[0] as string });
            return;
          case 'partition':
          case 'hold':
            faults.push(Object.assign({ kind: verb }, link(args[0], args[1], args[2])));
            return;
          case 'heal':
          case 'release':
            faults.push(Object.assign({ kind: verb }, optionalLink(args[0], args[1], args[2])));
            return;
          case 'drift':
            faults.push(Object.assign({ kind: 'drift' as const, process: args[0] as string }, args[1] as object));
            return;
          case 'serverRestart':
            faults.push(Object.assign({ kind: 'serverRestart' as const }, args[0] as object | undefined));
            return;
          case 'slowApply':
            faults.push({ kind: 'slowApply', delayMs: args[0] as number });
            return;
          case 'loss':
            faults.push(Object.assign({ kind: 'loss' as const, probability: args[0] as number }, args[1] as object | undefined));
            return;
          case 'latency':
            faults.push(
              Object.assign({ kind: 'latency' as const }, args[0] === undefined ? {} : { latencyMs: args[0] as never }, args[1] as object | undefined),
            );
            return;
          default:
            reads = true;
        }
      },
  });
  try {
    action(recorder);
  } catch {
    return undefined;
  }
  return reads ? undefined : faults;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

export interface EndpointRunOptions {
  seed?: number;
  knobs?: Knobs;
  /** Called with each event as it is recorded (progress for the terminal). */
  onEvent?: (event: TraceEvent) => void;
}

/** One process of an endpoint run: its gate (pause, crash), its link to etcd and its links to the resources. */
interface EndpointProcess {
  name: string;
  gate: ProcessGate;
  transport: FaultyTransport;
  /** Its links to each resource: writes out, answers back. */
  resourceLinks: Map<string, { out: LinkDirection; back: LinkDirection }>;
  /** Resolves when it crashes (its script never ends then). */
  crashed: () => void;
}

/** The run's real-time clock: time 0 is when the scripts start (start()), after the run's own watch is up. */
class RunClock {
  #startedAt = performance.now();

  /** Time 0 is now. */
  start(): void {
    this.#startedAt = performance.now();
  }

  readonly elapsedMs = (): number => performance.now() - this.#startedAt;

  /** Ms since time 0, whole, as trace events stamp them. */
  readonly stampMs = (): number => Math.round(this.elapsedMs());

  /** Run `fn` once the run's clock reaches `atMs` (Node's timers may fire a little early against performance.now()); returns a cancel. */
  readonly atElapsedMs = (atMs: number, fn: () => void): (() => void) => {
    let handle: ReturnType<typeof setTimeout>;
    const wait = () => {
      const leftMs = atMs - this.elapsedMs();
      if (leftMs > 0) handle = setTimeout(wait, Math.ceil(leftMs));
      else fn();
    };
    handle = setTimeout(wait, Math.max(0, atMs - this.elapsedMs()));
    return () => clearTimeout(handle);
  };
}

/** What every process of one endpoint run shares: the clock, the events, the run's leases, answers and resources. */
interface EndpointRunShared {
  clock: RunClock;
  record: (event: TraceEvent) => void;
  /** Leases this run granted. */
  granted: Set<LeaseId>;
  /** Answers that reached a process's edge, whatever the link then did with them: which call made which revision. */
  edgeAnswers: Extract<EdgeAnswer, { kind: 'unary' }>[];
  resources: ReadonlyMap<string, FencedResource>;
  random: SimRandom;
  callTimeoutMs: number | undefined;
}

type PlannedProcess = SimPlan<Client>['processes'][number];

/**
 * Run the scenario's scripts against `address` on real time and judge its
 * claims. @throws NotOnEndpointError when it needs the simulator
 */
export async function runScenarioOnEndpoint(scenario: Scenario, address: string, options: EndpointRunOptions = {}): Promise<EndpointRun> {
  const seed = options.seed ?? scenario.defaultSeed;
  const knobs = options.knobs ?? {};
  const refusal = endpointRefusal(scenario, seed, knobs);
  if (refusal !== undefined) throw new NotOnEndpointError(refusal);
  if (knobs.latencyMs !== undefined) throw new NotOnEndpointError('--latency sets the simulated network: on an endpoint the network is real');
  const plan = simPlanOf(scenario.build(seed, knobs));

  const clock = new RunClock();
  const events: TraceEvent[] = [];
  const record = (event: TraceEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const keys = new KeyWatch(address, clock.stampMs);
  await keys.start();
  const connections = await warmConnections(address, plan);
  clock.start();
  const shared: EndpointRunShared = {
    clock,
    record,
    granted: new Set<LeaseId>(),
    edgeAnswers: [],
    resources: new Map(plan.resources.map((name) => [name, new FencedResource(name, resourceOptionsOf(scenario, seed, knobs, name))])),
    random: new SimRandom(seed),
    callTimeoutMs: plan.options.callTimeoutMs,
  };
  const clients: Client[] = [];
  const processes = new Map<string, EndpointProcess>();
  const running = plan.processes.map((planned) => {
    const started = startProcess(shared, planned, connections.get(planned.name)!, plan.resources);
    clients.push(started.client);
    processes.set(planned.name, started.process);
    return started.ended;
  });
  const world = new EndpointWorld(processes, shared.resources, clock.stampMs, record);
  const scheduled = plan.scheduled.map((entry) => scheduledEntry(clock, world, entry));
  const endedBy = await runUntilDone([...running, ...scheduled], plan.msMax);
  for (const process of processes.values()) process.gate.crash();
  for (const client of clients) client.close();
  await new Promise((resolve) => setTimeout(resolve, trailingWatchMs));
  const wallMs = clock.stampMs();
  keys.close();
  for (const process of processes.values()) process.transport.kill();

  const trace = endpointTrace(events, keys, shared);
  const errors = trace
    .ofKind('process-exited')
    .filter((event) => event.error !== undefined)
    .map((event) => `${event.process}#${event.incarnation}: ${event.error}`);
  const result: SimResult<Client> = {
    endedBy,
    trace,
    stats: { events: trace.events.length, virtualMs: wallMs },
    world: worldAfter(shared.resources),
    errors,
  };
  const place: RunPlace = 'endpoint';
  const assertions = scenario.check(result, knobs, place);
  return { scenario, address, result, assertions, ok: assertions.every((assertion) => assertion.holds) };
}

/** One connection per process, up (and warm) before time 0, so its first call does not pay for the connect (the simulator's network has no handshake). */
async function warmConnections(address: string, plan: SimPlan<Client>): Promise<Map<string, GrpcTransport>> {
  const connections = new Map(plan.processes.map(({ name }) => [name, new GrpcTransport(address)]));
  // A read-only txn: the server's txn path is warm too (a fresh leaselab serve compiles it on first use).
  const warmUp = { success: [{ request_range: { key: new Uint8Array([0]), count_only: true } }] } as never;
  await Promise.all([...connections.values()].map((connection) => connection.call('txn', warmUp).catch(() => undefined)));
  return connections;
}

/** A scheduled fault or action, applied at its time on the run's clock; resolves once applied. */
function scheduledEntry(clock: RunClock, world: EndpointWorld, entry: SimPlan<Client>['scheduled'][number]): Promise<void> {
  return new Promise<void>((resolve) =>
    clock.atElapsedMs(entry.atMs, () => {
      try {
        if ('fault' in entry) world.apply(entry.fault);
        else entry.action(world as unknown as SimWorld<Client>);
      } finally {
        resolve();
      }
    }),
  );
}

/** As in the simulator, the run is done when every process has finished and no scheduled fault is left; or at `msMax`. */
async function runUntilDone(pending: Promise<void>[], msMax: number): Promise<RunEnd> {
  let endedBy: RunEnd = 'done';
  let limit: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<void>((resolve) => {
    limit = setTimeout(() => {
      endedBy = 'msMax';
      resolve();
    }, msMax);
  });
  await Promise.race([Promise.all(pending), outOfTime]);
  clearTimeout(limit);
  return endedBy;
}

/** The run's trace: the clients' events with the expiries and applied revisions derived from the key watch, in time order. */
function endpointTrace(events: TraceEvent[], keys: KeyWatch, shared: EndpointRunShared): Trace {
  const clientWrites = revokedBy(events);
  const expiries = keys.expiries(shared.granted, clientWrites);
  for (const expiry of expiries) events.push(expiry);
  for (const applied of keys.applied(events, expiries, shared.edgeAnswers)) events.push(applied);
  // Stable: events stamped the same ms keep the order they happened in.
  events.sort((a, b) => a.atMs - b.atMs);
  const trace = new Trace();
  for (const event of events) trace.record(event);
  return trace;
}

/** A process's link to etcd, through its gate: partition drops and the answers at its edge are recorded. */
function edgeTransport(shared: EndpointRunShared, name: string, gate: ProcessGate, connection: GrpcTransport): FaultyTransport {
  const { record, clock } = shared;
  return new FaultyTransport(
    connection,
    gate,
    ({ toServer, message }) =>
      record({
        kind: 'message-dropped',
        atMs: clock.stampMs(),
        from: toServer ? name : 'server',
        to: toServer ? 'server' : name,
        message,
        reason: 'partition',
      }),
    (answer) => {
      // The server renewed the lease a little before its answer reached this process's edge (even one the link then drops).
      if (answer.kind === 'keepalive') {
        if (answer.response.TTL > 0) record({ kind: 'lease-renewed', atMs: clock.stampMs(), leaseId: answer.response.ID, ttlSeconds: answer.response.TTL });
      } else shared.edgeAnswers.push(answer);
    },
  );
}

/** A process's Client on the run's clock, its events recorded (and its lease grants noted) while it lives. */
function processClient(
  shared: EndpointRunShared,
  name: string,
  incarnation: number,
  gate: ProcessGate,
  transport: FaultyTransport,
  runtime: ClientRuntime,
): Client {
  const { record, clock } = shared;
  const observer = (event: ClientEvent) => {
    if (gate.dead) return;
    const atMs = clock.stampMs();
    if (event.kind === 'return' && event.method === 'leaseGrant' && event.outcome === 'ok') {
      const response = event.response as LeaseGrantResponse;
      shared.granted.add(response.ID);
      record({ kind: 'lease-granted', atMs, leaseId: response.ID, ttlSeconds: response.TTL, process: name, incarnation });
    }
    record({ kind: 'client', atMs, process: name, incarnation, event });
  };
  return new Client({
    transport,
    runtime,
    observer,
    ...(shared.callTimeoutMs !== undefined ? { callTimeoutMs: shared.callTimeoutMs } : {}),
  });
}

/** One process of the run: its gate, link and Client, its script started at its time; `ended` resolves when it exits or crashes. */
function startProcess(
  shared: EndpointRunShared,
  planned: PlannedProcess,
  connection: GrpcTransport,
  resourceNames: readonly string[],
): { process: EndpointProcess; client: Client; ended: Promise<void> } {
  const { name } = planned;
  const incarnation = 1;
  const gate = new ProcessGate();
  const transport = edgeTransport(shared, name, gate, connection);
  const { clock } = shared;
  const runtime: ClientRuntime = {
    nowMs: clock.elapsedMs,
    setTimer(delayMs, fn) {
      if (gate.dead) return () => {};
      return clock.atElapsedMs(clock.elapsedMs() + Math.max(0, delayMs), () => gate.run(fn));
    },
  };
  const client = processClient(shared, name, incarnation, gate, transport, runtime);
  const resourceLinks = new Map(resourceNames.map((resource) => [resource, { out: new LinkDirection(), back: new LinkDirection() }]));
  let crashed = () => {};
  const whenCrashed = new Promise<void>((resolve) => (crashed = resolve));
  const process: EndpointProcess = { name, gate, transport, resourceLinks, crashed: () => crashed() };
  const ctx = processContext(shared, process, incarnation, client, runtime);
  const ended = new Promise<void>((resolve) => {
    void whenCrashed.then(resolve);
    clock.atElapsedMs(planned.options.startAtMs ?? 0, () => {
      if (gate.dead) return;
      shared.record({ kind: 'process-started', atMs: clock.stampMs(), process: name, incarnation });
      runMain(shared, process, incarnation, () => planned.main(ctx), resolve);
    });
  });
  return { process, client, ended };
}

/** The process's script, its exit recorded; when main returns the process stops (Go's main returning ends every goroutine), its connections close. */
function runMain(shared: EndpointRunShared, process: EndpointProcess, incarnation: number, main: () => Promise<void>, ended: () => void): void {
  const { record, clock } = shared;
  const { name, gate, transport } = process;
  void main()
    .then(
      () => record({ kind: 'process-exited', atMs: clock.stampMs(), process: name, incarnation }),
      (error: unknown) =>
        record({
          kind: 'process-exited',
          atMs: clock.stampMs(),
          process: name,
          incarnation,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        }),
    )
    .finally(() => {
      if (!gate.dead) {
        gate.crash();
        transport.kill();
      }
      ended();
    });
}

/** What a process's script sees: its client, real sleep/now/log, its random streams and its resources. */
function processContext(
  shared: EndpointRunShared,
  process: EndpointProcess,
  incarnation: number,
  client: Client,
  runtime: ClientRuntime,
): ProcessContext<Client> {
  const { record, clock, random } = shared;
  const { name, gate } = process;
  return {
    name,
    incarnation,
    client,
    sleep: (ms) => new Promise<void>((resolve) => runtime.setTimer(ms, resolve)),
    now: clock.elapsedMs,
    log: (...parts) => {
      if (gate.dead) return;
      record({
        kind: 'log',
        atMs: clock.stampMs(),
        process: name,
        incarnation,
        message: parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((part) => (typeof part === 'string' ? part : show(part))).join(' '),
      });
    },
    random: random.stream(`process/${name}#${incarnation}`),
    stream: (streamName) => random.stream(`process/${name}#${incarnation}/${streamName}`),
    resource: (resourceName) => {
      const resource = shared.resources.get(resourceName);
      const link = process.resourceLinks.get(resourceName);
      if (resource === undefined || link === undefined) throw new NotOnEndpointError(`no resource named ${resourceName}`);
      return {
        write: (fencingToken, value = '', writeOptions = {}) =>
          resourceWrite(shared, process, incarnation, runtime, { resource, link }, { fencingToken, value, timeoutMs: writeOptions.timeoutMs }),
      };
    },
  };
}

/**
 * A write to a resource: the storage is in this process (the client's own, not etcd's),
 * so the write crosses the emulated link both ways.
 */
function resourceWrite(
  shared: EndpointRunShared,
  process: EndpointProcess,
  incarnation: number,
  runtime: ClientRuntime,
  { resource, link }: { resource: FencedResource; link: { out: LinkDirection; back: LinkDirection } },
  { fencingToken, value, timeoutMs }: { fencingToken: number; value: string; timeoutMs: number | undefined },
): Promise<WriteOutcome> {
  const { record, clock } = shared;
  const { name, gate } = process;
  return new Promise<WriteOutcome>((resolve) => {
    if (gate.dead) return;
    const sentAtMs = clock.stampMs();
    let settled = false;
    const settle = (outcome: WriteOutcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    if (timeoutMs !== undefined) runtime.setTimer(timeoutMs, () => settle('unknown'));
    const dropped = (from: string, to: string) => () =>
      record({ kind: 'message-dropped', atMs: clock.stampMs(), from, to, message: `resource-write ${JSON.stringify(value)}`, reason: 'partition' });
    link.out.through(
      () =>
        setImmediate(() => {
          const attempt = resource.write({ atMs: clock.stampMs(), process: name, incarnation, fencingToken, value });
          record(Object.assign({ kind: 'resource-write' as const, resource: resource.name, sentAtMs }, attempt));
          link.back.through(() => gate.run(() => settle(attempt.accepted ? 'accepted' : 'rejected')), dropped(resource.name, name));
        }),
      dropped(name, resource.name),
    );
  });
}

/** A resource's options, read from a Sim built the same way (the plan names resources; the world holds their options). */
function resourceOptionsOf(scenario: Scenario, seed: number, knobs: Knobs, name: string): ResourceOptions {
  return { fenced: internalWorldOf(scenario.build(seed, knobs)).resource(name).fenced };
}

/**
 * The fault verbs of the simulator's world, emulated at the clients' edge:
 * what a scenario's `sim.at(ms, (world) => world.pause('alice'))` calls on an endpoint run.
 */
class EndpointWorld {
  readonly #processes: ReadonlyMap<string, EndpointProcess>;
  readonly #resources: ReadonlyMap<string, FencedResource>;
  readonly #stampMs: () => number;
  readonly #record: (event: TraceEvent) => void;

  constructor(
    processes: ReadonlyMap<string, EndpointProcess>,
    resources: ReadonlyMap<string, FencedResource>,
    stampMs: () => number,
    record: (event: TraceEvent) => void,
  ) {
    this.#processes = processes;
    this.#resources = resources;
    this.#stampMs = stampMs;
    this.#record = record;
  }

  get nowMs(): number {
    return this.#stampMs();
  }

  resource(name: string): FencedResource {
    const resource = this.#resources.get(name);
    if (resource === undefined) throw new NotOnEndpointError(`no resource named ${name}`);
    return resource;
  }

  apply(fault: Fault): void {
    this.#record({ kind: 'fault', atMs: this.#stampMs(), fault });
    switch (fault.kind) {
      case 'pause':
        return this.#process(fault.process).gate.pause();
      case 'resume':
        return this.#process(fault.process).gate.resume();
      case 'crash': {
        const process = this.#process(fault.process);
        if (process.gate.dead) return;
        process.gate.crash();
        process.transport.kill();
        process.crashed();
        return;
      }
      case 'partition':
      case 'hold':
        for (const direction of this.#directions(fault)) direction.mode = fault.kind === 'partition' ? 'drop' : 'hold';
        return;
      case 'heal':
        for (const direction of this.#directions(fault)) if (direction.mode === 'drop') direction.mode = 'pass';
        return;
      case 'release':
        for (const [from, to, direction] of this.#namedDirections(fault)) {
          const messages = direction.release();
          if (messages > 0) this.#record({ kind: 'messages-released', atMs: this.#stampMs(), from, to, messages });
        }
        return;
      default:
        throw new NotOnEndpointError(`an endpoint run cannot emulate ${describeFault(fault)}`);
    }
  }

  pause(process: string): void {
    this.apply({ kind: 'pause', process });
  }

  resume(process: string): void {
    this.apply({ kind: 'resume', process });
  }

  crash(process: string): void {
    this.apply({ kind: 'crash', process });
  }

  partition(from: string, to: string, options: { oneWay?: boolean } = {}): void {
    this.apply(Object.assign({ kind: 'partition' as const, from, to }, options.oneWay === true ? { oneWay: true } : {}));
  }

  heal(from?: string, to?: string, options: { oneWay?: boolean } = {}): void {
    this.apply(
      Object.assign({ kind: 'heal' as const }, from !== undefined && to !== undefined ? { from, to } : {}, options.oneWay === true ? { oneWay: true } : {}),
    );
  }

  hold(from: string, to: string, options: { oneWay?: boolean } = {}): void {
    this.apply(Object.assign({ kind: 'hold' as const, from, to }, options.oneWay === true ? { oneWay: true } : {}));
  }

  release(from?: string, to?: string, options: { oneWay?: boolean } = {}): void {
    this.apply(
      Object.assign({ kind: 'release' as const }, from !== undefined && to !== undefined ? { from, to } : {}, options.oneWay === true ? { oneWay: true } : {}),
    );
  }

  #process(name: string): EndpointProcess {
    const process = this.#processes.get(name);
    if (process === undefined) throw new NotOnEndpointError(`no process named ${name}`);
    return process;
  }

  #directions(fault: { from?: string; to?: string; oneWay?: boolean }): LinkDirection[] {
    return this.#namedDirections(fault).map(([, , direction]) => direction);
  }

  /** The link directions a fault touches, as [from, to, direction]: every link when it names none. */
  #namedDirections(fault: { from?: string; to?: string; oneWay?: boolean }): [string, string, LinkDirection][] {
    const found: [string, string, LinkDirection][] = [];
    for (const process of this.#processes.values()) {
      const peers: [string, LinkDirection, LinkDirection][] = [['server', process.transport.toServer, process.transport.fromServer]];
      for (const [resource, link] of process.resourceLinks) peers.push([resource, link.out, link.back]);
      for (const [peer, out, back] of peers) {
        if (fault.from === undefined || fault.to === undefined) {
          found.push([process.name, peer, out], [peer, process.name, back]);
        } else if (fault.from === process.name && fault.to === peer) {
          found.push([process.name, peer, out]);
          if (fault.oneWay !== true) found.push([peer, process.name, back]);
        } else if (fault.from === peer && fault.to === process.name) {
          found.push([peer, process.name, back]);
          if (fault.oneWay !== true) found.push([process.name, peer, out]);
        }
      }
    }
    return found;
  }
}

/** Revisions the clients' own calls made that can delete keys, and the leases they revoked. */
function revokedBy(events: readonly TraceEvent[]): { revisions: Set<number>; leases: Set<LeaseId> } {
  const revisions = new Set<number>();
  const leases = new Set<LeaseId>();
  const requests = new Map<string, unknown>();
  for (const event of events) {
    if (event.kind !== 'client') continue;
    const e = event.event;
    const callKey = `${event.process}#${event.incarnation}/${'callId' in e ? e.callId : ''}`;
    if (e.kind === 'call') requests.set(callKey, e.request);
    if (e.kind !== 'return' || e.outcome !== 'ok') continue;
    const revision = (e.response as { header?: { revision?: number } } | undefined)?.header?.revision;
    if (e.method === 'leaseRevoke') leases.add((requests.get(callKey) as { ID: LeaseId }).ID);
    else if ((e.method === 'deleteRange' || e.method === 'txn') && revision !== undefined && madeRevision(e.method, e.response)) revisions.add(revision);
  }
  return { revisions, leases };
}

/**
 * Whether a successful call's answer says it wrote (so its header's revision is its own): a put always does, a
 * delete that deleted something, a txn whose branch put or deleted something. A delete of nothing answers with
 * the current revision, which someone else made (an expiry, say).
 */
function madeRevision(method: string, response: unknown): boolean {
  if (method === 'put' || method === 'leaseRevoke') return true;
  if (method === 'deleteRange') return Number((response as { deleted?: number | string }).deleted ?? 0) > 0;
  if (method !== 'txn') return false;
  const ops = (response as { responses?: Record<string, unknown>[] }).responses ?? [];
  return ops.some(
    (op) => op['response_put'] !== undefined || Number((op['response_delete_range'] as { deleted?: number | string } | undefined)?.deleted ?? 0) > 0,
  );
}

/** The run's own watch on every key: which lease each key was put with, and each revision's deletes. */
class KeyWatch {
  readonly #transport: GrpcTransport;
  readonly #stampMs: () => number;
  readonly #leaseOfKey = new Map<string, LeaseId>();
  readonly #deletes: { atMs: number; revision: number; leases: Set<LeaseId> }[] = [];
  /** Every revision the watch saw, with the keys it changed, as the simulator's server traces them. */
  readonly #revisions: { atMs: number; revision: number; changes: KvChange[] }[] = [];
  #stream: { close(): void } | undefined;

  constructor(address: string, stampMs: () => number) {
    this.#transport = new GrpcTransport(address);
    this.#stampMs = stampMs;
  }

  /** Open the watch from the endpoint's next revision; resolves once it is created. @throws EndpointUnreachableError */
  async start(): Promise<void> {
    try {
      await this.#start();
    } catch (error) {
      this.close();
      throw new EndpointUnreachableError(`${this.#transport.address} does not answer: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #start(): Promise<void> {
    const everything = { key: new Uint8Array([0]), range_end: new Uint8Array([0]) };
    const timeout = <T>(promise: Promise<T>, what: string) =>
      Promise.race([
        promise,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to ${what} in ${connectTimeoutMs} ms`)), connectTimeoutMs)),
      ]);
    const { header } = await timeout(this.#transport.call('range', Object.assign({ count_only: true }, everything) as never), 'a Range');
    await timeout(
      new Promise<void>((resolve, reject) => {
        const stream = this.#transport.openWatch({
          message: (response) => {
            if (response.created) resolve();
            this.#heard(response);
          },
          end: (error) => reject(error ?? new Error('the key watch ended')),
        });
        stream.send({ create_request: Object.assign({ start_revision: header.revision + 1 }, everything) } as never);
        this.#stream = stream;
      }),
      'a Watch',
    );
  }

  #heard(response: WatchResponse): void {
    const atMs = this.#stampMs();
    for (const event of response.events) {
      const key = fromUtf8(event.kv.key);
      let applied = this.#revisions.at(-1);
      if (applied?.revision !== event.kv.mod_revision) this.#revisions.push((applied = { atMs, revision: event.kv.mod_revision, changes: [] }));
      if (event.type === 'PUT') {
        const change: KvChange = { type: 'put', key, createRevision: event.kv.create_revision, version: event.kv.version, value: tracedValue(event.kv.value) };
        if (event.kv.lease !== 0n) change.lease = event.kv.lease;
        applied.changes.push(change);
      } else applied.changes.push({ type: 'delete', key });
      if (event.type === 'PUT') {
        if (event.kv.lease !== 0n) this.#leaseOfKey.set(key, event.kv.lease);
        else this.#leaseOfKey.delete(key);
        continue;
      }
      const lease = this.#leaseOfKey.get(key);
      this.#leaseOfKey.delete(key);
      let last = this.#deletes.at(-1);
      if (last?.revision !== event.kv.mod_revision) this.#deletes.push((last = { atMs, revision: event.kv.mod_revision, leases: new Set() }));
      if (lease !== undefined) last.leases.add(lease);
    }
  }

  /** `lease-expired` for each revision that deleted only keys of one lease this run granted, and that no client call made. */
  expiries(granted: ReadonlySet<LeaseId>, clients: { revisions: Set<number>; leases: Set<LeaseId> }): TraceEvent[] {
    const found: TraceEvent[] = [];
    for (const { atMs, revision, leases } of this.#deletes) {
      if (leases.size !== 1 || clients.revisions.has(revision)) continue;
      const leaseId = leases.values().next().value as LeaseId;
      if (granted.has(leaseId) && !clients.leases.has(leaseId)) found.push({ kind: 'lease-expired', atMs, leaseId, revision });
    }
    return found;
  }

  /**
   * `kv-applied` for each revision this run made: one a client's call answered with (a put, delete, txn or revoke
   * whose answer carries that revision, also an answer the emulated link dropped: `edgeAnswers`), or one of this
   * run's expiries. Writes of other clients of the endpoint are left out, and so is a write whose answer never came.
   */
  applied(events: readonly TraceEvent[], expiries: readonly TraceEvent[], edgeAnswers: readonly Extract<EdgeAnswer, { kind: 'unary' }>[]): TraceEvent[] {
    const byRevision = new Map<number, AppliedCause>();
    for (const expiry of expiries) if (expiry.kind === 'lease-expired') byRevision.set(expiry.revision, { kind: 'lease-expiry', leaseId: expiry.leaseId });
    for (const event of events) {
      if (event.kind !== 'client') continue;
      const e = event.event;
      if (e.kind !== 'return' || e.outcome !== 'ok' || !madeRevision(e.method, e.response)) continue;
      const revision = (e.response as { header?: { revision?: number } } | undefined)?.header?.revision;
      if (revision !== undefined && !byRevision.has(revision))
        byRevision.set(revision, { kind: 'request', process: event.process, incarnation: event.incarnation, callId: e.callId, method: e.method });
    }
    // Answers the client never saw: the call is found by its request (the client hands the transport the object it traced).
    const callOf = new Map<unknown, { process: string; incarnation: number; callId: number; method: string }>();
    for (const event of events)
      if (event.kind === 'client' && event.event.kind === 'call')
        callOf.set(event.event.request, { process: event.process, incarnation: event.incarnation, callId: event.event.callId, method: event.event.method });
    for (const answer of edgeAnswers) {
      const revision = (answer.response as { header?: { revision?: number } } | undefined)?.header?.revision;
      const call = callOf.get(answer.request);
      if (revision === undefined || call === undefined || byRevision.has(revision) || !madeRevision(answer.method, answer.response)) continue;
      byRevision.set(revision, Object.assign({ kind: 'request' as const }, call));
    }
    const found: TraceEvent[] = [];
    for (const { atMs, revision, changes } of this.#revisions) {
      const cause = byRevision.get(revision);
      if (cause !== undefined) found.push({ kind: 'kv-applied', atMs, revision, changes, cause });
    }
    return found;
  }

  close(): void {
    this.#stream?.close();
    this.#transport.close();
  }
}

/** Values in kv-applied events are cut to this many characters, as the simulator's server cuts them. */
const tracedValueCharsMax = 40;

function tracedValue(bytes: Uint8Array): string {
  const value = fromUtf8(bytes);
  return value.length > tracedValueCharsMax ? `${value.slice(0, tracedValueCharsMax - 1)}…` : value;
}

/** An endpoint run has no simulated world, only its storage resources: a claim that reaches for more fails loudly. */
function worldAfter(resources: ReadonlyMap<string, FencedResource>) {
  return new Proxy({} as SimWorld<Client>, {
    get(_target, property) {
      if (property === 'resource')
        return (name: string) => {
          const resource = resources.get(name);
          if (resource === undefined) throw new NotOnEndpointError(`no resource named ${name}`);
          return resource;
        };
      if (property === 'resources') return [...resources.values()];
      throw new NotOnEndpointError(`an endpoint run has no simulated world (a claim read world.${String(property)})`);
    },
  });
}
