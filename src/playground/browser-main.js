/*
 * The playground's browser half: reads the form (a lock or a scenario, seed,
 * knobs), keeps the injected faults, runs the simulator in the page
 * (src/playground/playground-run.ts) and hands the model to the timeline
 * viewer (window.leaselabTimeline, src/report/timeline-viewer.js). The setup
 * lives in the URL's `#`, so a link reruns the same run.
 *
 * Bundled for the browser by scripts/build-playground.mjs (esbuild): plain
 * JavaScript, so the TypeScript check (Node's types, no DOM) leaves it alone.
 */
import './shims/globals.ts';
import { decodeSetup, encodeSetup, injectedFault, injectedServerRestart, runPlayground } from './playground-run.ts';

const $ = (id) => document.getElementById(id);
const catalogue = JSON.parse($('pg-catalogue').textContent);
const viewer = window.leaselabTimeline;
const form = $('pg-setup');
const what = $('pg-what');
const statusLine = $('pg-status');
/** The knob inputs the page drew from the scenarios' declarations (src/playground/page.ts), by knob name. */
const knobInputs = Object.fromEntries(catalogue.knobs.map((knob) => [knob.name, $(knob.id)]));
const knobByName = Object.fromEntries(catalogue.knobs.map((knob) => [knob.name, knob]));
const escMap = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => escMap[c]);
const fmt = (ms) => (ms / 1000).toFixed(3) + ' s';

/** Faults injected so far, as [kind, process, atMs, durationMs] (each becomes a pair of scheduled faults). */
let injections = [];
let processes = [];
/** The process on each lane of the picture (undefined for the server and resources). */
let laneNames = [];
/** The etcd server's lane: a click on its name restarts etcd. */
let serverLane = -1;
let runs = 0;
/** Said once, with the next run's status: why the link's setup was not used. */
let notice = '';
let running = Promise.resolve();
/** The last run's prediction (question, set-up, outcome), and whether the learner has answered it. */
let prediction;
let predictionAnswered = false;

function scenarioOf(name) {
  return catalogue.scenarios.find((scenario) => scenario.name === name);
}

/** Show the inputs the picked lock or scenario takes, with the story's values as placeholders. */
function showKnobs() {
  const [mode, name] = what.value.split(':');
  const takes = new Set(mode === 'lock' ? ['clients', 'duration', 'ttl', 'latency'] : (scenarioOf(name)?.knobs ?? []).map((knob) => knob.name));
  for (const label of form.querySelectorAll('[data-knob]')) label.classList.toggle('hidden', !takes.has(label.getAttribute('data-knob')));
  if (mode === 'scenario') {
    for (const knob of scenarioOf(name).knobs) {
      const input = knobInputs[knob.name];
      if (input === undefined) continue;
      if (knobByName[knob.name].kind === 'switch') input.options[0].textContent = "story's own (" + knob.default + ')';
      else input.placeholder = knob.default;
    }
  } else {
    knobInputs.ttl.placeholder = '5';
    knobInputs.latency.placeholder = '1–10';
  }
}

const whole = (input) => (input.value.trim() === '' ? undefined : Number(input.value));
/** A knob input's value for the setup: a number, a boolean (a switch), or undefined when left empty. */
const knobValue = (knob, input) => (knob.kind === 'switch' ? (input.value === '' ? undefined : input.value === 'fenced') : whole(input));

/** The setup the form and the injected faults describe. */
function setupOf() {
  const [mode, name] = what.value.split(':');
  const seed = Number($('pg-seed').value || 1);
  const injected = injections.flatMap(([kind, process, atMs, durationMs]) =>
    kind === 'serverRestart' ? injectedServerRestart(atMs, durationMs) : injectedFault(kind, process, atMs, durationMs),
  );
  if (mode === 'lock') {
    const setup = {
      mode: 'lock',
      lock: name,
      seed,
      clients: Number($('pg-clients').value || 3),
      ttlSeconds: whole(knobInputs.ttl) ?? 5,
      durationMs: Number($('pg-duration').value || 40) * 1000,
      injected,
    };
    const latency = whole(knobInputs.latency);
    if (latency !== undefined) setup.latencyMs = latency;
    return setup;
  }
  const takes = new Set(scenarioOf(name).knobs.map((knob) => knob.name));
  const knobs = {};
  for (const knob of catalogue.knobs) {
    if (!takes.has(knob.name)) continue;
    const value = knobValue(knob, knobInputs[knob.name]);
    if (value !== undefined) knobs[knob.field] = value;
  }
  return { mode: 'scenario', scenario: name, seed, knobs, injected };
}

/** Put a setup (from the URL) back into the form. */
function showSetup(setup) {
  what.value = setup.mode + ':' + (setup.mode === 'lock' ? setup.lock : setup.scenario);
  $('pg-seed').value = String(setup.seed);
  for (const input of Object.values(knobInputs)) input.value = '';
  if (setup.mode === 'lock') {
    $('pg-clients').value = String(setup.clients);
    $('pg-duration').value = String(setup.durationMs / 1000);
    knobInputs.ttl.value = String(setup.ttlSeconds);
    if (setup.latencyMs !== undefined) knobInputs.latency.value = String(setup.latencyMs);
  } else {
    for (const knob of catalogue.knobs) {
      const value = setup.knobs[knob.field];
      if (value === undefined) continue;
      knobInputs[knob.name].value = knob.kind === 'switch' ? (value ? 'fenced' : 'unfenced') : String(value);
    }
  }
  // pairs of scheduled faults back into injections
  injections = [];
  const ends = { pause: 'resume', crash: 'restart', partition: 'heal', hold: 'release' };
  const open = [];
  for (const { atMs, fault } of setup.injected) {
    if (fault.kind === 'serverRestart') {
      injections.push(['serverRestart', 'etcd', atMs, fault.downMs ?? 0]);
      continue;
    }
    const who = fault.process ?? fault.from;
    if (ends[fault.kind] !== undefined) open.push([fault.kind, who, atMs]);
    else {
      const at = open.findIndex((entry) => ends[entry[0]] === fault.kind && entry[1] === who);
      if (at >= 0) {
        const [kind, process, fromMs] = open.splice(at, 1)[0];
        injections.push([kind, process, fromMs, atMs - fromMs]);
      }
    }
  }
  showKnobs();
}

function showInjections() {
  $('pg-injected').innerHTML = injections
    .map(
      ([kind, process, atMs, durationMs]) =>
        '<li>' +
        esc(
          kind === 'serverRestart'
            ? 'etcd restarts at ' + fmt(atMs) + ', down ' + durationMs + ' ms'
            : kind + ' ' + process + ' at ' + fmt(atMs) + ' for ' + durationMs + ' ms',
        ) +
        '</li>',
    )
    .join('');
  $('pg-undo').disabled = injections.length === 0;
  $('pg-clear').disabled = injections.length === 0;
}

function showButtons() {
  $('pg-inject-buttons').innerHTML =
    processes.map((name) => '<button type="button" data-process="' + esc(name) + '">' + esc(name) + '</button>').join('') +
    '<button type="button" data-server="restart" title="etcd restarts at the cursor, down for the time given">restart etcd</button>';
}

const tags = { unsafe: 'UNSAFE', safe: 'SAFE', ok: 'OK', failed: 'CLAIM FAILED' };

/** Run the setup the page shows and draw it; keeps the cursor where it was. */
function run(options) {
  running = running.then(async () => {
    const setup = setupOf();
    const keepMs = options && options.timeMs !== undefined ? options.timeMs : viewer.timeMs();
    statusLine.className = 'pg-status';
    statusLine.textContent = 'running…';
    // let the status paint before the simulator takes the thread
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const startedAt = performance.now();
    let result;
    try {
      result = await runPlayground(setup, location.href.split('#')[0]);
    } catch (error) {
      statusLine.className = 'pg-status error';
      statusLine.textContent = String(error && error.message ? error.message : error);
      return;
    }
    const ranMs = Math.round(performance.now() - startedAt);
    history.replaceState(null, '', '#' + encodeSetup(setup));
    processes = result.model.lanes.filter((lane) => lane.kind === 'process').map((lane) => lane.name);
    laneNames = result.model.lanes.map((lane) => (lane.kind === 'process' ? lane.name : undefined));
    serverLane = result.model.lanes.findIndex((lane) => lane.kind === 'server');
    showButtons();
    showInjections();
    const verdict = $('verdict');
    verdict.className = 'verdict ' + result.model.verdict.tone;
    verdict.innerHTML = '<span class="tag">' + tags[result.model.verdict.tone] + '</span>' + esc(result.model.verdict.text);
    $('pg-replay').textContent = result.replay;
    $('pg-digest').textContent = 'trace ' + result.traceDigest + ' · ' + result.events + ' events · seed ' + setup.seed;
    $('pg-story').textContent = result.story || '';
    $('pg-summary').textContent = setup.mode === 'scenario' ? 'the story: ' + scenarioOf(setup.scenario).summary : '';
    $('pg-story-box').hidden = setup.mode !== 'scenario';
    const claims = result.claims;
    $('pg-claims-heading').hidden = claims.length === 0;
    $('pg-claims').innerHTML = claims
      .map(
        (c) =>
          '<li class="' +
          (c.holds ? 'holds' : 'fails') +
          '"><span class="mark">' +
          (c.holds ? '✓ holds' : '✗ fails') +
          '</span> ' +
          esc(c.claim) +
          ' <span class="claim-detail">— ' +
          esc(c.detail) +
          '</span></li>',
      )
      .join('');
    // predict first: the question before the run is shown, the future covered until answered
    prediction = result.prediction;
    predictionAnswered = false;
    const asking = prediction !== undefined && $('pg-predict-on').checked;
    showPrediction(asking);
    await viewer.load(result.model, { timeMs: Math.min(keepMs, result.model.endMs), keepZoom: options !== undefined && options.keepZoom === true });
    if (asking) hideFuture(true);
    runs++;
    statusLine.className = notice === '' ? 'pg-status' : 'pg-status error';
    statusLine.textContent = (notice === '' ? '' : notice + '; ') + 'ran ' + result.events + ' events in ' + ranMs + ' ms';
    notice = '';
    document.body.setAttribute('data-runs', String(runs));
    document.body.setAttribute('data-playground', 'ready');
  });
  return running;
}

/** Tick or untick the viewer's "hide the future" box (src/report/timeline-viewer.js redraws on its change). */
function hideFuture(hidden) {
  const box = $('future-hide');
  if (box === null || box.checked === hidden) return;
  box.checked = hidden;
  box.dispatchEvent(new Event('change'));
}

function showPrediction(asking) {
  $('pg-predict').hidden = !asking;
  if (!asking) return;
  $('pg-predict-setup').textContent = prediction.setup;
  $('pg-predict-question').textContent = prediction.question;
  $('pg-predict-result').textContent = '';
  $('pg-predict-yes').disabled = false;
  $('pg-predict-no').disabled = false;
}

/** The learner's answer: judged against the run, then the future shown. */
function answerPrediction(answer) {
  if (prediction === undefined || predictionAnswered) return;
  predictionAnswered = true;
  const right = answer === prediction.happened;
  $('pg-predict-result').innerHTML =
    'Your prediction: ' +
    (answer ? 'yes' : 'no') +
    '. <span class="' +
    (right ? 'right">Right' : 'wrong">Not this time') +
    '</span>: ' +
    esc(prediction.detail);
  $('pg-predict-yes').disabled = true;
  $('pg-predict-no').disabled = true;
  hideFuture(false);
}

$('pg-predict-yes').addEventListener('click', () => answerPrediction(true));
$('pg-predict-no').addEventListener('click', () => answerPrediction(false));
$('pg-predict-on').addEventListener('change', () => {
  if ($('pg-predict-on').checked) run({ timeMs: 0 });
  else {
    $('pg-predict').hidden = true;
    hideFuture(false);
  }
});

function inject(process, atMs) {
  const kind = $('pg-fault').value;
  const durationMs = Math.max(1, Number($('pg-fault-ms').value || 1));
  injections.push([kind, process, Math.round(atMs), durationMs]);
  run({ timeMs: atMs, keepZoom: true });
}

function injectServerRestart(atMs) {
  const downMs = Math.max(0, Number($('pg-fault-ms').value || 0));
  injections.push(['serverRestart', 'etcd', Math.round(atMs), downMs]);
  run({ timeMs: atMs, keepZoom: true });
}

what.addEventListener('change', () => {
  injections = [];
  for (const input of Object.values(knobInputs)) input.value = '';
  const [mode, name] = what.value.split(':');
  if (mode === 'scenario') $('pg-seed').value = String(scenarioOf(name).seed);
  showKnobs();
  run({ timeMs: 0 });
});
form.addEventListener('submit', (event) => {
  event.preventDefault();
  run();
});
$('pg-inject-buttons').addEventListener('click', (event) => {
  const button = event.target.closest('button[data-process]');
  if (button) inject(button.getAttribute('data-process'), viewer.timeMs());
  else if (event.target.closest('button[data-server]')) injectServerRestart(viewer.timeMs());
});
$('pg-undo').addEventListener('click', () => {
  injections.pop();
  run();
});
$('pg-clear').addEventListener('click', () => {
  injections = [];
  run();
});
// a click on a process lane's name injects the fault there at the cursor; a shift-click in the lane, where clicked
viewer.onLaneClick((laneIndex, atMs, event, onLabel) => {
  if (!(onLabel || event.shiftKey)) return false;
  const at = onLabel ? viewer.timeMs() : atMs;
  if (laneIndex === serverLane) {
    event.preventDefault();
    injectServerRestart(at);
    return true;
  }
  const lane = laneNames[laneIndex];
  if (lane === undefined) return false;
  event.preventDefault();
  inject(lane, at);
  return true;
});

let initial = null;
if (location.hash.length > 1) {
  try {
    initial = decodeSetup(location.hash.slice(1));
  } catch (error) {
    notice = 'the link holds no playground setup (' + error.message + ')';
  }
}
const offered = (setup) => Array.from(what.options).some((option) => option.value === setup.mode + ':' + (setup.mode === 'lock' ? setup.lock : setup.scenario));
if (initial !== null && !offered(initial)) {
  notice = 'the link names a lock or scenario this playground does not have';
  initial = null;
}
if (initial !== null) showSetup(initial);
else {
  what.value = 'scenario:pause-breaks-lock';
  showKnobs();
}
run({ timeMs: 0 });
