import { describe, expect, it } from 'vitest';
import { SimGlobals } from '../../src/explore/sim-globals.ts';

/** Enough of a world for SimGlobals: a random stream that always draws 0.25, virtual time 0, simulating. */
const fakeWorld = { random: { stream: () => ({ next: () => 0.25 }) }, nowMs: 0, scheduler: { simulating: true } } as never;

describe('SimGlobals', () => {
  it('replaces Math.random, Date.now and the four timer functions while installed, and puts the real ones back', () => {
    const names = ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] as const;
    const realRandom = Math.random;
    const realDateNow = Date.now;
    const realTimers = names.map((name) => globalThis[name]);
    const restore = new SimGlobals(fakeWorld).install();
    const replaced = [Math.random, Date.now, ...names.map((name) => globalThis[name])];
    restore();
    expect(replaced).not.toContain(realRandom);
    expect(replaced).not.toContain(realDateNow);
    for (const timer of realTimers) expect(replaced).not.toContain(timer);
    expect([Math.random, Date.now, ...names.map((name) => globalThis[name])]).toEqual([realRandom, realDateNow, ...realTimers]);
  });

  it('nest: an inner install leaves the outer one in place, both note the sharing', () => {
    const realRandom = Math.random;
    const outer = new SimGlobals(fakeWorld);
    const restoreOuter = outer.install();
    const inner = new SimGlobals(fakeWorld);
    const restoreInner = inner.install();
    expect(Math.random()).toBe(0.25);
    restoreInner();
    expect(Math.random).not.toBe(realRandom);
    restoreOuter();
    expect(Math.random).toBe(realRandom);
    expect(outer.shared && inner.shared).toBe(true);
  });
});
