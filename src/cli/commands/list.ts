/**
 * `leaselab list`: the scenarios, one line each.
 *
 *   lease-expiry         grant a 5 s lease, attach a key, stop caring: …
 */
import pc from 'picocolors';
// The catalogue, not the scenarios: listing loads no scenario's code.
import { scenarioCatalogue as scenarios } from '../scenario-catalogue.ts';

export async function run(args: string[]): Promise<number> {
  if (args.length > 0 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write('usage: leaselab list\n\nNames every scenario with one line; run one with: leaselab run <scenario>\n');
    return 0;
  }
  const width = Math.max(...scenarios.map((scenario) => scenario.name.length));
  let out = '';
  for (const scenario of scenarios) out += `  ${pc.bold(scenario.name.padEnd(width))}  ${scenario.summary}\n`;
  out += `\nrun one: leaselab run <scenario> [--seed N] [--verbose] [--json] [--html out.html]\n`;
  process.stdout.write(out);
  return 0;
}
