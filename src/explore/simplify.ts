/**
 * After fast-check's shrinking, make the counterexample say more with less
 * (issue 8, item 6): fast-check removes faults and shortens them one number
 * at a time, but it never trades three blind faults for one aimed fault, and
 * it keeps a latency spike whose only effect is to shift timing so the bug
 * happens to line up. Here, in order, each step kept only if the run still
 * breaks the same property:
 *
 *   1. one aimed fault instead of several: each aimed fault of the plan
 *      alone, then each blind pause/crash/partition/hold re-aimed at the role
 *      it hit (the holder right after it acquires, a waiter while it waits),
 *      alone;
 *   2. drop the faults that only shift timing (latency, slowApply, drift):
 *      all at once, else one by one;
 *   3. drop any other fault, one by one.
 *
 *   3 faults (latency, pause bob, slowApply) → 1 aimed fault (pause at a waiter, while it waits), 9 runs
 */
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import type { AimedRole } from '../sim/faults.ts';
import type { FaultPlan, FaultPlanKind, FaultSpec } from './arbitraries.ts';
import type { LockProperty } from './judge.ts';
import { replayCaseOf, runReplayCase, type ExploreCase, type JudgedRun, type LockSafetyOptions } from './property.ts';

/** Kinds whose faults only move things in time: no message lost, no process stopped. */
export const timingOnlyKinds: readonly FaultPlanKind[] = ['latency', 'slowApply', 'drift'];

/** Kinds a blind fault can be re-aimed as. */
const reaimable: readonly FaultPlanKind[] = ['pause', 'crash', 'partition', 'hold'];

export interface SimplifiedCase {
  case: ExploreCase;
  /** The run of the simplified case (the last one that broke the property). */
  judged: JudgedRun | undefined;
  /** Runs spent. */
  runs: number;
  /** What changed, for the report; empty when nothing did. */
  steps: string[];
}

export interface SimplifyOptions {
  /** At most this many runs. @defaultValue 60 */
  runsMax?: number;
  /** Called after each simplification run (progress lines). */
  onRun?: () => void;
}

/**
 * Simplify a counterexample that breaks `property`. Deterministic: the same
 * case gives the same result.
 */
export async function simplifyCase(
  algorithm: LockAlgorithm,
  explored: ExploreCase,
  property: LockProperty,
  options: LockSafetyOptions,
  simplify: SimplifyOptions = {},
): Promise<SimplifiedCase> {
  const runsMax = simplify.runsMax ?? 60;
  let runs = 0;
  let current = explored;
  let judged: JudgedRun | undefined;
  const steps: string[] = [];
  const breaks = async (plan: FaultPlan): Promise<boolean> => {
    if (runs >= runsMax) return false;
    runs++;
    const candidate: ExploreCase = { seed: current.seed, plan, workload: current.workload };
    const result = await runReplayCase(algorithm, replayCaseOf(candidate, options), options.livenessSlackMs);
    simplify.onRun?.();
    if (!result.violations.some((violation) => violation.property === property)) return false;
    current = candidate;
    judged = result;
    return true;
  };

  // 1. One aimed fault instead of several.
  if (current.plan.length >= 2) {
    const before = current.plan.length;
    for (const spec of current.plan.filter((spec) => spec.aim !== undefined)) {
      if (await breaks([spec])) {
        steps.push(`${before} faults → 1 aimed fault`);
        break;
      }
    }
  }
  if (current.plan.length >= 2) {
    const before = current.plan.length;
    search: for (const spec of current.plan.filter((spec) => spec.aim === undefined && reaimable.includes(spec.kind))) {
      for (const role of rolesToTry(spec)) {
        if (await breaks([reaim(spec, role)])) {
          steps.push(`${before} faults → 1 aimed fault (a blind ${spec.kind} re-aimed at the ${role})`);
          break search;
        }
      }
    }
  }

  // 2. Faults that only shift timing.
  const timingOnly = (spec: FaultSpec) => timingOnlyKinds.includes(spec.kind);
  if (current.plan.length >= 2 && current.plan.some(timingOnly) && current.plan.some((spec) => !timingOnly(spec))) {
    const dropped = current.plan.filter(timingOnly).length;
    if (await breaks(current.plan.filter((spec) => !timingOnly(spec)))) steps.push(`dropped ${dropped} fault(s) that only shift timing`);
  }
  for (let i = current.plan.length - 1; i >= 0 && current.plan.length >= 2; i--) {
    const spec = current.plan[i]!;
    if (!timingOnly(spec)) continue;
    if (await breaks(current.plan.filter((_, j) => j !== i))) steps.push(`dropped a ${spec.kind} that only shifts timing`);
  }

  // 3. Any other fault the bug does without.
  for (let i = current.plan.length - 1; i >= 0 && current.plan.length >= 2; i--) {
    const spec = current.plan[i]!;
    if (await breaks(current.plan.filter((_, j) => j !== i))) steps.push(`dropped a ${spec.aim !== undefined ? 'aimed ' : ''}${spec.kind}`);
  }
  return { case: current, judged, runs, steps };
}

/** The roles a blind fault at a process may have hit: tried in this order. */
function rolesToTry(spec: FaultSpec): AimedRole[] {
  if (spec.kind === 'partition' || spec.kind === 'hold') return ['holder', 'waiter', 'caller'];
  return ['holder', 'waiter'];
}

/** The same fault, aimed at a role: armed a little before the blind one hit, so it catches the role's next moment. */
function reaim(spec: FaultSpec, role: AimedRole): FaultSpec {
  return { ...spec, atMs: Math.max(0, spec.atMs - 2_000), process: 0, aim: { role, delayMs: 0, pick: 0 } };
}
