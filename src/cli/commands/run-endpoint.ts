/**
 * `leaselab run <scenario> --endpoint HOST:PORT`: the scenario's client
 * scripts on real time against a running etcd (or `leaselab serve`), then
 * the timeline and the story's claims, judged from what the clients saw
 * (src/cli/endpoint-run.ts). Exit 0 when every claim holds, 1 when one does
 * not, 2 when the scenario needs the simulator or the endpoint does not
 * answer.
 */
import { writeFileSync } from 'node:fs';
import pc from 'picocolors';
import { renderHtmlTimeline, renderTextTimeline, traceToJson } from '../../report/index.ts';
import { terminalShowsIcons, toAscii, wrapLine } from '../../report/terminal-text.ts';
import type { Knobs, Scenario } from '../../scenarios/index.ts';
import { EndpointUnreachableError, endpointRefusal, NotOnEndpointError, runScenarioOnEndpoint } from '../endpoint-run.ts';

export interface EndpointRunFlags {
  seed: number;
  knobs: Knobs;
  whatIf: string[];
  verbose: boolean;
  json: boolean;
  html: string | undefined;
  ascii: boolean;
}

/** Run `scenario` against `address` and print it as `leaselab run` does; returns the exit code. */
export async function runOnEndpoint(scenario: Scenario, address: string, flags: EndpointRunFlags): Promise<number> {
  const refusal = endpointRefusal(scenario, flags.seed, flags.knobs);
  if (refusal !== undefined) {
    process.stderr.write(`${pc.red(`leaselab run: ${refusal}`)}\n`);
    return 2;
  }
  if (flags.json !== true) process.stderr.write(pc.dim(`running ${scenario.name} against ${address} on real time…\n`));
  let run;
  try {
    run = await runScenarioOnEndpoint(scenario, address, { seed: flags.seed, knobs: flags.knobs });
  } catch (error) {
    if (!(error instanceof NotOnEndpointError || error instanceof EndpointUnreachableError)) throw error;
    process.stderr.write(`${pc.red(`leaselab run: ${error.message}`)}\n`);
    return 2;
  }
  const { result, assertions, ok } = run;
  const whatIfLine = flags.whatIf.length > 0 ? `what if: ${flags.whatIf.join(', ')}` : undefined;
  const where = `against ${address} on real time`;

  if (flags.html !== undefined) {
    writeFileSync(
      flags.html,
      renderHtmlTimeline(result.trace, {
        title: `${scenario.name}: ${scenario.title}`,
        subtitle: `${whatIfLine !== undefined ? `${whatIfLine} · ` : ''}${where} · ${result.trace.events.length} events · ended ${result.endedBy} after ${(result.stats.virtualMs / 1000).toFixed(3)}s`,
        description: [scenario.summary, scenario.story, derivedNote],
        assertions,
        ...(scenario.sources !== undefined ? { sources: scenario.sources } : {}),
      }),
    );
  }
  if (flags.json) {
    const document = {
      scenario: scenario.name,
      endpoint: address,
      knobs: flags.knobs,
      endedBy: result.endedBy,
      wallMs: result.stats.virtualMs,
      errors: result.errors,
      assertions,
      events: result.trace.events,
    };
    process.stdout.write(`${traceToJson(document, 2)}\n`);
    return ok ? 0 : 1;
  }

  const ascii = flags.ascii || (process.stdout.isTTY === true && !terminalShowsIcons());
  const width = process.stdout.isTTY === true && process.stdout.columns > 0 ? process.stdout.columns : undefined;
  let out = `${pc.bold(`${scenario.name}: ${scenario.title}`)}  ${pc.dim(`(${where})`)}\n\n`;
  if (whatIfLine !== undefined) out += `${pc.bold(pc.yellow(`  ${whatIfLine}`))}\n\n`;
  out += `  ${pc.dim(derivedNote)}\n\n`;
  out += renderTextTimeline(result.trace, { verbose: flags.verbose, legend: true, ...(width !== undefined ? { width } : {}) });
  out += `\n${pc.dim(`ended ${result.endedBy} after ${(result.stats.virtualMs / 1000).toFixed(3)}s of real time, ${result.trace.events.length} events`)}\n`;
  for (const error of result.errors) out += `${pc.red(`process error: ${error}`)}\n`;
  out += `\n${pc.bold('What the story claims')} ${pc.dim('(judged from what the clients saw)')}\n`;
  for (const assertion of assertions) {
    const claimLine = `  ${assertion.holds ? pc.green('✓') : pc.red('✗')} ${assertion.holds ? assertion.claim : pc.red(assertion.claim)}`;
    const detailLine = `      ${pc.dim(assertion.detail)}`;
    out += `${width === undefined ? claimLine : wrapLine(claimLine, width, 4)}\n${width === undefined ? detailLine : wrapLine(detailLine, width, 6)}\n`;
  }
  if (flags.html !== undefined) out += `\nwrote ${flags.html}\n`;
  out += ok ? '' : `\n${pc.red(`${assertions.filter((a) => !a.holds).length} claim(s) did not hold ${where}`)}\n`;
  process.stdout.write(ascii ? toAscii(out) : out);
  return ok ? 0 : 1;
}

const derivedNote =
  "The server's lines are derived from what the clients saw: a grant when its answer arrived (the deadline shown is the latest the real one can be), a renewal when a keepalive answer arrived, each write and an expiry when a watch on every key saw them. " +
  "Faults are emulated at the client's edge: a pause stops its process (timers and answers wait), a partition drops its messages, a hold keeps them until release, a crash closes its connection; the storage is in-process.";
