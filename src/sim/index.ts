/**
 * `leaselab/sim`: the deterministic simulator. Virtual time, seeded streams,
 * a network that can partition, hold, lose and delay, processes that crash,
 * pause and drift, an etcd server node, fenced resources, and the trace.
 *
 *   import { Sim } from 'leaselab/sim';
 *   const sim = new Sim({ seed: 1 });
 *   sim.process('alice', async ({ client }) => { await client.put('k', 'v'); });
 *   sim.at(1000, (world) => world.pause('alice'));
 *   const { endedBy, trace } = await sim.run();
 */

/**
 * The driver: `new Sim({ seed })`, `.process()`, `.resource()`, `.at()`, `.faults()`, `await .run()`.
 * @defaultValue msMax 60_000, eventsMax 10_000_000, latency 1–5 ms
 */
export { defaultEventsMax, defaultMsMax, Sim } from './sim.ts';
export type { SimBaseOptions, SimOptions, SimResult, SimStats, SimStoreOptions } from './sim.ts';
/** A simulated etcd cluster's options (`new Sim({ seed, cluster: { members: 3 } })`) and its members' names. */
export type { ClusterOptions } from './cluster/cluster.ts';
export { memberNames } from './cluster/cluster.ts';
/** The world of a run as callers see it: what to inspect, and the fault verbs. */
export type { SimProcessView, SimWorld } from './sim-world.ts';
export type { PartitionOptions } from './world.ts';
/** Faults as data, a random schedule of them, and their one-line description. */
export { describeAimedFault, describeFault, randomFaultSchedule, serverNode } from './faults.ts';
export type { AimedAction, AimedFault, AimedRole, Fault, FaultKind, FaultSchedule, FaultScheduleOptions, ScheduledFault } from './faults.ts';
/** What a process's main gets (client, sleep, now, log, random, resource), and how its client is built. */
export type {
  ClientDeps,
  ClientFactory,
  ProcessContext,
  ProcessMain,
  ProcessOptions,
  ProcessState,
  ResourceHandle,
  ResourceWriteOptions,
  WriteOutcome,
} from './process.ts';
/** A process's local clock: its rate and offset against virtual time. */
export type { ClockSpec } from './local-clock.ts';
/** The storage service that judges writes by fencing token. @defaultValue fenced true */
export { FencedResource } from './fenced-resource.ts';
export type { ResourceOptions, ResourceWriteAttempt } from './fenced-resource.ts';
/** The network's latency and links. */
export type { LatencyDistribution, LinkSelector, NetworkOptions } from './network.ts';
/** Seeds, and one seeded stream of random numbers (what `ctx.random` is; build one for {@link randomFaultSchedule}). */
export { RandomStream } from './random.ts';
export type { Seed } from './random.ts';
/** Why a run stopped: `done`, `idle`, `msMax` or `eventsMax`. */
export type { RunEnd } from './scheduler.ts';
/** The store a simulated server hosts, and how to build another one (`createStore`). */
export type { LeaseDeadlines, ServerStore, StoreFactory } from './server-node.ts';
/** The trace: typed events with virtual times, and its plain one-line-per-event rendering. */
export { formatTimeMs, showLeaseId, Trace } from './trace.ts';
export type { DropReason, TraceEvent, TraceEventKind } from './trace.ts';
