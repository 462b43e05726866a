// The excerpt explore prints for a case: run's timeline cut to a window around the violation, the
// violating line marked, a write held in the network shown with when it was sent.
import { describe, expect, it } from 'vitest';
import { explainedExcerpt } from '../../src/cli/explore-excerpt.ts';
import type { Violation } from '../../src/explore/judge.ts';
import { Sim } from '../../src/sim/sim.ts';
import type { Trace } from '../../src/sim/trace.ts';

/**
 * alice writes token 5 at 1 s; bob sends token 3 at 2 s, but his link to the storage is held from
 * 1.5 s to 4 s, so it lands (and is rejected) at 4 s.
 */
async function heldWrite(): Promise<Trace> {
  const sim = new Sim({ seed: 1 });
  sim.resource('storage');
  sim.process('alice', async ({ resource, sleep, log }) => {
    log('acquiring');
    await sleep(1000);
    await resource('storage').write(5, 'from alice');
  });
  sim.process('bob', async ({ resource, sleep, log }) => {
    await sleep(2000);
    log('writing late');
    await resource('storage').write(3, 'from bob');
  });
  sim.faults([
    { atMs: 1500, fault: { kind: 'hold', from: 'bob', to: 'storage' } },
    { atMs: 4000, fault: { kind: 'release', from: 'bob', to: 'storage' } },
  ]);
  return (await sim.run()).trace;
}

const fenced = (atMs: number): Violation => ({ property: 'fenced', verdict: 'bug', atMs, processes: ['bob'], message: 'stale write' });
const lines = (text: string) => text.trimEnd().split('\n');

describe('explainedExcerpt', () => {
  it("marks the violator's line, shows when a held write was sent, and drops the workload's “acquiring” lines", async () => {
    const trace = await heldWrite();
    const write = trace.events.find((event) => event.kind === 'resource-write' && event.process === 'bob')!;
    expect([write.atMs, write.kind === 'resource-write' && write.sentAtMs]).toEqual([4000, 2000]);
    const excerpt = lines(explainedExcerpt(trace, 4000, fenced(4000)));
    expect(excerpt[0]).toMatch(/^ +time {2}who +what$/);
    const marked = excerpt.filter((line) => line.endsWith('◀'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(/^ {2}4\.000s {2}storage .*write "from bob" from bob.* \(sent 2\.000s\) {3}◀$/);
    expect(excerpt.some((line) => line.includes('acquiring'))).toBe(false);
    expect(excerpt.some((line) => line.includes('“writing late”'))).toBe(true);
    // alice's write was not held: no sent time on it
    expect(excerpt.find((line) => line.includes('"from alice"'))).not.toContain('(sent');
    // the icons used, named, as run names them
    expect(excerpt.at(-1)).toMatch(/^icons: /);
  });

  it('keeps the window around the violation, and the faults before it', async () => {
    const trace = await heldWrite();
    const excerpt = explainedExcerpt(trace, 4000, fenced(4000), { beforeMs: 500, afterMs: 0 });
    expect(excerpt).not.toContain('writing late'); // 2 s: before the window
    expect(excerpt).toContain('1.500s  fault'); // a fault before the window stays
    expect(excerpt).not.toContain('exited'); // 4.001 s: after it
    expect(excerpt).toContain('release bob');
  });

  it('keeps the latest lines when there are too many, saying how many went', async () => {
    const trace = await heldWrite();
    const full = lines(explainedExcerpt(trace, 4000, fenced(4000)));
    const cut = lines(explainedExcerpt(trace, 4000, fenced(4000), { linesMax: 2 }));
    const events = full.slice(1, -1); // without the header and the legend
    expect(cut[1]).toBe(`  … ${events.length - 2} earlier line(s)`);
    expect(cut.slice(2, 4)).toEqual(events.slice(-2));
  });

  it("for a belief violation marks the second holder's line", async () => {
    const trace = await heldWrite();
    const belief: Violation = { property: 'belief', verdict: 'bug', atMs: 2000, processes: ['alice', 'bob'], message: 'two holders' };
    const marked = lines(explainedExcerpt(trace, 2000, belief)).filter((line) => line.endsWith('◀'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toMatch(/^ {2}2\.000s {2}bob +“writing late” {3}◀$/);
  });

  it('wraps to the width, notes included: a note that would pass it goes on a line of its own, under the what column', async () => {
    const trace = await heldWrite();
    let ownLine = 0;
    for (let width = 40; width <= 80; width++) {
      const excerpt = lines(explainedExcerpt(trace, 4000, fenced(4000), { width }));
      const whatColumn = excerpt[0]!.indexOf('what');
      const over = excerpt.filter((line) => !line.startsWith('icons:') && [...line].length > width);
      expect(over, `width ${width}`).toEqual([]);
      expect(
        excerpt.filter((line) => line.endsWith('◀')),
        `width ${width}`,
      ).toHaveLength(1);
      expect(excerpt.join('\n'), `width ${width}`).toContain('(sent 2.000s)');
      if (excerpt.includes(`${' '.repeat(whatColumn)}◀`) || excerpt.includes(`${' '.repeat(whatColumn)}(sent 2.000s)`)) ownLine++;
    }
    expect(ownLine).toBeGreaterThan(0);
  });
});
