/**
 * The playground page: one self-contained HTML file (no network, no external
 * files) holding the timeline viewer (src/report/timeline-viewer.js, the same
 * one `run --html` pages use) and the browser bundle of the simulator, store,
 * client, scenarios, lock algorithms and checkers (src/playground/browser-main.js,
 * bundled by scripts/build-playground.mjs).
 *
 *   ┌ setup: [scenario or lock ▾] seed [1] TTL [ ] latency [ ] … (the knobs the scenarios declare) [run] ┐
 *   ┌ inject at the cursor: [pause ▾] for [8000] ms  [alice] [bob]  · or click a lane's name ┐
 *   ┌ verdict ─────────────────────────────────────────────────────────────────────────────┐
 *   replay: npx leaselab replay --lock naive --schedule eyJ…   trace 1a2b3c4d · 867 events
 *   ◀ ▶ ⏵ ─────●───── (the viewer)
 */
import { scriptJson, timelineStyles, timelineViewerScript, viewerMarkup } from '../report/html-timeline.ts';
import { scenarios, type KnobName } from '../scenarios/index.ts';
import { knobBounds, knobNames } from '../scenarios/knob-bounds.ts';
import { injectKinds, playgroundLocks } from './playground-run.ts';
import { playgroundLimits } from './limits.ts';

const playgroundStyles = `
  .pg-setup { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: flex-end; margin: 10px 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; }
  .pg-setup label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
  .pg-setup label.check { flex-direction: row; align-items: center; gap: 6px; font-size: 13px; color: var(--ink); }
  .pg-setup input, .pg-setup select, .pg-setup button { font: inherit; padding: 3px 8px; border: 1px solid #999; border-radius: 4px; background: #fff; }
  .pg-setup input[type=number] { width: 96px; }
  .pg-setup button.primary { background: #0072B2; color: #fff; border-color: #0072B2; font-weight: 600; }
  .pg-setup .hidden { display: none; }
  .pg-inject .who { display: flex; flex-wrap: wrap; gap: 6px; }
  .pg-inject .hint { font-size: 12px; color: var(--muted); align-self: center; }
  .pg-injected { font-size: 13px; margin: 0; padding-left: 18px; flex-basis: 100%; }
  .pg-replay { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; margin: 4px 0 8px; }
  .pg-replay code { background: var(--panel); padding: 1px 4px; border-radius: 3px; color: var(--ink); }
  .pg-status { font-size: 12px; color: var(--muted); }
  .pg-status.error { color: #a34300; font-weight: 600; }
  .pg-predict { margin: 10px 0; padding: 8px 12px; border: 2px solid #0072B2; border-radius: 6px; background: #f3f8fc; }
  .pg-predict p { margin: 4px 0; }
  .pg-predict button { font: inherit; padding: 2px 14px; border: 1px solid #0072B2; border-radius: 4px; background: #fff; cursor: pointer; }
  .pg-predict button:disabled { opacity: .5; cursor: default; }
  .pg-predict .right { color: #0072B2; font-weight: 600; }
  .pg-predict .wrong { color: #a34300; font-weight: 600; }
  /* the story's summary and text tell the outcome: hidden with the future */
  body[data-future-hidden] #pg-story-box { display: none; }
  details.story { max-width: 980px; margin: 4px 0 8px; }
  details.story summary { cursor: pointer; }
`;

/** The knobs some scenario declares, and the lock runs' TTL and latency, in the form's order. */
function knobsOnOffer(): KnobName[] {
  const declared = new Set<KnobName>(['ttl', 'latency']);
  for (const scenario of scenarios) for (const knob of scenario.knobs ?? []) declared.add(knob.name);
  return knobNames.filter((name) => declared.has(name));
}

/** The input's id: `pg-pause-at` for pauseAt. */
export function knobInputId(name: KnobName): string {
  return `pg-${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** A form input per knob, with the bounds `leaselab run` checks (src/scenarios/knob-bounds.ts). */
function knobInputs(): string {
  return knobsOnOffer()
    .map((name) => {
      const bounds = knobBounds[name];
      const id = knobInputId(name);
      if (bounds.kind === 'switch')
        return `  <label data-knob="${name}">${bounds.label}<select id="${id}"><option value="">story's own</option><option value="fenced">checks tokens (fenced)</option><option value="unfenced">takes any write</option></select></label>`;
      const limits = `${bounds.min !== undefined ? ` min="${bounds.min}"` : ''}${bounds.max !== undefined ? ` max="${bounds.max}"` : ''} step="${bounds.step ?? 1}"`;
      return `  <label data-knob="${name}">${bounds.label}<input type="number" id="${id}"${limits} title="${bounds.problem}"></label>`;
    })
    .join('\n');
}

/** The page, with the bundle's JavaScript inlined. */
export function playgroundHtml(bundle: string): string {
  const options = [
    '<optgroup label="a lock under a workload (the explorer\'s)">',
    ...Object.keys(playgroundLocks).map((name) => `<option value="lock:${name}">${name} lock</option>`),
    '</optgroup>',
    '<optgroup label="a scenario (a story with claims)">',
    ...scenarios.map((scenario) => `<option value="scenario:${scenario.name}">${scenario.name}</option>`),
    '</optgroup>',
  ].join('');
  // Each scenario's knobs and their defaults, for the form.
  const catalogue = {
    scenarios: scenarios.map((scenario) => ({
      name: scenario.name,
      title: scenario.title,
      summary: scenario.summary,
      knobs: scenario.knobs ?? [],
      seed: scenario.defaultSeed,
    })),
    limits: playgroundLimits,
    knobs: knobsOnOffer().map((name) => ({ name, id: knobInputId(name), field: knobBounds[name].field, kind: knobBounds[name].kind })),
    injectKinds,
  };
  // A classic script may not contain `</script`: the bundle is plain JavaScript, so only a string could hold it.
  const safeBundle = bundle.replace(/<\/(script)/gi, '<\\/$1');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leaselab playground</title>
<style>${timelineStyles}${playgroundStyles}</style>
</head>
<body>
<main>
<h1>leaselab playground</h1>
<p class="subtitle">etcd's store, leases and clients on a simulated clock, in this page. Pick a lock or a story, change the TTL or the latency, inject a pause, a crash or a partition where you like, and see whether the lock holds. Same setup, same run.</p>
<form class="pg-setup" id="pg-setup" autocomplete="off">
  <label>run<select id="pg-what">${options}</select></label>
  <label>seed<input type="number" id="pg-seed" step="1" value="1"></label>
  <label data-knob="clients">clients<input type="number" id="pg-clients" min="1" max="${playgroundLimits.clientsMax}" step="1" value="3"></label>
  <label data-knob="duration">run length (s)<input type="number" id="pg-duration" min="5" max="${playgroundLimits.durationMsMax / 1000}" step="1" value="40"></label>
${knobInputs()}
  <label class="check" title="a story with a question asks it before the run is shown (as run --predict does)"><input type="checkbox" id="pg-predict-on"> predict first</label>
  <button type="submit" class="primary" id="pg-run">run</button>
  <span class="pg-status" id="pg-status" role="status"></span>
</form>
<div class="pg-setup pg-inject" id="pg-inject">
  <label>inject<select id="pg-fault">${injectKinds.map((kind) => `<option value="${kind}">${kind === 'partition' ? 'partition from etcd' : kind === 'hold' ? 'hold messages to etcd' : kind === 'crash' ? 'crash (then restart)' : kind}</option>`).join('')}</select></label>
  <label>for (ms; etcd: down)<input type="number" id="pg-fault-ms" min="1" step="1" value="8000"></label>
  <div class="who" id="pg-inject-buttons"></div>
  <span class="hint">at the cursor, or click a lane's name in the picture (the server's: restart etcd; shift-click in a lane: at that time)</span>
  <button type="button" id="pg-undo">undo last</button>
  <button type="button" id="pg-clear">clear faults</button>
  <ul class="pg-injected" id="pg-injected"></ul>
</div>
<div class="pg-predict" id="pg-predict" hidden>
  <p id="pg-predict-setup"></p>
  <p><b>Predict:</b> <span id="pg-predict-question"></span> <button type="button" id="pg-predict-yes">yes</button> <button type="button" id="pg-predict-no">no</button></p>
  <p id="pg-predict-result" role="status"></p>
</div>
<div class="verdict ok" id="verdict" role="status"><span class="tag">…</span>running</div>
<p class="pg-replay">replay: <code id="pg-replay"></code> · <span id="pg-digest"></span></p>
<details class="story" id="pg-story-box" hidden><summary id="pg-summary"></summary><p class="story" id="pg-story"></p></details>
${viewerMarkup(1000)}
<h2 id="pg-claims-heading" hidden>What the story claims</h2>
<ul class="claims" id="pg-claims"></ul>
</main>
<script type="application/json" id="timeline-data"></script>
<script type="application/json" id="pg-catalogue">${scriptJson(catalogue)}</script>
<script>
${timelineViewerScript()}
</script>
<script>
${safeBundle}
</script>
</body>
</html>
`;
}
