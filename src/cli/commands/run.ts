/**
 * `leaselab run <scenario> [--seed N] [--json] [--html out.html] [--verbose]`:
 * run a scenario and tell its story: the title, what to watch for, the
 * timeline, then the story's claims as ✓/✗ lines. Exits 1 if a claim failed,
 * 2 on a usage error (an unknown scenario, a bad seed).
 *
 *   --seed N        another seed (the default is the scenario's own)
 *   --verbose       every event in the timeline: each call and answer, keepalives, dropped messages
 *   --json          the trace as JSON instead of text (lease IDs as strings)
 *   --html FILE     also write the run as an interactive timeline page (self-contained HTML)
 *   --ascii         ASCII instead of icons (also when the terminal cannot show them: TERM=dumb, a non-UTF-8 locale, LEASELAB_ASCII=1)
 *   --endpoint H:P  run the scripts on real time against a running etcd or leaselab serve (run-endpoint.ts)
 *   --predict       before the run is shown, ask the scenario's yes/no question on the terminal, then say
 *                   whether the answer was right; --predict=yes|no gives the answer (needed when stdin is not a terminal)
 *   --fault SPEC    inject a fault, as the playground does (repeatable): pause:alice@3000+8000,
 *                   crash:alice@4000+2000 (restarted after), partition:bob@2000+5000 (cut off from etcd),
 *                   hold:bob@2000+5000 (messages held, then delivered), restart:etcd@5000+1000 (down 1 s)
 *
 * "What if" knobs, where the scenario takes them (`leaselab run --help` lists
 * which): --ttl S, --pause-at MS, --pause-for MS, --latency MS, --drift RATE,
 * --fenced / --unfenced. The claims are checked again, with their margins.
 */
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { runScenario, type KnobName, type Knobs, type Scenario } from '../../scenarios/scenario.ts';
// The catalogue names the scenarios; only the one that runs is loaded.
import { findCatalogueEntry, scenarioCatalogue as scenarios } from '../scenario-catalogue.ts';
import { renderHtmlTimeline, renderTextTimeline, traceToJson } from '../../report/index.ts';
import { terminalShowsIcons, toAscii, wrapLine } from '../../report/terminal-text.ts';
import { traceDigest } from '../../report/trace-digest.ts';
import { knobBounds } from '../../scenarios/knob-bounds.ts';
import { FaultSpecError, faultSpecText, parseFaultSpec, scheduledFaults, sortedFaults } from '../../playground/injected-faults.ts';
import { playgroundLimits } from '../../playground/limits.ts';
import { simPlanOf } from '../../sim/sim.ts';
import type { ScheduledFault } from '../../sim/index.ts';
import { exitingOnUsage, UsageExit } from '../usage-exit.ts';

const usage =
  'usage: leaselab run <scenario> [--seed N] [--verbose] [--json] [--html out.html] [--ascii] [--predict[=yes|no]] [--endpoint HOST:PORT]\n' +
  '       faults: [--fault KIND:WHO@AT_MS+FOR_MS]... KIND pause, crash, partition, hold (a process) or restart (etcd)\n' +
  '       what if: [--ttl S] [--pause-at MS] [--pause-for MS] [--latency MS] [--drift RATE] [--fenced | --unfenced] (the knobs the scenario takes)\n';

const knobFlags: Record<KnobName, string> = {
  ttl: '--ttl',
  pauseAt: '--pause-at',
  pauseFor: '--pause-for',
  latency: '--latency',
  fenced: '--fenced/--unfenced',
  drift: '--drift',
};

/** The knobs a scenario takes, as flags with defaults: `--ttl (5 s), --pause-for (8000 ms)`. */
function knobsOf(scenario: Pick<Scenario, 'knobs'>): string {
  return (scenario.knobs ?? []).map((knob) => `${knobFlags[knob.name]} (${knob.default})`).join(', ');
}

class KnobError extends Error {}

/** --drift's bounds, the same as the playground's form (src/scenarios/knob-bounds.ts). */
const minDriftRate = knobBounds.drift.min!;
const maxDriftRate = knobBounds.drift.max!;

/** A bare `--predict` asks; `--predict yes` (two words) is read as `--predict=yes`. */
function predictArgs(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg !== '--predict') out.push(arg);
    else if (/^(y|yes|n|no)$/i.test(args[i + 1] ?? '')) out.push(`--predict=${args[++i]}`);
    else out.push('--predict=ask');
  }
  return out;
}

/** yes/no/y/n (any case) as a boolean, or undefined. */
function yesNo(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (word === 'y' || word === 'yes') return true;
  if (word === 'n' || word === 'no') return false;
  return undefined;
}

/** Ask on the terminal until the answer is yes or no; undefined if stdin ends first. */
async function ask(question: string): Promise<boolean | undefined> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(`${question} [y/n] `);
    // The line iterator keeps lines typed ahead (a question() would drop them).
    for await (const line of prompt) {
      const answer = yesNo(line);
      if (answer !== undefined) return answer;
      process.stdout.write(`  answer y or n: ${question} [y/n] `);
    }
    return undefined;
  } finally {
    prompt.close();
  }
}

/** The what-if values given on the command line, checked against what the scenario takes. @throws KnobError */
function parseKnobs(scenario: Scenario, values: Record<string, string | boolean | string[] | undefined>): { knobs: Knobs; shown: string[] } {
  const knobs: Knobs = {};
  const shown: string[] = [];
  const takes = new Set((scenario.knobs ?? []).map((knob) => knob.name));
  const given = (name: KnobName, flag: string) => {
    if (!takes.has(name))
      throw new KnobError(`${scenario.name} takes no ${flag}${takes.size > 0 ? `; it takes ${knobsOf(scenario)}` : ' (it has no what-if knobs)'}`);
  };
  const whole = (flag: string, text: string, min: number): number => {
    if (!/^\d+$/.test(text) || Number(text) < min) throw new KnobError(`${flag} takes a whole number >= ${min}, got '${text}'`);
    return Number(text);
  };
  if (typeof values.ttl === 'string') {
    given('ttl', '--ttl');
    knobs.ttlSeconds = whole('--ttl', values.ttl, 1);
    shown.push(`ttl ${knobs.ttlSeconds} s`);
  }
  if (typeof values['pause-at'] === 'string') {
    given('pauseAt', '--pause-at');
    knobs.pauseAtMs = whole('--pause-at', values['pause-at'], 0);
    shown.push(`pause at ${knobs.pauseAtMs} ms`);
  }
  if (typeof values['pause-for'] === 'string') {
    given('pauseFor', '--pause-for');
    knobs.pauseForMs = whole('--pause-for', values['pause-for'], 0);
    shown.push(`pause for ${knobs.pauseForMs} ms`);
  }
  if (typeof values.latency === 'string') {
    given('latency', '--latency');
    knobs.latencyMs = whole('--latency', values.latency, 0);
    shown.push(`latency ${knobs.latencyMs} ms each way`);
  }
  if (typeof values.drift === 'string') {
    given('drift', '--drift');
    const rate = Number(values.drift);
    if (!/^\d+(\.\d+)?$/.test(values.drift) || !(rate >= minDriftRate && rate <= maxDriftRate))
      throw new KnobError(
        `--drift takes a clock rate from ${minDriftRate} to ${maxDriftRate} (0.5: the client's clock runs at half speed), got '${values.drift}'`,
      );
    knobs.driftRate = rate;
    shown.push(`the client's clock runs at ${rate}× real time`);
  }
  if (values.fenced === true && values.unfenced === true) throw new KnobError('give --fenced or --unfenced, not both');
  if (values.fenced === true || values.unfenced === true) {
    given('fenced', values.fenced === true ? '--fenced' : '--unfenced');
    knobs.fenced = values.fenced === true;
    shown.push(knobs.fenced ? 'the storage checks fencing tokens' : 'the storage does not check fencing tokens');
  }
  return { knobs, shown };
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

function knownScenarios(): string {
  return scenarios
    .map(
      (scenario) =>
        `  ${scenario.name}${scenario.knobs !== undefined ? `  what if: ${knobsOf(scenario)}` : ''}${scenario.asksPrediction ? '; asks a question with --predict' : ''}`,
    )
    .join('\n');
}

type RunValues = ReturnType<typeof parseRunArgs>['values'];

/** The command line, parsed. @throws UsageExit */
function parseRunArgs(args: string[]) {
  try {
    return parseArgs({
      args: predictArgs(args),
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        ascii: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ttl: { type: 'string' },
        'pause-at': { type: 'string' },
        'pause-for': { type: 'string' },
        latency: { type: 'string' },
        fenced: { type: 'boolean' },
        unfenced: { type: 'boolean' },
        endpoint: { type: 'string' },
        drift: { type: 'string' },
        predict: { type: 'string' },
        fault: { type: 'string', multiple: true },
      },
    });
  } catch (error) {
    throw new UsageExit(`leaselab run: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

/** The one scenario named on the command line, loaded. @throws UsageExit */
async function namedScenario(positionals: string[]): Promise<Scenario> {
  const name = positionals[0];
  if (name === undefined || positionals.length > 1)
    throw new UsageExit(`${pc.red('leaselab run: name one scenario')}\n${usage}\nscenarios:\n${knownScenarios()}\n`);
  const entry = findCatalogueEntry(name);
  if (entry === undefined) throw new UsageExit(`${pc.red(`leaselab run: unknown scenario '${name}'`)}\n\nknown scenarios:\n${knownScenarios()}\n`);
  return entry.load();
}

/** --seed, or the scenario's own. @throws UsageExit */
function seedOf(scenario: Scenario, values: RunValues): number {
  if (values.seed === undefined) return scenario.defaultSeed;
  if (!/^-?\d+$/.test(values.seed)) throw new UsageExit(`${pc.red(`leaselab run: --seed takes a whole number, got '${values.seed}'`)}\n${usage}`);
  return Number(values.seed);
}

/** The what-if knobs, as parseKnobs reads them. @throws UsageExit */
function knobsOrExit(scenario: Scenario, values: RunValues): { knobs: Knobs; shown: string[] } {
  try {
    return parseKnobs(scenario, values);
  } catch (error) {
    if (!(error instanceof KnobError)) throw error;
    throw new UsageExit(`${pc.red(`leaselab run: ${error.message}`)}\n${usage}`);
  }
}

/** --fault, checked against the run's processes before anything runs. @throws UsageExit */
function injectedFaults(scenario: Scenario, seed: number, knobs: Knobs, values: RunValues): { injected: ScheduledFault[]; faultTexts: string[] } {
  if (values.fault === undefined || values.fault.length === 0) return { injected: [], faultTexts: [] };
  if (values.endpoint !== undefined)
    throw new UsageExit(`${pc.red('leaselab run: --fault injects faults in the simulator; it does not go with --endpoint')}\n${usage}`);
  const processes = simPlanOf(scenario.build(seed, knobs)).processes.map((entry) => entry.name);
  let injected: ScheduledFault[];
  let faultTexts: string[];
  try {
    const specs = values.fault.map((text) => parseFaultSpec(text, processes));
    injected = sortedFaults(scheduledFaults(specs));
    faultTexts = specs.map(faultSpecText);
  } catch (error) {
    if (!(error instanceof FaultSpecError)) throw error;
    throw new UsageExit(`${pc.red(`leaselab run: ${error.message}`)}\n${usage}`);
  }
  if (injected.length > playgroundLimits.injectedFaultsMax)
    throw new UsageExit(`${pc.red(`leaselab run: at most ${playgroundLimits.injectedFaultsMax / 2} --fault`)}\n`);
  return { injected, faultTexts };
}

/** --predict's answer from the command line, or 'ask' when it is to be asked on the terminal. @throws UsageExit */
function predictionGiven(scenario: Scenario, answer: string, json: boolean): boolean | 'ask' {
  const prediction = scenario.prediction;
  if (prediction === undefined) {
    const withPrediction = scenarios.filter((candidate) => candidate.asksPrediction).map((candidate) => candidate.name);
    throw new UsageExit(`${pc.red(`leaselab run: ${scenario.name} asks no question to predict`)}\nscenarios that do: ${withPrediction.join(', ')}\n`);
  }
  if (json) throw new UsageExit(`${pc.red('leaselab run: --predict talks to a person; it does not go with --json')}\n${usage}`);
  if (answer !== 'ask') {
    const predicted = yesNo(answer);
    if (predicted === undefined) throw new UsageExit(`${pc.red(`leaselab run: --predict takes yes or no, got '${answer}'`)}\n${usage}`);
    return predicted;
  }
  if (process.stdin.isTTY !== true)
    throw new UsageExit(
      `${pc.red('leaselab run: --predict asks on the terminal, but stdin is not a terminal')}\n` +
        `give the answer on the command line: leaselab run ${scenario.name} --predict=yes (or --predict=no)\n` +
        `the question: ${prediction.question}\n`,
    );
  return 'ask';
}

/** What one run shows: the scenario, its seed and knobs, the what-if line and how the terminal takes text. */
interface RunSetting {
  scenario: Scenario;
  seed: number;
  knobs: Knobs;
  whatIfLine: string | undefined;
  ascii: boolean;
}

/** --predict: the set-up and the question first (the run comes after the answer); the answer. @throws UsageExit */
async function predict(setting: RunSetting, answer: string, json: boolean): Promise<boolean> {
  const { scenario, seed, knobs, whatIfLine, ascii } = setting;
  const given = predictionGiven(scenario, answer, json);
  const prediction = scenario.prediction!;
  let intro = `${pc.bold(`${scenario.name}: ${scenario.title}`)}  ${pc.dim(`(seed ${seed})`)}\n\n`;
  if (whatIfLine !== undefined) intro += `${pc.bold(pc.yellow(`  ${whatIfLine}`))}\n\n`;
  intro += `${wrap(prediction.setup(knobs), 86, '  ')}\n\n`;
  process.stdout.write(ascii ? toAscii(intro) : intro);
  let predicted: boolean;
  if (given === 'ask') {
    const answer = await ask(`${pc.bold('Predict:')} ${prediction.question}`);
    if (answer === undefined) throw new UsageExit(`${pc.red('leaselab run: stdin ended before an answer (y or n)')}\n`);
    predicted = answer;
  } else {
    predicted = given;
    process.stdout.write(`${pc.bold('Predict:')} ${prediction.question} ${predicted ? 'yes' : 'no'}\n`);
  }
  process.stdout.write('\n');
  return predicted;
}

type RunOutcome = Pick<Awaited<ReturnType<typeof runScenario>>, 'result' | 'assertions' | 'ok'>;

/** --html: the run as an interactive timeline page. */
function writeHtml(file: string, setting: RunSetting, { result, assertions }: RunOutcome): void {
  const { scenario, seed, whatIfLine } = setting;
  const html = renderHtmlTimeline(result.trace, {
    title: `${scenario.name}: ${scenario.title}`,
    subtitle: `${whatIfLine !== undefined ? `${whatIfLine} · ` : ''}seed ${seed} · ${result.stats.events} events · ended ${result.endedBy} at ${(result.stats.virtualMs / 1000).toFixed(3)}s virtual time`,
    description: [
      scenario.summary,
      scenario.story,
      ...(scenario.analyses ?? []).map((analysis) => `It reproduces ${analysis.title} (${analysis.url}): ${analysis.shows}.`),
    ],
    assertions,
    ...(scenario.sources !== undefined ? { sources: scenario.sources } : {}),
  });
  writeFileSync(file, html);
}

/** --json: the run as one JSON document. */
function runJson(setting: RunSetting, faultTexts: string[], { result, assertions }: RunOutcome): string {
  const document = {
    scenario: setting.scenario.name,
    seed: setting.seed,
    knobs: setting.knobs,
    ...(faultTexts.length > 0 ? { faults: faultTexts } : {}),
    endedBy: result.endedBy,
    stats: result.stats,
    errors: result.errors,
    assertions,
    events: result.trace.events,
  };
  return `${traceToJson(document, 2)}\n`;
}

/** The story ahead of the timeline: title and what-if line (unless --predict showed them), the story, etcd's sources, the analyses. */
function storyText(setting: RunSetting, shownBefore: boolean, storyWidth: number): string {
  const { scenario, seed, whatIfLine } = setting;
  let out = '';
  if (!shownBefore) out += `${pc.bold(`${scenario.name}: ${scenario.title}`)}  ${pc.dim(`(seed ${seed})`)}\n\n`;
  if (!shownBefore && whatIfLine !== undefined)
    out += `${pc.bold(pc.yellow(`  ${whatIfLine}`))}${pc.dim(' (the story below is told with its own values; the timeline and the claims are this run)')}\n\n`;
  out += `${wrap(scenario.story, storyWidth, '  ')}\n\n`;
  if (scenario.sources !== undefined && scenario.sources.length > 0) {
    out += `  ${pc.dim('in etcd 3.4:')}\n`;
    for (const source of scenario.sources) out += `  ${pc.dim(`${source.file} ${source.func}: ${source.shows}`)}\n`;
    out += '\n';
  }
  if (scenario.analyses !== undefined && scenario.analyses.length > 0) {
    out += `  ${pc.dim('it reproduces:')}\n`;
    for (const analysis of scenario.analyses) out += `  ${pc.dim(`${analysis.title}, ${analysis.url}: ${analysis.shows}`)}\n`;
    out += '\n';
  }
  return out;
}

/** The claims as ✓/✗ lines with their details, wrapped to the terminal's width when there is one. */
function claimsText(assertions: RunOutcome['assertions'], width: number | undefined): string {
  let out = `\n${pc.bold('What the story claims')}\n`;
  for (const assertion of assertions) {
    const mark = assertion.holds ? pc.green('✓') : pc.red('✗');
    const claimLine = `  ${mark} ${assertion.holds ? assertion.claim : pc.red(assertion.claim)}`;
    const detailLine = `      ${pc.dim(assertion.detail)}`;
    out += `${width === undefined ? claimLine : wrapLine(claimLine, width, 4)}\n${width === undefined ? detailLine : wrapLine(detailLine, width, 6)}\n`;
  }
  return out;
}

/** The run told as text: story, timeline, claims, the prediction's verdict and a failure line. */
function runText(setting: RunSetting, outcome: RunOutcome, values: RunValues, predicted: boolean | undefined): string {
  const { scenario, seed, knobs, whatIfLine } = setting;
  const { result, assertions, ok } = outcome;
  const width = process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined;
  const storyWidth = Math.min(88, (width ?? 90) - 2);
  // With --predict the title and the what-if line were shown before the question.
  let out = storyText(setting, predicted !== undefined, storyWidth);
  out += renderTextTimeline(result.trace, { verbose: values.verbose, legend: true, ...(width !== undefined ? { width } : {}) });
  out += `\n${pc.dim(`ended ${result.endedBy} at ${(result.stats.virtualMs / 1000).toFixed(3)}s virtual time after ${result.stats.events} events (trace ${traceDigest(result.trace.events)})`)}\n`;
  for (const error of result.errors) out += `${pc.red(`process error: ${error}`)}\n`;
  out += claimsText(assertions, width);
  if (values.html !== undefined) out += `\nwrote ${values.html}\n`;
  const prediction = scenario.prediction;
  if (prediction !== undefined && predicted !== undefined) {
    const { happened, detail } = prediction.outcome(result, knobs);
    const right = happened === predicted;
    out += `\n${pc.bold('Your prediction')}: ${predicted ? 'yes' : 'no'}. ${right ? pc.green('Right') : pc.red('Not this time')}: ${detail}\n`;
  }
  out += ok
    ? ''
    : `\n${pc.red(`${assertions.filter((a) => !a.holds).length} claim(s) did not hold with seed ${seed}${whatIfLine !== undefined ? ` (${whatIfLine})` : ''}`)}\n`;
  return out;
}

export function run(args: string[]): Promise<number> {
  return exitingOnUsage(() => runCommand(args));
}

/** The run command; a usage error throws UsageExit. */
async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseRunArgs(args);
  if (values.help) {
    process.stdout.write(`${usage}\nscenarios:\n${knownScenarios()}\n`);
    return 0;
  }
  const scenario = await namedScenario(positionals);
  const seed = seedOf(scenario, values);
  const { knobs, shown: whatIf } = knobsOrExit(scenario, values);
  const { injected, faultTexts } = injectedFaults(scenario, seed, knobs, values);
  if (faultTexts.length > 0) whatIf.push(`faults ${faultTexts.join(' ')}`);
  if (values.endpoint !== undefined) {
    const { runOnEndpoint } = await import('./run-endpoint.ts');
    return runOnEndpoint(scenario, values.endpoint, {
      seed,
      knobs,
      whatIf,
      verbose: values.verbose,
      json: values.json,
      html: values.html,
      ascii: values.ascii,
    });
  }
  const whatIfLine = whatIf.length > 0 ? `what if: ${whatIf.join(', ')}` : undefined;
  // On a terminal: wrap to its width; icons unless it cannot show them (or --ascii).
  const ascii = values.ascii === true || (process.stdout.isTTY === true && !terminalShowsIcons());
  const setting: RunSetting = { scenario, seed, knobs, whatIfLine, ascii };
  const predicted = values.predict !== undefined ? await predict(setting, values.predict, values.json) : undefined;

  const outcome = injected.length === 0 ? await runScenario(scenario, seed, knobs) : await runWithFaults(scenario, seed, knobs, injected);
  if (values.html !== undefined) writeHtml(values.html, setting, outcome);
  if (values.json) {
    process.stdout.write(runJson(setting, faultTexts, outcome));
    return outcome.ok ? 0 : 1;
  }
  const out = runText(setting, outcome, values, predicted);
  process.stdout.write(ascii ? toAscii(out) : out);
  return outcome.ok ? 0 : 1;
}

/** A scenario run with injected faults (as the playground runs it: the scenario's script, then the faults in time order). */
async function runWithFaults(scenario: Scenario, seed: number, knobs: Knobs, injected: ScheduledFault[]) {
  const built = scenario.build(seed, knobs);
  built.faults(injected);
  const result = await built.run();
  const assertions = scenario.check(result, knobs);
  return { result, assertions, ok: assertions.every((assertion) => assertion.holds) };
}
