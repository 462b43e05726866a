/**
 * The CLI's scenario catalogue (src/cli/scenario-catalogue.ts) names the
 * scenarios without loading them; it must say what the scenarios say, in
 * the same order, and load the very scenario it names.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exerciseCatalogue } from '../../src/cli/exercise-catalogue.ts';
import { scenarioCatalogue } from '../../src/cli/scenario-catalogue.ts';
import { exercises } from '../../src/exercises/index.ts';
import { scenarios } from '../../src/scenarios/index.ts';

describe('scenario catalogue', () => {
  it('names every scenario, in order, with the same title, summary, knobs and question', () => {
    expect(scenarioCatalogue.map((entry) => entry.name)).toEqual(scenarios.map((scenario) => scenario.name));
    for (const [index, scenario] of scenarios.entries()) {
      const entry = scenarioCatalogue[index]!;
      expect({ title: entry.title, summary: entry.summary, knobs: entry.knobs, asksPrediction: entry.asksPrediction }).toEqual({
        title: scenario.title,
        summary: scenario.summary,
        knobs: scenario.knobs,
        asksPrediction: scenario.prediction !== undefined,
      });
    }
  });

  it('loads the scenario each entry names', async () => {
    for (const [index, entry] of scenarioCatalogue.entries()) expect(await entry.load()).toBe(scenarios[index]);
  });

  it('names every exercise, in order, with the same summary, and loads it', async () => {
    expect(exerciseCatalogue.map((entry) => [entry.name, entry.summary])).toEqual(exercises.map((exercise) => [exercise.name, exercise.summary]));
    for (const [index, entry] of exerciseCatalogue.entries()) expect(await entry.load()).toBe(exercises[index]);
  });

  const built = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
  it.skipIf(!existsSync(built))('`leaselab list` loads no scenario module (built dist/; skipped when dist/ is missing: npm run build)', () => {
    // A module-load probe: list every ESM module the command loads.
    const probe =
      "import{register}from'node:module';register('data:text/javascript,'+encodeURIComponent(" +
      "\"export async function load(u,c,n){if(u.startsWith('file:'))process.stderr.write('loaded '+u+'\\\\n');return n(u,c)}\"));";
    const bin = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, bin, 'list'], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    const loaded = child.stderr.split('\n').filter((line) => line.startsWith('loaded '));
    expect(loaded.some((line) => line.includes('/dist/cli/commands/list.js'))).toBe(true);
    // A scenario is its tsc output in dist/scenarios/, or in the bundled commands a chunk named after its file (scripts/build-cli-bundle.mjs).
    const scenarioChunk = new RegExp(`/dist/cli/chunks/(${scenarioCatalogue.map((entry) => entry.name).join('|')})-\\w+\\.js$`);
    expect(loaded.filter((line) => line.includes('/dist/scenarios/') || scenarioChunk.test(line))).toEqual([]);
    expect(child.stdout).toContain('lease-expiry');
  });
});
