// Each scenario asserts its story: run it with its default seed and every claim must hold.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario, scenarios } from '../../src/scenarios/index.ts';
import { traceToJson } from '../../src/report/trace-facts.ts';

describe('scenarios', () => {
  it('have unique kebab-case names, a one-line summary and a story', () => {
    const names = scenarios.map((scenario) => scenario.name);
    expect(new Set(names).size).toBe(names.length);
    for (const scenario of scenarios) {
      expect(scenario.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(scenario.summary).not.toContain('\n');
      expect(scenario.story.length).toBeGreaterThan(100);
    }
  });

  for (const scenario of scenarios) {
    it(`${scenario.name}: every claim of the story holds with seed ${scenario.defaultSeed}`, async () => {
      const { result, assertions } = await runScenario(scenario);
      expect(result.errors).toEqual([]);
      expect(assertions.length).toBeGreaterThanOrEqual(3);
      const failed = assertions.filter((assertion) => !assertion.holds).map((assertion) => `${assertion.claim} — ${assertion.detail}`);
      expect(failed).toEqual([]);
    });
  }

  it('the same seed gives the same trace, byte for byte', async () => {
    const scenario = scenarios.find((candidate) => candidate.name === 'pause-breaks-lock')!;
    const first = await runScenario(scenario);
    const second = await runScenario(scenario);
    expect(traceToJson(second.result.trace.events)).toBe(traceToJson(first.result.trace.events));
  });
});

const etcdSources = '/usr/share/gocode/src/go.etcd.io/etcd';

describe.skipIf(!existsSync(etcdSources))('scenario links to etcd 3.4 sources', () => {
  // `(*lessor).Renew` → `func (le *lessor) Renew(`; `waitDeletes` → `func waitDeletes(`
  function declared(source: string, func: string): boolean {
    const method = /^\((\*?)(\w+)\)\.(\w+)$/.exec(func);
    const pattern =
      method === null ? new RegExp(`^func ${func}\\(`, 'm') : new RegExp(`^func \\(\\w+ ${method[1] === '*' ? '\\*' : ''}${method[2]}\\) ${method[3]}\\(`, 'm');
    return pattern.test(source);
  }

  it('every scenario names the etcd file and function it shows, and they exist in etcd 3.4', () => {
    const missing: string[] = [];
    for (const scenario of scenarios) {
      expect(scenario.sources?.length ?? 0, `${scenario.name} links no etcd source`).toBeGreaterThan(0);
      for (const source of scenario.sources ?? []) {
        const path = `${etcdSources}/${source.file}`;
        if (!existsSync(path) || !declared(readFileSync(path, 'utf8'), source.func)) missing.push(`${scenario.name}: ${source.file} ${source.func}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('scenarios on other seeds', () => {
  // A story should not hang on one lucky schedule: its claims hold for other seeds too.
  for (const scenario of scenarios) {
    it(`${scenario.name}: claims hold for seeds 2–6`, async () => {
      for (let seed = 2; seed <= 6; seed++) {
        const { assertions } = await runScenario(scenario, seed);
        expect(assertions.filter((assertion) => !assertion.holds).map((assertion) => `seed ${seed}: ${assertion.claim} — ${assertion.detail}`)).toEqual([]);
      }
    });
  }
});
