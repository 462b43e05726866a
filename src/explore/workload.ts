/**
 * The lock workload the explorer runs: `clients` processes contending for one
 * lock, each looping
 *
 *   acquiring → LOCK ACQUIRED → (sleep, write to the resource) × writes → release → think
 *
 * against a storage resource `storage`: fenced (rejects stale tokens) when the
 * algorithm hands out a fencing token, unfenced otherwise (it accepts every
 * write, but each write is labelled with the writer's belief token so the
 * checker can still tell a stale holder's write). A holder that learned it
 * lost the lock (`lock.lost`) stops writing and releases, as a careful caller
 * would: what breaks is what a careful caller cannot see.
 *
 *   const run = await runLockWorkload(etcdMutex, { seed: 1, clients: 5, ttlSeconds: 5 }, schedule);
 *   run.trace.toText();        // the timeline
 *   run.history.lockEvents;    // [{ timeMs, process: 'alice', kind: 'acquired', lockName, fencingToken }, …]
 *
 * The run ends at `durationMs` of virtual time. Faults are meant to end by
 * `durationMs - quietMs`, leaving a quiet tail in which liveness is judged.
 */
import { Client } from '../client/client.ts';
import type { ClientEvent } from '../client/events.ts';
import type { Acquired, Lock, LockAlgorithm, LockContext } from '../client/lock-algorithm.ts';
import type { FaultSchedule } from '../sim/faults.ts';
import type { ClientFactory, ProcessContext } from '../sim/process.ts';
import { internalWorldOf, Sim, type SimResult } from '../sim/sim.ts';
import type { Trace } from '../sim/trace.ts';
import type { World } from '../sim/world.ts';
import { SimGlobals, type GlobalName } from './sim-globals.ts';
import { ClientError, ClientUsageError } from '../client/errors.ts';
import { AssertionError } from '../store/assert.ts';
import { isEtcdError } from '../store/errors.ts';
import { crashedLog, traceToHistory, type ExploreHistory } from './history.ts';

/** The resource the workload protects with the lock. */
export const resourceName = 'storage';

/** An inclusive range of virtual milliseconds. */
export interface MsRange {
  min: number;
  max: number;
}

/** The lock workload: clients, TTL, critical section, durations, latency. */
export interface WorkloadOptions {
  /** How many processes contend for the lock. @defaultValue 5 */
  clients?: number;
  /** The lease TTL behind the lock. @defaultValue 5 */
  ttlSeconds?: number;
  /** The lock's name (key or prefix). @defaultValue '/lock' */
  lockName?: string;
  /** How long a holder works while holding the lock (local ms). @defaultValue { min: 200, max: 2000 } */
  criticalSectionMs?: MsRange;
  /** Resource writes per critical section, spread across it. @defaultValue 2 */
  writesPerCriticalSection?: number;
  /** How long a client waits between releasing and acquiring again (local ms). @defaultValue { min: 0, max: 1000 } */
  thinkMs?: MsRange;
  /** Virtual length of the run. @defaultValue 60_000 */
  durationMs?: number;
  /** The fault-free tail of the run, in which liveness is judged. @defaultValue 20_000 */
  quietMs?: number;
  /** One-way network latency. @defaultValue { min: 1, max: 10 } */
  latencyMs?: MsRange;
  /** A client call's deadline. @defaultValue 2000 */
  callTimeoutMs?: number;
  /** A resource write's deadline (outcome `unknown` after it). @defaultValue 1000 */
  writeTimeoutMs?: number;
}

/** {@link WorkloadOptions} with every default filled in. */
export type ResolvedWorkloadOptions = Required<WorkloadOptions>;

export const defaultWorkloadOptions: ResolvedWorkloadOptions = {
  clients: 5,
  ttlSeconds: 5,
  lockName: '/lock',
  criticalSectionMs: { min: 200, max: 2000 },
  writesPerCriticalSection: 2,
  thinkMs: { min: 0, max: 1000 },
  durationMs: 60_000,
  quietMs: 20_000,
  latencyMs: { min: 1, max: 10 },
  callTimeoutMs: 2000,
  writeTimeoutMs: 1000,
};

/** The workload options set in `options` (which may carry other options too), in {@link defaultWorkloadOptions}' key order. */
export function workloadOptionsOf(options: WorkloadOptions): WorkloadOptions {
  const picked: WorkloadOptions = {};
  for (const key of Object.keys(defaultWorkloadOptions) as (keyof WorkloadOptions)[])
    if (options[key] !== undefined) (picked as Record<string, unknown>)[key] = options[key];
  return picked;
}

/** Fill in defaults (and check the numbers make sense). */
export function resolveWorkloadOptions(options: WorkloadOptions = {}): ResolvedWorkloadOptions {
  const resolved: ResolvedWorkloadOptions = { ...defaultWorkloadOptions };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  if (!Number.isInteger(resolved.clients) || resolved.clients < 1) throw new RangeError(`clients must be a whole number >= 1, got ${resolved.clients}`);
  if (!(resolved.ttlSeconds > 0)) throw new RangeError(`ttlSeconds must be > 0, got ${resolved.ttlSeconds}`);
  if (!(resolved.quietMs >= 0 && resolved.quietMs < resolved.durationMs)) throw new RangeError(`quietMs must be in [0, durationMs), got ${resolved.quietMs}`);
  return resolved;
}

/** When faults must be over: the start of the quiet tail. */
export function faultsEndMs(options: ResolvedWorkloadOptions): number {
  return options.durationMs - options.quietMs;
}

const names = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];

/** The workload's process names: alice, bob, … then p11, p12, … */
export function clientNames(clients: number): string[] {
  return Array.from({ length: clients }, (_, i) => names[i] ?? `p${i + 1}`);
}

/** One workload run: its options, schedule, trace and the history judged. */
export interface LockRun {
  algorithm: string;
  seed: number;
  options: ResolvedWorkloadOptions;
  schedule: FaultSchedule;
  /** Whether the resource checked fencing tokens. */
  fenced: boolean;
  trace: Trace;
  history: ExploreHistory;
  sim: Pick<SimResult<unknown>, 'endedBy' | 'stats' | 'errors'>;
  /** Globals the algorithm used during the run (replaced by seeded/virtual ones: src/explore/sim-globals.ts). */
  globals: { used: Record<GlobalName, number>; shared: boolean; description: string };
  /** The stack of each crash (acquire/release threw a programming error), in the order of history.crashes. */
  crashStacks: string[];
}

/**
 * Whether an error thrown by acquire() or release() is a crash: a programming
 * error (TypeError, ReferenceError, RangeError, an assertion, misuse of the
 * client, a thrown non-Error) rather than an etcd error, a timeout or the
 * lock's own `Error` saying the attempt failed.
 */
export function isCrash(error: unknown): boolean {
  if (isEtcdError(error)) return false;
  if (error instanceof ClientError) return error instanceof ClientUsageError;
  if (!(error instanceof Error)) return true;
  return (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof EvalError ||
    error instanceof URIError ||
    error instanceof AssertionError
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `thrown ${typeof error}: ${String(error)}`;
}

/** Options of {@link runLockWorkload}: the workload's, plus the seed. */
export interface RunLockWorkloadOptions extends WorkloadOptions {
  /** The simulator's seed. */
  seed: number;
  /** Whether the resource checks tokens. @defaultValue whether the algorithm hands out tokens ({@link algorithmFences}) */
  fenced?: boolean;
  /** Run against an etcd cluster of this many members (etcd1…; clients balance over all of them). @defaultValue 1 (the lone server) */
  members?: number;
}

/**
 * Run the workload once. Whether the resource fences is fixed before the run:
 * `options.fenced`, or else whether the algorithm hands out tokens, found by
 * {@link algorithmFences} (a dry acquisition in a tiny fault-free sim, cached).
 */
export async function runLockWorkload(algorithm: LockAlgorithm, options: RunLockWorkloadOptions, schedule: FaultSchedule = []): Promise<LockRun> {
  const resolved = resolveWorkloadOptions(options);
  const fenced = options.fenced ?? (await algorithmFences(algorithm, resolved));
  const sim = new Sim({
    seed: options.seed,
    msMax: resolved.durationMs,
    network: { latencyMs: resolved.latencyMs },
    callTimeoutMs: resolved.callTimeoutMs,
    createClient: beliefClient(resolved.callTimeoutMs),
    ...(options.members !== undefined && options.members >= 2 ? { cluster: { members: options.members } } : {}),
  });
  sim.resource(resourceName, { fenced });
  const crashStacks: string[] = [];
  for (const name of clientNames(resolved.clients)) sim.process(name, (ctx) => lockLoop(ctx, algorithm, resolved, crashStacks));
  sim.faults(schedule);
  const globals = new SimGlobals(internalWorldOf(sim) as World<unknown>);
  const restore = globals.install();
  let result: SimResult<BeliefClient>;
  try {
    result = await sim.run();
  } finally {
    restore();
  }
  return {
    algorithm: algorithm.name,
    seed: options.seed,
    options: resolved,
    schedule,
    fenced,
    trace: result.trace,
    history: traceToHistory(result.trace, { lockName: resolved.lockName, fenced }),
    sim: { endedBy: result.endedBy, stats: result.stats, errors: result.errors },
    globals: { used: globals.used, shared: globals.shared, description: globals.describe() },
    crashStacks,
  };
}

/**
 * A Client that remembers the last belief it reported (the workload reads the
 * token of an unfenced lock from it, and reports beliefs for a user lock that
 * does not).
 */
class BeliefClient extends Client {
  lastAcquired: Extract<ClientEvent, { kind: 'lock-acquired' }> | undefined;
  beliefs = 0;
  override report(event: ClientEvent): void {
    if (event.kind === 'lock-acquired') this.lastAcquired = event;
    if (event.kind === 'lock-acquired' || event.kind === 'lock-released' || event.kind === 'lock-lost') this.beliefs++;
    super.report(event);
  }
}

function beliefClient(callTimeoutMs: number): ClientFactory<BeliefClient> {
  return ({ transport, runtime, observer }) => new BeliefClient({ transport, runtime, observer, callTimeoutMs });
}

const cachedFences = new WeakMap<LockAlgorithm, boolean>();

/** Whether `algorithm` returns a fencing token from acquire(): one acquisition in a one-client, fault-free sim. */
export async function algorithmFences(algorithm: LockAlgorithm, options: ResolvedWorkloadOptions = defaultWorkloadOptions): Promise<boolean> {
  const cached = cachedFences.get(algorithm);
  if (cached !== undefined) return cached;
  let fences = false;
  const sim = new Sim({ seed: 0, msMax: 30_000, callTimeoutMs: options.callTimeoutMs });
  sim.process('probe', async (ctx) => {
    const client = ctx.client;
    const lock = algorithm.create(client, { lockName: options.lockName, ttlSeconds: options.ttlSeconds }, lockContextOf(ctx));
    const acquired = await lock.acquire();
    fences = acquired.fencingToken !== undefined;
    await lock.release();
    client.close();
  });
  const restore = new SimGlobals(internalWorldOf(sim) as World<unknown>).install();
  try {
    await sim.run();
  } finally {
    restore();
  }
  cachedFences.set(algorithm, fences);
  return fences;
}

/** The lock context of a process incarnation: its clock, a seeded stream of its own, its trace lines. */
export function lockContextOf(ctx: ProcessContext<unknown>): LockContext {
  const random = ctx.stream('lock');
  return { sleep: ctx.sleep, random: () => random.next(), now: ctx.now, log: ctx.log };
}

function between(ctx: ProcessContext<Client>, range: MsRange): number {
  return range.max <= range.min ? range.min : ctx.random.int(range.min, range.max);
}

interface LostWatch {
  promise: Promise<void> | undefined;
  fire: () => void;
}

/** React to `promise` through a weak reference only (a closure made here captures nothing of the run). */
function watchLost(promise: Promise<void>, weak: WeakRef<LostWatch>): void {
  void promise.then(() => {
    const watch = weak.deref();
    if (watch !== undefined && watch.promise === promise) watch.fire();
  });
}

/** One client's life: acquire, work, release, think, forever (until the run ends). */
async function lockLoop(ctx: ProcessContext<BeliefClient>, algorithm: LockAlgorithm, options: ResolvedWorkloadOptions, crashStacks: string[]): Promise<void> {
  const crashed = (phase: 'acquire' | 'release', error: unknown) => {
    ctx.log(`${crashedLog} ${phase}: ${describeError(error)}`);
    // The report shows the first; keep a few, not one per retry.
    if (crashStacks.length < 3) crashStacks.push(error instanceof Error && error.stack !== undefined ? error.stack : describeError(error));
  };
  const client = ctx.client;
  const lock: Lock = algorithm.create(client, { lockName: options.lockName, ttlSeconds: options.ttlSeconds }, lockContextOf(ctx));
  const storage = ctx.resource(resourceName);
  const lostWatch: LostWatch = { promise: undefined, fire: () => undefined };
  const weakLostWatch = new WeakRef(lostWatch);
  const watchedLost = new WeakSet<Promise<void>>();
  let round = 0;
  for (;;) {
    round++;
    ctx.log('acquiring');
    const beliefsBefore = client.beliefs;
    let acquired: Acquired;
    try {
      acquired = await lock.acquire();
    } catch (error) {
      if (isCrash(error)) crashed('acquire', error);
      else ctx.log(`acquire failed: ${error instanceof Error ? error.message : String(error)}`);
      await ctx.sleep(between(ctx, { min: 100, max: 500 }));
      continue;
    }
    // A user lock that reports no beliefs: report them for it.
    const reportsBeliefs = client.beliefs > beliefsBefore;
    if (!reportsBeliefs)
      client.report({
        kind: 'lock-acquired',
        lockName: options.lockName,
        key: acquired.key ?? options.lockName,
        leaseId: 0n,
        fencingToken: acquired.fencingToken ?? -1,
      });
    const token = acquired.fencingToken ?? client.lastAcquired?.fencingToken ?? 0;
    let lost = false;
    let held = true;
    const lostPromise = lock.lost;
    lostWatch.promise = lostPromise;
    lostWatch.fire = () => {
      lost = true;
      if (reportsBeliefs || !held) return;
      held = false;
      client.report({ kind: 'lock-lost', lockName: options.lockName, key: options.lockName, leaseId: 0n });
    };
    if (!watchedLost.has(lostPromise)) {
      watchedLost.add(lostPromise);
      // The reaction holds this loop only weakly: a `lost` promise that outlives the run (one shared by every
      // run, say) must not keep every run's clients alive. It acts only for the acquisition that handed it out.
      watchLost(lostPromise, weakLostWatch);
    }
    const workMs = between(ctx, options.criticalSectionMs);
    const writes = Math.max(1, options.writesPerCriticalSection);
    for (let i = 0; i < writes && !lost; i++) {
      // Check, work, write: a holder that pauses or is cut off while it works writes without knowing.
      await ctx.sleep(Math.floor(workMs / writes));
      await storage.write(token, `${ctx.name}#${ctx.incarnation}.${round}.${i}`, { timeoutMs: options.writeTimeoutMs });
    }
    if (!reportsBeliefs && held) {
      held = false;
      client.report({ kind: 'lock-released', lockName: options.lockName, key: options.lockName, leaseId: 0n });
    }
    try {
      await lock.release();
    } catch (error) {
      if (isCrash(error)) crashed('release', error);
      else ctx.log(`release failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await ctx.sleep(between(ctx, options.thinkMs));
  }
}
