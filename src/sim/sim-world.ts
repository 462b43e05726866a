/**
 * The world a run holds, as a caller sees it: what to inspect (store,
 * processes, resources, trace, virtual time) and the fault verbs. The
 * scheduler, the network and the server node behind it are the simulator's
 * own (src/sim/world.ts) and are not part of the public API.
 */
import type { FencedResource } from './fenced-resource.ts';
import type { Fault } from './faults.ts';
import type { LatencyDistribution, LinkSelector } from './network.ts';
import type { ProcessState } from './process.ts';
import type { ServerStore } from './server-node.ts';
import type { Trace } from './trace.ts';
import type { PartitionOptions } from './world.ts';

/** A simulated process as a caller may inspect it. */
export interface SimProcessView<C> {
  readonly name: string;
  /** `not-started`, `running`, `exited` (main returned or threw) or `crashed`. */
  readonly state: ProcessState;
  /** True between `pause` and `resume`. */
  readonly paused: boolean;
  /** 1 for the first run of main, +1 per restart. */
  readonly incarnation: number;
  /** The current incarnation's client, while one runs. */
  readonly client: C | undefined;
}

/**
 * The world of a run: `sim.at(ms, (world) => world.pause('alice'))`, and
 * `result.world` after the run. Every fault verb is traced exactly as the
 * same {@link Fault} applied by `world.apply(fault)` or a schedule.
 */
export interface SimWorld<C> {
  /** Virtual time (ms). */
  readonly nowMs: number;
  /** The etcd store the server hosts (to inspect it; processes reach it over the network). */
  readonly store: ServerStore;
  /** Every event of the run so far. */
  readonly trace: Trace;
  /** In a cluster: the members' names (etcd1, etcd2, …); empty for the lone server. */
  readonly members: readonly string[];
  /** In a cluster: the member that leads now (the highest term's leader among the members up), if any. */
  readonly leader: string | undefined;
  /** The process named `name`. @throws AssertionError when there is none. */
  process(name: string): SimProcessView<C>;
  /** Every process, in the order they were added. */
  readonly processes: readonly SimProcessView<C>[];
  /** The fenced resource named `name` (its `attempts` and `value`). @throws AssertionError when there is none. */
  resource(name: string): FencedResource;
  /** Every resource, in the order they were added. */
  readonly resources: readonly FencedResource[];
  /** Apply one fault (traced). */
  apply(fault: Fault): void;
  /** Crash a process: volatile state lost, pending calls never answer. */
  crash(process: string): void;
  /** Start a crashed (or exited) process again: main runs with a fresh client. */
  restart(process: string): void;
  /** Stop the world for one process; its clock runs on. */
  pause(process: string): void;
  /** Wake a paused process: its timers and messages run, it believes what it believed. */
  resume(process: string): void;
  /** Drop messages between two nodes (a process, 'server', a resource). */
  partition(from: string, to: string, options?: PartitionOptions): void;
  /** Heal one partition, or all of them. */
  heal(from?: string, to?: string, options?: PartitionOptions): void;
  /** Delay messages between two nodes until release. */
  hold(from: string, to: string, options?: PartitionOptions): void;
  /** Deliver held messages on one link, or everywhere. */
  release(from?: string, to?: string, options?: PartitionOptions): void;
  /** Lose messages with this probability, on one link or everywhere (0 ends it). */
  loss(probability: number, link?: LinkSelector): void;
  /** A latency spike on one link or everywhere; `undefined` restores the network's latency. */
  latency(latencyMs: LatencyDistribution | undefined, link?: LinkSelector): void;
  /** Change a process's clock rate and/or step it. */
  drift(process: string, change: { driftRate?: number; jumpMs?: number }): void;
  /** Restart etcd: data kept, leases promoted, connections dropped. */
  serverRestart(options?: { downMs?: number }): void;
  /** Delay every request's apply by `delayMs` (0 ends it). */
  slowApply(delayMs: number): void;
}
