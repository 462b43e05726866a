// explore's progress line: within 80 columns (or the terminal's width), a
// bar while searching, a spinner and a run count while shrinking and
// simplifying; plain lines when stderr is not a terminal.
import { describe, expect, it } from 'vitest';
import { ProgressLine } from '../../src/cli/progress-line.ts';

function stream(isTTY: boolean, columns?: number) {
  let text = '';
  return { write: (chunk: string) => void (text += chunk), isTTY, ...(columns !== undefined ? { columns } : {}), text: () => text };
}

/** What a terminal shows of each redraw: the text between carriage returns. */
const redraws = (text: string) => text.split('\r').filter((part) => part.trim() !== '');

describe('ProgressLine', () => {
  it('on a wide terminal: a bar and counts within 80 columns, then the shrinking phase with a spinner that moves', () => {
    const out = stream(true, 200);
    const line = new ProgressLine(out, 1000);
    line.update(412, 1);
    expect(line.text()).toMatch(/^explore \[█+░+\]  412\/1000 runs · 1 failed · \d+\.\ds$/);
    line.step('shrink', 'fenced');
    const first = line.text();
    line.step('shrink', 'fenced');
    expect(line.text()).toMatch(/^explore \S shrinking fenced: 2 run\(s\) · 1 failed · \d+\.\ds$/);
    line.step('simplify', 'fenced');
    expect(line.text()).toMatch(/simplifying fenced: 1 run\(s\)/);
    expect(line.text().slice(8, 9)).not.toBe(first.slice(8, 9)); // the spinner moved
    line.stop();
    for (const drawn of redraws(out.text())) expect(drawn.length).toBeLessThanOrEqual(80);
    expect(out.text().endsWith('\r')).toBe(true); // cleared: the next output starts at column 0
  });

  it('on a narrow terminal in ASCII: cut to its width, no icons', () => {
    const out = stream(true, 40);
    const line = new ProgressLine(out, 100_000, { ascii: true });
    line.update(5, 0);
    line.step('shrink', 'liveness');
    line.stop();
    for (const drawn of redraws(out.text())) expect(drawn.trimEnd().length).toBeLessThanOrEqual(39);
    expect(out.text()).not.toMatch(/[^\x00-\x7f]/);
  });

  it('not on a terminal: a line every tenth of the budget, and one when a phase starts and ends', () => {
    const out = stream(false);
    const line = new ProgressLine(out, 20);
    for (let runs = 1; runs <= 4; runs++) line.update(runs, 0);
    line.update(5, 1);
    line.step('shrink', 'belief');
    line.step('shrink', 'belief');
    line.step('shrink', 'belief');
    line.stop();
    const lines = out.text().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^explore: 2\/20 runs, 0 violation\(s\), [\d.]+s$/);
    expect(lines).toContain('explore: shrinking belief…');
    expect(lines.at(-1)).toMatch(/^explore: shrank belief in 3 run\(s\), [\d.]+s$/);
    expect(out.text()).not.toContain('\r');
  });
});
