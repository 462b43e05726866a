/**
 * Lock safety as a fast-check property: draw a fault plan (and a simulator
 * seed, and optionally workload knobs), run the lock workload under it, and
 * judge the run. fast-check searches, then shrinks a failure to the fewest,
 * shortest faults that still break the property.
 *
 *   await fc.assert(lockSafety(etcdMutex, { properties: ['fenced'], faults: ['pause'] }), { seed: 1, numRuns: 200 });
 *   // Error: Property failed … fenced violated at 9.112s: the resource accepted a stale write by alice …
 *   //   schedule (2 faults):   3.512  pause alice / 10.803  resume alice
 *   //   the lock key on the server: …; timeline: …
 *   //   replay: npx leaselab replay --lock mutex --schedule eyJ…
 *
 * A run fails on a bug or an unknown verdict; a known limitation (a belief
 * overlap explained by a fault longer than the lease) passes.
 *
 * With @fast-check/vitest: `test.prop([exploreCaseArbitrary(options)])('…', (c) => checkLockCase(myLock, c, options))`.
 */
import fc from 'fast-check';
import type { LockAlgorithm } from '../client/lock-algorithm.ts';
import type { FaultSchedule } from '../sim/faults.ts';
import { formatTimeMs, renderApplied, renderTraceEvent, type Trace } from '../sim/trace.ts';
import {
  describeSchedule,
  defaultFaultKinds,
  faultPlanArbitrary,
  memberFaultKinds,
  planSchedule,
  workloadArbitrary,
  type FaultPlan,
  type FaultPlanKind,
  type FaultPlanOptions,
  type WorkloadArbitraryOptions,
} from './arbitraries.ts';
import { failing, judgeRun, type LockProperty, type Violation } from './judge.ts';
import { compareReplay } from './replay-check.ts';
import { faultsEndMs, resolveWorkloadOptions, runLockWorkload, type LockRun, type WorkloadOptions, workloadOptionsOf } from './workload.ts';

/** Options of {@link lockSafety}: the workload, the fault plan and the properties judged. */
export interface LockSafetyOptions extends WorkloadOptions, Omit<FaultPlanOptions, 'clients' | 'kinds' | 'faultsEndMs'> {
  /** Which properties to judge. @defaultValue ['belief', 'fenced', 'liveness'] */
  properties?: readonly LockProperty[];
  /** Run against an etcd cluster of this many members; member faults join the default kinds. @defaultValue 1 (the lone server) */
  members?: number;
  /** Fault kinds to draw. @defaultValue every kind but loss (src/explore/arbitraries.ts, defaultFaultKinds) */
  faults?: readonly FaultPlanKind[];
  /** Vary the workload too (client count, TTL, critical section); otherwise the fixed options are used. */
  vary?: WorkloadArbitraryOptions;
  /** Slack over the TTL for liveness. @defaultValue 5_000 */
  livenessSlackMs?: number;
  /** The lock's name on the replay line (`naive`, `mutex`, or a module path). @defaultValue the algorithm's name */
  replayLock?: string;
  /** Called after each run, with its violations (for progress bars). */
  onRun?: (run: LockRun, violations: Violation[]) => void;
  /**
   * Replay each failing case once and say in the report when the replay
   * differs (src/explore/replay-check.ts). The CLI turns it off and replays
   * only the final counterexample. @defaultValue true
   */
  verifyReplay?: boolean;
}

/** One generated case: a simulator seed, a fault plan, workload knobs. */
export interface ExploreCase {
  seed: number;
  plan: FaultPlan;
  workload: WorkloadOptions;
}

/** Everything needed to rerun a case without fast-check: what `--schedule` encodes. */
export interface ReplayCase {
  seed: number;
  workload: WorkloadOptions;
  schedule: FaultSchedule;
  properties: readonly LockProperty[];
  /** An etcd cluster of this many members (absent: the lone server). */
  members?: number;
}

/** The arbitrary of cases that {@link lockSafety} draws from. */
export function exploreCaseArbitrary(options: LockSafetyOptions = {}): fc.Arbitrary<ExploreCase> {
  const base = resolveWorkloadOptions(options);
  const plan = faultPlanArbitrary({
    ...pickPlanOptions(options),
    clients: options.vary?.clients?.min ?? base.clients,
    ttlSeconds: base.ttlSeconds,
    faultsEndMs: faultsEndMs(base),
    ...(options.faults !== undefined ? { kinds: options.faults } : isCluster(options.members) ? { kinds: [...defaultFaultKinds, ...memberFaultKinds] } : {}),
  });
  const workload = options.vary !== undefined ? workloadArbitrary(options.vary) : fc.constant<WorkloadOptions>({});
  return fc.record({ seed: fc.noShrink(fc.integer({ min: 0, max: 0x7fffffff })), plan, workload });
}

function pickPlanOptions(options: LockSafetyOptions): FaultPlanOptions {
  const picked: FaultPlanOptions = {};
  if (options.countMax !== undefined) picked.countMax = options.countMax;
  if (options.windowStartMs !== undefined) picked.windowStartMs = options.windowStartMs;
  if (options.pauseMsMax !== undefined) picked.pauseMsMax = options.pauseMsMax;
  if (options.durationMsMax !== undefined) picked.durationMsMax = options.durationMsMax;
  if (options.durationMsMin !== undefined) picked.durationMsMin = options.durationMsMin;
  if (options.aimedShare !== undefined) picked.aimedShare = options.aimedShare;
  if (options.links !== undefined) picked.links = options.links;
  return picked;
}

/** The workload options of a case: the fixed ones overridden by the drawn ones. */
function caseWorkload(options: LockSafetyOptions, drawn: WorkloadOptions): WorkloadOptions {
  return { ...workloadOptionsOf(options), ...drawn };
}

/** Turn a generated case into a self-contained replay case. */
export function replayCaseOf(explored: ExploreCase, options: LockSafetyOptions = {}): ReplayCase {
  const workload = caseWorkload(options, explored.workload);
  const resolved = resolveWorkloadOptions(workload);
  const replay: ReplayCase = {
    seed: explored.seed,
    workload,
    schedule: planSchedule(explored.plan, {
      clients: resolved.clients,
      faultsEndMs: faultsEndMs(resolved),
      ...(isCluster(options.members) ? { members: options.members } : {}),
    }),
    properties: options.properties ?? defaultProperties,
  };
  if (isCluster(options.members)) replay.members = options.members;
  return replay;
}

function isCluster(members: number | undefined): members is number {
  return members !== undefined && members >= 2;
}

export const defaultProperties: readonly LockProperty[] = ['belief', 'fenced', 'liveness', 'crash'];

export interface JudgedRun {
  run: LockRun;
  violations: Violation[];
}

/** Run a replay case and judge it. */
export async function runReplayCase(algorithm: LockAlgorithm, replay: ReplayCase, livenessSlackMs?: number): Promise<JudgedRun> {
  const run = await runLockWorkload(
    algorithm,
    { ...replay.workload, seed: replay.seed, ...(replay.members !== undefined ? { members: replay.members } : {}) },
    replay.schedule,
  );
  const violations = judgeRun(run.history, replay.properties, {
    ttlSeconds: run.options.ttlSeconds,
    durationMs: run.options.durationMs,
    // Every fault has healed and the server serves again (a restart's downtime ends with server-up).
    quietFromMs: Math.max(faultsEndMs(run.options), run.history.lastFaultMs, run.history.lastServerUpMs),
    fenced: run.fenced,
    ...(livenessSlackMs !== undefined ? { livenessSlackMs } : {}),
  });
  return { run, violations };
}

/** Encode a replay case for `--schedule` (base64url JSON). */
export function encodeReplayCase(replay: ReplayCase): string {
  return Buffer.from(JSON.stringify(replay), 'utf8').toString('base64url');
}

/** Decode `--schedule`. @throws SyntaxError when it is not an encoded replay case. */
export function decodeReplayCase(encoded: string): ReplayCase {
  let value: Partial<ReplayCase>;
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<ReplayCase>;
  } catch {
    throw new SyntaxError('not an encoded leaselab replay case');
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.seed !== 'number' ||
    !Array.isArray(value.schedule) ||
    typeof value.workload !== 'object' ||
    !Array.isArray(value.properties)
  )
    throw new SyntaxError('not an encoded leaselab replay case');
  return value as ReplayCase;
}

/** The replay command line for a case. */
export function replayLine(lock: string, replay: ReplayCase): string {
  return `npx leaselab replay --lock ${lock} --schedule ${encodeReplayCase(replay)}`;
}

/** Trace kinds the excerpt shows (calls, keepalives and drops are left out). */
function interesting(event: Trace['events'][number]): boolean {
  if (event.kind === 'client') {
    const kind = event.event.kind;
    return kind === 'lock-acquired' || kind === 'lock-released' || kind === 'lock-lost' || kind === 'lease-lost';
  }
  return event.kind !== 'message-dropped' && event.kind !== 'lease-renewed';
}

/**
 * The timeline around the first violation: faults, beliefs, writes, lease
 * expiries and log lines from `beforeMs` before it to `afterMs` after it.
 */
export function timelineExcerpt(
  trace: Trace,
  atMs: number,
  options: { beforeMs?: number; afterMs?: number; linesMax?: number; violation?: Violation } = {},
): string {
  const fromMs = atMs - (options.beforeMs ?? 12_000);
  let marked = false;
  const isViolating = (event: Trace['events'][number]): boolean => {
    if (marked || event.atMs !== atMs) return false;
    const violation = options.violation;
    if (violation === undefined) return true;
    if (violation.property === 'fenced') return event.kind === 'resource-write' && event.process === violation.processes[0];
    if (violation.property === 'crash') return event.kind === 'log' && event.process === violation.processes[0];
    if (violation.property === 'belief') return event.kind === 'client' && event.event.kind === 'lock-acquired' && event.process === violation.processes[1];
    return false;
  };
  const toMs = atMs + (options.afterMs ?? 1_000);
  const linesMax = options.linesMax ?? 60;
  const lines: string[] = [];
  for (const event of trace.events) {
    if (event.atMs < fromMs && event.kind !== 'fault') continue;
    if (event.atMs > toMs) break;
    if (!interesting(event)) continue;
    if (event.kind === 'log' && event.message === 'acquiring') continue;
    const mark = isViolating(event);
    if (mark) marked = true;
    lines.push(`${renderTraceEvent(event)}${mark ? '   ◀' : ''}`);
  }
  const kept = lines.length > linesMax ? [`  … ${lines.length - linesMax} earlier line(s)`, ...lines.slice(-linesMax)] : lines;
  return `${kept.join('\n')}\n`;
}

/** The headline of one violation: `belief violated at 5.524s: …`, `belief: known limitation at …`, `fenced: cannot judge at …`. */
export function violationHeadline(violation: Violation): string {
  const at = `${(violation.atMs / 1000).toFixed(3)}s`;
  if (violation.verdict === 'limitation') return `${violation.property}: known limitation at ${at}: ${violation.message}`;
  if (violation.verdict === 'unknown') return `${violation.property}: cannot judge (not a pass) at ${at}: ${violation.message}`;
  return `${violation.property} violated at ${at}: ${violation.message}`;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/**
 * The lock keys' history on the server up to `toMs`: each put, delete and
 * expiry with its revision and time, which client's call applied it, when
 * that call was sent and how it ended for the client.
 */
export function lockKeyHistory(run: LockRun, toMs: number, linesMax = 25): string[] {
  const keys = new Set(run.history.lockKeyChanges.map((change) => change.key));
  const calls = new Map<string, { sentMs: number; outcome: string; returnMs: number }>();
  for (const operation of run.history.operations) {
    if (operation.input.callId === undefined) continue;
    calls.set(`${operation.process} ${operation.input.callId}`, { sentMs: operation.invokeMs, outcome: operation.outcome, returnMs: operation.returnMs });
  }
  const lines: string[] = [];
  for (const event of run.trace.events) {
    if (event.atMs > toMs) break;
    if (event.kind !== 'kv-applied' || !event.changes.some((change) => keys.has(change.key))) continue;
    let how = '';
    if (event.cause.kind === 'request') {
      const call = calls.get(`${event.cause.process}#${event.cause.incarnation} ${event.cause.callId}`);
      if (call !== undefined) {
        const ended = call.outcome === 'ok' ? 'answered' : call.outcome === 'error' ? 'failed' : 'outcome unknown to the client (timed out or cut off)';
        how = `, sent ${sec(call.sentMs)}${event.atMs - call.sentMs >= 1000 ? ` (applied ${event.atMs - call.sentMs} ms later)` : ''}, ${ended}`;
      }
    }
    lines.push(`${formatTimeMs(event.atMs)}  ${renderApplied(event)}${how}`);
  }
  return lines.length > linesMax ? [`  … ${lines.length - linesMax} earlier change(s)`, ...lines.slice(-linesMax)] : lines;
}

/** Calls whose outcome the client never learned (timed out, cut off, crashed), sent before `toMs`, and whether and when the server applied them. */
export function unknownOutcomeCalls(run: LockRun, toMs: number, linesMax = 10): string[] {
  const applied = new Map<string, number>();
  for (const event of run.trace.events) {
    if (event.kind === 'kv-applied' && event.cause.kind === 'request')
      applied.set(`${event.cause.process}#${event.cause.incarnation} ${event.cause.callId}`, event.revision);
  }
  const appliedAt = new Map<string, number>();
  for (const event of run.trace.events) {
    if (event.kind === 'kv-applied' && event.cause.kind === 'request') {
      const key = `${event.cause.process}#${event.cause.incarnation} ${event.cause.callId}`;
      if (!appliedAt.has(key)) appliedAt.set(key, event.atMs);
    }
  }
  const lines: string[] = [];
  for (const operation of run.history.operations) {
    if (operation.outcome !== 'unknown' || operation.invokeMs > toMs || operation.input.callId === undefined) continue;
    const method = operation.input.method;
    if (method === 'range' || method === 'leaseTimeToLive' || method === 'leaseLeases' || method === 'leaseKeepAlive') continue;
    const key = `${operation.process} ${operation.input.callId}`;
    const revision = applied.get(key);
    const fate = revision === undefined ? 'changed nothing on the server' : `applied at ${sec(appliedAt.get(key)!)} as rev ${revision}`;
    lines.push(`  ${operation.process} call #${operation.input.callId} ${method} sent ${sec(operation.invokeMs)}: ${fate}`);
  }
  return lines.length > linesMax ? [`  … ${lines.length - linesMax} earlier call(s)`, ...lines.slice(-linesMax)] : lines;
}

/** Dropped messages up to `toMs`, counted by link and reason: `  12 × alice → server (partition), 9.004s–15.310s`. */
export function droppedMessages(trace: Trace, toMs: number): string[] {
  const counts = new Map<string, { count: number; fromMs: number; toMs: number }>();
  for (const event of trace.events) {
    if (event.atMs > toMs) break;
    if (event.kind !== 'message-dropped') continue;
    const key = `${event.from} → ${event.to} (${event.reason})`;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { count: 1, fromMs: event.atMs, toMs: event.atMs });
    else {
      entry.count++;
      entry.toMs = event.atMs;
    }
  }
  return [...counts].map(([key, { count, fromMs, toMs: lastMs }]) => `  ${String(count).padStart(4)} × ${key}, ${sec(fromMs)}–${sec(lastMs)}`);
}

/** Messages a hold kept back and let go before `toMs`: `   3 × alice → storage held, released at 10.000s`. */
export function heldMessages(trace: Trace, toMs: number): string[] {
  const lines: string[] = [];
  for (const event of trace.events) {
    if (event.atMs > toMs) break;
    if (event.kind === 'messages-released')
      lines.push(`  ${String(event.messages).padStart(4)} × ${event.from} → ${event.to} held, released at ${sec(event.atMs)}`);
  }
  return lines;
}

/**
 * The local clock of each process whose clock drifted or jumped, at `atMs`
 * (true time): what the process itself read then. Workload processes start
 * on the true time (rate 1, no offset); drift faults change that.
 */
export function driftedClocks(trace: Trace, atMs: number): string[] {
  const clocks = new Map<string, { anchorTrueMs: number; anchorLocalMs: number; rate: number }>();
  for (const event of trace.events) {
    if (event.atMs > atMs) break;
    if (event.kind !== 'fault' || event.fault.kind !== 'drift') continue;
    const { process, driftRate, jumpMs } = event.fault;
    const clock = clocks.get(process) ?? { anchorTrueMs: 0, anchorLocalMs: 0, rate: 1 };
    const localNow = clock.anchorLocalMs + clock.rate * (event.atMs - clock.anchorTrueMs);
    clocks.set(process, { anchorTrueMs: event.atMs, anchorLocalMs: localNow + (jumpMs ?? 0), rate: driftRate ?? clock.rate });
  }
  return [...clocks].map(([process, clock]) => {
    const localMs = clock.anchorLocalMs + clock.rate * (atMs - clock.anchorTrueMs);
    const aheadMs = localMs - atMs;
    return `  ${process} reads ${sec(localMs)} at true ${sec(atMs)} (${aheadMs >= 0 ? `${Math.round(aheadMs)} ms ahead` : `${Math.round(-aheadMs)} ms behind`}, rate ${clock.rate})`;
  });
}

/** The report of a judged run: verdict, schedule, the lock key's server history, unknown calls, timeline excerpt, crash stack, replay line. Deterministic. */
export function renderJudgedRun(
  judged: JudgedRun,
  replay: ReplayCase,
  lock: string,
  /** Another renderer of the timeline around the violation (the CLI's, in `run`'s words). @defaultValue {@link timelineExcerpt} */
  excerpt: (trace: Trace, atMs: number, violation: Violation) => string = (trace, atMs, violation) => timelineExcerpt(trace, atMs, { violation }),
): string {
  const { run, violations } = judged;
  const out: string[] = [];
  const bad = failing(violations);
  const first = bad.find((violation) => replay.properties.includes(violation.property)) ?? bad[0] ?? violations[0];
  out.push(
    first === undefined
      ? `no violation of ${replay.properties.join(', ')} (${run.algorithm}, seed ${run.seed}, ${run.options.clients} clients, ttl ${run.options.ttlSeconds}s)`
      : violationHeadline(first),
  );
  if (violations.length > 1) out.push(`(${violations.length - 1} more violation(s) in this run)`);
  out.push('', `schedule (${replay.schedule.length} fault event(s)):`);
  out.push(...(replay.schedule.length === 0 ? ['  (no faults)'] : describeSchedule(replay.schedule).map((line) => `  ${line}`)));
  if (first !== undefined) {
    const history = lockKeyHistory(run, first.atMs);
    out.push(
      '',
      `the lock key on the server (each revision, what applied it, when it was sent):`,
      ...(history.length === 0 ? ['  (no lock key was ever written)'] : history),
    );
    const unknown = unknownOutcomeCalls(run, first.atMs);
    if (unknown.length > 0) out.push('', 'calls whose outcome the client never learned:', ...unknown);
    const dropped = droppedMessages(run.trace, first.atMs);
    if (dropped.length > 0) out.push('', 'messages dropped before the violation (by link and reason):', ...dropped);
    const held = heldMessages(run.trace, first.atMs);
    if (held.length > 0) out.push('', 'messages held before the violation (by link, when the hold let them go):', ...held);
    const clocks = driftedClocks(run.trace, first.atMs);
    if (clocks.length > 0) out.push('', 'local clocks at the violation (processes whose clock drifted or jumped):', ...clocks);
    out.push('', `timeline around the violation:`, excerpt(run.trace, first.atMs, first).trimEnd());
    const crash = run.history.crashes[0];
    if (crash !== undefined && run.crashStacks[0] !== undefined)
      out.push(
        '',
        `stack (${crash.process}#${crash.incarnation} at ${sec(crash.timeMs)}, the first of ${run.history.crashes.length} crash(es)):`,
        ...run.crashStacks[0].split('\n').map((line) => `  ${line.trim()}`),
      );
  }
  out.push('', `replay: ${replayLine(lock, replay)}`);
  return `${out.join('\n')}\n`;
}

/** Run one case and throw a descriptive error if it breaks a property (the property's predicate). */
export async function checkLockCase(algorithm: LockAlgorithm, explored: ExploreCase, options: LockSafetyOptions = {}): Promise<void> {
  const replay = replayCaseOf(explored, options);
  const judged = await runReplayCase(algorithm, replay, options.livenessSlackMs);
  options.onRun?.(judged.run, judged.violations);
  // Known limitations of lease locks (a fault longer than the lease) are reported, not failed.
  if (failing(judged.violations).length === 0) return;
  let report = renderJudgedRun(judged, replay, options.replayLock ?? algorithm.name);
  if (options.verifyReplay ?? true) {
    const again = await runReplayCase(algorithm, replay, options.livenessSlackMs);
    const difference = compareReplay(judged.run, again.run);
    if (difference !== undefined) report += `\n${difference}\n`;
  }
  throw new LockPropertyError(report, judged.violations);
}

/** Run one case and judge it without throwing (a step of the guided search, src/explore/guided.ts). */
export async function checkLockCaseQuietly(algorithm: LockAlgorithm, explored: ExploreCase, options: LockSafetyOptions = {}): Promise<JudgedRun> {
  const judged = await runReplayCase(algorithm, replayCaseOf(explored, options), options.livenessSlackMs);
  options.onRun?.(judged.run, judged.violations);
  return judged;
}

/** Thrown by the property when a run breaks a lock property; the message is the full report. */
export class LockPropertyError extends Error {
  override readonly name = 'LockPropertyError';
  readonly violations: Violation[];
  constructor(message: string, violations: Violation[]) {
    super(message);
    this.violations = violations;
  }
}

/**
 * The lock-safety property of `algorithm`: for every drawn fault plan, the
 * run satisfies `options.properties`. Use with `fc.assert` / `fc.check`.
 * @param algorithm - a built-in (naiveLock, etcdMutex, etcdMutexFenced) or your own LockAlgorithm
 * @param options - workload, fault bounds and properties
 * @throws nothing itself; the property throws a LockPropertyError when a run breaks a property
 */
export function lockSafety(algorithm: LockAlgorithm, options: LockSafetyOptions = {}): fc.IAsyncProperty<[ExploreCase]> {
  return fc.asyncProperty(exploreCaseArbitrary(options), (explored) => checkLockCase(algorithm, explored, options));
}
