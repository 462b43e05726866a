/**
 * `leaselab exercise [<name> [--answer FILE] [--seed N]] [--ascii]`: the
 * exercises, one task explained, or an answer checked.
 *
 *   leaselab exercise                                         list them
 *   leaselab exercise fix-check-then-act                      the task and a module to start from
 *   leaselab exercise fix-check-then-act --answer ./mine.ts   ✓/✗ claims, PASS or FAIL with the reason, a replay line
 *
 * The answer is a module (.ts, .mts, .js, .mjs) exporting what the task asks
 * for. Exit 0 when it passes, 1 when it fails, 2 on a usage error (an unknown
 * exercise, a module that does not load or exports the wrong thing).
 */
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { AnswerError, type Exercise, type ExerciseVerdict } from '../../exercises/exercise.ts';
// The catalogue lists them; only the exercise asked for is loaded.
import { exerciseCatalogue as exercises, findExerciseEntry } from '../exercise-catalogue.ts';
import { terminalShowsIcons, toAscii, wrapLine } from '../../report/terminal-text.ts';
import { exitingOnUsage, UsageExit } from '../usage-exit.ts';
import { importUserModule } from '../user-module.ts';

const usage = 'usage: leaselab exercise [<name> [--answer FILE] [--seed N]] [--ascii]\n';

function list(): string {
  const width = Math.max(...exercises.map((exercise) => exercise.name.length));
  return exercises.map((exercise) => `  ${exercise.name.padEnd(width)}  ${exercise.summary}`).join('\n');
}

/** Words wrapped to `width`, each line indented. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && indent.length + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines.map((l) => `${indent}${l}`).join('\n');
}

function explain(exercise: Exercise, width: number): string {
  let out = `${pc.bold(`${exercise.name}: ${exercise.title}`)}\n\n`;
  out += `${wrap(exercise.task, width, '  ')}\n\n`;
  out += `${pc.bold('Start from this module')} (save it as, say, ./answer.ts):\n\n`;
  out += `${exercise.template.replace(/^/gm, '    ').replace(/ +$/gm, '')}\n`;
  out += `${pc.bold('Check it')}: npx leaselab exercise ${exercise.name} --answer ./answer.ts\n`;
  return out;
}

/** The command line, parsed. @throws UsageExit */
function parseExerciseArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      options: {
        answer: { type: 'string' },
        seed: { type: 'string' },
        ascii: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageExit(`leaselab exercise: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

/** The one exercise named, loaded. @throws UsageExit */
async function namedExercise(positionals: string[]): Promise<Exercise> {
  if (positionals.length > 1) throw new UsageExit(`${pc.red('leaselab exercise: name one exercise')}\n${usage}`);
  const entry = findExerciseEntry(positionals[0]!);
  if (entry === undefined) throw new UsageExit(`${pc.red(`leaselab exercise: unknown exercise '${positionals[0]}'`)}\n\nexercises:\n${list()}\n`);
  return entry.load();
}

/** --seed, if given. @throws UsageExit */
function seedOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageExit(`${pc.red(`leaselab exercise: --seed takes a whole number, got '${text}'`)}\n${usage}`);
  return Number(text);
}

/** The answer module checked: its verdict. @throws UsageExit when it cannot be loaded or is not an answer */
async function checkAnswer(exercise: Exercise, answer: string, seed: number | undefined): Promise<ExerciseVerdict> {
  let module: Record<string, unknown>;
  try {
    module = await importUserModule(answer);
  } catch (error) {
    throw new UsageExit(`${pc.red(`leaselab exercise: cannot load ${answer}: ${(error as Error).message}`)}\n`);
  }
  try {
    return await exercise.check(module, { path: answer, ...(seed !== undefined ? { seed } : {}) });
  } catch (error) {
    if (!(error instanceof AnswerError)) throw error;
    throw new UsageExit(
      `${pc.red(`leaselab exercise ${exercise.name}: ${answer}: ${error.message}`)}\n(leaselab exercise ${exercise.name} shows a module to start from)\n`,
    );
  }
}

/** The verdict as text: the claims as ✓/✗ lines, then PASS, or FAIL with a hint, the failing run and its replay line. */
function verdictText(exercise: Exercise, answer: string, seed: number | undefined, verdict: ExerciseVerdict, terminalWidth: number | undefined): string {
  // On a terminal: wrap to its width; otherwise verdict lines stay whole (for grep).
  const wrapToWidth = (line: string, indent: number) => (terminalWidth === undefined ? line : wrapLine(line, terminalWidth, indent));
  let out = `${pc.bold(`${exercise.name}: ${exercise.title}`)}  ${pc.dim(`answer ${answer}${seed !== undefined ? `, seed ${seed}` : ''}`)}\n\n`;
  for (const judged of verdict.claims) {
    out += `${wrapToWidth(`  ${judged.holds ? pc.green('✓') : pc.red('✗')} ${judged.holds ? judged.claim : pc.red(judged.claim)}`, 4)}\n`;
    out += `${wrapToWidth(`      ${pc.dim(judged.detail)}`, 6)}\n`;
  }
  out += '\n';
  if (verdict.pass) {
    out += `${pc.bold(pc.green('PASS'))}: ${verdict.reason}\n`;
  } else {
    out += `${wrapToWidth(`${pc.bold(pc.red('FAIL'))}: ${verdict.reason}`, 6)}\n`;
    out += `${terminalWidth === undefined ? `  hint: ${exercise.hint}` : wrap(`hint: ${exercise.hint}`, terminalWidth, '  ')}\n`;
    if (verdict.evidence !== undefined) out += `\nthe failing run:\n${verdict.evidence}`;
    if (verdict.replay !== undefined) out += `\nreplay: ${verdict.replay}\n`;
  }
  return out;
}

export function run(args: string[]): Promise<number> {
  return exitingOnUsage(() => exerciseCommand(args));
}

/** The exercise command; a usage error throws UsageExit. */
async function exerciseCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseExerciseArgs(args);
  const ascii = values.ascii === true || (process.stdout.isTTY === true && !terminalShowsIcons());
  // On a terminal: wrap to its width (at most 100); otherwise a task wraps at 90 and verdict lines stay whole (for grep).
  const terminalWidth = process.stdout.isTTY === true && process.stdout.columns > 0 ? Math.min(process.stdout.columns, 100) : undefined;
  const write = (text: string) => process.stdout.write(ascii ? toAscii(text) : text);
  if (values.help) {
    write(`${usage}\nexercises:\n${list()}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    if (values.answer !== undefined)
      throw new UsageExit(`${pc.red('leaselab exercise: name the exercise the answer is for')}\n${usage}\nexercises:\n${list()}\n`);
    write(`${pc.bold('Exercises')} (leaselab exercise <name> explains one):\n${list()}\n`);
    return 0;
  }
  const exercise = await namedExercise(positionals);
  const seed = seedOf(values.seed);
  if (values.answer === undefined) {
    if (seed !== undefined) throw new UsageExit(`${pc.red('leaselab exercise: --seed replays a check: give --answer FILE too')}\n${usage}`);
    write(explain(exercise, terminalWidth ?? 90));
    return 0;
  }
  const verdict = await checkAnswer(exercise, values.answer, seed);
  write(verdictText(exercise, values.answer, seed, verdict, terminalWidth));
  return verdict.pass ? 0 : 1;
}
