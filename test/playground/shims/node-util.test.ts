// The browser's stripVTControlCharacters takes out what Node's does from the report code's output:
// picocolors' colours, 256-colour and true-colour codes, cursor and erase sequences.
import { stripVTControlCharacters as nodeStrip } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stripVTControlCharacters } from '../../../src/playground/shims/node-util.ts';
import { renderTextTimeline } from '../../../src/report/text-timeline.ts';
import { Sim } from '../../../src/sim/sim.ts';

describe('stripVTControlCharacters (browser)', () => {
  it("agrees with Node's on colour, cursor and erase sequences", () => {
    const samples = [
      'plain text, no escapes',
      '\u001b[31mred\u001b[39m and \u001b[1;32mbold green\u001b[0m',
      '\u001b[38;5;246mgrey\u001b[0m \u001b[48;2;10;20;30mtrue colour\u001b[49m',
      '\u001b[2K\u001b[1Gprogress 10/40\u001b[?25l\u001b[?25h',
      '\u009b31mC1 introducer\u009b0m',
      '\u001b(Bcharset',
      '⚡ ✓ ✗ “quotes” stay',
    ];
    for (const text of samples) expect(stripVTControlCharacters(text), JSON.stringify(text)).toBe(nodeStrip(text));
  });

  it("leaves a coloured timeline as Node's would", async () => {
    const sim = new Sim({ seed: 2 });
    sim.resource('storage');
    sim.process('alice', async ({ client, resource }) => {
      const { ID } = await client.grant(5);
      await client.put('/lock', 'alice', { lease: ID });
      await resource('storage').write(1, 'hello');
    });
    const coloured = renderTextTimeline((await sim.run()).trace, { color: true });
    expect(coloured).toContain('\u001b[');
    expect(stripVTControlCharacters(coloured)).toBe(nodeStrip(coloured));
    expect(stripVTControlCharacters(coloured)).not.toContain('\u001b');
  });
});
