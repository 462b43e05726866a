// The "what if" knobs' bounds: what knobProblem accepts, and that `leaselab run` draws the line at the
// same values (the playground reads knobProblem itself), so the command line and the page agree.
import { describe, expect, it } from 'vitest';
import { scenarios } from '../../src/scenarios/index.ts';
import { knobBounds, knobNames, knobProblem } from '../../src/scenarios/knob-bounds.ts';
import type { KnobName } from '../../src/scenarios/scenario.ts';
import { cli } from '../cli/in-process-cli.ts';

describe('knobBounds', () => {
  it('has one entry per knob, under its own name, each listed once for the form, with its own flag and field', () => {
    expect(Object.keys(knobBounds).sort()).toEqual([...knobNames].sort());
    expect(new Set(knobNames).size).toBe(knobNames.length);
    for (const name of knobNames) expect(knobBounds[name].name).toBe(name);
    const flags = knobNames.map((name) => knobBounds[name].flag);
    const fields = knobNames.map((name) => knobBounds[name].field);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(fields).size).toBe(fields.length);
  });
});

describe('knobProblem', () => {
  it('a whole knob takes integers from its minimum, nothing else', () => {
    expect(knobProblem('ttl', 1)).toBeUndefined();
    expect(knobProblem('ttl', 86_400)).toBeUndefined();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, '5', undefined, null])
      expect(knobProblem('ttl', bad), String(bad)).toBe('the TTL must be a whole number of seconds >= 1');
    for (const name of ['pauseAt', 'pauseFor', 'latency'] as const) {
      expect(knobProblem(name, 0)).toBeUndefined();
      expect(knobProblem(name, -1)).toBe(knobBounds[name].problem);
      expect(knobProblem(name, 0.5)).toBe(knobBounds[name].problem);
    }
  });

  it('the clock rate takes decimals from 0.1 to 10, ends included', () => {
    for (const good of [0.1, 0.5, 1, 2.75, 10]) expect(knobProblem('drift', good), String(good)).toBeUndefined();
    for (const bad of [0.09, 0, -1, 10.01, Number.NaN, '1'])
      expect(knobProblem('drift', bad), String(bad)).toBe("the clock rate must be from 0.1 to 10 (0.5: the client's clock runs at half speed)");
  });

  it('fenced is a boolean', () => {
    expect(knobProblem('fenced', true)).toBeUndefined();
    expect(knobProblem('fenced', false)).toBeUndefined();
    for (const bad of [1, 'true', undefined]) expect(knobProblem('fenced', bad)).toBe('fenced is on or off');
  });
});

describe('leaselab run draws the same lines', () => {
  /** The first scenario that takes `knob`. */
  const takes = (knob: KnobName) => scenarios.find((scenario) => scenario.knobs?.some((k) => k.name === knob))!.name;
  const usageError = 2;

  it.each(['ttl', 'pauseAt', 'pauseFor', 'latency'] as const)('%s: refuses just below the minimum and a fraction, takes the minimum', async (knob) => {
    const { flag, min } = knobBounds[knob];
    const scenario = takes(knob);
    for (const bad of [String(min! - 1), `${min}.5`]) {
      const refused = await cli('run', scenario, flag, bad);
      expect(refused.code, `${flag} ${bad}`).toBe(usageError);
      expect(refused.stderr).toContain(flag);
      expect(knobProblem(knob, Number(bad))).toBeDefined();
    }
    // taken: the run happens (its claims may not hold at such a value: exit 0 or 1)
    expect((await cli('run', scenario, flag, String(min))).code).not.toBe(usageError);
  });

  it('drift: refuses just outside 0.1 to 10', async () => {
    const scenario = takes('drift');
    for (const bad of ['0.09', '10.01']) {
      const refused = await cli('run', scenario, '--drift', bad);
      expect(refused.code, bad).toBe(usageError);
      expect(refused.stderr).toContain("--drift takes a clock rate from 0.1 to 10 (0.5: the client's clock runs at half speed)");
      expect(knobProblem('drift', Number(bad))).toBeDefined();
    }
  });
});
