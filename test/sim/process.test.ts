import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { bytes, transportSim } from './helpers.ts';

describe('crash and restart', () => {
  it('loses pending calls and timers; a request already sent is still applied; restart runs main afresh', async () => {
    const sim = transportSim({ seed: 1, msMax: 10_000, network: { latencyMs: 10 } });
    sim.process('alice', async (ctx) => {
      ctx.log(`start ${ctx.incarnation}`);
      if (ctx.incarnation > 1) return;
      void ctx.sleep(100).then(() => ctx.log('timer fired'));
      await ctx.client.call('put', { key: bytes('k'), value: bytes('v') });
      ctx.log('put answered'); // never: the crash comes first
    });
    sim.at(5, (world) => world.crash('alice'));
    sim.at(50, (world) => world.restart('alice'));
    const { trace, endedBy, world } = await sim.run();
    expect(endedBy).toBe('done');
    const text = trace.toText();
    expect(text).not.toContain('put answered');
    expect(text).not.toContain('timer fired');
    expect(trace.ofKind('log').map((event) => `${event.process}#${event.incarnation} ${event.message}`)).toEqual(['alice#1 start 1', 'alice#2 start 2']);
    // in flight at the crash: applied at 10, its answer reached a dead incarnation at 20
    expect(fromUtf8(world.store.range({ key: bytes('k') }).kvs[0]!.value)).toBe('v');
    expect(trace.ofKind('message-dropped')).toEqual([
      { kind: 'message-dropped', atMs: 20, from: 'server', to: 'alice', message: 'response #1', reason: 'stale-incarnation' },
    ]);
  });

  it('ends "done" once every process has exited or crashed with no restart to come', async () => {
    const sim = transportSim({ seed: 1, msMax: 100_000 });
    sim.process('alice', (ctx) => ctx.sleep(1_000_000));
    sim.process('bob', (ctx) => ctx.sleep(2000));
    sim.at(3000, (world) => world.crash('alice'));
    const { endedBy, stats } = await sim.run();
    expect(endedBy).toBe('done');
    expect(stats.virtualMs).toBe(3000);
  });
});

describe('pause and resume', () => {
  it('stops the process while time runs: timers and messages wait and run in order on resume, the clock has moved on', async () => {
    const sim = transportSim({ seed: 1, msMax: 20_000, network: { latencyMs: 100 } });
    sim.process('alice', async (ctx) => {
      for (let i = 0; i < 4; i++) {
        await ctx.sleep(1000);
        ctx.log(`tick at local ${ctx.now()}`);
      }
    });
    sim.process('bob', async (ctx) => {
      await ctx.sleep(2450);
      const response = await ctx.client.call('put', { key: bytes('k'), value: bytes('v') });
      ctx.log(`put answered at local ${ctx.now()} rev ${response.header.revision}`);
    });
    sim.at(2500, (world) => world.pause('alice'));
    sim.at(2500, (world) => world.pause('bob'));
    sim.at(6000, (world) => world.resume('alice'));
    sim.at(6000, (world) => world.resume('bob'));
    const { trace } = await sim.run();
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.process} ${event.message}`)).toEqual([
      '1000 alice tick at local 1000',
      '2000 alice tick at local 2000',
      // the put reached the server at 2550 while bob was paused; its answer (2650) waited for the resume
      '6000 alice tick at local 6000',
      '6000 bob put answered at local 6000 rev 2',
      '7000 alice tick at local 7000',
    ]);
  });

  it('runs a process on its drifting clock', async () => {
    const sim = transportSim({ seed: 1, msMax: 20_000 });
    sim.process(
      'fast',
      async (ctx) => {
        await ctx.sleep(1000);
        ctx.log(`local ${ctx.now()}`);
      },
      { clock: { driftRate: 2, offsetMs: 500 } },
    );
    sim.at(0, (world) => world.drift('fast', { jumpMs: 100 }));
    const { trace } = await sim.run();
    // local 600 at virtual 0; 1600 is reached at virtual 500
    expect(trace.ofKind('log').map((event) => `${event.atMs} ${event.message}`)).toEqual(['500 local 1600']);
  });
});
