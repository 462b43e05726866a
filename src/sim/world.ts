/**
 * Everything a run holds (turmoil's World): the scheduler, the network, the
 * etcd server node, the processes, the storage resources and the trace. The
 * fault verbs live here; a script reaches them through `sim.at(t, (world) => …)`
 * and a generated schedule through `world.apply(fault)`; both are traced the
 * same way.
 *
 *   world.partition('alice', 'server')                    both ways
 *   world.partition('alice', 'server', { oneWay: true })  only alice → server
 *   world.loss(0.2, { from: 'bob', to: 'server' })         a lossy link; world.loss(0) ends it
 */
import { assert, assertNever } from '../store/assert.ts';
import { EtcdError, GrpcCode } from '../store/errors.ts';
import { AimedFaults } from './aimed-faults.ts';
import { FencedResource, type ResourceOptions } from './fenced-resource.ts';
import { serverNode, type Fault } from './faults.ts';
import { Network, type LatencyDistribution, type LinkSelector, type NetworkOptions } from './network.ts';
import { SimProcess, type ClientFactory, type ProcessMain, type ProcessOptions } from './process.ts';
import { SimRandom, type Seed } from './random.ts';
import { Scheduler } from './scheduler.ts';
import { ServerNode, type ServerStore, type StoreFactory } from './server-node.ts';
import { Trace, type DropReason } from './trace.ts';
import { Cluster, type ClusterOptions } from './cluster/cluster.ts';
import type { SimWorld } from './sim-world.ts';
import { describeWire, type FromResource, type FromServer, type ToResource, type ToServer, type WireMessage } from './wire.ts';

export interface WorldOptions<C> {
  seed: Seed;
  /** Two members or more: a simulated etcd cluster (src/sim/cluster) instead of the lone server. */
  cluster?: ClusterOptions & { heartbeatMs?: number | undefined; electionMs?: number | undefined };
  network: NetworkOptions;
  createStore: StoreFactory;
  createClient: ClientFactory<C>;
}

/** How far a fault cuts: both ways (default) or only from → to. */
export interface PartitionOptions {
  /** Cut only messages from → to. @defaultValue false (both ways) */
  oneWay?: boolean;
}

/** The simulator's own world; callers see it as a {@link SimWorld}. */
export class World<C> implements SimWorld<C> {
  readonly scheduler = new Scheduler();
  // Aimed faults watch the trace for their moment (the holder acquiring, a call in flight).
  readonly trace = new Trace((event) => this.#aimed.observe(event));
  readonly random: SimRandom;
  readonly network: Network<WireMessage>;
  /** The lone etcd server (undefined in a cluster). */
  readonly server: ServerNode | undefined;
  /** The etcd cluster, when the world has one (two members or more). */
  readonly cluster: Cluster | undefined;
  readonly #processes = new Map<string, SimProcess<C>>();
  readonly #resources = new Map<string, FencedResource>();
  readonly #createClient: ClientFactory<C>;
  /** Faults aimed at roles, waiting for their moment (src/sim/aimed-faults.ts). */
  readonly #aimed: AimedFaults = new AimedFaults({
    nowMs: () => this.scheduler.nowMs(),
    schedule: (atMs, action) => this.schedule(atMs, action),
    apply: (fault) => this.apply(fault),
    storageName: () => [...this.#resources.keys()].sort()[0],
  });
  #nextConnectionId = 0;
  /** `alice#2: Error: boom` for each main that threw, in trace order. */
  readonly errors: string[] = [];
  /** Script actions and scheduled faults not yet run. */
  #pendingActions = 0;
  #started = false;

  constructor(options: WorldOptions<C>) {
    this.random = new SimRandom(options.seed);
    this.#createClient = options.createClient;
    this.network = new Network<WireMessage>(this.scheduler, this.random, options.network, (from, to, message, reason) =>
      this.#dropped(from, to, message, reason),
    );
    const scheduler = this.scheduler;
    if (options.cluster !== undefined && (options.cluster.members ?? 3) >= 2) {
      // Members are nodes of their own; no 'server' node exists.
      this.server = undefined;
      this.cluster = new Cluster(options.cluster, {
        scheduler,
        trace: this.trace,
        random: this.random,
        network: this.network,
        createStore: options.createStore,
        ...(options.cluster.heartbeatMs !== undefined ? { heartbeatMs: options.cluster.heartbeatMs } : {}),
        ...(options.cluster.electionMs !== undefined ? { electionMs: options.cluster.electionMs } : {}),
        dropped: (member, message, reason) => this.#dropped(message.process, member, message, reason),
      });
      return;
    }
    this.cluster = undefined;
    const store = options.createStore({ clock: { nowMs: () => scheduler.nowMs() }, random: this.random.stream('store') });
    const server = new ServerNode({
      scheduler,
      trace: this.trace,
      store,
      send: (to, message) => this.network.send(serverNode, to, message),
      dropped: (message, reason) => this.#dropped(message.process, serverNode, message, reason),
    });
    this.server = server;
    this.network.attach(serverNode, { quiet: true, deliver: (_from, message) => server.deliver(message as ToServer) });
  }

  /** Virtual time (ms). */
  get nowMs(): number {
    return this.scheduler.nowMs();
  }

  /** The etcd store the server hosts (to inspect it; processes reach it over the network). */
  get store(): ServerStore {
    return this.cluster !== undefined ? this.cluster.store : this.server!.store;
  }

  get members(): string[] {
    return this.cluster?.names ?? [];
  }

  get leader(): string | undefined {
    return this.cluster?.leader?.name;
  }

  process(name: string): SimProcess<C> {
    const process = this.#processes.get(name);
    assert(process !== undefined, `no process named ${name}`);
    return process;
  }

  get processes(): SimProcess<C>[] {
    return [...this.#processes.values()];
  }

  resource(name: string): FencedResource {
    const resource = this.#resources.get(name);
    assert(resource !== undefined, `no resource named ${name}`);
    return resource;
  }

  get resources(): FencedResource[] {
    return [...this.#resources.values()];
  }

  addProcess(name: string, main: ProcessMain<C>, options: ProcessOptions = {}): SimProcess<C> {
    assert(!this.#started, 'add processes before the run starts');
    this.#checkNewNode(name);
    const process = new SimProcess<C>(
      name,
      main,
      {
        scheduler: this.scheduler,
        trace: this.trace,
        random: this.random,
        clientFactory: this.#createClient,
        sendToServer: (message: ToServer) => this.network.send(name, serverNode, message),
        ...(this.cluster !== undefined ? { cluster: this.#clusterEndpoints(name, options.endpoints) } : {}),
        sendToResource: (resource: string, message: ToResource) => {
          message.sentAtMs = this.nowMs;
          this.network.send(name, resource, message);
        },
        hasResource: (resource: string) => this.#resources.has(resource),
        newConnectionId: () => ++this.#nextConnectionId,
        dropped: (from: string, message: FromServer | FromResource, reason: DropReason) => this.#dropped(from, name, message, reason),
        failed: (incarnation: number, error: string) => this.errors.push(`${name}#${incarnation}: ${error}`),
      },
      options,
    );
    this.#processes.set(name, process);
    this.network.attach(name, { quiet: false, deliver: (from, message) => process.deliver(from, message as FromServer | FromResource) });
    return process;
  }

  addResource(name: string, options: ResourceOptions = {}): FencedResource {
    this.#checkNewNode(name);
    const resource = new FencedResource(name, options);
    this.#resources.set(name, resource);
    this.network.attach(name, { quiet: true, deliver: (from, message) => this.#resourceWrite(resource, from, message as ToResource) });
    return resource;
  }

  /** Run `action` at virtual time `atMs`; the run does not end while actions wait. */
  schedule(atMs: number, action: (world: World<C>) => void): void {
    this.#pendingActions++;
    this.scheduler.at(atMs, () => {
      this.#pendingActions--;
      action(this);
    });
  }

  /** Start the server's loops and every process (at its start time). */
  start(startTimes: ReadonlyMap<string, number>): void {
    assert(!this.#started, 'a world starts once');
    this.#started = true;
    this.server?.start();
    this.cluster?.start();
    for (const process of this.#processes.values()) this.scheduler.at(startTimes.get(process.name) ?? 0, () => process.start());
  }

  /** Every process has finished (exited, or crashed with no restart to come) and no action waits. */
  done(): boolean {
    if (this.#pendingActions > 0) return false;
    for (const process of this.#processes.values()) if (process.state === 'running' || process.state === 'not-started') return false;
    return true;
  }

  /** Only upkeep is left: can it still wake anyone? A lease that expires can (watchers see its keys go). */
  canWake(): boolean {
    return this.store.leaseLeases({}).leases.length > 0;
  }

  // ------------------------------------------------------------ faults

  /** Apply one fault (traced). */
  apply(fault: Fault): void {
    this.trace.record({ kind: 'fault', atMs: this.nowMs, fault });
    switch (fault.kind) {
      case 'crash':
        if (this.cluster?.member(fault.process) !== undefined) return this.cluster.crash(fault.process);
        return this.process(fault.process).crash();
      case 'restart': {
        if (this.cluster?.member(fault.process) !== undefined) return this.cluster.restart(fault.process);
        const process = this.process(fault.process);
        if (process.state !== 'running') process.start();
        return;
      }
      case 'pause':
        return this.process(fault.process).pause();
      case 'resume':
        return this.process(fault.process).resume();
      case 'partition':
        for (const link of this.#clusterLinks(this.#link(fault))) this.network.partition(link);
        return;
      case 'heal':
        for (const link of this.#optionalClusterLinks(fault)) this.network.heal(link);
        return;
      case 'hold':
        for (const link of this.#clusterLinks(this.#link(fault))) this.network.hold(link);
        return;
      case 'release':
        // Say what the hold kept back: reports show held messages beside dropped ones.
        for (const link of this.#optionalClusterLinks(fault))
          for (const { from, to, messages } of this.network.release(link)) {
            this.trace.record({ kind: 'messages-released', atMs: this.nowMs, from, to, messages });
          }
        return;
      case 'loss':
        for (const link of this.#optionalClusterLinks(fault)) this.network.setLoss(fault.probability, link);
        return;
      case 'latency':
        for (const link of this.#optionalClusterLinks(fault)) this.network.setLatency(fault.latencyMs, link);
        return;
      case 'drift': {
        const clock = this.process(fault.process).clock;
        if (fault.driftRate !== undefined) clock.setDriftRate(fault.driftRate);
        if (fault.jumpMs !== undefined) clock.jump(fault.jumpMs);
        return;
      }
      case 'serverRestart':
        if (this.cluster !== undefined) return this.cluster.restartLeader(fault.downMs ?? 0);
        return this.server!.restart(fault.downMs ?? 0);
      case 'slowApply':
        if (this.cluster !== undefined) return this.cluster.setSlowApply(fault.delayMs, fault.member);
        assert(fault.member === undefined, `slowApply of member ${fault.member ?? ''}: this world has one etcd, no members`);
        return this.server!.setSlowApply(fault.delayMs);
      case 'aimed':
        return this.#aimed.arm(fault);
      default:
        return assertNever(fault, 'fault kind');
    }
  }

  /** Crash a process: volatile state lost, pending calls never answer (src/sim/process.ts). */
  crash(process: string): void {
    this.apply({ kind: 'crash', process });
  }

  /** Start a crashed (or exited) process again: main runs with a fresh client. */
  restart(process: string): void {
    this.apply({ kind: 'restart', process });
  }

  /** Stop the world for one process; its clock runs on. */
  pause(process: string): void {
    this.apply({ kind: 'pause', process });
  }

  resume(process: string): void {
    this.apply({ kind: 'resume', process });
  }

  /** Drop messages between two nodes (a process, 'server', a resource). */
  partition(from: string, to: string, options: PartitionOptions = {}): void {
    this.apply({ kind: 'partition', from, to, ...(options.oneWay ? { oneWay: true } : {}) });
  }

  /** Heal one partition, or all of them. */
  heal(from?: string, to?: string, options: PartitionOptions = {}): void {
    this.apply({ kind: 'heal', ...(from !== undefined && to !== undefined ? { from, to } : {}), ...(options.oneWay ? { oneWay: true } : {}) });
  }

  /** Delay messages between two nodes until release. */
  hold(from: string, to: string, options: PartitionOptions = {}): void {
    this.apply({ kind: 'hold', from, to, ...(options.oneWay ? { oneWay: true } : {}) });
  }

  release(from?: string, to?: string, options: PartitionOptions = {}): void {
    this.apply({ kind: 'release', ...(from !== undefined && to !== undefined ? { from, to } : {}), ...(options.oneWay ? { oneWay: true } : {}) });
  }

  /** Lose messages with this probability, on one link or everywhere (0 ends it). */
  loss(probability: number, link?: LinkSelector): void {
    this.apply({ kind: 'loss', probability, ...link });
  }

  /** A latency spike on one link or everywhere; `undefined` restores the network's latency. */
  latency(latencyMs: LatencyDistribution | undefined, link?: LinkSelector): void {
    this.apply({ kind: 'latency', ...(latencyMs !== undefined ? { latencyMs } : {}), ...link });
  }

  /** Change a process's clock rate and/or step it. */
  drift(process: string, change: { driftRate?: number; jumpMs?: number }): void {
    this.apply({ kind: 'drift', process, ...change });
  }

  /** Restart etcd: data kept, leases promoted, connections dropped. */
  serverRestart(options: { downMs?: number } = {}): void {
    this.apply({ kind: 'serverRestart', ...options });
  }

  /** Delay every request's apply by `delayMs` (0 ends it). */
  slowApply(delayMs: number): void {
    this.apply({ kind: 'slowApply', delayMs });
  }

  // ------------------------------------------------------------ internals

  #checkNewNode(name: string): void {
    assert(
      name !== serverNode && !this.#processes.has(name) && !this.#resources.has(name) && this.cluster?.member(name) === undefined,
      `node name ${name} is taken`,
    );
  }

  /** A cluster client's endpoints (every member unless the process names some) and how it reaches them. */
  #clusterEndpoints(
    process: string,
    endpoints: ProcessOptions['endpoints'],
  ): { endpoints(): readonly string[]; send(member: string, message: ToServer): void } {
    const cluster = this.cluster!;
    const check = (chosen: readonly string[]): readonly string[] => {
      assert(chosen.length > 0, `${process}: a cluster client needs at least one endpoint`);
      for (const member of chosen) assert(cluster.member(member) !== undefined, `${process}: no member named ${member} (members: ${cluster.names.join(', ')})`);
      return chosen;
    };
    const fixed = typeof endpoints === 'function' ? undefined : check(endpoints ?? cluster.names);
    return {
      endpoints: () =>
        fixed ??
        check((endpoints as Exclude<ProcessOptions['endpoints'], readonly string[] | undefined>)({ leader: cluster.leader?.name, members: cluster.names })),
      send: (member, message) => this.network.send(process, member, message),
    };
  }

  #link(fault: { from: string; to: string; oneWay?: boolean }): LinkSelector {
    return fault.oneWay ? { from: fault.from, to: fault.to, oneWay: true } : { from: fault.from, to: fault.to };
  }

  /** In a cluster, a link to 'server' (the etcd a process talks to) stands for its links to every member. */
  #clusterLinks(link: LinkSelector): LinkSelector[] {
    const cluster = this.cluster;
    if (cluster === undefined || (link.from !== serverNode && link.to !== serverNode)) return [link];
    return cluster.names.map((member) => {
      const from = link.from === serverNode ? member : link.from;
      const to = link.to === serverNode ? member : link.to;
      return link.oneWay === true ? { from, to, oneWay: true } : { from, to };
    });
  }

  #optionalClusterLinks(fault: { from?: string; to?: string; oneWay?: boolean }): (LinkSelector | undefined)[] {
    const link = this.#optionalLink(fault);
    return link === undefined ? [undefined] : this.#clusterLinks(link);
  }

  #optionalLink(fault: { from?: string; to?: string; oneWay?: boolean }): LinkSelector | undefined {
    if (fault.from === undefined || fault.to === undefined) return undefined;
    return this.#link({ from: fault.from, to: fault.to, ...(fault.oneWay ? { oneWay: true } : {}) });
  }

  #resourceWrite(resource: FencedResource, from: string, message: ToResource): void {
    const attempt = resource.write({
      atMs: this.nowMs,
      process: message.process,
      incarnation: message.incarnation,
      fencingToken: message.fencingToken,
      value: message.value,
    });
    this.trace.record({ kind: 'resource-write', resource: resource.name, ...attempt, sentAtMs: message.sentAtMs ?? attempt.atMs });
    this.network.send(resource.name, from, {
      type: 'resource-result',
      incarnation: message.incarnation,
      requestId: message.requestId,
      accepted: attempt.accepted,
    });
  }

  #dropped(from: string, to: string, message: WireMessage, reason: DropReason): void {
    this.trace.record({ kind: 'message-dropped', atMs: this.nowMs, from, to, message: describeWire(message), reason });
    // A connection that lost a message is dead at both ends, as with TCP: the client's streams end and it reconnects.
    // (A lost reset is left alone: the server already forgot that connection and answers the client's next message with another.)
    if ((reason === 'partition' || reason === 'loss') && 'connection' in message && message.type !== 'reset') {
      const serverSide =
        from === serverNode || to === serverNode
          ? serverNode
          : this.cluster?.member(from) !== undefined
            ? from
            : this.cluster?.member(to) !== undefined
              ? to
              : undefined;
      if (serverSide === undefined) return;
      const node = serverSide === serverNode ? this.server : this.cluster?.member(serverSide)?.node;
      const process = this.#processes.get(from === serverSide ? to : from);
      if (process !== undefined && node !== undefined && node.breakConnection(message.connection))
        process.deliver(serverSide, {
          type: 'reset',
          incarnation: message.incarnation,
          connection: message.connection,
          error: new EtcdError(GrpcCode.UNAVAILABLE, 'transport is closing'),
        });
    }
  }
}
