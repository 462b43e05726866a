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
import { describeFault } from '../sim/faults.ts';
import { simPlanOf } from '../sim/sim.ts';
import type { SimResult, SimWorld } from '../sim/index.ts';
import type { ProcessContext } from '../sim/process.ts';
import { SimRandom } from '../sim/random.ts';
import { show, Trace, type TraceEvent } from '../sim/trace.ts';
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

/** Why the scenario needs the simulator, or undefined when its scripts can run on an endpoint. */
export function endpointRefusal(scenario: Scenario, seed = scenario.defaultSeed, knobs: Knobs = {}): string | undefined {
  const plan = simPlanOf(scenario.build(seed, knobs));
  const reasons: string[] = [];
  if (plan.scheduled.length > 0) reasons.push(`it injects faults only the simulator can do (${plan.scheduled.map((entry) => `${'fault' in entry ? describeFault(entry.fault) : describeAction(entry.action)} at ${seconds(entry.atMs)}`).join(', ')})`);
  if (plan.resources.length > 0) reasons.push(`it writes to simulated storage (${plan.resources.join(', ')})`);
  const drifting = plan.processes.filter(({ options }) => options.clock !== undefined && ((options.clock.driftRate ?? 1) !== 1 || (options.clock.offsetMs ?? 0) !== 0));
  if (drifting.length > 0) reasons.push(`its processes' clocks drift (${drifting.map((p) => p.name).join(', ')})`);
  if (plan.options.store?.exactExpiry === true) reasons.push("it uses the simulator's exact-expiry mode");
  if (plan.options.createClient !== undefined) reasons.push('it builds its own clients');
  if (plan.options.createStore !== undefined) reasons.push('it builds its own store');
  return reasons.length === 0 ? undefined : `${scenario.name} cannot run on an endpoint: ${reasons.join('; ')}`;
}

/** What a scheduled action does to the world, as the fault verbs it calls (`crash alice`), found by calling it on a recorder. */
function describeAction(action: (world: SimWorld<Client>) => void): string {
  const verbs: string[] = [];
  const recorder = new Proxy({} as SimWorld<Client>, {
    get: (_target, verb) => (...args: unknown[]) => void verbs.push([String(verb), ...args.filter((arg) => typeof arg === 'string' || typeof arg === 'number')].join(' ')),
  });
  try {
    action(recorder);
  } catch {
    // An action that reads the world (not only calls its verbs): described by its time alone.
  }
  return verbs.length > 0 ? verbs.join(' + ') : 'an action';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

export interface EndpointRunOptions {
  seed?: number;
  knobs?: Knobs;
  /** Called with each event as it is recorded (progress for the terminal). */
  onEvent?: (event: TraceEvent) => void;
}

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

  // Time 0 is when the scripts start, after the run's own watch is up.
  let startedAt = performance.now();
  const elapsedMs = () => performance.now() - startedAt;
  const stampMs = () => Math.round(elapsedMs());
  const events: TraceEvent[] = [];
  const record = (event: TraceEvent) => {
    events.push(event);
    options.onEvent?.(event);
  };
  const runtime: ClientRuntime = {
    nowMs: elapsedMs,
    setTimer(delayMs, fn) {
      const handle = setTimeout(fn, Math.max(0, delayMs));
      return () => clearTimeout(handle);
    },
  };

  const keys = new KeyWatch(address, stampMs);
  await keys.start();
  startedAt = performance.now();
  const clients: Client[] = [];
  const transports: GrpcTransport[] = [];
  const random = new SimRandom(seed);
  const granted = new Set<LeaseId>();
  const running = plan.processes.map(({ name, main, options: processOptions }) => {
    const incarnation = 1;
    const transport = new GrpcTransport(address);
    transports.push(transport);
    const observer = (event: ClientEvent) => {
      const atMs = stampMs();
      if (event.kind === 'return' && event.method === 'leaseGrant' && event.outcome === 'ok') {
        const response = event.response as LeaseGrantResponse;
        granted.add(response.ID);
        record({ kind: 'lease-granted', atMs, leaseId: response.ID, ttlSeconds: response.TTL, process: name, incarnation });
      }
      record({ kind: 'client', atMs, process: name, incarnation, event });
    };
    const client = new Client({ transport, runtime, observer, ...(plan.options.callTimeoutMs !== undefined ? { callTimeoutMs: plan.options.callTimeoutMs } : {}) });
    clients.push(client);
    const ctx: ProcessContext<Client> = {
      name,
      incarnation,
      client,
      sleep: (ms) => new Promise<void>((resolve) => runtime.setTimer(ms, resolve)),
      now: elapsedMs,
      log: (...parts) =>
        record({ kind: 'log', atMs: stampMs(), process: name, incarnation, message: parts.length === 1 && typeof parts[0] === 'string' ? parts[0] : parts.map((part) => (typeof part === 'string' ? part : show(part))).join(' ') }),
      random: random.stream(`process/${name}#${incarnation}`),
      stream: (streamName) => random.stream(`process/${name}#${incarnation}/${streamName}`),
      resource: () => {
        throw new NotOnEndpointError('simulated storage is not there on an endpoint');
      },
    };
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        record({ kind: 'process-started', atMs: stampMs(), process: name, incarnation });
        main(ctx).then(
          () => record({ kind: 'process-exited', atMs: stampMs(), process: name, incarnation }),
          (error: unknown) => record({ kind: 'process-exited', atMs: stampMs(), process: name, incarnation, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
        ).finally(resolve);
      }, Math.max(0, (processOptions.startAtMs ?? 0) - elapsedMs()));
    });
  });

  let endedBy: RunEnd = 'done';
  let limit: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<void>((resolve) => {
    limit = setTimeout(() => {
      endedBy = 'msMax';
      resolve();
    }, plan.msMax);
  });
  await Promise.race([Promise.all(running), outOfTime]);
  clearTimeout(limit);
  for (const client of clients) client.close();
  await new Promise((resolve) => setTimeout(resolve, trailingWatchMs));
  const wallMs = stampMs();
  keys.close();
  for (const transport of transports) transport.close();

  for (const expiry of keys.expiries(granted, revokedBy(events))) events.push(expiry);
  // Stable: events stamped the same ms keep the order they happened in.
  events.sort((a, b) => a.atMs - b.atMs);
  const trace = new Trace();
  for (const event of events) trace.record(event);
  const errors = trace
    .ofKind('process-exited')
    .filter((event) => event.error !== undefined)
    .map((event) => `${event.process}#${event.incarnation}: ${event.error}`);
  const result: SimResult<Client> = { endedBy, trace, stats: { events: trace.events.length, virtualMs: wallMs }, world: noWorld, errors };
  const place: RunPlace = 'endpoint';
  const assertions = scenario.check(result, knobs, place);
  return { scenario, address, result, assertions, ok: assertions.every((assertion) => assertion.holds) };
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
    else if ((e.method === 'deleteRange' || e.method === 'txn') && revision !== undefined) revisions.add(revision);
  }
  return { revisions, leases };
}

/** The run's own watch on every key: which lease each key was put with, and each revision's deletes. */
class KeyWatch {
  readonly #transport: GrpcTransport;
  readonly #stampMs: () => number;
  readonly #leaseOfKey = new Map<string, LeaseId>();
  readonly #deletes: { atMs: number; revision: number; leases: Set<LeaseId> }[] = [];
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
      Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer to ${what} in ${connectTimeoutMs} ms`)), connectTimeoutMs))]);
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

  close(): void {
    this.#stream?.close();
    this.#transport.close();
  }
}

/** An endpoint run has no simulated world: a claim that reaches for one fails loudly. */
const noWorld = new Proxy({} as SimWorld<Client>, {
  get(_target, property) {
    throw new NotOnEndpointError(`an endpoint run has no simulated world (a claim read world.${String(property)})`);
  },
});
