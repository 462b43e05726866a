/**
 * A run as an interactive page: one self-contained HTML file (inline CSS and
 * JS, the run's facts as embedded JSON; no network, no external files) that
 * draws the timeline viewer of src/report/timeline-viewer.js:
 *
 *   ┌ verdict ─ "safe: the stale write was rejected: storage turned away alice's token 3 …" ┐
 *   alice    ▆▆▆ holds /lock · token 3 ▆▆▆▆▆▆▆▆▆▆▆▆│        lane: belief, calls, lease (server | client), link
 *            [put ok][txn ok]            [write …… held ……→]
 *            ══ lease (server) ══╪══╪══◆ swept +496 ms
 *   server   r1 r2 r3          ⌛ expiry r4
 *   storage  ●              ●        ⊘ rejected
 *   ◀ ▶ ⏵ ──────────●──────────── t = 9.000 s   state at t: keys, leases, lock holders
 *
 * `renderHtmlTimeline` is what `run`, `explore` and `replay` call for `--html`.
 */
import { readFileSync } from 'node:fs';
import type { Trace, TraceEvent } from '../sim/trace.ts';
import { timelineModel, type TimelineClaim, type TimelineVerdict, type TimelineViolation } from './timeline-model.ts';

/** Options of {@link renderHtmlTimeline}. */
export interface HtmlTimelineOptions {
  /** The page's heading. @defaultValue 'leaselab run' */
  title?: string;
  /** Paragraphs shown above the picture (a scenario's summary and story). */
  description?: string[];
  /** Story assertions shown under the picture, ✓ or ✗. */
  assertions?: readonly TimelineClaim[];
  /** A line under the heading, e.g. `seed 1`. */
  subtitle?: string;
  /** Property violations (explore, replay): drawn as markers; the first is the verdict. */
  violations?: readonly TimelineViolation[];
  /** Overrides the verdict read from the trace. */
  verdict?: TimelineVerdict;
  /** Where etcd 3.4 does what the page shows: file, function, and what it does here. */
  sources?: readonly { file: string; func: string; shows: string }[];
}

const escapeMap: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => escapeMap[ch]!);
}

let viewerScript: string | undefined;

/** The viewer's browser code, read once. */
function viewerSource(): string {
  viewerScript ??= readFileSync(new URL('./timeline-viewer.js', import.meta.url), 'utf8');
  return viewerScript;
}

/** The viewer's browser code (src/report/timeline-viewer.js), for pages that inline it. */
export function timelineViewerScript(): string {
  return viewerSource();
}

/**
 * The elements the viewer draws into: controls (step, play, scrubber, zoom),
 * the plot, the state and details panels, the legend.
 */
export function viewerMarkup(endMs: number): string {
  return `<div class="controls" id="controls">
  <button type="button" id="step-back" title="previous event (←)" aria-label="previous event">◀ step</button>
  <button type="button" id="play" title="play / pause (space)" aria-label="play">▶ play</button>
  <button type="button" id="step-forward" title="next event (→)" aria-label="next event">step ▶</button>
  <select id="speed" aria-label="speed" title="virtual seconds per second"></select>
  <input type="range" id="scrubber" min="0" max="${endMs}" step="1" value="0" aria-label="time">
  <span class="time" id="time-label">t = 0.000 s</span>
  <button type="button" id="zoom-in" title="zoom in around the cursor (+)" aria-label="zoom in">+</button>
  <button type="button" id="zoom-out" title="zoom out (−)" aria-label="zoom out">−</button>
  <button type="button" id="zoom-fit" title="the whole run (0)" aria-label="show the whole run">fit</button>
  <span class="zoom" id="zoom-label"></span>
  <label class="arrows-toggle" title="draw every call's request to the server and its answer"><input type="checkbox" id="arrows-all"> arrows</label>
  <label class="arrows-toggle" title="cover what happens after the cursor: guess, then step"><input type="checkbox" id="future-hide"> hide the future</label>
</div>
<div class="layout">
  <div class="plot" id="plot"><div class="tooltip" id="tooltip"></div></div>
  <div class="side">
    <div class="panel" id="state" aria-live="polite"></div>
    <div class="panel details" id="details"><span class="none">Hover over or click anything in the picture for its details.</span></div>
  </div>
</div>
<div class="legend" id="legend"></div>`;
}

/** JSON safe inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The viewer's styles: the pages `renderHtmlTimeline` writes and the playground share them. */
export const timelineStyles = `
  :root { --ink: #1d1d1d; --muted: #5f5f5f; --line: #d9d9d9; --panel: #f6f6f4; }
  * { box-sizing: border-box; }
  /* a scrollbar from the start: one appearing after the picture is drawn would narrow it and draw it all again */
  html { overflow-y: scroll; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--ink); background: #fff; }
  main { padding: 16px 20px 40px; max-width: 1800px; margin: 0 auto; }
  h1 { font-size: 21px; margin: 0 0 2px; }
  h2 { font-size: 16px; margin: 22px 0 6px; }
  .subtitle { color: var(--muted); margin: 0 0 8px; }
  p.story { max-width: 980px; margin: 6px 0; overflow-wrap: anywhere; }
  .subtitle, .verdict { overflow-wrap: anywhere; }
  .sources { font-size: 13px; color: var(--muted); margin: 4px 0 10px; }
  .sources summary { cursor: pointer; }
  .sources ul { margin: 4px 0; padding-left: 20px; }
  .sources code { background: var(--panel); padding: 0 4px; border-radius: 3px; }
  .verdict { margin: 12px 0; padding: 10px 14px; border-radius: 6px; font-weight: 600; border: 2px solid; }
  .verdict.unsafe { background: #fbe3d6; border-color: #D55E00; }
  .verdict.safe { background: #dbeffa; border-color: #0072B2; }
  .verdict.ok { background: #e2f3ec; border-color: #009E73; }
  .verdict.failed { background: #fff3c4; border-color: #E69F00; }
  body[data-future-hidden] .verdict, body[data-future-hidden] ul.claims { color: transparent; background: #f2f2f2; border-color: #bdbdbd; position: relative; user-select: none; }
  body[data-future-hidden] .verdict .tag, body[data-future-hidden] ul.claims .mark, body[data-future-hidden] ul.claims .claim-detail { visibility: hidden; }
  body[data-future-hidden] .verdict::after, body[data-future-hidden] ul.claims::after { content: "hidden with the future: step or play to the end"; color: var(--muted); font-weight: 400; position: absolute; left: 14px; top: 10px; }
  .verdict .tag { display: inline-block; margin-right: 8px; padding: 0 6px; border-radius: 4px; color: #fff; font-size: 12px; letter-spacing: .04em; vertical-align: 1px; }
  .verdict.unsafe .tag { background: #D55E00; } .verdict.safe .tag { background: #0072B2; }
  .verdict.ok .tag { background: #009E73; } .verdict.failed .tag { background: #8a6300; }
  .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0; position: sticky; top: 0; background: #fff; padding: 6px 0; z-index: 3; border-bottom: 1px solid var(--line); }
  .controls button, .controls select { font: inherit; padding: 3px 10px; border: 1px solid #999; border-radius: 4px; background: #fff; cursor: pointer; }
  .controls button:focus-visible, .controls input:focus-visible { outline: 2px solid #0072B2; outline-offset: 1px; }
  .controls input[type=range] { flex: 1 1 220px; min-width: 160px; }
  .controls .time { font-variant-numeric: tabular-nums; min-width: 92px; font-weight: 600; }
  .controls .zoom { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
  .controls .arrows-toggle { font-size: 13px; display: inline-flex; align-items: center; gap: 4px; cursor: pointer; }
  .layout { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
  .plot { flex: 1 1 700px; min-width: 0; position: relative; }
  .plot svg { display: block; width: 100%; user-select: none; }
  .side { flex: 0 1 340px; min-width: 280px; }
  @media (max-width: 1100px) { .side { flex: 1 1 100%; } }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin-bottom: 10px; font-size: 13px; }
  .panel h3 { font-size: 13px; margin: 6px 0 4px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
  .panel h3:first-child { margin-top: 0; }
  .panel table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  .panel td, .panel th { text-align: left; padding: 1px 6px 1px 0; vertical-align: top; word-break: break-all; }
  .panel th { font-weight: 600; color: var(--muted); font-size: 12px; word-break: normal; white-space: nowrap; }
  .panel .none { color: var(--muted); font-style: italic; }
  .panel .warn { color: #a34300; font-weight: 600; }
  .panel .good { color: #00684c; font-weight: 600; }
  .details { min-height: 64px; white-space: pre-wrap; word-break: break-word; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 13px; margin: 8px 0; }
  .legend span { display: inline-flex; align-items: center; gap: 6px; }
  .legend svg { flex: none; }
  .tooltip { position: absolute; pointer-events: none; background: #1d1d1d; color: #fff; font-size: 12px; padding: 5px 8px; border-radius: 4px; max-width: 380px; white-space: pre-wrap; z-index: 5; display: none; }
  ul.claims { list-style: none; padding-left: 0; margin: 4px 0; }
  ul.claims li { margin: 3px 0; }
  .holds .mark { color: #00684c; font-weight: 700; } .fails .mark { color: #a34300; font-weight: 700; }
  .fails { font-weight: 600; }
  .claim-detail { color: var(--muted); }
  noscript { display: block; padding: 8px; background: #fff3c4; }
`;

/**
 * Render a trace as a self-contained HTML page with the timeline viewer.
 * @param trace - a run's trace (or its events)
 * @param options - title, story, claims, violations
 * @returns a complete HTML document
 */
export function renderHtmlTimeline(trace: Trace | readonly TraceEvent[], options: HtmlTimelineOptions = {}): string {
  const events: readonly TraceEvent[] = Array.isArray(trace) ? trace : (trace as Trace).events;
  const claims = options.assertions ?? [];
  const model = timelineModel(events, {
    ...(options.title !== undefined ? { title: options.title } : {}),
    claims,
    ...(options.violations !== undefined ? { violations: options.violations } : {}),
    ...(options.verdict !== undefined ? { verdict: options.verdict } : {}),
  });
  const title = options.title ?? 'leaselab run';
  const tag = { unsafe: 'UNSAFE', safe: 'SAFE', ok: 'OK', failed: 'CLAIM FAILED' }[model.verdict.tone];
  const sources = options.sources ?? [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${timelineStyles}</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${options.subtitle !== undefined ? `<p class="subtitle">${esc(options.subtitle)}</p>` : ''}
${(options.description ?? []).map((paragraph) => `<p class="story">${esc(paragraph)}</p>`).join('\n')}
${sources.length > 0 ? `<details class="sources"><summary>Where etcd 3.4 does this (${sources.length})</summary><ul>${sources.map((source) => `<li><code>${esc(source.file)}</code> <code>${esc(source.func)}</code>: ${esc(source.shows)}</li>`).join('')}</ul></details>` : ''}
<div class="verdict ${model.verdict.tone}" id="verdict" role="status"><span class="tag">${tag}</span>${esc(model.verdict.text)}</div>
<noscript>The timeline needs JavaScript; the claims below are plain text.</noscript>
${viewerMarkup(model.endMs)}
${
  claims.length > 0
    ? `<h2>What the story claims</h2>\n<ul class="claims">\n${claims
        .map(
          (c) =>
            `<li class="${c.holds ? 'holds' : 'fails'}"><span class="mark">${c.holds ? '✓ holds' : '✗ fails'}</span> ${esc(c.claim)} <span class="claim-detail">— ${esc(c.detail)}</span></li>`,
        )
        .join('\n')}\n</ul>`
    : ''
}
</main>
<script type="application/json" id="timeline-data">${scriptJson(model)}</script>
<script>
${viewerSource()}
</script>
</body>
</html>
`;
}
