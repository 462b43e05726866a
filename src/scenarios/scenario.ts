/**
 * A scenario is a story a learner can follow: a small world (a few processes,
 * the etcd server, maybe a storage resource), a script of faults, and the
 * facts the story claims, checked against what the run really did.
 *
 *   const result = await runScenario(pauseBreaksLock);          // default seed
 *   for (const a of result.assertions) console.log(a.holds ? '✓' : '✗', a.claim, '—', a.detail);
 *
 * Scenarios import only the package's public entries (src/store, client, sim, report index.ts),
 * not the whole root: `leaselab list` then loads no explorer or checker.
 */
import type { Client } from '../client/index.ts';
import type { Seed, Sim, SimResult } from '../sim/index.ts';

/** One fact a story claims, and whether the run bore it out. */
export interface StoryAssertion {
  /** What the story says, in a learner's words: "the key is gone after the sweep". */
  claim: string;
  holds: boolean;
  /** What the run showed: times, revisions, tokens. */
  detail: string;
}

export interface Scenario {
  /** Kebab-case, as typed on the command line: `pause-breaks-lock`. */
  name: string;
  /** A heading. */
  title: string;
  /** One line, for `leaselab list`. */
  summary: string;
  /** A few sentences: what happens and what to watch for. */
  story: string;
  defaultSeed: number;
  /** Where etcd 3.4 does what the story shows (checked against etcd's sources by test/scenarios). */
  sources?: readonly EtcdSource[];
  /** Published analyses the story reproduces (Kleppmann's, Jepsen's), with what they show here. */
  analyses?: readonly Analysis[];
  /** The "what if" knobs this story takes (`run <scenario> --ttl 3 --pause-for 2000`), with their defaults. */
  knobs?: readonly KnobDeclaration[];
  /** A yes/no question a learner answers before seeing the run (`run <scenario> --predict`). */
  prediction?: Prediction;
  /** The world and its script, ready to run (with the knobs set, if any). */
  build(seed: Seed, knobs?: Knobs): Sim;
  /**
   * The story's facts, judged from the run (made with the same knobs), in
   * the simulator unless `place` says the run was against an etcd endpoint.
   */
  check(result: SimResult<Client>, knobs?: Knobs, place?: RunPlace): StoryAssertion[];
}

/**
 * Where a run happened. `simulator`: the trace holds the server's own events
 * at exact virtual times. `endpoint` (`leaselab run <scenario> --endpoint`):
 * the clients ran on real time against a real etcd (or `leaselab serve`);
 * the server's events are derived from what the clients saw and a watch on
 * every key (a grant at its answer, an expiry when the watch saw the lease's
 * keys deleted), times carry network latency, and the phase of the server's
 * 500 ms sweep is unknown.
 */
export type RunPlace = 'simulator' | 'endpoint';

export type KnobName = 'ttl' | 'pauseAt' | 'pauseFor' | 'latency' | 'fenced' | 'drift';

/** "What if" values; what is left out keeps the story's own. */
export interface Knobs {
  ttlSeconds?: number;
  pauseAtMs?: number;
  pauseForMs?: number;
  /** One-way latency of every link (the default is 1–5 ms, drawn per message). */
  latencyMs?: number;
  fenced?: boolean;
  /** A client's clock rate against real time (0.5: its clock runs at half speed). */
  driftRate?: number;
}

/** A published analysis a scenario reproduces. */
export interface Analysis {
  /** `Martin Kleppmann: How to do distributed locking (2016)`. */
  title: string;
  url: string;
  /** What of it this story shows. */
  shows: string;
}

/**
 * A question to answer before the run is shown: "Will two clients hold the
 * lock at once?". `outcome` reads the answer off the run, so a what-if run
 * (another TTL, fencing on) is judged on what it really did.
 */
export interface Prediction {
  question: string;
  /** The set-up, told without giving the outcome away (with the knobs' values). */
  setup(knobs: Knobs): string;
  outcome(result: SimResult<Client>, knobs: Knobs): { happened: boolean; detail: string };
}

export interface KnobDeclaration {
  name: KnobName;
  /** The story's own value, as shown: `5 s`, `1–5 ms`, `off`. */
  default: string;
}

/**
 * A claim's margin: `: 3.550 s before she woke` when `atMs` came before
 * `limitMs`, `: 120 ms after she woke` (the `late` words) when it did not.
 */
export function margin(atMs: number | undefined, limitMs: number, early: string, late: string): string {
  if (atMs === undefined) return '';
  const gapMs = limitMs - atMs;
  const amount = Math.abs(gapMs) >= 1000 ? `${(Math.abs(gapMs) / 1000).toFixed(3)} s` : `${Math.round(Math.abs(gapMs))} ms`;
  return `: ${amount} ${gapMs >= 0 ? early : late}`;
}

/** Sim options for the latency knob. */
export function networkKnob(knobs: Knobs): { network?: { latencyMs: number } } {
  return knobs.latencyMs === undefined ? {} : { network: { latencyMs: knobs.latencyMs } };
}

/** A place in etcd 3.4's Go sources: `lease/lessor.go`, `(*lessor).revokeExpiredLeases`. */
export interface EtcdSource {
  /** Path under go.etcd.io/etcd/ (etcd 3.4). */
  file: string;
  /** The function or method, as Go declares it: `(*lessor).Renew`, `waitDeletes`. */
  func: string;
  /** What it does in this story. */
  shows: string;
}

export interface ScenarioRun {
  scenario: Scenario;
  seed: Seed;
  result: SimResult<Client>;
  assertions: StoryAssertion[];
  /** Every assertion holds. */
  ok: boolean;
}

/** Build, run and check a scenario (with its default seed unless given one). */
export async function runScenario(scenario: Scenario, seed: Seed = scenario.defaultSeed, knobs: Knobs = {}): Promise<ScenarioRun> {
  const result = await scenario.build(seed, knobs).run();
  const assertions = scenario.check(result, knobs);
  return { scenario, seed, result, assertions, ok: assertions.every((assertion) => assertion.holds) };
}

/** A claim with its verdict. */
export function claim(text: string, holds: boolean, detail: string): StoryAssertion {
  return { claim: text, holds, detail };
}

/** Virtual ms as seconds for a detail line: `5.500s`. */
export function seconds(ms: number | undefined): string {
  return ms === undefined ? 'never' : `${(ms / 1000).toFixed(3)}s`;
}

/** A client call and how it ended, paired from the trace's call and return events. */
export interface CallRecord {
  process: string;
  incarnation: number;
  method: string;
  calledAtMs: number;
  /** Undefined when the call never returned (its process crashed, or the run ended first). */
  returnedAtMs: number | undefined;
  request: unknown;
  outcome: 'ok' | 'error' | 'unknown' | undefined;
  response: unknown;
  error: string | undefined;
}

/** Every client call in the trace (of one process and method, when given), in call order. */
export function calls(result: SimResult<Client>, filter: { process?: string; method?: string } = {}): CallRecord[] {
  const records: CallRecord[] = [];
  const open = new Map<string, CallRecord>();
  for (const event of result.trace.events) {
    if (event.kind !== 'client') continue;
    const e = event.event;
    if (e.kind === 'call') {
      const record: CallRecord = {
        process: event.process,
        incarnation: event.incarnation,
        method: e.method,
        calledAtMs: event.atMs,
        returnedAtMs: undefined,
        request: e.request,
        outcome: undefined,
        response: undefined,
        error: undefined,
      };
      open.set(`${event.process}#${event.incarnation}/${e.callId}`, record);
      if ((filter.process === undefined || filter.process === event.process) && (filter.method === undefined || filter.method === e.method))
        records.push(record);
    } else if (e.kind === 'return') {
      const record = open.get(`${event.process}#${event.incarnation}/${e.callId}`);
      if (record === undefined) continue;
      record.returnedAtMs = event.atMs;
      record.outcome = e.outcome;
      record.response = e.response;
      record.error = e.error;
    }
  }
  return records;
}

/** Log lines of one process, with their times. */
export function logLines(result: SimResult<Client>, process: string): { atMs: number; message: string }[] {
  return result.trace
    .ofKind('log')
    .filter((event) => event.process === process)
    .map(({ atMs, message }) => ({ atMs, message }));
}
