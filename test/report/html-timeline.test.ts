import { describe, expect, it } from 'vitest';
import { findScenario, runScenario } from '../../src/scenarios/index.ts';
import { renderHtmlTimeline } from '../../src/index.ts';

async function page(name: string) {
  const run = await runScenario(findScenario(name)!);
  return renderHtmlTimeline(run.result.trace, { title: name, description: ['a <story> & more'], assertions: run.assertions });
}

const count = (html: string, needle: string) => html.split(needle).length - 1;

describe('renderHtmlTimeline', () => {
  it('is a self-contained page with one svg and a lane per process, the server and each resource', async () => {
    const html = await page('lock-contention');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(count(html, '<svg')).toBe(1);
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(count(html, 'class="lane"')).toBe(4 + 1 + 1);
    for (const lane of ['alice', 'bob', 'carol', 'dave', 'server', 'storage']) expect(html).toContain(`>${lane}</text>`);
    expect(count(html, 'class="belief"')).toBe(4);
    expect(html).not.toContain('class="overlap"');
    expect(count(html, 'class="write"')).toBe(4);
  });

  it('draws overlapping beliefs in red, the pause as a shaded region and the stale write as a warning', async () => {
    const html = await page('pause-breaks-lock');
    expect(count(html, 'class="overlap"')).toBe(2);
    expect(html).toContain('TWO HOLDERS of /lock');
    expect(html).toContain('class="fault fault-pause"');
    expect(html).toContain('class="write-stale"');
    expect(html).toContain('class="expiry"');
  });

  it('marks a rejected write, escapes text and lists the claims', async () => {
    const html = await page('fencing-saves-the-day');
    expect(html).toContain('class="write-rejected"');
    expect(html).toContain('a &lt;story&gt; &amp; more');
    expect(html).toContain('✓ the storage rejected alice&#39;s stale write');
  });
});
