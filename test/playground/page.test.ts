// The playground page as built: one self-contained file (no network, no
// external files), every scenario and lock to pick, the viewer and the bundle
// inline, small enough to open at once.
import { describe, expect, it } from 'vitest';
import { bundlePlayground } from '../../src/playground/bundle.ts';
import { knobInputId, playgroundHtml } from '../../src/playground/page.ts';
import { knobBounds } from '../../src/scenarios/knob-bounds.ts';
import { playgroundLocks } from '../../src/playground/playground-run.ts';
import { scenarios } from '../../src/scenarios/index.ts';

describe('the playground page', () => {
  it('bundles the simulator for the browser into one self-contained page under 1 MB', async () => {
    const bundle = await bundlePlayground();
    // the Node modules the shared code imports are answered by the shims, not left as imports
    expect(bundle).not.toMatch(/\brequire\(["']node:|from ?["']node:/);
    const html = playgroundHtml(bundle);
    expect(html.length).toBeLessThan(1_000_000);
    // nothing the browser would load from elsewhere (the analyses' addresses are shown as text, not loaded)
    expect(html).not.toMatch(/\bsrc=["']?(https?:)?\/\/|<link\b|@import|url\(["']?(https?:)?\/\/|\bfetch\(|XMLHttpRequest|new WebSocket/);
    // one script element per part: the viewer and the bundle (and the JSON data), none closed early
    expect(html.match(/<script\b/g)).toHaveLength(4);
    expect(html.match(/<\/script>/g)).toHaveLength(4);
    for (const scenario of scenarios) expect(html).toContain(`<option value="scenario:${scenario.name}">`);
    for (const lock of Object.keys(playgroundLocks)) expect(html).toContain(`<option value="lock:${lock}">`);
  }, 30_000);

  it("draws an input for every knob a scenario declares, with the CLI's bounds", () => {
    const html = playgroundHtml('');
    for (const scenario of scenarios)
      for (const knob of scenario.knobs ?? []) {
        const bounds = knobBounds[knob.name];
        const id = knobInputId(knob.name);
        if (bounds.kind === 'switch') expect(html, `${scenario.name} ${knob.name}`).toContain(`<select id="${id}">`);
        else {
          const input = new RegExp(`<input type="number" id="${id}"([^>]*)>`).exec(html);
          expect(input, `${scenario.name} ${knob.name}`).not.toBeNull();
          if (bounds.min !== undefined) expect(input![1]).toContain(` min="${bounds.min}"`);
          if (bounds.max !== undefined) expect(input![1]).toContain(` max="${bounds.max}"`);
        }
      }
    expect(html).toContain('<input type="number" id="pg-drift" min="0.1" max="10"');
  });
});
