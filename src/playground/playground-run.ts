/**
 * One playground run, the same in the browser and in Node: a setup (a
 * scenario with its "what if" knobs, or a lock algorithm under the explorer's
 * workload) plus the faults the learner injected, run on the simulator and
 * turned into the timeline viewer's model. Same setup, same trace, byte for
 * byte; the setup travels in the page's URL (`#` + {@link encodeSetup}).
 *
 *   const run = await runPlayground({ mode: 'lock', lock: 'naive', seed: 1, injected: [{ atMs: 4000, fault: { kind: 'pause', process: 'alice' } }] });
 *   run.model.verdict   // { tone: 'unsafe', text: 'two clients held the lock: …' }
 *   run.replay          // 'npx leaselab replay --lock naive --schedule eyJ…'
 */
import { etcdMutex, etcdMutexFenced, naiveLock, type LockAlgorithm } from '../client/lock-algorithm.ts';
import { replayLine, runReplayCase, defaultProperties, type ReplayCase } from '../explore/property.ts';
import { timelineModel, type TimelineClaim, type TimelineModel } from '../report/timeline-model.ts';
import { findScenario, runScenario, type KnobName, type Knobs } from '../scenarios/index.ts';
import type { ScheduledFault } from '../sim/faults.ts';
import type { TraceEvent } from '../sim/trace.ts';
import { traceDigest } from '../report/trace-digest.ts';
import { faultSpecText, faultSpecsOf, sortedFaults } from './injected-faults.ts';
import { knobBounds, knobNames, knobProblem } from '../scenarios/knob-bounds.ts';
import { playgroundLimits } from './limits.ts';

/** The lock algorithms the playground offers, by the name `leaselab replay --lock` takes. */
export const playgroundLocks: Record<string, LockAlgorithm> = { naive: naiveLock, mutex: etcdMutex, 'mutex-fenced': etcdMutexFenced };

/** A scenario, its knobs and the injected faults. */
export interface ScenarioSetup {
  mode: 'scenario';
  scenario: string;
  seed: number;
  knobs: Knobs;
  injected: ScheduledFault[];
}

/** A lock algorithm under the explorer's workload (src/explore/workload.ts) and the injected faults. */
export interface LockSetup {
  mode: 'lock';
  lock: string;
  seed: number;
  clients: number;
  ttlSeconds: number;
  /** One-way latency of every link, ms (the workload's own is 1–10 ms). */
  latencyMs?: number;
  durationMs: number;
  injected: ScheduledFault[];
}

export type PlaygroundSetup = ScenarioSetup | LockSetup;

/** What the page shows for a run. */
export interface PlaygroundRun {
  model: TimelineModel;
  /** The command line that reruns it (`run <scenario> … --fault …`, `replay --lock …`); the page's link for faults `--fault` cannot say. */
  replay: string;
  /** FNV-1a of the trace's text: the same setup gives the same digest. */
  traceDigest: string;
  events: number;
  /** Lanes faults can be injected on: the processes. */
  processes: string[];
  /** The scenario's story (scenario mode). */
  story?: string;
  /**
   * The scenario's yes/no question (`run --predict`), its set-up told without
   * the outcome, and the outcome read off this run: the page asks before it
   * shows the answer.
   */
  prediction?: { question: string; setup: string; happened: boolean; detail: string };
  /** The scenario's claims, judged (empty for a lock run). */
  claims: TimelineClaim[];
  title: string;
}

export { injectKinds, injectedFault, injectedServerRestart, type InjectKind } from './injected-faults.ts';

/** The replay case of a lock setup: what `leaselab replay --schedule` encodes. */
export function lockReplayCase(setup: LockSetup): ReplayCase {
  return {
    seed: setup.seed,
    workload: {
      clients: setup.clients,
      ttlSeconds: setup.ttlSeconds,
      durationMs: setup.durationMs,
      // the workload's quiet tail must fit the run; faults are the learner's, anywhere
      quietMs: Math.min(20_000, Math.floor(setup.durationMs / 3)),
      ...(setup.latencyMs !== undefined ? { latencyMs: { min: setup.latencyMs, max: setup.latencyMs } } : {}),
    },
    schedule: sortedFaults(setup.injected),
    properties: defaultProperties,
  };
}

/** Why a setup cannot run, in a sentence; undefined when it can. */
export function setupProblem(setup: PlaygroundSetup): string | undefined {
  if (!Number.isInteger(setup.seed)) return `the seed must be a whole number, got ${setup.seed}`;
  for (const { atMs } of setup.injected) if (!(atMs >= 0)) return `an injected fault has a bad time: ${atMs}`;
  if (setup.injected.length > playgroundLimits.injectedFaultsMax) return `at most ${playgroundLimits.injectedFaultsMax} injected faults`;
  if (setup.mode === 'scenario') {
    const scenario = findScenario(setup.scenario);
    if (scenario === undefined) return `unknown scenario '${setup.scenario}'`;
    const takes = new Set<KnobName>((scenario.knobs ?? []).map((knob) => knob.name));
    for (const name of knobNames) {
      const value = setup.knobs[knobBounds[name].field];
      if (value === undefined) continue;
      if (!takes.has(name)) return `${setup.scenario} takes no ${name} knob`;
      const problem = knobProblem(name, value);
      if (problem !== undefined) return problem;
    }
    for (const field of Object.keys(setup.knobs)) if (!knobNames.some((name) => knobBounds[name].field === field)) return `no knob '${field}'`;
    return undefined;
  }
  if (playgroundLocks[setup.lock] === undefined) return `unknown lock '${setup.lock}': naive, mutex or mutex-fenced`;
  if (!(Number.isInteger(setup.clients) && setup.clients >= 1 && setup.clients <= playgroundLimits.clientsMax))
    return `clients must be a whole number from 1 to ${playgroundLimits.clientsMax}`;
  if (!(Number.isInteger(setup.ttlSeconds) && setup.ttlSeconds >= 1)) return 'the TTL must be a whole number of seconds >= 1';
  if (!(Number.isInteger(setup.durationMs) && setup.durationMs >= 5000 && setup.durationMs <= playgroundLimits.durationMsMax))
    return `the run must last 5 to ${playgroundLimits.durationMsMax / 1000} s`;
  if (setup.latencyMs !== undefined && !(Number.isInteger(setup.latencyMs) && setup.latencyMs >= 0)) return 'the latency must be a whole number of ms >= 0';
  return undefined;
}

/**
 * Run a setup and build what the page shows.
 * @param pageUrl - the playground's address without its `#`, for the replay link of a scenario with injected faults
 * @throws RangeError when {@link setupProblem} finds one
 */
export async function runPlayground(setup: PlaygroundSetup, pageUrl = 'leaselab playground'): Promise<PlaygroundRun> {
  const problem = setupProblem(setup);
  if (problem !== undefined) throw new RangeError(problem);
  if (setup.mode === 'scenario') {
    const scenario = findScenario(setup.scenario)!;
    const schedule = sortedFaults(setup.injected);
    const built = scenario.build(setup.seed, setup.knobs);
    if (schedule.length > 0) built.faults(schedule);
    const result = await built.run();
    const assertions = scenario.check(result, setup.knobs);
    const title = `${scenario.name}: ${scenario.title}`;
    const events = result.trace.events;
    const model = timelineModel(events, { title, claims: assertions });
    const prediction =
      scenario.prediction === undefined
        ? undefined
        : { question: scenario.prediction.question, setup: scenario.prediction.setup(setup.knobs), ...scenario.prediction.outcome(result, setup.knobs) };
    return {
      ...(prediction !== undefined ? { prediction } : {}),
      model,
      replay: scenarioReplay(setup, pageUrl),
      traceDigest: traceDigest(events),
      events: events.length,
      processes: processesOf(events),
      story: scenario.story,
      claims: assertions,
      title,
    };
  }
  const replay = lockReplayCase(setup);
  const judged = await runReplayCase(playgroundLocks[setup.lock]!, replay);
  const events = judged.run.trace.events;
  const title = `${setup.lock} lock, ${setup.clients} clients`;
  const model = timelineModel(events, { title, violations: judged.violations });
  return {
    model,
    replay: replayLine(setup.lock, replay),
    traceDigest: traceDigest(events),
    events: events.length,
    processes: processesOf(events),
    claims: [],
    title,
  };
}

function processesOf(events: readonly TraceEvent[]): string[] {
  const names: string[] = [];
  for (const event of events) if (event.kind === 'process-started' && !names.includes(event.process)) names.push(event.process);
  return names;
}

/**
 * The command line that reruns a scenario setup: `leaselab run` with its
 * knobs and each injected fault as a `--fault`; the page's link when the
 * faults are not ones `--fault` makes (a hand-edited link).
 */
function scenarioReplay(setup: ScenarioSetup, pageUrl: string): string {
  const specs = faultSpecsOf(setup.injected);
  if (specs === undefined) return `${pageUrl}#${encodeSetup(setup)}`;
  // a negative seed after a space would read as a flag
  const seed = setup.seed < 0 ? `--seed=${setup.seed}` : `--seed ${setup.seed}`;
  return `npx leaselab run ${setup.scenario} ${seed}${knobFlags(setup.knobs)}${specs.map((spec) => ` --fault ${faultSpecText(spec)}`).join('')}`;
}

/** The knobs as `leaselab run` flags. */
function knobFlags(knobs: Knobs): string {
  let flags = '';
  if (knobs.ttlSeconds !== undefined) flags += ` --ttl ${knobs.ttlSeconds}`;
  if (knobs.pauseAtMs !== undefined) flags += ` --pause-at ${knobs.pauseAtMs}`;
  if (knobs.pauseForMs !== undefined) flags += ` --pause-for ${knobs.pauseForMs}`;
  if (knobs.latencyMs !== undefined) flags += ` --latency ${knobs.latencyMs}`;
  if (knobs.driftRate !== undefined) flags += ` --drift ${knobs.driftRate}`;
  if (knobs.fenced !== undefined) flags += knobs.fenced ? ' --fenced' : ' --unfenced';
  return flags;
}

/** A setup as URL-safe text (base64url of its JSON). */
export function encodeSetup(setup: PlaygroundSetup): string {
  const bytes = new TextEncoder().encode(JSON.stringify(setup));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The setup in a URL's `#`. @throws SyntaxError when it is not one */
export function decodeSetup(text: string): PlaygroundSetup {
  let value: unknown;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    value = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0))));
  } catch {
    throw new SyntaxError('not a playground setup');
  }
  const setup = value as Partial<PlaygroundSetup> | null;
  if (setup === null || typeof setup !== 'object' || (setup.mode !== 'scenario' && setup.mode !== 'lock') || !Array.isArray(setup.injected))
    throw new SyntaxError('not a playground setup');
  return setup as PlaygroundSetup;
}
