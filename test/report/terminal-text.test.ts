import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findScenario, runScenario } from '../../src/scenarios/index.ts';
import { renderTextTimeline } from '../../src/report/text-timeline.ts';
import { iconLegend, terminalShowsIcons, toAscii, wrapLine } from '../../src/report/terminal-text.ts';

describe('terminal text', () => {
  it('wraps under the what column and never inside a highlighted banner', () => {
    const banner = '\u001b[7m ⚠ TWO HOLDERS of /lock:\u001b[27m';
    const line = `${' '.repeat(21)}${banner} alice (token 2, paused), bob (token 3), carol (token 9)`;
    const wrapped = wrapLine(line, 60, 21).split('\n');
    expect(wrapped.length).toBeGreaterThan(1);
    expect(wrapped[0]).toContain(banner);
    for (const part of wrapped) expect(stripVTControlCharacters(part).length).toBeLessThanOrEqual(60);
    for (const part of wrapped.slice(1)) expect(part.startsWith(' '.repeat(21))).toBe(true);
    expect(wrapLine('short', 60, 4)).toBe('short');
  });

  it('a scenario timeline at 80 columns: every line fits, the TWO HOLDERS banner whole', async () => {
    const { result } = await runScenario(findScenario('pause-breaks-lock')!);
    const text = renderTextTimeline(result.trace, { color: true, width: 80 });
    const lines = text.split('\n');
    const tooLong = lines.map(stripVTControlCharacters).filter((line) => line.length > 80 && line.trim().includes(' '));
    expect(tooLong).toEqual([]);
    expect(lines.some((line) => stripVTControlCharacters(line).includes('⚠ TWO HOLDERS of /lock:'))).toBe(true);
  });

  it('ASCII mode leaves no icon and no non-ASCII character; the legend names the icons used', async () => {
    const { result } = await runScenario(findScenario('fencing-saves-the-day')!);
    const ascii = renderTextTimeline(result.trace, { color: false, ascii: true, legend: true });
    expect(ascii).toMatch(/^[\x00-\x7f]*$/);
    expect(ascii).toContain('[L] believes it holds /lock');
    expect(ascii).toContain('icons: [L] believes it holds a lock');
    const icons = renderTextTimeline(result.trace, { color: false, legend: true });
    expect(icons).toContain('🔒 believes it holds /lock');
    expect(iconLegend(icons, false)).toContain('⏸ pause (stop-the-world)');
    expect(iconLegend('no icons here', false)).toBe('');
    expect(toAscii('a → b ≤ c “d”')).toBe('a -> b <= c "d"');
  });

  it('falls back to ASCII for TERM=dumb, a non-UTF-8 locale, or LEASELAB_ASCII', () => {
    expect(terminalShowsIcons({ LANG: 'en_US.UTF-8', TERM: 'xterm-256color' })).toBe(true);
    expect(terminalShowsIcons({})).toBe(true);
    expect(terminalShowsIcons({ TERM: 'dumb' })).toBe(false);
    expect(terminalShowsIcons({ LANG: 'C' })).toBe(false);
    expect(terminalShowsIcons({ LC_ALL: 'en_US.ISO-8859-1', LANG: 'en_US.UTF-8' })).toBe(false);
    expect(terminalShowsIcons({ LEASELAB_ASCII: '1' })).toBe(false);
  });
});
