/**
 * The simulator's driver: describe a world, then run it.
 *
 *   const sim = new Sim({ seed: 1, msMax: 60_000, network: { latencyMs: { min: 1, max: 5 } } });
 *   sim.process('alice', async ({ client, sleep, log }) => {
 *     const { ID } = await client.grant(5);
 *     client.keepAlive(ID);
 *     await client.put('owner', 'alice', { lease: ID });
 *     await sleep(20_000);
 *     log('still here');
 *   });
 *   sim.resource('storage', { fenced: true });
 *   sim.at(10_000, (world) => world.pause('alice'));
 *   sim.at(18_000, (world) => world.resume('alice'));
 *   sim.faults(schedule);                       // the same faults as data
 *   const { endedBy, trace } = await sim.run(); // endedBy: 'done' | 'idle' | 'msMax' | 'eventsMax'
 *   console.log(trace.toText());
 *
 * A run is bounded by virtual time (msMax) and by events (eventsMax). It ends
 * 'done' when every process has finished (main returned or threw, or it
 * crashed with no restart to come) and no scheduled action is left; 'idle'
 * when nothing more can happen (only the server's upkeep is left and no
 * lease is waiting to expire). The same seed gives the same trace, byte for
 * byte; the seed is never drawn from entropy.
 */
import { Client } from '../client/client.ts';
import { assert } from '../store/assert.ts';
import { EtcdStore } from '../store/etcd-store.ts';
import type { ClusterOptions } from './cluster/cluster.ts';
import { defaultMembers } from './cluster/cluster-limits.ts';
import type { ResourceOptions } from './fenced-resource.ts';
import type { Fault, FaultSchedule } from './faults.ts';
import type { NetworkOptions } from './network.ts';
import type { ClientDeps, ClientFactory, ProcessMain, ProcessOptions } from './process.ts';
import type { Seed } from './random.ts';
import type { RunEnd } from './scheduler.ts';
import type { StoreFactory } from './server-node.ts';
import type { SimWorld } from './sim-world.ts';
import type { Trace } from './trace.ts';
import { World } from './world.ts';

/** Options of the etcd store a simulation's server hosts. */
export interface SimStoreOptions {
  /** Expire each lease at its exact deadline instead of at the next 500 ms sweep (teaching mode). @defaultValue false */
  exactExpiry?: boolean;
  /** @defaultValue 100 */
  heartbeatIntervalMs?: number;
  /** @defaultValue 1000 */
  electionTimeoutMs?: number;
}

/**
 * Options of {@link Sim}. `createClient` may be left out only when the
 * default client (a leaselab {@link Client}) is a `C`: `new Sim<MyClient>({ seed })`
 * does not compile unless it says how to build a `MyClient`.
 */
export type SimOptions<C> = SimBaseOptions<C> &
  (Client extends C
    ? {
        /** Build each process incarnation's client. @defaultValue a leaselab Client */
        createClient?: ClientFactory<C>;
      }
    : {
        /** Build each process incarnation's client (required: the default client is not a `C`). */
        createClient: ClientFactory<C>;
      });

/** What {@link SimOptions} hold whatever the client. */
export interface SimBaseOptions<C> {
  /** Drives every random choice. Required: never drawn from entropy. */
  seed: Seed;
  /** Stop before virtual time passes this. @defaultValue 60_000 */
  msMax?: number;
  /** Stop after this many events. @defaultValue 10_000_000 */
  eventsMax?: number;
  /** @defaultValue latency 1–5 ms, no loss */
  network?: NetworkOptions;
  /** Options of the etcd store the server hosts. */
  store?: SimStoreOptions;
  /** Client options: a call's deadline. @defaultValue 5000 */
  callTimeoutMs?: number;
  /** Build each process incarnation's client. */
  createClient?: ClientFactory<C>;
  /** Build the server's store. @defaultValue an EtcdStore with `store`'s options */
  createStore?: StoreFactory;
  /**
   * Run an etcd cluster instead of the lone server: `{ members: 3 }` (members
   * etcd1…etcdN; `members: 1` keeps the lone server). @defaultValue the lone server
   */
  cluster?: ClusterOptions;
}

/** How much a run did. */
export interface SimStats {
  /** Events the scheduler ran. */
  events: number;
  /** Virtual time at the end (ms). */
  virtualMs: number;
}

/** What {@link Sim.run} resolves with. */
export interface SimResult<C> {
  /** Why the run stopped. */
  endedBy: RunEnd;
  trace: Trace;
  stats: SimStats;
  /** The world as the run left it (store, resources, processes) for inspection. */
  world: SimWorld<C>;
  /** `alice#2: Error: boom` for each main that threw. */
  errors: string[];
}

/** A run's virtual-time bound unless `msMax` says otherwise. */
export const defaultMsMax = 60_000;
/** A run's event bound unless `eventsMax` says otherwise. */
export const defaultEventsMax = 10_000_000;

let worldBehind: <C>(sim: Sim<C>) => World<C>;
let planBehind: <C>(sim: Sim<C>) => SimPlan<C>;

/**
 * What a Sim was told before it ran: its processes and what else only the
 * simulator can do (scheduled actions and faults, resources, network and
 * store options), so its processes can run elsewhere: `leaselab run
 * <scenario> --endpoint` runs them on real time against a real etcd.
 */
export interface SimPlan<C> {
  readonly processes: readonly { readonly name: string; readonly main: ProcessMain<C>; readonly options: ProcessOptions }[];
  readonly resources: readonly string[];
  /** Actions scheduled with at() and faults given to faults(), in the order given. */
  readonly scheduled: readonly ({ readonly atMs: number; readonly action: (world: SimWorld<C>) => void } | { readonly atMs: number; readonly fault: Fault })[];
  readonly msMax: number;
  /** The options the Sim was built with (network, store, callTimeoutMs, createClient…). */
  readonly options: SimOptions<C>;
}

/** The plan behind a Sim (see SimPlan). */
export function simPlanOf<C>(sim: Sim<C>): SimPlan<C> {
  return planBehind(sim);
}

/**
 * The simulator's own World behind a Sim (scheduler, network, random streams),
 * for leaselab's explorer. Not public: src/sim/index.ts does not export it.
 */
export function internalWorldOf<C>(sim: Sim<C>): World<C> {
  return worldBehind(sim);
}

/**
 * The deterministic simulator: describe processes, resources and faults, then
 * `await run()` once. `C` is the client each process gets (a leaselab
 * {@link Client} unless `createClient` builds another).
 */
export class Sim<C = Client> {
  static {
    worldBehind = (sim) => sim.#world;
    planBehind = (sim) => sim.#plan;
  }
  readonly #world: World<C>;
  readonly #plan: {
    processes: SimPlan<C>['processes'][number][];
    resources: string[];
    scheduled: SimPlan<C>['scheduled'][number][];
    msMax: number;
    options: SimOptions<C>;
  };
  readonly msMax: number;
  readonly eventsMax: number;
  readonly #startTimes = new Map<string, number>();
  #ran = false;

  constructor(options: SimOptions<C>) {
    this.msMax = options.msMax ?? defaultMsMax;
    this.eventsMax = options.eventsMax ?? defaultEventsMax;
    const callTimeoutMs = options.callTimeoutMs;
    const createClient =
      options.createClient ??
      ((({ transport, runtime, observer }: ClientDeps) =>
        new Client({ transport, runtime, observer, ...(callTimeoutMs !== undefined ? { callTimeoutMs } : {}) })) as unknown as ClientFactory<C>);
    const storeOptions = options.store ?? {};
    const createStore: StoreFactory = options.createStore ?? (({ clock, random }) => new EtcdStore({ clock, random, ...storeOptions }));
    const cluster = options.cluster;
    this.#world = new World<C>({
      seed: options.seed,
      network: options.network ?? {},
      createStore,
      createClient,
      ...(cluster !== undefined && (cluster.members ?? defaultMembers) >= 2
        ? { cluster: Object.assign({ heartbeatMs: storeOptions.heartbeatIntervalMs, electionMs: storeOptions.electionTimeoutMs }, cluster) }
        : {}),
    });
    this.#plan = { processes: [], resources: [], scheduled: [], msMax: this.msMax, options };
  }

  /** Add a process running `main`; it starts at `options.startAtMs` (0). */
  process(name: string, main: ProcessMain<C>, options: ProcessOptions = {}): this {
    this.#world.addProcess(name, main, options);
    this.#startTimes.set(name, options.startAtMs ?? 0);
    this.#plan.processes.push({ name, main, options });
    return this;
  }

  /** Add a storage resource that processes write to with fencing tokens. */
  resource(name: string, options: ResourceOptions = {}): this {
    this.#world.addResource(name, options);
    this.#plan.resources.push(name);
    return this;
  }

  /** Do something to the world at virtual time `atMs`. */
  at(atMs: number, action: (world: SimWorld<C>) => void): this {
    this.#world.schedule(atMs, action);
    this.#plan.scheduled.push({ atMs, action });
    return this;
  }

  /** Apply a fault schedule (data: from a script, a generator or a replay). */
  faults(schedule: FaultSchedule): this {
    for (const { atMs, fault } of schedule) {
      this.#world.schedule(atMs, (world) => world.apply(fault));
      this.#plan.scheduled.push({ atMs, fault });
    }
    return this;
  }

  /** Run to the end (once). Rejects if an invariant breaks (an assert in the store or simulator). */
  async run(): Promise<SimResult<C>> {
    assert(!this.#ran, 'a Sim runs once');
    this.#ran = true;
    const world = this.#world;
    world.start(this.#startTimes);
    const endedBy = await world.scheduler.run({ msMax: this.msMax, eventsMax: this.eventsMax }, { done: () => world.done(), canWake: () => world.canWake() });
    return {
      endedBy,
      trace: world.trace,
      stats: { events: world.scheduler.eventsRun, virtualMs: world.scheduler.nowMs() },
      world,
      // Collected as they happened: filtering the trace for them cost a pass over every event.
      errors: [...world.errors],
    };
  }
}
