/**
 * The timeline excerpt of an explored case, in `run`'s words: the same
 * renderer as `leaselab run` (🔒 believes it holds, ⌛ expired at the sweep,
 * TWO HOLDERS, calls with their answers), cut to the seconds around the
 * violation, the violating line marked ◀, and each storage write that spent
 * a while in the network shown with the time it was sent.
 *
 *      7.300s  storage  ⚠ accepted STALE write "w3" from bob, token 4 after token 5 (it does not check tokens) (sent 1.204s)   ◀
 *
 * The whole trace up to the end of the window is rendered (so who holds what
 * is right at the first line shown) and lines before the window are dropped,
 * faults excepted.
 */
import { iconLegend } from '../report/terminal-text.ts';
import { renderTextTimeline } from '../report/text-timeline.ts';
import type { Violation } from '../explore/judge.ts';
import type { Trace, TraceEvent } from '../sim/trace.ts';

export interface ExcerptOptions {
  /** @defaultValue 12_000 */
  beforeMs?: number;
  /** @defaultValue 1_000 */
  afterMs?: number;
  /** Event lines kept at most (the latest). @defaultValue 60 */
  linesMax?: number;
  /** Wrap to this many columns. */
  width?: number;
}

/** A write counts as held in the network when it arrived this long after it was sent. */
const sentLateMs = 100;

const lineStart = /^ *(\d+)\.(\d{3})s {2}(\S+)/;

interface Group {
  atMs: number;
  who: string;
  lines: string[];
}

const sec = (ms: number) => `${(ms / 1000).toFixed(3)}s`;

/** A group's text as one line (wrapped lines joined). */
function textOf(group: Group): string {
  return group.lines.map((line) => line.trim()).join(' ');
}

/** Add `note` after the group's last line, or on a line of its own under the `what` column when that would pass `width`. */
function mark(group: Group, note: string, width: number | undefined, whatColumn: number): void {
  const last = group.lines.length - 1;
  if (width === undefined || [...group.lines[last]!].length + 1 + note.length <= width) group.lines[last] += ` ${note}`;
  else group.lines.push(`${' '.repeat(whatColumn)}${note.trim()}`);
}

/** The process whose line shows the violation: the writer (fenced), the second holder (belief), the crashed one. */
function violatorOf(violation: Violation | undefined): string | undefined {
  if (violation === undefined) return undefined;
  if (violation.property === 'belief') return violation.processes[1];
  return violation.processes[0];
}

export function explainedExcerpt(trace: Trace, atMs: number, violation: Violation | undefined, options: ExcerptOptions = {}): string {
  const fromMs = atMs - (options.beforeMs ?? 12_000);
  const toMs = atMs + (options.afterMs ?? 1_000);
  const events: TraceEvent[] = [];
  for (const event of trace.events) {
    if (event.atMs > toMs) break;
    events.push(event);
  }
  const rendered = renderTextTimeline(events, { color: false, ...(options.width !== undefined ? { width: options.width } : {}) });
  const header = rendered.split('\n')[0]!;
  const whatColumn = Math.max(0, header.indexOf('what'));
  const groups: Group[] = [];
  for (const line of rendered.split('\n')) {
    const start = lineStart.exec(line);
    if (start !== null) groups.push({ atMs: Number(start[1]) * 1000 + Number(start[2]), who: start[3]!, lines: [line] });
    else if (groups.length > 0 && line.startsWith(' ')) groups.at(-1)!.lines.push(line);
  }
  // A write held in the network: say when it left.
  for (const event of events) {
    if (event.kind !== 'resource-write' || event.atMs < fromMs || event.atMs - event.sentAtMs < sentLateMs) continue;
    const group = groups.find(
      (candidate) =>
        candidate.atMs === Math.floor(event.atMs) &&
        candidate.who === event.resource &&
        textOf(candidate).includes(`write ${JSON.stringify(event.value)} from ${event.process}`),
    );
    if (group !== undefined) mark(group, `(sent ${sec(event.sentAtMs)})`, options.width, whatColumn);
  }
  // The workload logs 'acquiring' before every attempt: the calls and the belief lines say it already.
  const kept = groups.filter((group) => (group.atMs >= fromMs || group.who === 'fault') && !group.lines[0]!.endsWith('“acquiring”'));
  const violator = violatorOf(violation);
  const marked = kept.find(
    (group) =>
      group.atMs === Math.floor(atMs) &&
      (violator === undefined || group.who === violator || group.who.startsWith(`${violator}#`) || new RegExp(`\\bfrom ${violator}\\b`).test(textOf(group))),
  );
  if (marked !== undefined) mark(marked, '  ◀', options.width, whatColumn);
  const linesMax = options.linesMax ?? 60;
  const shown = kept.length > linesMax ? kept.slice(-linesMax) : kept;
  const body = `${header}\n${kept.length > linesMax ? `  … ${kept.length - linesMax} earlier line(s)\n` : ''}${shown.flatMap((group) => group.lines).join('\n')}\n`;
  // The icons named, as run names them (in ASCII too, once the CLI turns the report to ASCII).
  return `${body}${iconLegend(body, false)}`;
}
