// `leaselab run <scenario>` with "what if" knobs: the run changes, the claims
// are checked again and show their margins; knobs a scenario does not take
// and bad values are usage errors (exit 2).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cli } from './in-process-cli.ts';
import { runScenario, scenarios } from '../../src/scenarios/index.ts';

afterEach(() => vi.restoreAllMocks());

describe('leaselab run: what if', () => {
  it('a pause shorter than the TTL: no two holders, and the claims say by how much they missed', async () => {
    const { code, stdout } = await cli('run', 'pause-breaks-lock', '--pause-for', '3000');
    expect(code).toBe(1);
    expect(stdout).toContain('what if: pause for 3000 ms');
    expect(stdout).toContain('✗ two clients believed they held the lock at once');
    expect(stdout).toMatch(/lease expired \d+\.\d+s: \d+\.\d+ s after she woke/);
    expect(stdout).toContain('claim(s) did not hold with seed 1 (what if: pause for 3000 ms)');
  });

  it('the default run shows its margins too', async () => {
    const { code, stdout } = await cli('run', 'pause-breaks-lock');
    expect(code).toBe(0);
    expect(stdout).toMatch(/lease expired 7\.500s: 3\.550 s before she woke/);
    expect(stdout).not.toContain('what if:');
  });

  it('fencing turned off: the stale write lands; fencing turned on in delayed-write: it is rejected', async () => {
    const unfenced = await cli('run', 'fencing-saves-the-day', '--unfenced');
    expect(unfenced.code).toBe(1);
    expect(unfenced.stdout).toContain("✗ the storage rejected alice's stale write");
    const fenced = await cli('run', 'delayed-write', '--fenced');
    expect(fenced.code).toBe(0);
    expect(fenced.stdout).toContain("✓ the storage, checking tokens, rejected alice's late write: bob's update stands");
  });

  it('another TTL: the expiry moves with it, still at the first sweep after the deadline', async () => {
    const { code, stdout } = await cli('run', 'lease-expiry', '--ttl', '3');
    expect(code).toBe(0);
    expect(stdout).toContain('✓ the lease was granted with TTL 3 s');
    expect(stdout).toMatch(/expired at 3\.500s: 496 ms after its deadline/);
    const short = await cli('run', 'lease-expiry', '--ttl', '1');
    expect(short.code).toBe(1);
    expect(short.stdout).toContain("etcd's minimum TTL is 2 s");
  });

  it('a longer TTL and slower network in crash-releases-lock: the bound holds, with the time to spare', async () => {
    const { code, stdout } = await cli('run', 'crash-releases-lock', '--ttl', '10', '--latency', '40');
    expect(code).toBe(0);
    expect(stdout).toMatch(/bound 13\.550s: \d+\.\d+ s to spare/);
  });

  it('knobs a scenario does not take, bad values and --fenced with --unfenced are usage errors', async () => {
    const none = await cli('run', 'watch-sees-expiry', '--ttl', '3');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('watch-sees-expiry takes no --ttl');
    const other = await cli('run', 'crash-releases-lock', '--pause-for', '3');
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('it takes --ttl (5 s), --latency (1–5 ms)');
    expect((await cli('run', 'pause-breaks-lock', '--ttl', 'x')).code).toBe(2);
    expect((await cli('run', 'pause-breaks-lock', '--ttl', '0')).code).toBe(2);
    expect((await cli('run', 'pause-breaks-lock', '--fenced', '--unfenced')).code).toBe(2);
  });

  it('every knob a scenario declares changes its run', async () => {
    const values = {
      ttl: { ttlSeconds: 7 },
      pauseAt: { pauseAtMs: 2000 },
      pauseFor: { pauseForMs: 2000 },
      latency: { latencyMs: 30 },
      drift: { driftRate: 2 },
      fenced: {},
    } as const;
    for (const scenario of scenarios) {
      const base = (await runScenario(scenario)).result.trace.toText();
      for (const knob of scenario.knobs ?? []) {
        const knobs = knob.name === 'fenced' ? { fenced: knob.default !== 'fenced' } : values[knob.name];
        const changed = (await runScenario(scenario, scenario.defaultSeed, knobs)).result.trace.toText();
        expect(changed, `${scenario.name} --${knob.name}`).not.toBe(base);
      }
    }
  });
});

describe('leaselab run --ascii', () => {
  it('prints the story, timeline and claims in ASCII, with the icon legend', async () => {
    const { code, stdout } = await cli('run', 'pause-breaks-lock', '--ascii');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\x00-\x7f]*$/);
    expect(stdout).toContain('!! TWO HOLDERS of /lock:');
    expect(stdout).toContain('  + two clients believed they held the lock at once');
    expect(stdout).toContain('icons: [L] believes it holds a lock');
  });
});
