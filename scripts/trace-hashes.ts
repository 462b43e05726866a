/**
 * Hashes of what runs produce, to show a speed change left every trace byte
 * for byte as it was: the scenarios' traces (default seed and two more), the
 * determinism workload, the bench's Mutex contention with and without faults,
 * and explored lock cases (trace and verdict) for every built-in lock.
 *
 *   node --import tsx scripts/trace-hashes.ts [--quick]   # prints one hash per group, then all
 *
 * Compare the output before and after a change; any differing group names
 * the kind of run to look at.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { contend } from '../bench/sim.ts';
import { builtinLockAlgorithms } from '../src/client/lock-algorithm.ts';
import { exploreCaseArbitrary, replayCaseOf, runReplayCase } from '../src/explore/property.ts';
import { runScenario, scenarios } from '../src/scenarios/index.ts';
import { runFaultyWorkload } from '../test/sim/workload.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const scale = values.quick ? 1 : 4;

const groups: [string, () => AsyncIterable<string>][] = [
  [
    'scenarios',
    async function* () {
      for (const scenario of scenarios)
        for (const seed of [scenario.defaultSeed, 7, 1234]) yield `${scenario.name} ${seed}\n${(await runScenario(scenario, seed)).result.trace.toText()}`;
    },
  ],
  [
    'faulty workload',
    async function* () {
      for (let seed = 1; seed <= 25 * scale; seed++) yield (await runFaultyWorkload(seed)).trace.toText();
    },
  ],
  [
    'mutex contention',
    async function* () {
      for (const faults of [false, true]) yield (await contend(1, 30_000 * scale, faults)).trace.toText();
    },
  ],
  [
    'explored cases',
    async function* () {
      const cases = fc.sample(exploreCaseArbitrary({}), { seed: 1, numRuns: 10 * scale });
      for (const algorithm of builtinLockAlgorithms)
        for (const explored of cases) {
          const judged = await runReplayCase(algorithm, replayCaseOf(explored));
          yield `${algorithm.name}\n${judged.run.trace.toText()}\n${JSON.stringify(judged.violations)}`;
        }
    },
  ],
];

const all = createHash('sha256');
for (const [name, items] of groups) {
  const hash = createHash('sha256');
  let count = 0;
  for await (const item of items()) {
    hash.update(item).update('\0');
    count++;
  }
  const digest = hash.digest('hex').slice(0, 16);
  all.update(digest);
  process.stdout.write(`${name.padEnd(18)} ${String(count).padStart(4)} runs  ${digest}\n`);
}
process.stdout.write(`${'all'.padEnd(28)}  ${all.digest('hex').slice(0, 16)}\n`);
