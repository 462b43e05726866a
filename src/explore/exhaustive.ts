/**
 * Small-scope exhaustive search (`explore --exhaustive`): instead of drawing
 * schedules at random, try every single aimed fault over a time grid, then
 * every pair, for a few clients, on one simulator seed. It ends with the
 * first counterexample (the smallest there is in this scope: singles come
 * first) or with a bounded proof:
 *
 *   no counterexample with ≤ 2 faults in this scope (2 clients, seed 1, grid 2000ms; 5,512 schedules)
 *
 * The scope is the catalogue of aimed faults ({@link aimedFaultCatalogue}:
 * every role × action × link × duration the fault kinds allow) times the
 * arm times of the grid; pairs use a coarser grid (`pairGridMs`), the second
 * fault armed no earlier than the first.
 */
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import type { AimedAction, AimedFault, ScheduledFault } from '../sim/faults.ts';
import { aimedActionOfKind, defaultFaultKinds, faultLinks, type FaultLink, type FaultPlanKind } from './arbitraries.ts';
import type { LockProperty } from './judge.ts';
import { defaultProperties, runReplayCase, type JudgedRun, type ReplayCase } from './property.ts';
import { faultsEndMs, resolveWorkloadOptions, type WorkloadOptions, workloadOptionsOf } from './workload.ts';

export interface ExhaustiveOptions extends WorkloadOptions {
  /** The simulator seed every schedule runs with. @defaultValue 1 */
  seed?: number;
  /** @defaultValue ['belief', 'fenced', 'liveness'] */
  properties?: readonly LockProperty[];
  /** Fault kinds the aimed faults may take (loss and latency cannot be aimed). @defaultValue every kind but loss */
  faults?: readonly FaultPlanKind[];
  /** Up to this many faults per schedule: 1 (singles) or 2 (then pairs). @defaultValue 2 */
  maxFaults?: number;
  /** Arm times of single faults: every gridMs from gridMs on, before the quiet tail. @defaultValue 2_000 */
  gridMs?: number;
  /** Arm times of each fault of a pair. @defaultValue 2 × gridMs */
  pairGridMs?: number;
  /** How long each single fault lasts. @defaultValue [TTL/2, TTL + 2 s, 2 TTL - 1 s]: shorter than the lease, just past it, far past the client's deadline */
  durationsMs?: readonly number[];
  /** How long each fault of a pair lasts. @defaultValue [TTL + 2 s] */
  pairDurationsMs?: readonly number[];
  /** The links partitions and holds may cut. @defaultValue both */
  links?: readonly FaultLink[];
  /**
   * Whether a run is a counterexample. @defaultValue it broke a property. (A
   * verdict that sets known limitations of lease locks aside plugs in here.)
   */
  isCounterexample?: (judged: JudgedRun) => boolean;
  /** Called after each schedule (progress). */
  onRun?: (tried: number, total: number, judged: JudgedRun) => void;
}

export interface ExhaustiveResult {
  /** The first schedule that broke a property, with its run. */
  counterexample: { replay: ReplayCase; judged: JudgedRun } | undefined;
  /** Schedules run. */
  tried: number;
  /** Schedules in the whole scope (singles, plus pairs when maxFaults is 2). */
  total: number;
  /** The bound that was searched (1 or 2). */
  maxFaults: number;
  /** One line: the scope, for the bounded-proof sentence. */
  scope: string;
}

/** Every distinct aimed fault (without its arm time) the kinds allow. */
export function aimedFaultCatalogue(
  kinds: readonly FaultPlanKind[],
  durationsMs: readonly number[],
  untilMs: number,
  links: readonly FaultLink[] = faultLinks,
): AimedFault[] {
  const actions = new Set<AimedAction>();
  for (const kind of kinds) {
    const action = aimedActionOfKind[kind];
    if (action !== undefined) actions.add(action);
  }
  const catalogue: AimedFault[] = [];
  const add = (fault: Omit<AimedFault, 'kind' | 'durationMs' | 'untilMs'>) => {
    if (!actions.has(fault.action)) return;
    if ((fault.action === 'partition' || fault.action === 'hold') && !links.includes(fault.link ?? 'server')) return;
    for (const durationMs of durationsMs) catalogue.push({ kind: 'aimed', ...fault, durationMs, untilMs });
  };
  // The holder, right after it acquires: stop it, cut it off from etcd or from the storage, slow its clock.
  add({ role: 'holder', action: 'pause' });
  add({ role: 'holder', action: 'crash' });
  add({ role: 'holder', action: 'partition' });
  add({ role: 'holder', action: 'partition', link: 'storage' });
  add({ role: 'holder', action: 'hold' });
  add({ role: 'holder', action: 'hold', link: 'storage' });
  add({ role: 'holder', action: 'drift', magnitude: 0.25 });
  // A waiter, while it waits: its key may expire under it.
  for (const pick of [0, 1]) {
    const picked = pick > 0 ? { pick } : {};
    add({ role: 'waiter', action: 'pause', ...picked });
    add({ role: 'waiter', action: 'crash', ...picked });
    add({ role: 'waiter', action: 'partition', ...picked });
    add({ role: 'waiter', action: 'hold', direction: 'in', ...picked });
  }
  // A call in flight: its answer lost or late (outcome unknown, maybe applied later), or the server gone under it.
  for (const method of ['txn', 'deleteRange', undefined]) {
    const only = method !== undefined ? { method } : {};
    add({ role: 'caller', action: 'crash', ...only });
    add({ role: 'caller', action: 'partition', direction: 'in', ...only });
    add({ role: 'caller', action: 'hold', direction: 'in', ...only });
    add({ role: 'caller', action: 'hold', direction: 'out', ...only });
    add({ role: 'caller', action: 'serverRestart', ...only });
    add({ role: 'caller', action: 'slowApply', magnitude: 3000, ...only });
  }
  return catalogue;
}

function gridTimes(fromMs: number, untilMs: number, stepMs: number): number[] {
  const times: number[] = [];
  for (let atMs = fromMs; atMs < untilMs; atMs += stepMs) times.push(atMs);
  return times;
}

/** Search every single aimed fault, then every pair, in the scope; stop at the first counterexample. */
export async function exploreExhaustive(algorithm: LockAlgorithm, options: ExhaustiveOptions = {}): Promise<ExhaustiveResult> {
  const workload = workloadOptionsOf(options);
  // A small scope unless told otherwise: 2 clients, a 20 s run whose last 8 s are quiet.
  workload.clients ??= 2;
  workload.durationMs ??= 20_000;
  workload.quietMs ??= Math.min(8_000, Math.floor(workload.durationMs / 2));
  const resolved = resolveWorkloadOptions(workload);
  const seed = options.seed ?? 1;
  const properties = options.properties ?? defaultProperties;
  const maxFaults = options.maxFaults ?? 2;
  if (maxFaults !== 1 && maxFaults !== 2) throw new RangeError(`maxFaults must be 1 or 2 in exhaustive mode, got ${maxFaults}`);
  const gridMs = options.gridMs ?? 2_000;
  const pairGridMs = options.pairGridMs ?? 2 * gridMs;
  if (!(gridMs > 0 && pairGridMs > 0)) throw new RangeError('grid steps must be > 0');
  const endMs = faultsEndMs(resolved);
  const ttlMs = resolved.ttlSeconds * 1000;
  const durationsMs = options.durationsMs ?? [Math.round(ttlMs / 2), ttlMs + 2_000, 2 * ttlMs - 1_000];
  const kinds = options.faults ?? defaultFaultKinds;
  const links = options.links ?? faultLinks;
  const catalogue = aimedFaultCatalogue(kinds, durationsMs, endMs, links);
  if (catalogue.length === 0) throw new RangeError('no fault kind given can be aimed (loss and latency cannot)');
  const pairCatalogue = aimedFaultCatalogue(kinds, options.pairDurationsMs ?? [ttlMs + 2_000], endMs, links);
  const singles: ScheduledFault[] = [];
  for (const atMs of gridTimes(gridMs, endMs, gridMs)) for (const fault of catalogue) singles.push({ atMs, fault });
  const pairTimes = gridTimes(pairGridMs, endMs, pairGridMs);
  const pairEntries: ScheduledFault[] = [];
  for (const atMs of pairTimes) for (const fault of pairCatalogue) pairEntries.push({ atMs, fault });
  const pairCount = (pairEntries.length * (pairEntries.length - 1)) / 2;
  const total = singles.length + (maxFaults === 2 ? pairCount : 0);
  const scope = `${resolved.clients} client(s), ttl ${resolved.ttlSeconds}s, seed ${seed}, ${catalogue.length} aimed faults every ${gridMs}ms${maxFaults === 2 ? `, pairs of ${pairCatalogue.length} every ${pairGridMs}ms` : ''}, before ${endMs / 1000}s of ${resolved.durationMs / 1000}s`;
  let tried = 0;
  const attempt = async (schedule: ScheduledFault[]): Promise<ExhaustiveResult | undefined> => {
    const replay: ReplayCase = { seed, workload, schedule, properties };
    const judged = await runReplayCase(algorithm, replay);
    tried++;
    options.onRun?.(tried, total, judged);
    const counts = options.isCounterexample?.(judged) ?? judged.violations.length > 0;
    if (counts) return { counterexample: { replay, judged }, tried, total, maxFaults, scope };
    return undefined;
  };
  for (const single of singles) {
    const found = await attempt([single]);
    if (found !== undefined) return found;
  }
  if (maxFaults === 2) {
    // Ordered by the later entry, so every pair of the early grid is tried before later ones.
    for (let j = 1; j < pairEntries.length; j++) {
      for (let i = 0; i < j; i++) {
        const found = await attempt([pairEntries[i]!, pairEntries[j]!]);
        if (found !== undefined) return found;
      }
    }
  }
  return { counterexample: undefined, tried, total, maxFaults, scope };
}

/** The bounded-proof sentence. */
export function describeExhaustiveResult(result: ExhaustiveResult): string {
  if (result.counterexample !== undefined)
    return `counterexample with ${result.counterexample.replay.schedule.length} aimed fault(s) after ${result.tried} of ${result.total} schedule(s) (${result.scope})`;
  return `no counterexample with ≤ ${result.maxFaults} fault(s) in this scope (${result.scope}; ${result.tried} schedules)`;
}
