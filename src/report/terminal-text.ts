/**
 * Text for terminals: icons with an ASCII fallback and a legend of the ones
 * used, and wrapping to the terminal's width with a hanging indent, never
 * inside a highlighted banner.
 *
 *   🔒 believes it holds   →  [L] believes it holds       (--ascii, or a terminal that cannot show them)
 *   a 120-column line      →  wrapped at 80, continued under the `what` column
 */
import { stripVTControlCharacters } from 'node:util';

/** Each icon the timelines print, its ASCII stand-in and what it means: a row each. */
const iconTable = `
🔒  [L]  believes it holds a lock
🔓  [U]  releases or learns it lost a lock
⚠   !!   two holders, or a stale write accepted
⏸   ||   pause (stop-the-world)
▶   |>   resume
💥  XX   crash
✂   %<   partition
🔗  ==   heal
↻   <>   etcd restarts
⌛  (T)  lease expired at the sweep
⚡  **   another fault
✓   +    holds / accepted
✗   x    fails / rejected
`;

/** Each icon the timelines print, its ASCII stand-in and what it means. */
export const terminalIcons: readonly { icon: string; ascii: string; meaning: string }[] = iconTable
  .trim()
  .split('\n')
  .map((row) => {
    const [, icon, ascii, meaning] = /^(\S+) +(\S+) +(.+)$/u.exec(row)!;
    return { icon: icon!, ascii: ascii!, meaning: meaning! };
  });

/** Other non-ASCII characters and their stand-ins. */
const asciiCharacters: Record<string, string> = {
  '→': '->',
  '←': '<-',
  '↔': '<->',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
  '…': '...',
  '“': '"',
  '”': '"',
  '–': '-',
  '—': '-',
  '·': '-',
  '\u00a0': ' ',
};

const iconPattern = new RegExp(`${terminalIcons.map((entry) => entry.icon).join('|')}|[${Object.keys(asciiCharacters).join('')}]`, 'gu');

/** The text with every icon and typographic character in ASCII. */
export function toAscii(text: string): string {
  return text.replace(iconPattern, (match) => terminalIcons.find((entry) => entry.icon === match)?.ascii ?? asciiCharacters[match] ?? match);
}

/** One line naming the icons that appear in `text`: `icons: 🔒 believes it holds a lock · ⏸ pause …`. */
export function iconLegend(text: string, ascii: boolean): string {
  const used = terminalIcons.filter((entry) => text.includes(entry.icon));
  if (used.length === 0) return '';
  return `icons: ${used.map((entry) => `${ascii ? entry.ascii : entry.icon} ${entry.meaning}`).join(ascii ? '; ' : ' · ')}\n`;
}

/**
 * Whether the terminal can show the icons: not when LEASELAB_ASCII is set,
 * TERM is `dumb`, or the locale is not UTF-8.
 */
export function terminalShowsIcons(env: Record<string, string | undefined> = process.env): boolean {
  if (env.LEASELAB_ASCII !== undefined && env.LEASELAB_ASCII !== '' && env.LEASELAB_ASCII !== '0') return false;
  if (env.TERM === 'dumb') return false;
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return locale === '' || /utf-?8/i.test(locale);
}

const inverseOn = '\u001b[7m';
const inverseOff = '\u001b[27m';

/** Words of a line, keeping a highlighted (inverse) banner in one piece. */
function words(text: string): string[] {
  const out: string[] = [];
  let word = '';
  let inBanner = false;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(inverseOn, i)) inBanner = true;
    if (text.startsWith(inverseOff, i)) inBanner = false;
    const ch = text[i]!;
    if (ch === ' ' && !inBanner) {
      out.push(word);
      word = '';
    } else word += ch;
  }
  out.push(word);
  return out;
}

/**
 * Wrap one line to `width` columns: the first `indent` columns (time, who)
 * stay, the rest flows under them. A word longer than the room stays whole.
 */
export function wrapLine(line: string, width: number, indent: number): string {
  if (stripVTControlCharacters(line).length <= width) return line;
  const room = Math.max(20, width - indent);
  const head = sliceVisible(line, indent);
  const rest = line.slice(head.length);
  const lines: string[] = [];
  let current = '';
  let currentLength = 0;
  for (const word of words(rest)) {
    const length = stripVTControlCharacters(word).length;
    if (currentLength > 0 && currentLength + 1 + length > room) {
      lines.push(current);
      current = word;
      currentLength = length;
    } else {
      current = currentLength > 0 || current !== '' ? `${current} ${word}` : word;
      currentLength += (currentLength > 0 ? 1 : 0) + length;
    }
  }
  lines.push(current);
  return lines.map((part, index) => (index === 0 ? head + part : ' '.repeat(indent) + part)).join('\n');
}

/** The prefix of `text` that shows `columns` visible characters (escape codes kept). */
function sliceVisible(text: string, columns: number): string {
  let visible = 0;
  let i = 0;
  while (i < text.length && visible < columns) {
    if (text[i] === '\u001b') {
      const end = text.indexOf('m', i);
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    visible++;
    i++;
  }
  return text.slice(0, i);
}

/** Wrap every line of a block (each with the same indent). */
export function wrapBlock(text: string, width: number, indent: number): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, width, indent))
    .join('\n');
}
