// The playground's runs in Node (the same code the browser bundle runs):
// deterministic, its replay line reruns the same case in `leaselab replay`,
// its link carries the setup, bad setups are refused, and the browser's
// Buffer stands in for Node's where the store uses it.
import { Buffer as NodeBuffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { etcdMutexFenced, naiveLock } from '../../src/client/lock-algorithm.ts';
import { decodeReplayCase, runReplayCase } from '../../src/explore/property.ts';
import {
  decodeSetup,
  encodeSetup,
  injectedFault,
  injectedServerRestart,
  lockReplayCase,
  runPlayground,
  setupProblem,
  type PlaygroundSetup,
} from '../../src/playground/playground-run.ts';
import { Buffer as ShimBuffer } from '../../src/playground/shims/buffer.ts';
import { lockSetup } from './lock-setup.ts';

describe('playground runs', () => {
  it('the same setup and injected faults give the same trace', async () => {
    const setup = lockSetup('naive', injectedFault('pause', 'alice', 1063, 9000));
    const a = await runPlayground(setup);
    const b = await runPlayground(structuredClone(setup));
    expect(a.traceDigest).toBe(b.traceDigest);
    expect(JSON.stringify(a.model)).toBe(JSON.stringify(b.model));
    const other = await runPlayground(lockSetup('naive', injectedFault('pause', 'alice', 1063, 2000)));
    expect(other.traceDigest).not.toBe(a.traceDigest);
  });

  it('a pause injected while alice holds breaks the naive lock and is rejected by the fenced one', async () => {
    const before = await runPlayground(lockSetup('naive'));
    expect(before.model.verdict.tone).toBe('ok');
    const held = before.model.beliefs.find((belief) => belief[0] === 0)!;
    const at = held[3] + 50;
    const naive = await runPlayground(lockSetup('naive', injectedFault('pause', 'alice', at, 9000)));
    expect(naive.model.verdict.tone).toBe('unsafe');
    expect(naive.model.overlaps.length).toBeGreaterThan(0);
    const fenced = await runPlayground(lockSetup('mutex-fenced', injectedFault('pause', 'alice', at, 9000)));
    expect(fenced.model.verdict.tone).toBe('safe');
    expect(fenced.model.verdict.text).toMatch(/^safe: the stale write was rejected: storage turned away alice's token/);
  });

  it("a lock run's replay line is the case `leaselab replay` runs, with the same trace", async () => {
    const setup = lockSetup('mutex-fenced', [...injectedFault('crash', 'bob', 3000, 4000), ...injectedFault('pause', 'alice', 1063, 9000)]);
    const run = await runPlayground(setup);
    const match = /^npx leaselab replay --lock mutex-fenced --schedule (\S+)$/.exec(run.replay);
    expect(match).not.toBeNull();
    const replayed = decodeReplayCase(match![1]!);
    expect(replayed).toEqual(lockReplayCase(setup));
    // faults in time order
    expect(replayed.schedule.map((entry) => entry.atMs)).toEqual([1063, 3000, 7000, 10_063]);
    const judged = await runReplayCase(etcdMutexFenced, replayed);
    expect(judged.run.trace.events.length).toBe(run.events);
    expect(judged.violations.map((violation) => violation.message)).toEqual(run.model.violations.map((violation) => violation.message));
    const naive = await runReplayCase(naiveLock, replayed);
    expect(naive.run.trace.events.length).not.toBe(0);
    // etcd restarting is one fault, in the replay too
    const restarted = await runPlayground(lockSetup('mutex', injectedServerRestart(3000, 2000)));
    expect(decodeReplayCase(restarted.replay.split(' ').at(-1)!).schedule).toEqual([{ atMs: 3000, fault: { kind: 'serverRestart', downMs: 2000 } }]);
    expect(restarted.model.serverUps).toEqual([[5000, expect.any(Number)]]);
  });

  it('a scenario replays with `leaselab run`, injected faults as --fault; faults --fault cannot say, with its link', async () => {
    const plain = await runPlayground({ mode: 'scenario', scenario: 'pause-breaks-lock', seed: 1, knobs: { ttlSeconds: 3 }, injected: [] });
    expect(plain.replay).toBe('npx leaselab run pause-breaks-lock --seed 1 --ttl 3');
    expect(plain.claims.length).toBeGreaterThan(3);
    const setup: PlaygroundSetup = {
      mode: 'scenario',
      scenario: 'lock-contention',
      seed: 1,
      knobs: {},
      injected: [...injectedFault('pause', 'alice', 1000, 9000), ...injectedServerRestart(500, 300)],
    };
    const injected = await runPlayground(setup, 'http://127.0.0.1:1/');
    expect(injected.replay).toBe('npx leaselab run lock-contention --seed 1 --fault pause:alice@1000+9000 --fault restart:etcd@500+300');
    expect(injected.model.faults.map((fault) => fault.label)).toContain('pause alice');
    // a hand-edited link's one-way partition is no --fault: the link replays it
    const oneWay: PlaygroundSetup = {
      mode: 'scenario',
      scenario: 'lock-contention',
      seed: 1,
      knobs: {},
      injected: [{ atMs: 1000, fault: { kind: 'partition', from: 'alice', to: 'server', oneWay: true } }],
    };
    const linked = await runPlayground(oneWay, 'http://127.0.0.1:1/');
    expect(linked.replay).toBe(`http://127.0.0.1:1/#${encodeSetup(oneWay)}`);
    expect(decodeSetup(linked.replay.split('#')[1]!)).toEqual(oneWay);
  });

  it("carries the scenario's question with the outcome read off this run, knobs included", async () => {
    const story = await runPlayground({ mode: 'scenario', scenario: 'pause-breaks-lock', seed: 1, knobs: {}, injected: [] });
    expect(story.prediction).toMatchObject({ question: 'Will two clients believe they hold /lock at the same time?', happened: true });
    expect(story.prediction!.setup).toContain('then her process is paused from 3.05 s to 11.05 s');
    const shortPause = await runPlayground({ mode: 'scenario', scenario: 'pause-breaks-lock', seed: 1, knobs: { pauseForMs: 3000 }, injected: [] });
    expect(shortPause.prediction).toMatchObject({ happened: false, detail: 'no: the beliefs never overlapped' });
    const lock = await runPlayground(lockSetup('naive'));
    expect(lock.prediction).toBeUndefined();
  });

  it('refuses bad setups with a sentence, before running anything', async () => {
    expect(setupProblem({ mode: 'scenario', scenario: 'nope', seed: 1, knobs: {}, injected: [] })).toBe("unknown scenario 'nope'");
    expect(setupProblem({ mode: 'scenario', scenario: 'lease-expiry', seed: 1, knobs: { pauseAtMs: 5 }, injected: [] })).toBe(
      'lease-expiry takes no pauseAt knob',
    );
    expect(setupProblem(lockSetup('bakery'))).toBe("unknown lock 'bakery': naive, mutex or mutex-fenced");
    expect(setupProblem({ ...lockSetup('naive'), clients: 0 })).toMatch(/^clients must be a whole number from 1 to \d+$/);
    expect(setupProblem({ ...lockSetup('naive'), seed: 1.5 })).toBe('the seed must be a whole number, got 1.5');
    expect(setupProblem({ mode: 'scenario', scenario: 'pause-breaks-lock', seed: 1, knobs: { pauseForMs: -5 }, injected: [] })).toBe(
      'pause for must be a whole number of ms >= 0',
    );
    await expect(runPlayground({ ...lockSetup('naive'), ttlSeconds: 0 })).rejects.toThrow('the TTL must be a whole number of seconds >= 1');
    expect(() => decodeSetup('bm9wZQ')).toThrow('not a playground setup');
    // the drift knob, with the CLI's bounds
    const drift = (driftRate: number): PlaygroundSetup => ({ mode: 'scenario', scenario: 'client-clock-drift', seed: 1, knobs: { driftRate }, injected: [] });
    expect(setupProblem(drift(0.05))).toMatch(/^the clock rate must be from 0.1 to 10/);
    expect(setupProblem(drift(2))).toBeUndefined();
    expect(setupProblem({ mode: 'scenario', scenario: 'lease-expiry', seed: 1, knobs: { driftRate: 2 }, injected: [] })).toBe(
      'lease-expiry takes no drift knob',
    );
  });

  it("the browser's Buffer answers like Node's where the store and the replay line use it", () => {
    const texts = ['', 'a', '/lock/694d7a1b', 'ünïcødé ✓', '\u0000\u00ff'];
    for (const text of texts) {
      expect(Array.from(ShimBuffer.from(text, 'latin1'))).toEqual(Array.from(NodeBuffer.from(text, 'latin1')));
      expect(ShimBuffer.from(text, 'utf8').toString('base64url')).toBe(NodeBuffer.from(text, 'utf8').toString('base64url'));
      expect(ShimBuffer.from(NodeBuffer.from(text).toString('base64url'), 'base64url').toString('utf8')).toBe(text);
      expect(ShimBuffer.byteLength(text)).toBe(NodeBuffer.byteLength(text));
      const bytes = new Uint8Array(NodeBuffer.from(text, 'latin1'));
      expect(ShimBuffer.prototype.latin1Slice.call(bytes, 0, bytes.length)).toBe(NodeBuffer.from(bytes).toString('latin1'));
    }
    const pairs: [number[], number[]][] = [
      [[], []],
      [[1], []],
      [
        [1, 2],
        [1, 3],
      ],
      [[2], [1, 9]],
      [
        [1, 2],
        [1, 2],
      ],
    ];
    for (const [a, b] of pairs)
      expect(ShimBuffer.compare(Uint8Array.from(a), Uint8Array.from(b))).toBe(NodeBuffer.compare(Uint8Array.from(a), Uint8Array.from(b)));
  });
});
