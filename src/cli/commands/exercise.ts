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
import { AnswerError, type Exercise } from '../../exercises/exercise.ts';
// The catalogue lists them; only the exercise asked for is loaded.
import { exerciseCatalogue as exercises, findExerciseEntry } from '../exercise-catalogue.ts';
import { terminalShowsIcons, toAscii, wrapLine } from '../../report/terminal-text.ts';
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

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
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
    process.stderr.write(`leaselab exercise: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const ascii = values.ascii === true || (process.stdout.isTTY === true && !terminalShowsIcons());
  // On a terminal: wrap to its width (at most 100); otherwise a task wraps at 90 and verdict lines stay whole (for grep).
  const terminalWidth = process.stdout.isTTY === true && process.stdout.columns > 0 ? Math.min(process.stdout.columns, 100) : undefined;
  const width = terminalWidth ?? 90;
  const fit = (line: string, indent: number) => (terminalWidth === undefined ? line : wrapLine(line, terminalWidth, indent));
  const write = (text: string) => process.stdout.write(ascii ? toAscii(text) : text);
  if (values.help) {
    write(`${usage}\nexercises:\n${list()}\n`);
    return 0;
  }
  if (positionals.length === 0) {
    if (values.answer !== undefined) {
      process.stderr.write(`${pc.red('leaselab exercise: name the exercise the answer is for')}\n${usage}\nexercises:\n${list()}\n`);
      return 2;
    }
    write(`${pc.bold('Exercises')} (leaselab exercise <name> explains one):\n${list()}\n`);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`${pc.red('leaselab exercise: name one exercise')}\n${usage}`);
    return 2;
  }
  const entry = findExerciseEntry(positionals[0]!);
  if (entry === undefined) {
    process.stderr.write(`${pc.red(`leaselab exercise: unknown exercise '${positionals[0]}'`)}\n\nexercises:\n${list()}\n`);
    return 2;
  }
  const exercise = await entry.load();
  let seed: number | undefined;
  if (values.seed !== undefined) {
    if (!/^\d+$/.test(values.seed)) {
      process.stderr.write(`${pc.red(`leaselab exercise: --seed takes a whole number, got '${values.seed}'`)}\n${usage}`);
      return 2;
    }
    seed = Number(values.seed);
  }
  if (values.answer === undefined) {
    if (seed !== undefined) {
      process.stderr.write(`${pc.red('leaselab exercise: --seed replays a check: give --answer FILE too')}\n${usage}`);
      return 2;
    }
    write(explain(exercise, width));
    return 0;
  }

  let module: Record<string, unknown>;
  try {
    module = await importUserModule(values.answer);
  } catch (error) {
    process.stderr.write(`${pc.red(`leaselab exercise: cannot load ${values.answer}: ${(error as Error).message}`)}\n`);
    return 2;
  }
  let verdict;
  try {
    verdict = await exercise.check(module, { path: values.answer, ...(seed !== undefined ? { seed } : {}) });
  } catch (error) {
    if (!(error instanceof AnswerError)) throw error;
    process.stderr.write(
      `${pc.red(`leaselab exercise ${exercise.name}: ${values.answer}: ${error.message}`)}\n(leaselab exercise ${exercise.name} shows a module to start from)\n`,
    );
    return 2;
  }
  let out = `${pc.bold(`${exercise.name}: ${exercise.title}`)}  ${pc.dim(`answer ${values.answer}${seed !== undefined ? `, seed ${seed}` : ''}`)}\n\n`;
  for (const judged of verdict.claims) {
    out += `${fit(`  ${judged.holds ? pc.green('✓') : pc.red('✗')} ${judged.holds ? judged.claim : pc.red(judged.claim)}`, 4)}\n`;
    out += `${fit(`      ${pc.dim(judged.detail)}`, 6)}\n`;
  }
  out += '\n';
  if (verdict.pass) {
    out += `${pc.bold(pc.green('PASS'))}: ${verdict.reason}\n`;
  } else {
    out += `${fit(`${pc.bold(pc.red('FAIL'))}: ${verdict.reason}`, 6)}\n`;
    out += `${terminalWidth === undefined ? `  hint: ${exercise.hint}` : wrap(`hint: ${exercise.hint}`, terminalWidth, '  ')}\n`;
    if (verdict.evidence !== undefined) out += `\nthe failing run:\n${verdict.evidence}`;
    if (verdict.replay !== undefined) out += `\nreplay: ${verdict.replay}\n`;
  }
  write(out);
  return verdict.pass ? 0 : 1;
}
