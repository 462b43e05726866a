/**
 * A run as a picture: a self-contained HTML page (no scripts, no external
 * files) with an SVG swimlane timeline a learner opens in a browser.
 *
 *   alice   ████ holds /lock (token 2) ███████████▓▓▓▓▓▓▓▓│     ← belief; red where two overlap
 *           ═══ lease 2d12… ttl 5s ═══╪╪╪════⌛           ← lease lifetime, keepalive ticks, expiry
 *   bob               ░░░░░ pause ░░░░  █████ holds /lock (token 3) ███
 *   server                            ⌛ expired rev 4
 *   storage  ●                         ●          ▲ stale accepted / ✗ rejected
 *
 * One lane per process, then the server, then each storage resource. Lock
 * beliefs are coloured bars; stretches where two processes believe they hold
 * the same lock are red, across their lanes; lease lifetimes are thin bars
 * under them; faults are shaded regions; expiries, crashes and writes are
 * markers. Every shape has a tooltip with the details.
 */
import { describeFault } from '../sim/faults.ts';
import { showLeaseId, type Trace, type TraceEvent } from '../sim/trace.ts';
import { faultWindows, leaseLifetimes, lockBeliefs, overlappingBeliefs } from './trace-facts.ts';

/** Options of {@link renderHtmlTimeline}. */
export interface HtmlTimelineOptions {
  /** The page's heading. @defaultValue 'leaselab run' */
  title?: string;
  /** Paragraphs shown above the picture (a scenario's summary and story). */
  description?: string[];
  /** Story assertions shown under the picture, ✓ or ✗. */
  assertions?: readonly { claim: string; holds: boolean; detail: string }[];
  /** A line under the heading, e.g. `seed 1`. */
  subtitle?: string;
}

const escapeMap: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => escapeMap[ch]!);
}

function secondsLabel(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}

const laneHeightPx = 64;
const labelWidthPx = 120;
const plotWidthPx = 1100;
const topPx = 34;

const processColors = ['#1f77b4', '#9467bd', '#17becf', '#8c564b', '#e377c2', '#bcbd22'];

/**
 * Render a trace as an HTML page with an SVG swimlane picture.
 * @param trace - a run's trace
 * @param options - title, description, assertions
 * @returns a complete HTML document
 */
export function renderHtmlTimeline(trace: Trace | readonly TraceEvent[], options: HtmlTimelineOptions = {}): string {
  const events: readonly TraceEvent[] = Array.isArray(trace) ? trace : (trace as Trace).events;
  const processes: string[] = [];
  const resources: string[] = [];
  for (const event of events) {
    if ((event.kind === 'process-started' || event.kind === 'client' || event.kind === 'log') && !processes.includes(event.process)) processes.push(event.process);
    if (event.kind === 'resource-write' && !resources.includes(event.resource)) resources.push(event.resource);
  }
  const lanes = [...processes, 'server', ...resources];
  const laneIndex = (name: string) => lanes.indexOf(name);
  const laneY = (name: string) => topPx + laneIndex(name) * laneHeightPx;

  const lastMs = events.reduce((max, event) => Math.max(max, event.atMs), 0);
  const endMs = Math.max(1000, Math.ceil((lastMs + 1) / 1000) * 1000);
  const x = (ms: number) => labelWidthPx + (Math.min(ms, endMs) / endMs) * plotWidthPx;
  const heightPx = topPx + lanes.length * laneHeightPx + 30;
  const widthPx = labelWidthPx + plotWidthPx + 20;

  const svg: string[] = [];
  const title = (text: string) => `<title>${esc(text)}</title>`;

  // Lanes and their labels.
  lanes.forEach((lane, i) => {
    const y = topPx + i * laneHeightPx;
    svg.push(`<rect class="lane" x="0" y="${y}" width="${widthPx}" height="${laneHeightPx}" fill="${i % 2 === 0 ? '#fafafa' : '#f0f0f0'}"/>`);
    const color = processes.includes(lane) ? processColors[processes.indexOf(lane) % processColors.length]! : '#555';
    svg.push(`<text class="lane-label" x="8" y="${y + laneHeightPx / 2 + 5}" fill="${color}" font-weight="bold">${esc(lane)}</text>`);
  });

  // Time axis: a tick every step, at most ~24 of them.
  const stepMs = [500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000].find((step) => endMs / step <= 24) ?? 120_000;
  for (let t = 0; t <= endMs; t += stepMs) {
    svg.push(`<line x1="${x(t)}" y1="${topPx - 6}" x2="${x(t)}" y2="${heightPx - 30}" stroke="#ddd"/>`);
    svg.push(`<text x="${x(t)}" y="${topPx - 10}" text-anchor="middle" font-size="11" fill="#666">${t / 1000}s</text>`);
  }
  svg.push(`<text x="${labelWidthPx + plotWidthPx / 2}" y="${heightPx - 8}" text-anchor="middle" font-size="12" fill="#666">virtual time</text>`);

  // Faults: shaded regions on the lanes they touch.
  for (const window of faultWindows(events)) {
    const untilMs = window.untilMs ?? endMs;
    const touched = window.nodes.length === 0 ? lanes : window.nodes.filter((node) => laneIndex(node) >= 0);
    const fill = window.kind === 'pause' ? '#ffe08a' : window.kind === 'crash' ? '#bbbbbb' : window.kind === 'partition' ? '#ffc48a' : window.kind === 'serverRestart' ? '#d7b8ff' : '#ffeecc';
    const label = window.kind === 'pause' ? `paused ${secondsLabel(untilMs - window.fromMs)}` : window.kind === 'crash' ? 'crashed' : window.label;
    for (const node of touched) {
      const y = laneY(node);
      const w = Math.max(2, x(untilMs) - x(window.fromMs));
      svg.push(
        `<rect class="fault fault-${window.kind}" x="${x(window.fromMs)}" y="${y + 1}" width="${w}" height="${laneHeightPx - 2}" fill="${fill}" fill-opacity="0.75" stroke="#c90" stroke-dasharray="4 3">${title(`${window.label}: ${secondsLabel(window.fromMs)} – ${window.untilMs === undefined ? 'end' : secondsLabel(window.untilMs)}`)}</rect>`,
      );
      svg.push(`<text x="${x(window.fromMs) + 4}" y="${y + laneHeightPx - 6}" font-size="11" fill="#7a5200">${esc(label)}</text>`);
    }
  }

  // Lease lifetimes: thin bars on the owner's lane, keepalive ticks, expiry markers.
  for (const lease of leaseLifetimes(events)) {
    if (laneIndex(lease.process) < 0) continue;
    const y = laneY(lease.process) + 40;
    const untilMs = lease.endedAtMs ?? endMs;
    const id = showLeaseId(lease.leaseId);
    svg.push(
      `<rect class="lease" x="${x(lease.grantedAtMs)}" y="${y}" width="${Math.max(2, x(untilMs) - x(lease.grantedAtMs))}" height="7" fill="#8fb3d9" rx="2">${title(`lease ${id}, ttl ${lease.ttlSeconds}s, granted ${secondsLabel(lease.grantedAtMs)}, ${lease.end === 'alive' ? 'alive at the end' : `${lease.end} ${secondsLabel(untilMs)}`}; ${lease.renewedAtMs.length} keepalive answers`)}</rect>`,
    );
    svg.push(`<text x="${x(lease.grantedAtMs) + 2}" y="${y - 2}" font-size="9" fill="#4a6f96">lease ${esc(id.slice(0, 8))}… ttl ${lease.ttlSeconds}s</text>`);
    for (const atMs of lease.renewedAtMs) svg.push(`<line class="keepalive" x1="${x(atMs)}" y1="${y - 1}" x2="${x(atMs)}" y2="${y + 8}" stroke="#2c5d8f"/>`);
    if (lease.lostByClient !== undefined) {
      const lx = x(lease.lostByClient.atMs);
      svg.push(`<path d="M${lx - 5} ${y + 12} L${lx + 5} ${y + 12} L${lx} ${y + 4} Z" fill="${lease.lostByClient.reason === 'closed' ? '#999' : '#d62728'}">${title(`${lease.process}'s client gave lease ${id} up at ${secondsLabel(lease.lostByClient.atMs)} (${lease.lostByClient.reason})`)}</path>`);
    }
    if (lease.end === 'expired' && lease.endedAtMs !== undefined) {
      const ex = x(lease.endedAtMs);
      const sy = laneY('server');
      svg.push(`<line x1="${ex}" y1="${y - 4}" x2="${ex}" y2="${y + 11}" stroke="#333" stroke-width="2"/>`);
      svg.push(
        `<g class="expiry"><circle cx="${ex}" cy="${sy + 22}" r="6" fill="#333">${title(`lease ${id} (${lease.process}) expired at ${secondsLabel(lease.endedAtMs)}, rev ${lease.revision}`)}</circle>` +
          `<text x="${ex + 9}" y="${sy + 26}" font-size="11">${esc(lease.process)}'s lease expired, rev ${lease.revision}</text></g>`,
      );
    }
    if (lease.end === 'revoked' && lease.endedAtMs !== undefined) {
      svg.push(`<line x1="${x(lease.endedAtMs)}" y1="${y - 4}" x2="${x(lease.endedAtMs)}" y2="${y + 11}" stroke="#666" stroke-width="2">${title(`revoked by ${lease.process}`)}</line>`);
    }
  }

  // Server restarts.
  for (const event of events) {
    if (event.kind === 'server-up') {
      const sx = x(event.atMs);
      const sy = laneY('server');
      svg.push(`<text x="${sx + 3}" y="${sy + 50}" font-size="11" fill="#5a2ca0">up again: ${event.leases} lease(s) promoted${title('every lease gets its full TTL + the election timeout')}</text>`);
    }
  }

  // Lock beliefs, then their overlaps in red on top.
  const beliefs = lockBeliefs(events);
  for (const belief of beliefs) {
    if (laneIndex(belief.process) < 0) continue;
    const y = laneY(belief.process) + 12;
    const untilMs = belief.untilMs ?? endMs;
    const w = Math.max(2, x(untilMs) - x(belief.fromMs));
    svg.push(
      `<rect class="belief" x="${x(belief.fromMs)}" y="${y}" width="${w}" height="20" fill="#2ca02c" rx="3">${title(`${belief.process} believes it holds ${belief.lockName} (token ${belief.fencingToken}) from ${secondsLabel(belief.fromMs)} until ${belief.untilMs === undefined ? 'the end' : secondsLabel(belief.untilMs)} (${belief.end})`)}</rect>`,
    );
  }
  for (const overlap of overlappingBeliefs(beliefs)) {
    const untilMs = overlap.untilMs ?? endMs;
    const names = [...new Set(overlap.holders.map((holder) => holder.process))];
    const w = Math.max(2, x(untilMs) - x(overlap.fromMs));
    const ys = names.map(laneY);
    const yTop = Math.min(...ys);
    const yBottom = Math.max(...ys) + laneHeightPx;
    svg.push(`<rect class="overlap-band" x="${x(overlap.fromMs)}" y="${yTop}" width="${w}" height="${yBottom - yTop}" fill="#d62728" fill-opacity="0.12" stroke="#d62728" stroke-width="1.5"/>`);
    for (const name of names) {
      svg.push(
        `<rect class="overlap" x="${x(overlap.fromMs)}" y="${laneY(name) + 12}" width="${w}" height="20" fill="#d62728" rx="3">${title(`${names.join(' and ')} both believe they hold ${overlap.lockName}: ${secondsLabel(overlap.fromMs)} – ${overlap.untilMs === undefined ? 'end' : secondsLabel(overlap.untilMs)}`)}</rect>`,
      );
    }
    svg.push(`<text x="${x(overlap.fromMs) + 4}" y="${yTop + 10}" font-size="11" font-weight="bold" fill="#d62728">TWO HOLDERS of ${esc(overlap.lockName)}</text>`);
  }
  for (const belief of beliefs) {
    if (laneIndex(belief.process) < 0) continue;
    const y = laneY(belief.process) + 12;
    const untilMs = belief.untilMs ?? endMs;
    svg.push(`<text x="${x(belief.fromMs) + 4}" y="${y + 14}" font-size="11" fill="#fff" font-weight="bold">holds ${esc(belief.lockName)} · token ${belief.fencingToken}</text>`);
    const endLabel = belief.end === 'lost' ? '✗ learns it lost' : belief.end === 'crashed' ? '✗ crashed' : belief.end === 'released' ? 'released' : '';
    if (endLabel !== '') svg.push(`<text x="${x(untilMs) + 3}" y="${y + 14}" font-size="11" fill="${belief.end === 'released' ? '#2a6b2a' : '#b00'}">${esc(endLabel)}</text>`);
  }

  // Process lifecycle markers and resource writes.
  for (const event of events) {
    if (event.kind === 'fault' && event.fault.kind === 'crash' && laneIndex(event.fault.process) >= 0) {
      svg.push(`<text x="${x(event.atMs) - 5}" y="${laneY(event.fault.process) + 11}" font-size="13" font-weight="bold" fill="#b00">✕${title(`${describeFault(event.fault)} at ${secondsLabel(event.atMs)}`)}</text>`);
    }
    if (event.kind === 'process-exited' && laneIndex(event.process) >= 0) {
      const y = laneY(event.process);
      svg.push(`<line x1="${x(event.atMs)}" y1="${y + 6}" x2="${x(event.atMs)}" y2="${y + laneHeightPx - 6}" stroke="#999" stroke-width="2">${title(`${event.process}#${event.incarnation} exited at ${secondsLabel(event.atMs)}${event.error ? `: ${event.error}` : ''}`)}</line>`);
    }
    if (event.kind === 'resource-write') {
      const rx = x(event.atMs);
      const y = laneY(event.resource) + 24;
      const stale = event.fencingToken < event.highestTokenBefore;
      const detail = `${event.resource}: write ${JSON.stringify(event.value)} by ${event.process} with token ${event.fencingToken} at ${secondsLabel(event.atMs)}: ${event.accepted ? (stale ? `ACCEPTED although stale (highest ${event.highestTokenBefore})` : 'accepted') : `REJECTED (highest ${event.highestTokenBefore})`}`;
      if (!event.accepted) svg.push(`<g class="write-rejected"><path d="M${rx - 6} ${y - 6} L${rx + 6} ${y + 6} M${rx - 6} ${y + 6} L${rx + 6} ${y - 6}" stroke="#d62728" stroke-width="3"/><rect x="${rx - 7}" y="${y - 7}" width="14" height="14" fill="transparent">${title(detail)}</rect></g>`);
      else if (stale) svg.push(`<path class="write-stale" d="M${rx - 7} ${y + 6} L${rx + 7} ${y + 6} L${rx} ${y - 7} Z" fill="#ff7f0e" stroke="#d62728">${title(detail)}</path>`);
      else svg.push(`<circle class="write" cx="${rx}" cy="${y}" r="5" fill="#2ca02c">${title(detail)}</circle>`);
      svg.push(`<text x="${rx}" y="${y + 20}" font-size="9" text-anchor="middle" fill="#444">${esc(event.process)} t${event.fencingToken}</text>`);
    }
  }

  const assertions = options.assertions ?? [];
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(options.title ?? 'leaselab run')}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; max-width: ${widthPx + 40}px; }
  h1 { font-size: 22px; margin-bottom: 4px; }
  .subtitle { color: #666; margin-top: 0; }
  p.story { line-height: 1.45; max-width: 900px; }
  svg { font-family: system-ui, sans-serif; border: 1px solid #ddd; background: #fff; }
  .legend span { display: inline-block; margin-right: 18px; font-size: 13px; }
  .legend i { display: inline-block; width: 22px; height: 12px; vertical-align: middle; margin-right: 5px; border-radius: 2px; }
  ul.assertions { list-style: none; padding-left: 0; }
  ul.assertions li { margin: 4px 0; }
  .holds { color: #1a7f1a; } .fails { color: #c00; font-weight: bold; }
  .detail { color: #666; }
</style>
</head>
<body>
<h1>${esc(options.title ?? 'leaselab run')}</h1>
${options.subtitle !== undefined ? `<p class="subtitle">${esc(options.subtitle)}</p>` : ''}
${(options.description ?? []).map((paragraph) => `<p class="story">${esc(paragraph)}</p>`).join('\n')}
<svg xmlns="http://www.w3.org/2000/svg" width="${widthPx}" height="${heightPx}" viewBox="0 0 ${widthPx} ${heightPx}" role="img" aria-label="swimlane timeline">
${svg.join('\n')}
</svg>
<p class="legend">
  <span><i style="background:#2ca02c"></i>believes it holds the lock</span>
  <span><i style="background:#d62728"></i>two believe at once</span>
  <span><i style="background:#8fb3d9"></i>lease alive on the server (ticks: keepalive answers)</span>
  <span><i style="background:#ffe08a"></i>pause</span>
  <span><i style="background:#ffc48a"></i>partition</span>
  <span><i style="background:#bbb"></i>crashed</span>
  <span>● write accepted · ▲ stale write accepted · ✗ write rejected · black dot: lease expired on the server · small red triangle under a lease: its client gave it up (grey: stopped on purpose) · ✕ crash</span>
</p>
${
  assertions.length > 0
    ? `<h2>What the story claims</h2>\n<ul class="assertions">\n${assertions
        .map((a) => `<li class="${a.holds ? 'holds' : 'fails'}">${a.holds ? '✓' : '✗'} ${esc(a.claim)} <span class="detail">— ${esc(a.detail)}</span></li>`)
        .join('\n')}\n</ul>`
    : ''
}
</body>
</html>
`;
  return page;
}
