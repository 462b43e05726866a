/**
 * `leaselab run <scenario> [--seed N] [--json] [--html out.html] [--verbose]`:
 * run a scenario and tell its story: the title, what to watch for, the
 * timeline, then the story's claims as ✓/✗ lines. Exits 1 if a claim failed,
 * 2 on a usage error (an unknown scenario, a bad seed).
 *
 *   --seed N        another seed (the default is the scenario's own)
 *   --verbose       every event in the timeline: each call and answer, keepalives, dropped messages
 *   --json          the trace as JSON instead of text (lease IDs as strings)
 *   --html FILE     also write the run as an HTML page with a swimlane picture
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { findScenario, runScenario, scenarios } from '../../../scenarios/index.ts';
import { renderHtmlTimeline, renderTextTimeline, traceToJson } from '../../index.ts';

const usage = 'usage: leaselab run <scenario> [--seed N] [--verbose] [--json] [--html out.html]\n';

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
  return scenarios.map((scenario) => `  ${scenario.name}`).join('\n');
}

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        seed: { type: 'string' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`leaselab run: ${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${usage}\nscenarios:\n${knownScenarios()}\n`);
    return 0;
  }
  const name = positionals[0];
  if (name === undefined || positionals.length > 1) {
    process.stderr.write(`${pc.red('leaselab run: name one scenario')}\n${usage}\nscenarios:\n${knownScenarios()}\n`);
    return 2;
  }
  const scenario = findScenario(name);
  if (scenario === undefined) {
    process.stderr.write(`${pc.red(`leaselab run: unknown scenario '${name}'`)}\n\nknown scenarios:\n${knownScenarios()}\n`);
    return 2;
  }
  let seed: number = scenario.defaultSeed;
  if (values.seed !== undefined) {
    if (!/^-?\d+$/.test(values.seed)) {
      process.stderr.write(`${pc.red(`leaselab run: --seed takes a whole number, got '${values.seed}'`)}\n${usage}`);
      return 2;
    }
    seed = Number(values.seed);
  }

  const { result, assertions, ok } = await runScenario(scenario, seed);

  if (values.html !== undefined) {
    const html = renderHtmlTimeline(result.trace, {
      title: `${scenario.name}: ${scenario.title}`,
      subtitle: `seed ${seed} · ${result.stats.events} events · ended ${result.endedBy} at ${(result.stats.virtualMs / 1000).toFixed(3)}s virtual time`,
      description: [scenario.summary, scenario.story],
      assertions,
      ...(scenario.sources !== undefined ? { sources: scenario.sources } : {}),
    });
    writeFileSync(values.html, html);
  }

  if (values.json) {
    const document = {
      scenario: scenario.name,
      seed,
      endedBy: result.endedBy,
      stats: result.stats,
      errors: result.errors,
      assertions,
      events: result.trace.events,
    };
    process.stdout.write(`${traceToJson(document, 2)}\n`);
    return ok ? 0 : 1;
  }

  let out = '';
  out += `${pc.bold(`${scenario.name}: ${scenario.title}`)}  ${pc.dim(`(seed ${seed})`)}\n\n`;
  out += `${wrap(scenario.story, 88, '  ')}\n\n`;
  if (scenario.sources !== undefined && scenario.sources.length > 0) {
    out += `  ${pc.dim('in etcd 3.4:')}\n`;
    for (const source of scenario.sources) out += `  ${pc.dim(`${source.file} ${source.func}: ${source.shows}`)}\n`;
    out += '\n';
  }
  out += renderTextTimeline(result.trace, { verbose: values.verbose });
  out += `\n${pc.dim(`ended ${result.endedBy} at ${(result.stats.virtualMs / 1000).toFixed(3)}s virtual time after ${result.stats.events} events`)}\n`;
  for (const error of result.errors) out += `${pc.red(`process error: ${error}`)}\n`;
  out += `\n${pc.bold('What the story claims')}\n`;
  for (const assertion of assertions) {
    const mark = assertion.holds ? pc.green('✓') : pc.red('✗');
    out += `  ${mark} ${assertion.holds ? assertion.claim : pc.red(assertion.claim)}\n      ${pc.dim(assertion.detail)}\n`;
  }
  if (values.html !== undefined) out += `\nwrote ${values.html}\n`;
  out += ok ? '' : `\n${pc.red(`${assertions.filter((a) => !a.holds).length} claim(s) did not hold with seed ${seed}`)}\n`;
  process.stdout.write(out);
  return ok ? 0 : 1;
}
