/*
 * leaselab timeline viewer: the browser half of src/report/html-timeline.ts.
 * It reads the run's facts from the JSON element #timeline-data (built by
 * src/report/timeline-model.ts) and draws them as an SVG, one lane per
 * process, the server and each resource, at the window's width:
 *
 *   process lane   events row (pause, crash, logs) · lock beliefs · calls
 *                  (send → answer, by outcome) · leases (server deadline,
 *                  renewals, sweep | client's local deadline) · watches ·
 *                  link strip (faults on the links they cut, dropped messages)
 *   server lane    restarts · every revision · expiry sweeps
 *   member lane    (a simulated cluster) leader elected · raft role over
 *                  time (leader, follower, candidate, down; with term) ·
 *                  link strip (partitions between members, dropped messages)
 *   resource lane  writes from send to arrival: accepted, stale, rejected
 *
 * A scrubber (step, play) moves a cursor; the state panel shows the keys,
 * leases and lock holders at that time. Hover or click shows details and
 * highlights what an item relates to. Colours are Okabe-Ito; every colour
 * also has a shape or pattern. Plain browser JavaScript, no dependencies.
 */
(function () {
  'use strict';
  /** When the viewer's code began (ms since the page's navigation started): load-to-ready is measured from 0. */
  const scriptStartMs = performance.now();
  const dataElement = document.getElementById('timeline-data');
  /** The run drawn; the playground swaps it (window.leaselabTimeline.load). */
  let data = dataElement && dataElement.textContent.trim() !== '' ? JSON.parse(dataElement.textContent) : null;
  const parsedMs = performance.now();
  const C = {
    black: '#000000',
    orange: '#E69F00',
    sky: '#56B4E9',
    green: '#009E73',
    yellow: '#F0E442',
    blue: '#0072B2',
    verm: '#D55E00',
    purple: '#CC79A7',
    grey: '#767676',
    light: '#f2f2f2',
  };
  const plot = document.getElementById('plot');
  const tooltip = document.getElementById('tooltip');
  const statePanel = document.getElementById('state');
  const details = document.getElementById('details');
  const legendBox = document.getElementById('legend');
  const scrubber = document.getElementById('scrubber');
  const timeLabel = document.getElementById('time-label');
  const playButton = document.getElementById('play');
  const speedSelect = document.getElementById('speed');
  let endMs = 1000;
  let lanes = [];

  // ------------------------------------------------------------ helpers

  const fmt = (ms) => (ms / 1000).toFixed(3) + ' s';
  const fmtMs = (ms) => (Math.abs(ms) >= 1000 ? (ms / 1000).toFixed(3) + ' s' : Math.round(ms) + ' ms');
  const escMap = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => escMap[c]);
  const laneName = (i) => (i >= 0 && i < lanes.length ? lanes[i].name : '?');
  const canvas = document.createElement('canvas').getContext('2d');
  /**
   * A label's width: the sum of its characters' widths, each measured once per
   * font (a long run places thousands of labels; measuring each string, and
   * setting the canvas font for it, cost more than drawing). Kerning is left
   * out: labels keep a few pixels apart anyway.
   */
  const charWidths = new Map();
  const widthCache = new Map();
  function textWidth(text, size, bold) {
    const key = (bold ? 'b' : '') + size + '|' + text;
    let known = widthCache.get(key);
    if (known === undefined) {
      known = measuredWidth(text, size, bold);
      widthCache.set(key, known);
    }
    return known;
  }
  function measuredWidth(text, size, bold) {
    const font = (bold ? '600 ' : '') + size + 'px system-ui, -apple-system, "Segoe UI", sans-serif';
    let widths = charWidths.get(font);
    if (widths === undefined) {
      widths = new Map();
      charWidths.set(font, widths);
    }
    let total = 0;
    for (const ch of text) {
      let w = widths.get(ch);
      if (w === undefined) {
        if (canvas.font !== font) canvas.font = font;
        w = canvas.measureText(ch).width;
        widths.set(ch, w);
      }
      total += w;
    }
    return total;
  }

  // ------------------------------------------------------------ items: everything hover, click and step know about

  const items = [];
  /**
   * Call rows drawn as a few paths (one per outcome) instead of a rect per
   * call: a 10-minute, 20-client run has thousands of calls and their rects
   * were the page's main cost. Hover and click find the call under the pointer
   * here: { x, y, w, h, calls: [[x0, x1, item, outcome, thin]] sorted by x0 }.
   */
  const denseRows = [];
  /** A call row with at least this many calls in view is drawn as paths (`<body data-call-rects>`: never, for measuring). */
  const denseRowCallsMin = document.body.hasAttribute('data-call-rects') ? Infinity : 40;
  function item(kind, t, text, rel) {
    items.push({ kind, t, text, rel: rel || [] });
    return items.length - 1;
  }
  let laneEnds = [];
  const stopAfter = (lane, atMs) => {
    let best = endMs;
    for (const t of laneEnds[lane] || []) if (t >= atMs && t < best) best = t;
    return best;
  };
  let leaseById = new Map();
  /** Take a run's model: what every drawing below reads. */
  function adopt(model) {
    data = model;
    endMs = data.endMs;
    lanes = data.lanes;
    laneEnds = lanes.map(() => []);
    for (const [lane, atMs] of data.crashes) if (lane >= 0) laneEnds[lane].push(atMs);
    for (const [lane, atMs] of data.exits) if (lane >= 0) laneEnds[lane].push(atMs);
    leaseById = new Map(data.leases.map((lease) => [lease.id, lease]));
  }

  // ------------------------------------------------------------ layout and drawing

  /** The time window drawn (zoom). */
  let viewFrom = 0;
  let viewTo = endMs;

  let svgEl = null;
  let cursorEl = null;
  let xOf = (t) => t;
  let tOf = (x) => x;
  let plotLeft = 0;
  let plotRight = 0;
  let usedLegend = new Set();
  /** Each drawn lease and the y of its server and client bars: the cursor shows their deadlines at t. */
  const leaseGeometry = [];
  /** The "hide the future" box. */
  const futureBox = document.getElementById('future-hide');
  if (futureBox) futureBox.addEventListener('change', () => drawFuture());
  /** The "arrows for every call" box (pages written before it have none). */
  const arrowsBox = document.getElementById('arrows-all');
  if (arrowsBox) arrowsBox.addEventListener('change', () => drawAllArrows());
  /** Each render's number: lanes drawn late belong to the latest render only. */
  let renderGeneration = 0;
  /** Settles when every lane of the latest render is drawn. */
  let drawn = Promise.resolve();
  /** Where a call's message meets the server lane. */
  let serverArrowY = 0;
  /** Each lane's [top, bottom] in the picture (a click's lane). */
  let laneBands = [];
  /** Set by the playground: a click on a lane (index, time, event, on its name); return true when it handled the click. */
  let laneClickHook = null;

  const rowH = { events: 14, belief: 18, call: 11, lease: 26, watch: 18, link: 11, revisions: 19, sweeps: 18, owner: 18, write: 20, role: 17 };
  /** A member's raft role: fill, stroke, text colour (each role also has its own pattern or tone, not colour alone). */
  const roleStyle = {
    leader: ['#E69F00', '#8a5a00', '#1d1d1d'],
    follower: ['#f1f1f1', '#bdbdbd', '#3d3d3d'],
    candidate: ['url(#hatch-cand)', '#b8a800', '#4d4500'],
    down: ['#5f5f5f', '#3d3d3d', '#ffffff'],
  };
  /** Lanes that have links drawn: clients, and cluster members (their links to each other). */
  const hasLinks = (li) => li >= 0 && li < lanes.length && (lanes[li].kind === 'process' || lanes[li].kind === 'member');

  function packRows(spans, rowsMax) {
    // spans: [x0, x1, payload]; returns rows of payloads (greedy, earliest first)
    const ends = [];
    const rows = [];
    for (const span of spans) {
      let placed = -1;
      for (let r = 0; r < ends.length; r++) {
        if (span[0] >= ends[r] + 1) {
          placed = r;
          break;
        }
      }
      if (placed < 0) {
        if (ends.length < rowsMax) {
          ends.push(-Infinity);
          rows.push([]);
          placed = ends.length - 1;
        } else {
          // all rows busy: the one free soonest
          placed = 0;
          for (let r = 1; r < ends.length; r++) if (ends[r] < ends[placed]) placed = r;
        }
      }
      ends[placed] = Math.max(ends[placed], span[1]);
      rows[placed].push(span[2]);
    }
    return rows;
  }

  let renders = 0;
  function render() {
    document.body.setAttribute('data-renders', String(++renders));
    items.length = 0;
    denseRows.length = 0;
    leaseGeometry.length = 0;
    usedLegend = new Set();
    const width = Math.max(320, Math.floor(plot.clientWidth));
    const narrow = width < 720;
    const labelW = narrow ? 66 : 96;
    const padR = 12;
    plotLeft = labelW;
    plotRight = width - padR;
    const plotW = plotRight - plotLeft;
    // The view window (zoom): times outside it fall just off the plot and are clipped.
    const viewMs = viewTo - viewFrom;
    xOf = (t) => plotLeft + Math.max(-0.02, Math.min(1.02, (Math.max(0, Math.min(t, endMs)) - viewFrom) / viewMs)) * plotW;
    tOf = (x) => Math.max(0, Math.min(endMs, viewFrom + ((x - plotLeft) / plotW) * viewMs));
    const inView = (from, until) => until >= viewFrom && from <= viewTo;
    const minW = 3;
    const span = (from, until) => {
      const x0 = xOf(from);
      return [x0, Math.max(x0 + minW, xOf(until))];
    };

    // What is drawn: each lane's shapes and labels (labels after shapes), and what crosses lanes.
    const laneOut = lanes.map(() => []);
    const laneOver = lanes.map(() => []);
    const globalOut = [];
    const globalOver = [];
    let out = globalOut;
    let over = globalOver; // drawn last: labels
    /** Draw into a lane's own buffers (-1: across lanes). */
    const setLane = (li) => {
      out = li >= 0 ? laneOut[li] : globalOut;
      over = li >= 0 ? laneOver[li] : globalOver;
    };
    const occupied = new Map();
    /** A label if it fits at x in its row without touching another; else nothing. */
    function label(row, x, y, text, opts) {
      opts = opts || {};
      const size = opts.size || 11;
      const w = textWidth(text, size, opts.bold) + 2;
      let x0 = opts.anchorEnd ? x - w : x;
      const limitRight = opts.maxX !== undefined ? opts.maxX : plotRight;
      if (x0 + w > limitRight) {
        if (opts.noShift) return false;
        x0 = limitRight - w;
      }
      const limitLeft = opts.minX !== undefined ? opts.minX : plotLeft;
      if (x0 < limitLeft) return false;
      if (collides(row, x0 - 4, x0 + w + 4)) return false;
      reserve(row, x0, x0 + w);
      over.push(
        '<text x="' +
          (x0 + 1).toFixed(1) +
          '" y="' +
          y.toFixed(1) +
          '" font-size="' +
          size +
          '"' +
          (opts.bold ? ' font-weight="600"' : '') +
          ' fill="' +
          (opts.fill || '#1d1d1d') +
          '"' +
          (opts.cls ? ' class="' + opts.cls + '"' : '') +
          (opts.i !== undefined ? attrs(opts.i) : '') +
          '>' +
          esc(text) +
          '</text>',
      );
      return true;
    }
    // Taken stretches of each row, in 64 px buckets (a crowded row has thousands).
    const bucketPx = 64;
    /** Keep labels off a marker. */
    function reserve(row, x0, x1) {
      let buckets = occupied.get(row);
      if (buckets === undefined) {
        buckets = new Map();
        occupied.set(row, buckets);
      }
      for (let b = Math.floor(x0 / bucketPx); b <= Math.floor(x1 / bucketPx); b++) {
        const list = buckets.get(b);
        if (list === undefined) buckets.set(b, [[x0, x1]]);
        else list.push([x0, x1]);
      }
    }
    function collides(row, x0, x1) {
      const buckets = occupied.get(row);
      if (buckets === undefined) return false;
      for (let b = Math.floor(x0 / bucketPx); b <= Math.floor(x1 / bucketPx); b++) {
        const list = buckets.get(b);
        if (list === undefined) continue;
        for (const [a, c] of list) if (x0 < c && x1 > a) return true;
      }
      return false;
    }
    /** The first of several texts (long to short) that fits. */
    function labelFirst(row, x, y, texts, opts) {
      for (const text of texts) if (label(row, x, y, text, opts)) return true;
      return false;
    }
    /** An item's attributes: its index, and what it relates to (left out when nothing: fewer attributes to parse). */
    const attrs = (i) => (items[i].rel.length === 0 ? ' data-i="' + i + '"' : ' data-i="' + i + '" data-r="' + esc(items[i].rel.join(' ')) + '"');
    const use = (key) => usedLegend.add(key);

    // --- axis
    const axisH = 24;
    let y = axisH;
    const laneTops = [];
    const laneHeights = [];
    const laneRows = [];

    // --- measure each lane
    const callsByLane = lanes.map(() => []);
    for (const call of data.calls) if (call[0] >= 0 && inView(call[1], call[2] >= 0 ? call[2] : endMs)) callsByLane[call[0]].push(call);
    const beliefsByLane = lanes.map(() => []);
    for (const belief of data.beliefs) if (belief[0] >= 0) beliefsByLane[belief[0]].push(belief);
    const leasesByLane = lanes.map(() => []);
    for (const lease of data.leases) if (lease.lane >= 0) leasesByLane[lease.lane].push(lease);
    const watchesByLane = lanes.map(() => []);
    for (const watch of data.watches) if (watch.lane >= 0) watchesByLane[watch.lane].push(watch);
    const writesByLane = lanes.map(() => []);
    for (const write of data.writes) if (write[0] >= 0) writesByLane[write[0]].push(write);
    const linkFaultsByLane = lanes.map(() => []);
    for (const fault of data.faults) {
      if (fault.everywhere) lanes.forEach((lane, i) => lane.kind === 'process' && linkFaultsByLane[i].push(fault));
      else if (fault.link) {
        for (const end of [fault.link[0], fault.link[1]]) if (hasLinks(end)) linkFaultsByLane[end].push(fault);
        if (!hasLinks(fault.link[0]) && !hasLinks(fault.link[1])) {
          const end = fault.link[0] >= 0 ? fault.link[0] : fault.link[1];
          if (end >= 0) linkFaultsByLane[end].push(fault);
        }
      }
    }
    const ownerLocks = Array.from(new Set(data.owners.map((owner) => owner[0])));
    const peerOf = (fault, li) => (fault.link ? laneName(fault.link[0] === li ? fault.link[1] : fault.link[0]) : 'everything');
    const dropsByLane = lanes.map(() => []);
    for (const drop of data.drops) {
      const lane = hasLinks(drop[1]) ? drop[1] : drop[2];
      if (lane >= 0) dropsByLane[lane].push(drop);
    }
    const logsByLane = lanes.map(() => []);
    for (const log of data.logs) if (log[0] >= 0) logsByLane[log[0]].push(log);

    lanes.forEach((lane, li) => {
      const rows = [];
      if (lane.kind === 'process') {
        rows.push({ kind: 'events', h: rowH.events });
        if (beliefsByLane[li].length > 0) rows.push({ kind: 'belief', h: rowH.belief });
        const callSpans = callsByLane[li].map((call) => {
          const until = call[2] >= 0 ? call[2] : stopAfter(li, call[1]);
          const s = span(call[1], until);
          return [s[0], s[1], call];
        });
        const callRows = packRows(callSpans, narrow ? 2 : 3);
        callRows.forEach((calls) => rows.push({ kind: 'call', h: rowH.call, calls }));
        const leaseSpans = leasesByLane[li].map((lease) => {
          const until = Math.max(lease.endedAtMs >= 0 ? lease.endedAtMs : endMs, lease.lost ? lease.lost[0] : 0);
          const s = span(lease.grantedAtMs, until);
          return [s[0], s[1] + 90, lease];
        });
        packRows(leaseSpans, 3).forEach((leases) => rows.push({ kind: 'lease', h: rowH.lease, leases }));
        const watchSpans = watchesByLane[li].map((watch) => {
          const s = span(watch.fromMs, watch.untilMs >= 0 ? watch.untilMs : endMs);
          return [s[0], s[1], watch];
        });
        packRows(watchSpans, 2).forEach((watches) => rows.push({ kind: 'watch', h: rowH.watch, watches }));
        // one strip per link that had trouble (alice ↔ server, alice ↔ storage): faults are drawn on the link they cut
        const peers = [];
        for (const fault of linkFaultsByLane[li]) {
          const peer = peerOf(fault, li);
          if (peers.indexOf(peer) < 0) peers.push(peer);
        }
        if (peers.length === 0 && dropsByLane[li].length > 0) peers.push('');
        for (const peer of peers) rows.push({ kind: 'link', h: rowH.link, peer });
      } else if (lane.kind === 'member') {
        rows.push({ kind: 'events', h: rowH.events });
        rows.push({ kind: 'role', h: rowH.role });
        const peers = [];
        for (const fault of linkFaultsByLane[li]) {
          const peer = peerOf(fault, li);
          if (peers.indexOf(peer) < 0) peers.push(peer);
        }
        if (peers.length === 0 && dropsByLane[li].length > 0) peers.push('');
        for (const peer of peers) rows.push({ kind: 'link', h: rowH.link, peer });
      } else if (lane.kind === 'server') {
        rows.push({ kind: 'events', h: rowH.events });
        for (const lockName of ownerLocks) rows.push({ kind: 'owner', h: rowH.owner, lockName });
        rows.push({ kind: 'revisions', h: rowH.revisions });
        rows.push({ kind: 'sweeps', h: rowH.sweeps });
      } else {
        const writeSpans = writesByLane[li].map((write) => {
          const s = span(write[2], write[3]);
          return [s[0], s[1] + 8, write];
        });
        const packed = packRows(writeSpans, 3);
        if (packed.length === 0) packed.push([]);
        packed.forEach((writes) => rows.push({ kind: 'write', h: rowH.write, writes }));
      }
      let h = 6;
      for (const row of rows) {
        row.y = y + h;
        h += row.h;
      }
      h += 6;
      laneTops.push(y);
      laneHeights.push(h);
      laneRows.push(rows);
      y += h;
    });
    const totalH = y + 8;
    laneBands = laneTops.map((top, li) => [top, top + laneHeights[li]]);
    const serverLaneIndex = lanes.findIndex((lane) => lane.kind === 'server');
    const serverRevRow = serverLaneIndex >= 0 ? laneRows[serverLaneIndex].find((row) => row.kind === 'revisions') : undefined;
    serverArrowY = serverRevRow ? serverRevRow.y + 4 : totalH - 10;
    const rowOf = (li, kind) => laneRows[li].find((row) => row.kind === kind);

    // --- defs: patterns so no fact is told by colour alone
    out.push(
      '<defs>' +
        '<pattern id="hatch-verm" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' +
        C.verm +
        '"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2" stroke-opacity=".55"/></pattern>' +
        '<pattern id="hatch-pause" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="' +
        C.yellow +
        '" fill-opacity=".28"/><line x1="0" y1="0" x2="0" y2="8" stroke="#b8a800" stroke-width="1" stroke-opacity=".45"/></pattern>' +
        '<pattern id="hatch-cut" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="' +
        C.purple +
        '" fill-opacity=".35"/><line x1="0" y1="0" x2="0" y2="6" stroke="' +
        C.purple +
        '" stroke-width="2"/></pattern>' +
        '<pattern id="dots-hold" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="' +
        C.orange +
        '" fill-opacity=".3"/><circle cx="2.5" cy="2.5" r="1.2" fill="#8a5a00"/></pattern>' +
        '<pattern id="hatch-unknown" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fbe5b0"/><line x1="0" y1="0" x2="0" y2="5" stroke="' +
        C.orange +
        '" stroke-width="2"/></pattern>' +
        '<marker id="arrowhead" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L8 4L0 8z" fill="#1d1d1d"/></marker>' +
        '<pattern id="hatch-pastdeadline" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#cfe3f1"/><line x1="0" y1="0" x2="0" y2="5" stroke="' +
        C.blue +
        '" stroke-width="1.6"/></pattern>' +
        '<pattern id="hatch-cand" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' +
        C.yellow +
        '" fill-opacity=".35"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b8a800" stroke-width="1.5"/></pattern>' +
        '</defs>',
    );

    // --- lane backgrounds and labels
    lanes.forEach((lane, li) => {
      out.push(
        '<rect x="0" y="' +
          laneTops[li] +
          '" width="' +
          width +
          '" height="' +
          laneHeights[li] +
          '" fill="' +
          (li % 2 === 0 ? '#ffffff' : '#f7f7f5') +
          '" class="lane" data-lane="' +
          esc(lane.name) +
          '"/>',
      );
      out.push(
        '<line x1="0" x2="' + width + '" y1="' + (laneTops[li] + laneHeights[li]) + '" y2="' + (laneTops[li] + laneHeights[li]) + '" stroke="#e3e3e3"/>',
      );
    });

    // --- time axis
    const steps = [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000];
    const pxPerMs = plotW / viewMs;
    const tickMs = [1, 2, 5, 10, 20, 50].concat(steps).find((s) => s * pxPerMs >= (narrow ? 56 : 70)) || 600000;
    const decimals = tickMs < 10 ? 3 : tickMs < 100 ? 2 : tickMs < 1000 ? 1 : 0;
    for (let t = Math.ceil(viewFrom / tickMs) * tickMs; t <= viewTo + 0.5; t += tickMs) {
      const x = xOf(t);
      out.push('<line x1="' + x + '" x2="' + x + '" y1="' + (axisH - 4) + '" y2="' + (totalH - 8) + '" stroke="#ececec"/>');
      const text = (t / 1000).toFixed(decimals) + ' s';
      const w = textWidth(text, 11);
      const lx = Math.min(Math.max(x - w / 2, plotLeft - 4), plotRight - w);
      out.push('<text x="' + lx.toFixed(1) + '" y="' + (axisH - 8) + '" font-size="11" fill="#5f5f5f">' + text + '</text>');
    }

    out.push(
      '<clipPath id="plot-clip"><rect x="' +
        (plotLeft - 1) +
        '" y="0" width="' +
        (plotW + 2) +
        '" height="' +
        totalH +
        '"/></clipPath><g clip-path="url(#plot-clip)">',
    );

    /** Draw the lanes `want` picks (the ones on screen first, the rest just after), category by category. */
    function drawLanes(want) {
      // --- whole-lane faults: pause, crash (to restart), server restart, slow apply
      for (const crash of data.crashes) if (crash[0] >= 0 && want(crash[0])) reserve('ev' + crash[0], xOf(crash[1]) - 6, xOf(crash[1]) + 6);
      for (const start of data.starts) if (start[0] >= 0 && start[2] > 1 && want(start[0])) reserve('ev' + start[0], xOf(start[1]) - 2, xOf(start[1]) + 9);
      for (const fault of data.faults) {
        if (fault.link || fault.everywhere) continue;
        for (const li of fault.lanes) {
          if (li < 0 || !want(li)) continue;
          setLane(li);
          const until = fault.untilMs >= 0 ? fault.untilMs : endMs;
          const s = span(fault.fromMs, until);
          const top = laneTops[li] + 2;
          const h = laneHeights[li] - 4;
          const dur = fault.untilMs >= 0 ? fmtMs(fault.untilMs - fault.fromMs) : 'to the end';
          let fill = 'url(#hatch-pause)';
          let text = fault.label;
          let legend = 'pause';
          if (fault.kind === 'pause') text = 'paused ' + dur + ': runs nothing, time goes on';
          else if (fault.kind === 'crash') {
            fill = '#d9d9d9';
            legend = 'crash';
            text = 'crashed' + (fault.untilMs >= 0 ? ' (restarted at ' + fmt(fault.untilMs) + ')' : '');
          } else if (fault.kind === 'serverRestart') {
            fill = '#e7d3e0';
            legend = 'serverRestart';
            text = 'etcd down, restarting (' + dur + ')';
          } else if (fault.kind === 'slowApply') {
            fill = '#f4e6c8';
            legend = 'slowApply';
            text = fault.label + ' (' + dur + ')';
          } else if (fault.kind === 'drift') {
            fill = '#e4eef6';
            legend = 'drift';
            text = fault.label;
          }
          use(legend);
          const i = item(
            'fault',
            fault.fromMs,
            fault.label + '\n' + fmt(fault.fromMs) + ' – ' + (fault.untilMs >= 0 ? fmt(fault.untilMs) : 'end') + ' (' + dur + ')',
            ['f:' + fault.kind + ':' + li],
          );
          out.push(
            '<rect class="fault fault-' +
              fault.kind +
              '" x="' +
              s[0].toFixed(1) +
              '" y="' +
              top +
              '" width="' +
              (s[1] - s[0]).toFixed(1) +
              '" height="' +
              h +
              '" fill="' +
              fill +
              '"' +
              attrs(i) +
              '/>',
          );
          const ev = rowOf(li, 'events');
          if (ev)
            labelFirst('ev' + li, s[0] + 3, ev.y + 10, [text, fault.kind === 'pause' ? 'paused ' + dur : fault.label, fault.kind], {
              maxX: Math.max(s[1], s[0] + 140),
              i,
              fill: '#4d4500',
            });
        }
      }

      // --- lock beliefs, then two holders on top
      for (const belief of data.beliefs) {
        if (!want(belief[0])) continue;
        const s = span(belief[3], belief[4] >= 0 ? belief[4] : endMs);
        reserve('belief' + belief[0], s[0], s[1] - 4);
      }
      for (const belief of data.beliefs) {
        const li = belief[0];
        const row = rowOf(li, 'belief');
        if (!row || !want(li)) continue;
        setLane(li);
        const until = belief[4] >= 0 ? belief[4] : endMs;
        const s = span(belief[3], until);
        const endText =
          { released: 'released', lost: 'learned it lost the lock', crashed: 'crashed', exited: 'exited', held: 'still held at the end' }[belief[5]] ||
          belief[5];
        const i = item(
          'belief',
          belief[3],
          laneName(li) +
            ' believes it holds ' +
            belief[1] +
            ' (fencing token ' +
            belief[2] +
            ', lease ' +
            belief[6] +
            ')\nfrom ' +
            fmt(belief[3]) +
            ' until ' +
            (belief[4] >= 0 ? fmt(belief[4]) : 'the end') +
            ': ' +
            endText,
          ['l:' + belief[6], 'tok:' + li + ':' + belief[2], 'b:' + belief[1]],
        );
        use('belief');
        out.push(
          '<rect class="belief" x="' +
            s[0].toFixed(1) +
            '" y="' +
            (row.y + 1) +
            '" width="' +
            (s[1] - s[0]).toFixed(1) +
            '" height="' +
            (row.h - 3) +
            '" rx="3" fill="' +
            C.green +
            '"' +
            attrs(i) +
            '/>',
        );
        labelFirst('beliefIn' + li, s[0] + 4, row.y + 12, ['holds ' + belief[1] + ' · token ' + belief[2], 'token ' + belief[2], '' + belief[2]], {
          maxX: s[1] - 2,
          noShift: true,
          fill: '#fff',
          bold: true,
          i,
        });
        if (belief[5] === 'lost' || belief[5] === 'crashed') {
          use('belief-lost');
          out.push(
            '<line x1="' +
              s[1].toFixed(1) +
              '" x2="' +
              s[1].toFixed(1) +
              '" y1="' +
              row.y +
              '" y2="' +
              (row.y + row.h - 1) +
              '" stroke="' +
              C.black +
              '" stroke-width="2"/>',
          );
          if (belief[5] === 'lost') labelFirst('belief' + li, s[1] + 4, row.y + 12, ['learns it lost it', 'lost'], { noShift: true, fill: '#1d1d1d' });
        }
      }
      data.overlaps.forEach((overlap, oi) => {
        const s = span(overlap[1], overlap[2] >= 0 ? overlap[2] : endMs);
        const i = overlapItems[oi];
        for (const li of overlap[3]) {
          const row = rowOf(li, 'belief');
          if (!row || !want(li)) continue;
          setLane(li);
          out.push(
            '<rect class="overlap" x="' +
              s[0].toFixed(1) +
              '" y="' +
              (row.y + 1) +
              '" width="' +
              (s[1] - s[0]).toFixed(1) +
              '" height="' +
              (row.h - 3) +
              '" rx="3" fill="url(#hatch-verm)" stroke="' +
              C.verm +
              '"' +
              attrs(i) +
              '/>',
          );
        }
        const firstRow = rowOf(overlap[3][0], 'events');
        if (firstRow && want(overlap[3][0])) {
          setLane(overlap[3][0]);
          labelFirst('ev' + overlap[3][0], s[0] + 3, firstRow.y + 10, ['TWO HOLDERS of ' + overlap[0], 'TWO HOLDERS', '2 holders'], {
            bold: true,
            fill: '#a34300',
            i,
          });
        }
      });

      // --- calls: send → answer, by outcome
      const callStyle = {
        ok: ['#d6e9f5', C.blue, ''],
        error: ['#f7d4c1', C.verm, ''],
        unknown: ['url(#hatch-unknown)', '#8a5a00', ''],
        open: ['#ffffff', C.grey, ' stroke-dasharray="3 2"'],
      };
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        laneRows[li].forEach((row, ri) => {
          if (row.kind !== 'call') return;
          const dense = row.calls.length >= denseRowCallsMin ? { x: plotLeft, y: row.y, w: plotW, h: row.h, calls: [] } : undefined;
          for (const call of row.calls) {
            const until = call[2] >= 0 ? call[2] : stopAfter(li, call[1]);
            const s = span(call[1], until);
            const style = callStyle[call[4]];
            use('call-' + call[4]);
            const outcomeText = { ok: 'ok', error: 'error', unknown: 'unknown: timed out, may or may not have been applied', open: 'never answered' }[call[4]];
            const applied =
              call[6] >= 0
                ? '\napplied by the server at ' +
                  fmt(call[6]) +
                  ' (' +
                  fmtMs(call[6] - call[1]) +
                  ' after sending)' +
                  (call[4] === 'ok' ? '' : ': it took effect although the client does not know')
                : '';
            const i = item(
              'call',
              call[1],
              laneName(li) +
                ' ' +
                call[3] +
                ': sent ' +
                fmt(call[1]) +
                (call[2] >= 0 ? ', answered ' + fmt(call[2]) + ' (' + fmtMs(call[2] - call[1]) + ')' : '') +
                ' — ' +
                outcomeText +
                applied +
                '\n' +
                call[5],
              ['c:' + li],
            );
            if (call[6] >= 0) {
              items[i].arrow = { y: row.y + row.h / 2, from: call[1], server: call[6], to: call[2] };
              use('arrow');
            }
            const appliedAttr = call[6] >= 0 ? ' data-applied="' + call[6] + '"' : '';
            if (dense) {
              const thin = s[1] - s[0] <= minW + 0.01 && call[4] !== 'open';
              dense.calls.push([s[0], thin ? s[0] + 2 : s[1], i, call[4], thin]);
              items[i].box = [s[0], row.y + 1, thin ? 2 : s[1] - s[0], row.h - 2];
            } else if (s[1] - s[0] <= minW + 0.01 && call[4] !== 'open')
              out.push(
                '<rect class="call call-' +
                  call[4] +
                  '"' +
                  appliedAttr +
                  ' x="' +
                  s[0].toFixed(1) +
                  '" y="' +
                  (row.y + 1) +
                  '" width="2" height="' +
                  (row.h - 2) +
                  '" fill="' +
                  (call[4] === 'unknown' ? C.orange : style[1]) +
                  '"' +
                  attrs(i) +
                  '/>',
              );
            else
              out.push(
                '<rect class="call call-' +
                  call[4] +
                  '"' +
                  appliedAttr +
                  ' x="' +
                  s[0].toFixed(1) +
                  '" y="' +
                  (row.y + 1) +
                  '" width="' +
                  (s[1] - s[0]).toFixed(1) +
                  '" height="' +
                  (row.h - 2) +
                  '" rx="2" fill="' +
                  style[0] +
                  '" stroke="' +
                  style[1] +
                  '" stroke-width="1"' +
                  style[2] +
                  attrs(i) +
                  '/>',
              );
            if (s[1] - s[0] > 30)
              label('call' + li + ':' + ri, s[0] + 2, row.y + 8.5, call[3] + (call[4] === 'ok' ? '' : ' ' + call[4]), {
                maxX: s[1] - 1,
                noShift: true,
                size: 8.5,
                fill: '#1d1d1d',
              });
          }
          if (dense) {
            dense.calls.sort((a, b) => a[0] - b[0]);
            out.push(denseRowPaths(dense, denseRows.length, callStyle));
            denseRows.push(dense);
          }
        });
      });

      // --- leases: server lifetime (deadline, renewals, sweep) over the client's view (local deadline)
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        laneRows[li].forEach((row, ri) => {
          if (row.kind !== 'lease') return;
          for (const lease of row.leases) {
            const rel = ['l:' + lease.id];
            const serverEnd = lease.endedAtMs >= 0 ? lease.endedAtMs : endMs;
            const sy = row.y + 12;
            const cy = row.y + 20;
            leaseGeometry.push({ lease, sy, cy });
            use('deadline-now');
            const s = span(lease.grantedAtMs, serverEnd);
            const last = lease.serverDeadlines.filter((d) => d[0] <= serverEnd).pop();
            const deadline = last ? last[1] : lease.grantedAtMs + lease.ttlSeconds * 1000;
            const renewals = lease.serverDeadlines.length - 1;
            const endText =
              lease.end === 'expired'
                ? 'expired at the sweep ' +
                  fmt(lease.endedAtMs) +
                  ', ' +
                  fmtMs(lease.endedAtMs - deadline) +
                  ' after its deadline ' +
                  fmt(deadline) +
                  (lease.revision >= 0 ? ' (rev ' + lease.revision + ')' : '')
                : lease.end === 'revoked'
                  ? 'revoked ' + fmt(lease.endedAtMs)
                  : 'alive at the end (deadline ' + fmt(deadline) + ')';
            const i = item(
              'lease',
              lease.grantedAtMs,
              'lease ' +
                lease.id +
                ' of ' +
                laneName(li) +
                ', TTL ' +
                lease.ttlSeconds +
                ' s\ngranted ' +
                fmt(lease.grantedAtMs) +
                ', renewed ' +
                renewals +
                ' time(s) by keepalives\n' +
                endText,
              rel,
            );
            use('lease-server');
            const aliveUntil = lease.end === 'expired' ? Math.min(deadline, serverEnd) : serverEnd;
            const sa = span(lease.grantedAtMs, aliveUntil);
            out.push(
              '<rect class="lease" x="' +
                sa[0].toFixed(1) +
                '" y="' +
                sy +
                '" width="' +
                (sa[1] - sa[0]).toFixed(1) +
                '" height="6" fill="' +
                C.blue +
                '"' +
                attrs(i) +
                '/>',
            );
            // keepalive renewals at the server: white notches
            if (renewals > 0) {
              let d = '';
              let lastX = -10;
              for (let k = 1; k < lease.serverDeadlines.length; k++) {
                const x = xOf(lease.serverDeadlines[k][0]);
                if (x - lastX < 2) continue;
                lastX = x;
                d += 'M' + x.toFixed(1) + ' ' + sy + 'v6';
              }
              if (d !== '') {
                use('renewal');
                out.push('<path class="renewal" d="' + d + '" stroke="#fff" stroke-width="1.2" pointer-events="none"/>');
              }
            }
            if (lease.end === 'expired') {
              // past its deadline, still there until the sweep
              const pd = span(Math.min(deadline, serverEnd), serverEnd);
              const dx = xOf(deadline);
              use('deadline');
              use('sweep');
              const di = item(
                'deadline',
                deadline,
                'lease ' +
                  lease.id +
                  ': server deadline ' +
                  fmt(deadline) +
                  ' (last renewal + TTL)\nthe sweep revoked it ' +
                  fmtMs(lease.endedAtMs - deadline) +
                  ' later, at ' +
                  fmt(lease.endedAtMs),
                rel,
              );
              if (pd[1] - pd[0] > 0)
                out.push(
                  '<rect class="past-deadline" x="' +
                    pd[0].toFixed(1) +
                    '" y="' +
                    sy +
                    '" width="' +
                    (pd[1] - pd[0]).toFixed(1) +
                    '" height="6" fill="url(#hatch-pastdeadline)" stroke="' +
                    C.blue +
                    '" stroke-width=".6"' +
                    attrs(di) +
                    '/>',
                );
              out.push(
                '<path class="server-deadline" d="M' +
                  dx.toFixed(1) +
                  ' ' +
                  (sy - 3) +
                  'l4 6l-4 6l-4 -6z" fill="#fff" stroke="' +
                  C.black +
                  '" stroke-width="1.3"' +
                  attrs(di) +
                  '/>',
              );
              const ex = xOf(lease.endedAtMs);
              const si = item(
                'sweep',
                lease.endedAtMs,
                'the expiry sweep revoked lease ' +
                  lease.id +
                  ' at ' +
                  fmt(lease.endedAtMs) +
                  (lease.revision >= 0 ? ': its keys deleted in one write, rev ' + lease.revision : '') +
                  '\n' +
                  fmtMs(lease.endedAtMs - deadline) +
                  ' after the deadline ' +
                  fmt(deadline),
                rel,
              );
              out.push(
                '<rect class="sweep" x="' + (ex - 1.5).toFixed(1) + '" y="' + (sy - 4) + '" width="3" height="14" fill="' + C.black + '"' + attrs(si) + '/>',
              );
              const sweptText = 'swept +' + fmtMs(lease.endedAtMs - deadline) + ' after the deadline ◇';
              if (
                !labelFirst('lease' + li + ':' + ri, ex + 4, row.y + 9.5, [sweptText, 'swept +' + fmtMs(lease.endedAtMs - deadline)], {
                  size: 9.5,
                  fill: '#1d1d1d',
                  noShift: true,
                  i: si,
                })
              )
                labelFirst('lease' + li + ':' + ri, dx - 6, row.y + 9.5, [sweptText, 'swept +' + fmtMs(lease.endedAtMs - deadline)], {
                  size: 9.5,
                  fill: '#1d1d1d',
                  noShift: true,
                  anchorEnd: true,
                  i: si,
                });
            } else if (lease.end === 'revoked') {
              const ex = xOf(lease.endedAtMs);
              out.push(
                '<rect class="revoke" x="' + (ex - 1).toFixed(1) + '" y="' + (sy - 2) + '" width="2" height="10" fill="' + C.grey + '"' + attrs(i) + '/>',
              );
              label('lease' + li + ':' + ri, ex + 4, row.y + 9.5, 'revoked', { size: 9.5, fill: C.grey, noShift: true });
            }
            labelFirst(
              'lease' + li + ':' + ri,
              s[0],
              row.y + 9.5,
              [
                'lease ' + lease.id.slice(0, 8) + '… TTL ' + lease.ttlSeconds + ' s (server | client)',
                'lease ' + lease.id.slice(0, 6) + '… TTL ' + lease.ttlSeconds + ' s',
                'lease',
              ],
              { size: 9.5, fill: '#08466e', noShift: true, i },
            );
            // client side: from the first keepalive to giving up, with its local deadline
            if (lease.clientDeadlines.length > 0) {
              const from = lease.clientDeadlines[0][0];
              const lostAt = lease.lost ? lease.lost[0] : Math.min(serverEnd, stopAfter(li, from));
              const cs = span(from, lostAt);
              const lastLocal = lease.clientDeadlines.filter((d) => d[0] <= lostAt).pop();
              const ci = item(
                'lease-client',
                from,
                laneName(li) +
                  "'s client keeps lease " +
                  lease.id +
                  ' alive from ' +
                  fmt(from) +
                  '\n' +
                  lease.keepalivesSentAtMs.length +
                  ' keepalive(s) sent, ' +
                  (lease.clientDeadlines.length - 1) +
                  ' answered' +
                  (lastLocal ? '\nlast local deadline ' + fmt(lastLocal[1]) : '') +
                  (lease.lost ? '\ngave it up at ' + fmt(lease.lost[0]) + ' (' + lease.lost[1] + ')' : ''),
                rel,
              );
              use('lease-client');
              out.push(
                '<rect class="lease-client" x="' +
                  cs[0].toFixed(1) +
                  '" y="' +
                  cy +
                  '" width="' +
                  (cs[1] - cs[0]).toFixed(1) +
                  '" height="4" fill="' +
                  C.sky +
                  '"' +
                  attrs(ci) +
                  '/>',
              );
              if (lease.lost && lease.lost[1] !== 'closed') {
                const lx = xOf(lease.lost[0]);
                use('client-lost');
                out.push(
                  '<rect class="client-lost" x="' +
                    (lx - 1.5).toFixed(1) +
                    '" y="' +
                    (cy - 4) +
                    '" width="3" height="11" fill="' +
                    C.verm +
                    '"' +
                    attrs(ci) +
                    '/>',
                );
                if (lease.lost[1] === 'deadline' && lastLocal) {
                  const ldx = xOf(lastLocal[1]);
                  use('local-deadline');
                  out.push(
                    '<path class="local-deadline" d="M' +
                      ldx.toFixed(1) +
                      ' ' +
                      (cy - 2) +
                      'l3 4l-3 4l-3 -4z" fill="' +
                      C.sky +
                      '" stroke="' +
                      C.black +
                      '" stroke-width=".8"' +
                      attrs(ci) +
                      '/>',
                  );
                }
              }
            }
          }
        });
      });

      // --- watches: the watch open, and each response with events
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        laneRows[li].forEach((row, ri) => {
          if (row.kind !== 'watch') return;
          for (const watch of row.watches) for (const response of watch.responses) reserve('watch' + li + ':' + ri, xOf(response[0]) - 5, xOf(response[0]) + 3);
          for (const watch of row.watches) {
            const until = watch.untilMs >= 0 ? watch.untilMs : stopAfter(li, watch.fromMs);
            const s = span(watch.fromMs, until);
            const keyText = watch.rangeEnd === null ? watch.key : watch.key + ' … ' + watch.rangeEnd;
            const wi = item(
              'watch',
              watch.fromMs,
              laneName(li) +
                ' watches ' +
                keyText +
                ' from ' +
                fmt(watch.fromMs) +
                (watch.untilMs >= 0 ? ' until ' + fmt(watch.untilMs) + ' (' + watch.endReason + ')' : '') +
                '\n' +
                watch.responses.length +
                ' response(s) with events',
              ['w:' + li + ':' + watch.watchNo],
            );
            use('watch');
            out.push(
              '<rect class="watch" x="' +
                s[0].toFixed(1) +
                '" y="' +
                (row.y + 11) +
                '" width="' +
                (s[1] - s[0]).toFixed(1) +
                '" height="2.5" fill="' +
                C.purple +
                '"' +
                attrs(wi) +
                '/>',
            );
            label('watch' + li + ':' + ri, s[0], row.y + 9, 'watch ' + (watch.rangeEnd === null ? watch.key : watch.key + '*'), {
              size: 9,
              fill: '#7a3b63',
              noShift: true,
            });
            for (const response of watch.responses) {
              const x = xOf(response[0]);
              const ri2 = item('watch-event', response[0], laneName(li) + "'s watch got rev " + response[1] + ' at ' + fmt(response[0]) + ':\n' + response[2], [
                'w:' + li + ':' + watch.watchNo,
                'r:' + response[1],
              ]);
              use('watch-event');
              out.push(
                '<path class="watch-event" d="M' +
                  x.toFixed(1) +
                  ' ' +
                  (row.y + 6) +
                  'l5 6l-5 6l-5 -6z" fill="' +
                  C.purple +
                  '" stroke="#fff" stroke-width=".8"' +
                  attrs(ri2) +
                  '/>',
              );
              const n = response[2].split(', ').length;
              const kinds = response[2].indexOf('DELETE') >= 0 ? (response[2].indexOf('PUT') >= 0 ? 'events' : 'DELETE') : 'PUT';
              labelFirst('watch' + li + ':' + ri, x + 7, row.y + 9, [n + ' ' + kinds + ' @r' + response[1], 'r' + response[1]], {
                size: 9,
                fill: '#7a3b63',
                noShift: true,
                i: ri2,
              });
            }
          }
        });
      });

      // --- a leader elected: a crown on its lane's events row (before the link labels, which then keep off it)
      for (const change of data.leaderChanges || []) {
        const li = change[1];
        const ev = li >= 0 ? rowOf(li, 'events') : undefined;
        if (!ev || !want(li) || !inView(change[0], change[0])) continue;
        setLane(li);
        const x = xOf(change[0]);
        use('leader-elected');
        const i = item('leader-elected', change[0], laneName(li) + ' elected leader at ' + fmt(change[0]) + ', term ' + change[2], ['term:' + change[2]]);
        reserve('ev' + li, x - 5, x + 5);
        out.push(
          '<path class="leader-elected" d="M' +
            (x - 5).toFixed(1) +
            ' ' +
            (ev.y + 11) +
            'l1.5 -8l2 4l1.5 -5l1.5 5l2 -4l1.5 8z" fill="' +
            C.orange +
            '" stroke="#1d1d1d" stroke-width=".8"' +
            attrs(i) +
            '/>',
        );
        labelFirst('ev' + li, x + 10, ev.y + 10, ['elected leader, term ' + change[2], 'leader t' + change[2]], { noShift: true, fill: '#6b4500', i });
      }

      // --- link strip: faults on the links they cut, dropped messages
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        const linkRows = laneRows[li].filter((candidate) => candidate.kind === 'link');
        if (linkRows.length === 0) return;
        for (const fault of linkFaultsByLane[li]) {
          const row = linkRows.find((candidate) => candidate.peer === peerOf(fault, li)) || linkRows[0];
          const until = fault.untilMs >= 0 ? fault.untilMs : endMs;
          const s = span(fault.fromMs, until);
          let other = 'everything';
          let direction = '';
          if (fault.link) {
            const otherLane = fault.link[0] === li ? fault.link[1] : fault.link[0];
            other = laneName(otherLane);
            if (fault.link[2]) direction = fault.link[0] === li ? ' (outgoing only)' : ' (incoming only)';
          }
          const fill = fault.kind === 'partition' ? 'url(#hatch-cut)' : fault.kind === 'hold' ? 'url(#dots-hold)' : '#d7ecf8';
          const verb =
            fault.kind === 'partition'
              ? 'cut from '
              : fault.kind === 'hold'
                ? 'held: messages to/from '
                : fault.kind === 'loss'
                  ? 'lossy link to '
                  : 'slow link to ';
          use('link-' + fault.kind);
          const dur = fault.untilMs >= 0 ? fmtMs(fault.untilMs - fault.fromMs) : 'to the end';
          const i = item(
            'link',
            fault.fromMs,
            fault.label +
              '\n' +
              fmt(fault.fromMs) +
              ' – ' +
              (fault.untilMs >= 0 ? fmt(fault.untilMs) : 'end') +
              ' (' +
              dur +
              ')\nonly this link: the other lanes still reach each other',
            ['f:link:' + fault.label],
          );
          out.push(
            '<rect class="link-fault link-' +
              fault.kind +
              '" x="' +
              s[0].toFixed(1) +
              '" y="' +
              (row.y + 1) +
              '" width="' +
              (s[1] - s[0]).toFixed(1) +
              '" height="' +
              (row.h - 2) +
              '" fill="' +
              fill +
              '" stroke="' +
              (fault.kind === 'partition' ? C.purple : fault.kind === 'hold' ? '#8a5a00' : C.sky) +
              '" stroke-width=".8"' +
              attrs(i) +
              '/>',
          );
          const ev = rowOf(li, 'events');
          const texts = [(fault.kind === 'partition' ? '✂ ' : '') + verb + other + direction, verb + other, fault.kind];
          const colour = fault.kind === 'partition' ? '#7a3b63' : '#6b4500';
          if (!(ev && labelFirst('ev' + li, s[0] + 3, ev.y + 10, texts, { fill: colour, i, maxX: Math.max(s[1], s[0] + 160) })))
            labelFirst('link' + li + ':' + row.peer, s[0] + 3, row.y + 8.5, texts, {
              size: 8.5,
              fill: colour,
              bold: true,
              i,
              maxX: s[1],
              noShift: true,
              cls: 'halo',
            });
        }
        const row = linkRows[0];
        let d = '';
        let lastX = -10;
        let n = 0;
        for (const drop of dropsByLane[li]) {
          const x = xOf(drop[0]);
          if (x - lastX < 3) continue;
          lastX = x;
          n++;
          d += 'M' + (x - 2).toFixed(1) + ' ' + (row.y + 2) + 'l4 4M' + (x + 2).toFixed(1) + ' ' + (row.y + 2) + 'l-4 4';
        }
        if (n > 0) {
          use('drop');
          const list = dropsByLane[li];
          const i = item(
            'drops',
            list[0][0],
            list.length +
              ' message(s) dropped on ' +
              laneName(li) +
              "'s links" +
              (data.dropsOmitted > 0 ? ' (and ' + data.dropsOmitted + ' more in the run, not kept)' : '') +
              ', first at ' +
              fmt(list[0][0]) +
              ':\n' +
              list
                .slice(0, 6)
                .map((drop) => fmt(drop[0]) + ' ' + laneName(drop[1]) + ' → ' + laneName(drop[2]) + ' ' + drop[3] + ' (' + drop[4] + ')')
                .join('\n'),
            [],
          );
          out.push('<path class="drop" d="' + d + '" stroke="' + C.verm + '" stroke-width="1.4"' + attrs(i) + '/>');
        }
      });

      // --- process events row: restarts, exits, crashes, log lines
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        if (lane.kind !== 'process') return;
        const row = rowOf(li, 'events');
        for (const log of logsByLane[li]) {
          const x = xOf(log[1]);
          const i = item('log', log[1], laneName(li) + ' logs at ' + fmt(log[1]) + ':\n“' + log[2] + '”', []);
          use('log');
          out.push('<circle class="log" cx="' + x.toFixed(1) + '" cy="' + (row.y + row.h - 2) + '" r="2.2" fill="' + C.grey + '"' + attrs(i) + '/>');
        }
      });
      for (const crash of data.crashes) {
        const li = crash[0];
        if (li < 0 || !want(li)) continue;
        setLane(li);
        const row = rowOf(li, 'events');
        const x = xOf(crash[1]);
        const i = item(
          'crash',
          crash[1],
          laneName(li) + ' crashed at ' + fmt(crash[1]) + ': memory, timers and pending calls gone; its lease lives on until it expires',
          [],
        );
        use('crash');
        out.push('<rect class="crash" x="' + (x - 4).toFixed(1) + '" y="' + (row.y + 1) + '" width="8" height="8" fill="' + C.black + '"' + attrs(i) + '/>');
      }
      for (const start of data.starts) {
        if (start[0] < 0 || start[2] <= 1 || !want(start[0])) continue;
        setLane(start[0]);
        const row = rowOf(start[0], 'events');
        const x = xOf(start[1]);
        const i = item(
          'restart',
          start[1],
          laneName(start[0]) + ' restarted at ' + fmt(start[1]) + ' (incarnation ' + start[2] + '): a fresh client that remembers nothing',
          [],
        );
        use('restart');
        out.push('<path class="restart" d="M' + x.toFixed(1) + ' ' + (row.y + 1) + 'l7 4.5l-7 4.5z" fill="' + C.green + '"' + attrs(i) + '/>');
      }
      for (const exit of data.exits) {
        if (exit[0] < 0 || !want(exit[0])) continue;
        setLane(exit[0]);
        const row = rowOf(exit[0], 'events');
        const x = xOf(exit[1]);
        const i = item('exit', exit[1], laneName(exit[0]) + ' exited at ' + fmt(exit[1]) + (exit[2] ? ': ' + exit[2] : ''), []);
        out.push(
          '<rect class="exit" x="' +
            (x - 1).toFixed(1) +
            '" y="' +
            row.y +
            '" width="2" height="' +
            (laneHeights[exit[0]] - 14) +
            '" fill="#9a9a9a"' +
            attrs(i) +
            '/>',
        );
      }

      // --- server lane: restarts, revisions, sweeps
      if (serverLane >= 0 && want(serverLane)) {
        setLane(serverLane);
        const revRow = rowOf(serverLane, 'revisions');
        const sweepRow = rowOf(serverLane, 'sweeps');
        let lastX = -10;
        // one tick per revision; revisions within 2 px of each other share a tick (a long run has thousands)
        const revText = (revision) =>
          'rev ' +
          revision[1] +
          ' at ' +
          fmt(revision[0]) +
          ':\n' +
          revision[2].map((c) => c[0] + ' ' + c[1] + (c[0] === 'PUT' ? ' = ' + JSON.stringify(c[2]) + (c[3] ? ' (lease ' + c[3] + ')' : '') : '')).join('\n');
        const revisions = data.revisions;
        for (let k = 0; k < revisions.length; ) {
          const first = revisions[k];
          const x = xOf(first[0]);
          let end = k + 1;
          while (end < revisions.length && xOf(revisions[end][0]) - x < 2) end++;
          const group = revisions.slice(k, end);
          k = end;
          if (first[0] > viewTo + 1 || group[group.length - 1][0] < viewFrom - 1) continue;
          const shown = group.slice(0, 4).map(revText).join('\n');
          const text =
            group.length === 1
              ? shown
              : group.length +
                ' revisions, ' +
                group[0][1] +
                '–' +
                group[group.length - 1][1] +
                ' (zoom in to tell them apart):\n' +
                shown +
                (group.length > 4 ? '\n… and ' + (group.length - 4) + ' more' : '');
          const rel = [];
          for (const revision of group) {
            rel.push('r:' + revision[1]);
            for (const c of revision[2]) if (c[3]) rel.push('l:' + c[3]);
          }
          const i = item('revision', first[0], text, rel);
          use('revision');
          out.push(
            '<rect class="revision" x="' + (x - 1.5).toFixed(1) + '" y="' + (revRow.y + 1) + '" width="3" height="7" fill="' + C.black + '"' + attrs(i) + '/>',
          );
          if (x - lastX > 2) {
            lastX = x;
            label('rev', x - 4, revRow.y + 15, 'r' + first[1], { size: 9, fill: '#3d3d3d', noShift: true, i });
          }
        }
        // whom the server's keys make the owner: the lowest create revision under the lock
        for (const owner of data.owners) {
          const row = laneRows[serverLane].find((candidate) => candidate.kind === 'owner' && candidate.lockName === owner[0]);
          if (!row) continue;
          const s = span(owner[2], owner[3] >= 0 ? owner[3] : endMs);
          const who = owner[1] >= 0 ? laneName(owner[1]) : '?';
          const i = item(
            'owner',
            owner[2],
            'etcd: ' +
              who +
              ' owns ' +
              owner[0] +
              ' from ' +
              fmt(owner[2]) +
              ' until ' +
              (owner[3] >= 0 ? fmt(owner[3]) : 'the end') +
              '\nits key ' +
              owner[4] +
              ' has the lowest create revision (' +
              owner[5] +
              ') under the lock',
            ['tok:' + owner[1] + ':' + owner[5], 'b:' + owner[0]],
          );
          use('owner');
          out.push(
            '<rect class="owner" x="' +
              s[0].toFixed(1) +
              '" y="' +
              (row.y + 2) +
              '" width="' +
              (s[1] - s[0]).toFixed(1) +
              '" height="' +
              (row.h - 5) +
              '" rx="3" fill="#e3f3ec" stroke="' +
              C.green +
              '" stroke-width="1.2"' +
              attrs(i) +
              '/>',
          );
          labelFirst('owner:' + owner[0], s[0] + 4, row.y + 12, ['etcd: ' + who + ' owns ' + owner[0], who + ' (etcd)', who], {
            maxX: s[1] - 2,
            noShift: true,
            size: 10,
            fill: '#00553c',
            i,
          });
        }
        for (const expiry of data.expiries) reserve('sweep', xOf(expiry[0]) - 5, xOf(expiry[0]) + 2);
        for (const expiry of data.expiries) {
          const x = xOf(expiry[0]);
          const lease = leaseById.get(expiry[1]);
          const owner = lease ? laneName(lease.lane) : '?';
          const i = item(
            'expiry',
            expiry[0],
            'the sweep at ' + fmt(expiry[0]) + ' revoked ' + owner + "'s lease " + expiry[1] + '\nits keys deleted in one write: rev ' + expiry[2],
            ['l:' + expiry[1], 'r:' + expiry[2]],
          );
          use('sweep');
          out.push('<path class="expiry" d="M' + (x - 5).toFixed(1) + ' ' + (sweepRow.y + 1) + 'h10l-5 8z" fill="' + C.black + '"' + attrs(i) + '/>');
          const texts = [owner + "'s lease expired (sweep), rev " + expiry[2], owner + "'s lease expired", 'expired'];
          if (!labelFirst('sweep', x + 6, sweepRow.y + 12, texts, { size: 10, fill: '#1d1d1d', noShift: true, i }))
            labelFirst('sweep', x - 7, sweepRow.y + 12, texts, { size: 10, fill: '#1d1d1d', noShift: true, anchorEnd: true, i });
        }
        for (const up of data.serverUps) {
          const x = xOf(up[0]);
          const ev = rowOf(serverLane, 'events');
          const i = item(
            'server-up',
            up[0],
            'etcd up again at ' + fmt(up[0]) + ': ' + up[1] + ' lease(s) promoted to their full TTL + the election timeout',
            [],
          );
          label('ev' + serverLane, x + 3, ev.y + 10, 'up: ' + up[1] + ' lease(s) get a full TTL again', { fill: '#5c2a4c', i });
        }
      }

      // --- cluster members: each one's raft role over time, and where a leader was elected
      for (const role of data.roles || []) {
        const li = role[0];
        const row = li >= 0 ? rowOf(li, 'role') : undefined;
        if (!row || !want(li)) continue;
        const until = role[4] >= 0 ? role[4] : endMs;
        if (!inView(role[3], until)) continue;
        setLane(li);
        const s = span(role[3], until);
        const style = roleStyle[role[1]] || roleStyle.follower;
        const following = role[5] >= 0 ? laneName(role[5]) : '';
        use('role-' + role[1]);
        const i = item(
          'role',
          role[3],
          laneName(li) +
            ': ' +
            role[1] +
            (role[1] === 'down' ? ' (last term ' + role[2] + ')' : ' in term ' + role[2]) +
            (following ? ', following ' + following : '') +
            '\n' +
            fmt(role[3]) +
            ' – ' +
            (role[4] >= 0 ? fmt(role[4]) : 'end') +
            ' (' +
            fmtMs(until - role[3]) +
            ')',
          ['term:' + role[2]],
        );
        out.push(
          '<rect class="role role-' +
            role[1] +
            '" x="' +
            s[0].toFixed(1) +
            '" y="' +
            (row.y + 1) +
            '" width="' +
            (s[1] - s[0]).toFixed(1) +
            '" height="' +
            (row.h - 3) +
            '" fill="' +
            style[0] +
            '" stroke="' +
            style[1] +
            '" stroke-width=".8"' +
            attrs(i) +
            '/>',
        );
        const texts =
          role[1] === 'leader'
            ? ['leader, term ' + role[2], 'leader t' + role[2], 'L' + role[2]]
            : role[1] === 'follower'
              ? ['follower, term ' + role[2] + (following ? ' (of ' + following + ')' : ''), 'follower t' + role[2], 'f' + role[2]]
              : role[1] === 'candidate'
                ? ['candidate, term ' + role[2], 'cand. t' + role[2], 'c' + role[2]]
                : ['down', 'd'];
        labelFirst('role' + li, s[0] + 3, row.y + 11.5, texts, { size: 10, maxX: s[1] - 2, noShift: true, fill: style[2], bold: role[1] === 'leader', i });
      }
      // --- resource lanes: writes from send to arrival
      lanes.forEach((lane, li) => {
        if (!want(li)) return;
        setLane(li);
        laneRows[li].forEach((row, ri) => {
          if (row.kind !== 'write') return;
          for (const write of row.writes) reserve('write' + li + ':' + ri, xOf(write[3]) - 7, xOf(write[3]) + 4);
          for (const write of row.writes) {
            const x0 = xOf(write[2]);
            const x1 = xOf(write[3]);
            const my = row.y + 8;
            const stale = write[4] < write[7];
            const who = laneName(write[1]);
            const verdict = !write[6]
              ? 'REJECTED: token ' + write[4] + ' < highest accepted ' + write[7]
              : stale
                ? 'ACCEPTED although stale (it had accepted token ' + write[7] + '): a lost update'
                : 'accepted';
            const delay = write[3] - write[2];
            const i = item(
              'write',
              write[3],
              lane.name +
                ': write ' +
                JSON.stringify(write[5]) +
                ' from ' +
                who +
                ' with token ' +
                write[4] +
                '\nsent ' +
                fmt(write[2]) +
                ', arrived ' +
                fmt(write[3]) +
                (delay > 0 ? ' (' + fmtMs(delay) + ' in the network)' : '') +
                '\n' +
                verdict,
              ['tok:' + write[1] + ':' + write[4]],
            );
            const held = delay >= 200;
            if (held) use('write-held');
            // the flight from send to arrival, where it is long enough to see past the arrival's marker
            if (held || x1 - x0 >= 6) {
              out.push(
                '<line class="write-flight" x1="' +
                  x0.toFixed(1) +
                  '" x2="' +
                  x1.toFixed(1) +
                  '" y1="' +
                  my +
                  '" y2="' +
                  my +
                  '" stroke="' +
                  (held ? '#8a5a00' : C.grey) +
                  '" stroke-width="' +
                  (held ? 2 : 1) +
                  '"' +
                  (held ? ' stroke-dasharray="5 3"' : '') +
                  attrs(i) +
                  '/>',
              );
              out.push('<circle cx="' + x0.toFixed(1) + '" cy="' + my + '" r="2" fill="#fff" stroke="' + C.grey + '" pointer-events="none"/>');
            }
            let text;
            if (!write[6]) {
              use('write-rejected');
              out.push(
                '<g class="write-rejected"' +
                  attrs(i) +
                  '><rect x="' +
                  (x1 - 6).toFixed(1) +
                  '" y="' +
                  (my - 6) +
                  '" width="12" height="12" rx="2" fill="' +
                  C.blue +
                  '"/><path d="M' +
                  (x1 - 3.5).toFixed(1) +
                  ' ' +
                  (my + 3.5) +
                  'l7 -7" stroke="#fff" stroke-width="2"/></g>',
              );
              text = [who + ' t' + write[4] + ' rejected (stale)', who + ' t' + write[4] + ' rejected', 'rejected', '⊘'];
            } else if (stale) {
              use('write-stale');
              out.push(
                '<g class="write-stale"' +
                  attrs(i) +
                  '><path d="M' +
                  (x1 - 7).toFixed(1) +
                  ' ' +
                  (my + 6) +
                  'h14l-7 -13z" fill="' +
                  C.verm +
                  '"/><text x="' +
                  (x1 - 1.6).toFixed(1) +
                  '" y="' +
                  (my + 4.5) +
                  '" font-size="9" font-weight="700" fill="#fff">!</text></g>',
              );
              text = [who + ' t' + write[4] + ' STALE, accepted', who + ' t' + write[4] + ' STALE', 'STALE', '!'];
            } else {
              use('write-ok');
              out.push('<circle class="write" cx="' + x1.toFixed(1) + '" cy="' + my + '" r="4.5" fill="' + C.green + '"' + attrs(i) + '/>');
              text = [who + ' t' + write[4], 't' + write[4]];
            }
            labelFirst('write' + li + ':' + ri, x1 + 8, my + 4, text, {
              size: 10,
              noShift: true,
              fill: !write[6] ? '#08466e' : stale ? '#a34300' : '#1d1d1d',
              bold: !write[6] || stale,
              i,
            });
          }
        });
      });

      // --- explorer violations
      data.violations.forEach((violation, vi) => {
        const vl = lanes.findIndex((lane) => lane.name === violation.processes[violation.processes.length - 1]);
        const ev = vl >= 0 ? rowOf(vl, 'events') : null;
        if (!ev || !want(vl)) return;
        setLane(vl);
        labelFirst('ev' + vl, xOf(violation.atMs) + 3, ev.y + 10, [violation.property + ' violated', '!'], {
          bold: true,
          fill: '#a34300',
          i: violationItems[vi],
        });
      });
      setLane(-1);
    }

    // What crosses lanes: two holders at once (one outline around both), explorer violations.
    const overlapItems = data.overlaps.map((overlap) => {
      const until = overlap[2] >= 0 ? overlap[2] : endMs;
      const names = overlap[3].map(laneName).join(' and ');
      use('overlap');
      return item(
        'overlap',
        overlap[1],
        'TWO HOLDERS of ' +
          overlap[0] +
          ': ' +
          names +
          ' both believe they hold it\n' +
          fmt(overlap[1]) +
          ' – ' +
          (overlap[2] >= 0 ? fmt(overlap[2]) : 'the end') +
          ' (' +
          fmtMs(until - overlap[1]) +
          ')',
        ['b:' + overlap[0]],
      );
    });
    const violationItems = data.violations.map((violation) => {
      use('violation');
      return item('violation', violation.atMs, violation.property + ' violated at ' + fmt(violation.atMs) + ':\n' + violation.message, []);
    });
    const serverLane = lanes.findIndex((lane) => lane.kind === 'server');
    const onScreen = lanesOnScreen(laneTops, laneHeights);
    drawLanes((li) => onScreen[li]);
    // the lanes on screen, then a group per lane (filled now, or just after for lanes off screen)
    for (let li = 0; li < lanes.length; li++)
      globalOut.push('<g class="lane-g" data-lane-g="' + li + '">' + laneOut[li].join('') + laneOver[li].join('') + '</g>');
    data.overlaps.forEach((overlap, oi) => {
      const s = span(overlap[1], overlap[2] >= 0 ? overlap[2] : endMs);
      const ys = [];
      for (const li of overlap[3]) {
        const row = rowOf(li, 'belief');
        if (row) ys.push(row.y + 1, row.y + row.h - 2);
      }
      if (ys.length === 0) return;
      const top = Math.min.apply(null, ys) - 2;
      const bottom = Math.max.apply(null, ys) + 2;
      globalOut.push(
        '<rect class="overlap-outline" x="' +
          (s[0] - 1).toFixed(1) +
          '" y="' +
          top +
          '" width="' +
          (s[1] - s[0] + 2).toFixed(1) +
          '" height="' +
          (bottom - top) +
          '" fill="none" stroke="' +
          C.verm +
          '" stroke-width="1.5" stroke-dasharray="5 3" pointer-events="none"/>',
      );
    });
    data.violations.forEach((violation, vi) => {
      const x = xOf(violation.atMs);
      globalOut.push(
        '<line class="violation" x1="' +
          x.toFixed(1) +
          '" x2="' +
          x.toFixed(1) +
          '" y1="' +
          axisH +
          '" y2="' +
          (totalH - 8) +
          '" stroke="' +
          C.verm +
          '" stroke-width="2" stroke-dasharray="6 3"' +
          attrs(violationItems[vi]) +
          '/>',
      );
    });

    // a change of leader, across the member lanes: the cluster is one story
    const memberLanes = [];
    lanes.forEach((lane, li) => lane.kind === 'member' && memberLanes.push(li));
    if (memberLanes.length > 0) {
      const top = laneTops[memberLanes[0]];
      const bottom = laneTops[memberLanes[memberLanes.length - 1]] + laneHeights[memberLanes[memberLanes.length - 1]];
      (data.leaderChanges || []).forEach((change, ci) => {
        if (ci === 0 || !inView(change[0], change[0])) return;
        const x = xOf(change[0]).toFixed(1);
        globalOut.push(
          '<line class="leader-change" x1="' +
            x +
            '" x2="' +
            x +
            '" y1="' +
            top +
            '" y2="' +
            bottom +
            '" stroke="#8a5a00" stroke-width="1" stroke-dasharray="3 3" pointer-events="none"/>',
        );
      });
    }
    out.push('</g>');

    // --- lane labels last, over everything
    lanes.forEach((lane, li) => {
      const y0 = laneTops[li];
      out.push(
        '<rect x="0" y="' + y0 + '" width="' + (labelW - 4) + '" height="' + laneHeights[li] + '" fill="' + (li % 2 === 0 ? '#ffffff' : '#f7f7f5') + '"/>',
      );
      let name = lane.name;
      while (textWidth(name, 13, true) > labelW - 12 && name.length > 3) name = name.slice(0, -2) + '…';
      out.push(
        '<text class="lane-label" x="6" y="' +
          (y0 + 18) +
          '" font-size="13" font-weight="600" fill="#1d1d1d">' +
          esc(name) +
          '<title>' +
          esc(lane.name) +
          '</title></text>',
      );
      const sub = lane.kind === 'process' ? 'client' : lane.kind === 'server' ? 'etcd' : lane.kind === 'member' ? 'raft member' : 'resource';
      out.push('<text x="6" y="' + (y0 + 31) + '" font-size="10" fill="#767676">' + sub + '</text>');
    });

    const cursorX = xOf(currentMs);
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="' +
      width +
      '" height="' +
      totalH +
      '" viewBox="0 0 ' +
      width +
      ' ' +
      totalH +
      '" role="img" aria-label="timeline of the run">' +
      globalOut.join('') +
      globalOver.join('') +
      '<line id="cursor" x1="' +
      cursorX +
      '" x2="' +
      cursorX +
      '" y1="' +
      (axisH - 4) +
      '" y2="' +
      (totalH - 8) +
      '" stroke="#1d1d1d" stroke-width="1.5" pointer-events="none"/>' +
      '</svg>';
    const old = plot.querySelector('svg');
    if (old) old.remove();
    plot.insertAdjacentHTML('beforeend', svg);
    svgEl = plot.querySelector('svg');
    cursorEl = svgEl.getElementById('cursor');
    const finish = () => {
      drawAllArrows();
      renderLegend();
      buildStepTimes();
      if (selected >= 0 && selectedText !== null) {
        // keep the selection's highlight across re-renders (by its text)
        const again = items.findIndex((it) => it.text === selectedText);
        selected = again;
        if (again >= 0) highlight(again);
      }
    };
    finish();
    // Lanes off screen: drawn after the next frame is painted, so the first screen shows at once.
    const generation = ++renderGeneration;
    const offScreen = [];
    for (let li = 0; li < lanes.length; li++) if (!onScreen[li]) offScreen.push(li);
    if (offScreen.length === 0) {
      drawn = Promise.resolve();
      return;
    }
    drawn = new Promise((resolve) => {
      const later = () =>
        setTimeout(() => {
          if (generation !== renderGeneration) return resolve();
          for (const li of offScreen) {
            laneOut[li].length = 0;
            laneOver[li].length = 0;
          }
          const wanted = new Set(offScreen);
          drawLanes((li) => wanted.has(li));
          for (const li of offScreen) {
            const group = svgEl.querySelector('[data-lane-g="' + li + '"]');
            if (group) group.insertAdjacentHTML('beforeend', laneOut[li].join('') + laneOver[li].join(''));
          }
          finish();
          drawDeadlines();
          drawFuture();
          resolve();
        }, 0);
      // a hidden page paints no frames: do not wait for one there
      if (document.visibilityState === 'hidden') later();
      else requestAnimationFrame(later);
    });
  }
  /**
   * Every call's messages, when the "arrows" box is ticked: the request from
   * the client to the server when it applied it, the answer back, thin and
   * light (one path each), so the picture stays readable; a hovered call's
   * arrows are drawn bold on top as before.
   */
  function drawAllArrows() {
    if (!svgEl) return;
    const old = svgEl.getElementById('all-arrows');
    if (old) old.remove();
    if (!arrowsBox || !arrowsBox.checked) return;
    let requests = '';
    let answers = '';
    let n = 0;
    const head = (x0, y0, x1, y1) => {
      const len = Math.hypot(x1 - x0, y1 - y0) || 1;
      const ux = (x1 - x0) / len;
      const uy = (y1 - y0) / len;
      return (
        'M' +
        (x1 - 5 * ux - 2.5 * uy).toFixed(1) +
        ' ' +
        (y1 - 5 * uy + 2.5 * ux).toFixed(1) +
        'L' +
        x1.toFixed(1) +
        ' ' +
        y1.toFixed(1) +
        'L' +
        (x1 - 5 * ux + 2.5 * uy).toFixed(1) +
        ' ' +
        (y1 - 5 * uy - 2.5 * ux).toFixed(1)
      );
    };
    for (const it of items) {
      const arrow = it.arrow;
      if (!arrow || arrow.server < viewFrom || arrow.from > viewTo) continue;
      n++;
      const x0 = xOf(arrow.from);
      const xs = xOf(arrow.server);
      requests += 'M' + x0.toFixed(1) + ' ' + arrow.y + 'L' + xs.toFixed(1) + ' ' + serverArrowY + head(x0, arrow.y, xs, serverArrowY);
      if (arrow.to >= 0) {
        const x1 = xOf(arrow.to);
        answers += 'M' + xs.toFixed(1) + ' ' + serverArrowY + 'L' + x1.toFixed(1) + ' ' + arrow.y + head(xs, serverArrowY, x1, arrow.y);
      }
    }
    svgEl.insertAdjacentHTML(
      'beforeend',
      '<g id="all-arrows" data-count="' +
        n +
        '" pointer-events="none" fill="none" stroke-width=".8">' +
        '<path class="arrows-request" d="' +
        requests +
        '" stroke="#0072B2" stroke-opacity=".55"/>' +
        '<path class="arrows-answer" d="' +
        answers +
        '" stroke="#1d1d1d" stroke-opacity=".4" stroke-dasharray="3 2"/></g>',
    );
    drawFuture(); // the cover stays on top
  }
  /** Which lanes show in the window now (with a margin): they are drawn first. */
  function lanesOnScreen(laneTops, laneHeights) {
    const top = plot.getBoundingClientRect().top;
    const viewH = window.innerHeight || 900;
    return laneTops.map((laneTop, li) => top + laneTop < viewH + 150 && top + laneTop + laneHeights[li] > -150);
  }

  // ------------------------------------------------------------ legend: only what the picture shows

  const legendEntries = [
    ['belief', 'rect', C.green, 'believes it holds the lock'],
    ['overlap', 'rect', 'url(#lg-verm)', 'two hold it at once'],
    ['belief-lost', 'bar', C.black, 'learns it lost the lock / crashed'],
    ['owner', 'rect-s', '#e3f3ec|' + C.green, "etcd's owner: lowest create revision"],
    ['call-ok', 'rect-s', '#d6e9f5|' + C.blue, 'call, send → answer: ok'],
    ['call-error', 'rect-s', '#f7d4c1|' + C.verm, 'call answered with an error'],
    ['call-unknown', 'rect-s', 'url(#lg-unknown)|#8a5a00', 'call timed out: outcome unknown'],
    ['call-open', 'rect-d', '#fff|' + C.grey, 'call never answered'],
    ['arrow', 'arrow', '#1d1d1d', "a call's request to the server and the answer (hover a call, or tick “arrows”)"],
    ['lease-server', 'thin', C.blue, 'lease alive on the server'],
    ['renewal', 'thin-notch', C.blue, 'notch: renewed by a keepalive'],
    ['deadline', 'diamond', '#fff', 'server deadline (hatched: past it, before the sweep)'],
    ['deadline-now', 'dash', '#1d1d1d', "at the cursor: each live lease's deadlines, server ◇ and client ◆, ahead of now"],
    ['sweep', 'tri', C.black, 'expiry sweep revoked it'],
    ['lease-client', 'thin', C.sky, "client's belief in its lease"],
    ['local-deadline', 'diamond', C.sky, "client's local deadline"],
    ['client-lost', 'bar', C.verm, 'client gives the lease up'],
    ['watch', 'thin', C.purple, 'watch open'],
    ['watch-event', 'diamond', C.purple, 'watch response with events'],
    ['pause', 'rect', 'url(#lg-pause)', 'process paused'],
    ['crash', 'square', C.black, 'crash (grey: down)'],
    ['restart', 'play', C.green, 'process restarted'],
    ['serverRestart', 'rect', '#e7d3e0', 'etcd restarting'],
    ['slowApply', 'rect', '#f4e6c8', 'etcd applies slowly'],
    ['drift', 'rect', '#e4eef6', 'clock drift'],
    ['link-partition', 'rect', 'url(#lg-cut)', 'link cut (partition)'],
    ['link-hold', 'rect', 'url(#lg-hold)', 'link holds messages'],
    ['link-loss', 'rect', '#d7ecf8', 'lossy link'],
    ['link-latency', 'rect', '#d7ecf8', 'slow link'],
    ['drop', 'x', C.verm, 'message dropped'],
    ['log', 'dot', C.grey, 'log line'],
    ['revision', 'tick', C.black, 'a write committed (revision)'],
    ['write-ok', 'circle', C.green, 'write accepted'],
    ['write-stale', 'tri-up', C.verm, 'stale write accepted (unsafe)'],
    ['write-rejected', 'blocked', C.blue, 'stale write rejected (safe)'],
    ['write-held', 'dash', '#8a5a00', 'write held in the network'],
    ['violation', 'dash', C.verm, 'property violated'],
    ['leader-elected', 'crown', C.orange, 'a member elected leader (dashed across the members: the leader changed)'],
    ['role-leader', 'rect', C.orange, 'member is the raft leader'],
    ['role-follower', 'rect-s', '#f1f1f1|#bdbdbd', 'member is a follower'],
    ['role-candidate', 'rect', 'url(#lg-cand)', 'member is campaigning (candidate)'],
    ['role-down', 'rect', '#5f5f5f', 'member down'],
  ];

  function swatch(shape, color) {
    const [fill, stroke] = color.split('|');
    return '<svg width="24" height="16" viewBox="0 0 24 16" aria-hidden="true">' + swatchBody(shape, fill, stroke) + '</svg>';
  }

  const legendDefs =
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs><pattern id="lg-verm" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' +
    C.verm +
    '"/><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2" stroke-opacity=".55"/></pattern>' +
    '<pattern id="lg-pause" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="' +
    C.yellow +
    '" fill-opacity=".5"/><line x1="0" y1="0" x2="0" y2="8" stroke="#b8a800"/></pattern>' +
    '<pattern id="lg-cut" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="' +
    C.purple +
    '" fill-opacity=".35"/><line x1="0" y1="0" x2="0" y2="6" stroke="' +
    C.purple +
    '" stroke-width="2"/></pattern>' +
    '<pattern id="lg-hold" width="5" height="5" patternUnits="userSpaceOnUse"><rect width="5" height="5" fill="' +
    C.orange +
    '" fill-opacity=".3"/><circle cx="2.5" cy="2.5" r="1.2" fill="#8a5a00"/></pattern>' +
    '<pattern id="lg-unknown" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fbe5b0"/><line x1="0" y1="0" x2="0" y2="5" stroke="' +
    C.orange +
    '" stroke-width="2"/></pattern>' +
    '<pattern id="lg-cand" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="' +
    C.yellow +
    '" fill-opacity=".35"/><line x1="0" y1="0" x2="0" y2="6" stroke="#b8a800" stroke-width="1.5"/></pattern></defs></svg>';

  function swatchBody(shape, fill, stroke) {
    let body = '';
    switch (shape) {
      case 'rect':
        body = '<rect x="1" y="3" width="22" height="10" rx="2" fill="' + fill + '" stroke="#999" stroke-width=".5"/>';
        break;
      case 'rect-s':
        body = '<rect x="1" y="4" width="22" height="8" rx="2" fill="' + fill + '" stroke="' + stroke + '"/>';
        break;
      case 'rect-d':
        body = '<rect x="1" y="4" width="22" height="8" rx="2" fill="' + fill + '" stroke="' + stroke + '" stroke-dasharray="3 2"/>';
        break;
      case 'bar':
        body = '<rect x="10" y="2" width="2.5" height="12" fill="' + fill + '"/>';
        break;
      case 'thin':
        body = '<rect x="1" y="5" width="22" height="5" fill="' + fill + '"/>';
        break;
      case 'thin-notch':
        body = '<rect x="1" y="5" width="22" height="5" fill="' + fill + '"/><path d="M8 5v5M15 5v5" stroke="#fff" stroke-width="1.2"/>';
        break;
      case 'diamond':
        body = '<path d="M12 2l5 6l-5 6l-5 -6z" fill="' + fill + '" stroke="#000" stroke-width="1.2"/>';
        break;
      case 'tri':
        body = '<path d="M5 3h14l-7 11z" fill="' + fill + '"/>';
        break;
      case 'tri-up':
        body = '<path d="M6 13h12l-6 -10z" fill="' + fill + '"/>';
        break;
      case 'square':
        body = '<rect x="7" y="3" width="10" height="10" fill="' + fill + '"/>';
        break;
      case 'play':
        body = '<path d="M8 3l9 5l-9 5z" fill="' + fill + '"/>';
        break;
      case 'x':
        body = '<path d="M8 4l8 8M16 4l-8 8" stroke="' + fill + '" stroke-width="2"/>';
        break;
      case 'dot':
        body = '<circle cx="12" cy="8" r="3" fill="' + fill + '"/>';
        break;
      case 'tick':
        body = '<rect x="10.5" y="3" width="3" height="10" fill="' + fill + '"/>';
        break;
      case 'circle':
        body = '<circle cx="12" cy="8" r="5" fill="' + fill + '"/>';
        break;
      case 'blocked':
        body = '<rect x="6" y="2" width="12" height="12" rx="2" fill="' + fill + '"/><path d="M8.5 11.5l7 -7" stroke="#fff" stroke-width="2"/>';
        break;
      case 'arrow':
        body = '<path d="M1 4L12 12L23 4" fill="none" stroke="' + fill + '" stroke-width="1.5"/>';
        break;
      case 'crown':
        body = '<path d="M6 13l2 -10l3 5l1 -6l1 6l3 -5l2 10z" fill="' + fill + '" stroke="#1d1d1d" stroke-width=".8"/>';
        break;
      case 'dash':
        body = '<line x1="1" x2="23" y1="8" y2="8" stroke="' + fill + '" stroke-width="2" stroke-dasharray="5 3"/>';
        break;
    }
    return body;
  }

  function renderLegend() {
    legendBox.innerHTML =
      legendDefs +
      legendEntries
        .filter((entry) => usedLegend.has(entry[0]))
        .map((entry) => '<span data-legend="' + entry[0] + '">' + swatch(entry[1], entry[2]) + esc(entry[3]) + '</span>')
        .join('');
  }

  // ------------------------------------------------------------ time: scrubber, step, play

  let currentMs = 0;
  let stepTimes = [];
  function buildStepTimes() {
    const set = new Set();
    for (const it of items) set.add(it.t);
    for (const call of data.calls) if (call[2] >= 0) set.add(call[2]);
    for (const belief of data.beliefs) if (belief[4] >= 0) set.add(belief[4]);
    for (const fault of data.faults) if (fault.untilMs >= 0) set.add(fault.untilMs);
    stepTimes = Array.from(set)
      .filter((t) => t >= 0 && t <= endMs)
      .sort((a, b) => a - b);
  }
  function setTime(ms) {
    currentMs = Math.max(0, Math.min(endMs, ms));
    scrubber.value = String(Math.round(currentMs));
    timeLabel.textContent = 't = ' + fmt(currentMs);
    if (cursorEl) {
      const x = xOf(currentMs).toFixed(1);
      cursorEl.setAttribute('x1', x);
      cursorEl.setAttribute('x2', x);
      cursorEl.style.display = currentMs < viewFrom || currentMs > viewTo ? 'none' : '';
    }
    drawDeadlines();
    drawFuture();
    renderState();
  }
  /** With "hide the future" ticked: what happens after the cursor is covered, so a learner can guess first. */
  function drawFuture() {
    if (!svgEl) return;
    const old = svgEl.getElementById('future');
    if (old) old.remove();
    // the verdict and the story's claims tell the end: veiled too until the cursor gets there
    if (futureBox && futureBox.checked && currentMs < endMs) document.body.setAttribute('data-future-hidden', '');
    else document.body.removeAttribute('data-future-hidden');
    if (!futureBox || !futureBox.checked) return;
    const x = Math.max(plotLeft, Math.min(plotRight, xOf(currentMs)));
    const height = svgEl.viewBox.baseVal.height;
    svgEl.insertAdjacentHTML(
      'beforeend',
      '<g id="future"><rect x="' +
        (x + 1).toFixed(1) +
        '" y="20" width="' +
        Math.max(0, plotRight - x + 12).toFixed(1) +
        '" height="' +
        (height - 20) +
        '" fill="#fff" fill-opacity=".93"/>' +
        (plotRight - x > 150 ? '<text x="' + (x + 10).toFixed(1) + '" y="40" font-size="12" fill="#5f5f5f">the future: step or play to see it</text>' : '') +
        '</g>',
    );
  }
  function drawDeadlines() {
    if (!svgEl) return;
    const old = svgEl.getElementById('deadlines');
    if (old) old.remove();
    const t = currentMs;
    let d = '<g id="deadlines" pointer-events="none">';
    let n = 0;
    for (const { lease, sy, cy } of leaseGeometry) {
      if (lease.grantedAtMs > t || (lease.endedAtMs >= 0 && lease.endedAtMs <= t) || n >= 60) continue;
      n++;
      const server = lease.serverDeadlines.filter((entry) => entry[0] <= t).pop();
      const x0 = xOf(t);
      if (server) {
        const x = xOf(server[1]);
        d +=
          '<line x1="' +
          x0.toFixed(1) +
          '" x2="' +
          x.toFixed(1) +
          '" y1="' +
          (sy - 2) +
          '" y2="' +
          (sy - 2) +
          '" stroke="#1d1d1d" stroke-width="1" stroke-dasharray="2 2"/>';
        d += '<path class="deadline-now" d="M' + x.toFixed(1) + ' ' + (sy - 6) + 'l4 4l-4 4l-4 -4z" fill="#fff" stroke="#1d1d1d" stroke-width="1.2"/>';
      }
      const client = lease.clientDeadlines.filter((entry) => entry[0] <= t).pop();
      if (client && !(lease.lost && lease.lost[0] <= t)) {
        const x = xOf(client[1]);
        d +=
          '<path class="local-deadline-now" d="M' +
          x.toFixed(1) +
          ' ' +
          (cy - 2) +
          'l3 4l-3 4l-3 -4z" fill="' +
          C.sky +
          '" stroke="#1d1d1d" stroke-width=".8"/>';
      }
    }
    svgEl.insertAdjacentHTML('beforeend', d + '</g>');
  }

  function step(direction) {
    stopPlay();
    if (direction > 0) {
      const next = stepTimes.find((t) => t > currentMs + 0.0001);
      setTime(next === undefined ? endMs : next);
    } else {
      let prev = 0;
      for (const t of stepTimes) if (t < currentMs - 0.0001) prev = t;
      setTime(prev);
    }
  }
  const speeds = [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120];
  speedSelect.innerHTML = speeds.map((s) => '<option value="' + s + '">' + s + '×</option>').join('');
  const pickSpeed = () => (speedSelect.value = String(speeds.find((s) => endMs / s <= 20000) || 120));
  let playing = false;
  let lastFrame = 0;
  function frame(now) {
    if (!playing) return;
    const elapsed = lastFrame === 0 ? 0 : now - lastFrame;
    lastFrame = now;
    const next = currentMs + elapsed * Number(speedSelect.value);
    setTime(next);
    if (next >= endMs) stopPlay();
    else requestAnimationFrame(frame);
  }
  function startPlay() {
    if (currentMs >= endMs) setTime(0);
    playing = true;
    lastFrame = 0;
    playButton.textContent = '❚❚ pause';
    playButton.setAttribute('aria-label', 'pause');
    requestAnimationFrame(frame);
  }
  function stopPlay() {
    playing = false;
    playButton.textContent = '▶ play';
    playButton.setAttribute('aria-label', 'play');
  }
  playButton.addEventListener('click', () => (playing ? stopPlay() : startPlay()));
  // zoom around the cursor; the scrubber still spans the whole run
  const zoomLabel = document.getElementById('zoom-label');
  function zoom(factor) {
    const span = Math.max(20, Math.min(endMs, (viewTo - viewFrom) * factor));
    let from = Math.max(0, currentMs - span / 2);
    if (from + span > endMs) from = endMs - span;
    viewFrom = Math.max(0, from);
    viewTo = viewFrom + span;
    if (zoomLabel) zoomLabel.textContent = span >= endMs ? '' : 'showing ' + fmt(viewFrom) + ' – ' + fmt(viewTo);
    render();
    setTime(currentMs);
  }
  const zoomIn = document.getElementById('zoom-in');
  const zoomOut = document.getElementById('zoom-out');
  const zoomFit = document.getElementById('zoom-fit');
  if (zoomIn) zoomIn.addEventListener('click', () => zoom(0.5));
  if (zoomOut) zoomOut.addEventListener('click', () => zoom(2));
  if (zoomFit) zoomFit.addEventListener('click', () => zoom(Infinity));
  document.getElementById('step-forward').addEventListener('click', () => step(1));
  document.getElementById('step-back').addEventListener('click', () => step(-1));
  scrubber.addEventListener('input', () => {
    stopPlay();
    setTime(Number(scrubber.value));
  });
  document.addEventListener('keydown', (event) => {
    if (event.target && (event.target.tagName === 'SELECT' || (event.target.tagName === 'INPUT' && event.target.type !== 'range'))) return;
    if (event.key === 'ArrowRight') {
      step(1);
      event.preventDefault();
    } else if (event.key === 'ArrowLeft') {
      step(-1);
      event.preventDefault();
    } else if (event.key === ' ') {
      playing ? stopPlay() : startPlay();
      event.preventDefault();
    } else if (event.key === '+' || event.key === '=') zoom(0.5);
    else if (event.key === '-') zoom(2);
    else if (event.key === '0') zoom(Infinity);
    else if (event.key === 'Escape') unselect();
  });

  // ------------------------------------------------------------ the state panel at time t

  function renderState() {
    const t = currentMs;
    const html = [];
    html.push('<h3>State at t = ' + fmt(t) + '</h3>');
    // keys: replay every revision up to t
    const keys = new Map();
    let revision = 1;
    for (const rev of data.revisions) {
      if (rev[0] > t) break;
      revision = rev[1];
      for (const change of rev[2]) {
        if (change[0] === 'DELETE') keys.delete(change[1]);
        else {
          const old = keys.get(change[1]);
          keys.set(change[1], { value: change[2], create: old ? old.create : rev[1], mod: rev[1], version: old ? old.version + 1 : 1, lease: change[3] });
        }
      }
    }
    // lock holders: who believes, and whom the server puts first
    const lockNames = Array.from(new Set(data.beliefs.map((b) => b[1])));
    if (lockNames.length > 0) {
      html.push('<h3>Lock</h3>');
      for (const lockName of lockNames) {
        const holders = data.beliefs.filter((b) => b[1] === lockName && b[3] <= t && (b[4] < 0 || b[4] > t));
        const paused = (li) => data.faults.some((f) => f.kind === 'pause' && f.lanes.indexOf(li) >= 0 && f.fromMs <= t && (f.untilMs < 0 || f.untilMs > t));
        const names = holders.map((b) => esc(laneName(b[0])) + ' (token ' + b[2] + (paused(b[0]) ? ', paused' : '') + ')');
        if (holders.length === 0) html.push('<div>' + esc(lockName) + ': <span class="none">nobody believes they hold it</span></div>');
        else if (holders.length === 1) html.push('<div>' + esc(lockName) + ': <span class="good">' + names[0] + '</span> believes it holds it</div>');
        else html.push('<div class="warn">' + esc(lockName) + ': ' + holders.length + ' believe they hold it: ' + names.join(', ') + '</div>');
        // server side: the waiter key with the lowest create revision owns an etcd mutex
        let first = null;
        keys.forEach((kv, key) => {
          if (key.indexOf(lockName + '/') === 0 && (first === null || kv.create < first.kv.create)) first = { key, kv };
        });
        if (first !== null) {
          const lease = leaseById.get(first.kv.lease);
          html.push(
            '<div>server: <b>' +
              esc(lease ? laneName(lease.lane) : 'lease ' + first.kv.lease) +
              '</b> owns it (key ' +
              esc(first.key) +
              ', lowest create rev ' +
              first.kv.create +
              ')</div>',
          );
        } else if (keys.has(lockName)) {
          const kv = keys.get(lockName);
          const lease = leaseById.get(kv.lease);
          html.push('<div>server: key ' + esc(lockName) + ' held by ' + esc(lease ? laneName(lease.lane) : kv.value) + '</div>');
        } else html.push('<div>server: <span class="none">no lock key</span></div>');
      }
    }
    // cluster members: each one's role at t
    const roleAt = [];
    for (const role of data.roles || []) if (role[3] <= t && (role[4] < 0 || role[4] > t)) roleAt.push(role);
    if (roleAt.length > 0) {
      html.push('<h3>Members</h3>');
      for (const role of roleAt)
        html.push(
          '<div class="member-role">' +
            esc(laneName(role[0])) +
            ': ' +
            (role[1] === 'leader' ? '<b>leader</b>' : role[1]) +
            (role[1] === 'down' ? '' : ', term ' + role[2]) +
            (role[5] >= 0 && role[1] === 'follower' ? ' (of ' + esc(laneName(role[5])) + ')' : '') +
            '</div>',
        );
    }
    html.push('<h3>Keys (revision ' + revision + ')</h3>');
    if (keys.size === 0) html.push('<div class="none">no keys</div>');
    else {
      const sorted = Array.from(keys.keys()).sort();
      html.push('<table><tr><th>key</th><th>value</th><th>create</th><th>mod</th><th>lease</th></tr>');
      for (const key of sorted.slice(0, 30)) {
        const kv = keys.get(key);
        const lease = leaseById.get(kv.lease);
        html.push(
          '<tr><td>' +
            esc(key) +
            '</td><td>' +
            esc(kv.value) +
            '</td><td>' +
            kv.create +
            '</td><td>' +
            kv.mod +
            '</td><td>' +
            (kv.lease ? esc(lease ? laneName(lease.lane) : kv.lease.slice(0, 6)) : '') +
            '</td></tr>',
        );
      }
      html.push('</table>');
      if (sorted.length > 30) html.push('<div class="none">… and ' + (sorted.length - 30) + ' more</div>');
    }
    // leases alive at t on the server, with what the client believes
    const alive = data.leases.filter((lease) => lease.grantedAtMs <= t && (lease.endedAtMs < 0 || lease.endedAtMs > t));
    html.push('<h3>Leases</h3>');
    if (alive.length === 0) html.push('<div class="none">no lease alive on the server</div>');
    for (const lease of alive.slice(0, 12)) {
      const server = lease.serverDeadlines.filter((d) => d[0] <= t).pop();
      const remaining = server ? server[1] - t : 0;
      const client = lease.clientDeadlines.filter((d) => d[0] <= t).pop();
      const lostNow = lease.lost && lease.lost[0] <= t;
      let line = '<div><b>' + esc(laneName(lease.lane)) + '</b> ' + esc(lease.id.slice(0, 8)) + ' TTL ' + lease.ttlSeconds + ' s: ';
      line +=
        remaining >= 0
          ? 'server deadline ' + fmt(server[1]) + ', <b>' + fmtMs(remaining) + ' left</b>'
          : '<span class="warn">' + fmtMs(-remaining) + ' past its deadline: the next sweep revokes it</span>';
      if (lostNow) line += '; client gave it up (' + esc(lease.lost[1]) + ')';
      else if (client) line += '; client: alive until ' + fmt(client[1]) + ' on its clock';
      html.push(line + '</div>');
    }
    if (alive.length > 12) html.push('<div class="none">… and ' + (alive.length - 12) + ' more</div>');
    // faults in force
    const faults = data.faults.filter((f) => f.fromMs <= t && (f.untilMs < 0 || f.untilMs > t));
    if (faults.length > 0) html.push('<h3>Faults in force</h3>' + faults.map((f) => '<div>' + esc(f.label) + ' since ' + fmt(f.fromMs) + '</div>').join(''));
    // calls in flight
    const inFlight = data.calls.filter((c) => c[1] <= t && (c[2] < 0 ? stopAfter(c[0], c[1]) > t : c[2] > t));
    if (inFlight.length > 0) {
      html.push('<h3>Calls in flight (' + inFlight.length + ')</h3>');
      for (const c of inFlight.slice(0, 8)) html.push('<div>' + esc(laneName(c[0])) + ' ' + esc(c[3]) + ' sent ' + fmt(c[1]) + '</div>');
    }
    statePanel.innerHTML = html.join('');
  }

  // ------------------------------------------------------------ dense call rows

  /**
   * A dense call row as one path per outcome (a rect per call is thousands of
   * elements; a picture drawn on a canvas costs its PNG encoding: measured
   * slower at 800 px). data-calls: how many calls each path holds.
   */
  function denseRowPaths(dense, index, callStyle) {
    const shapes = {};
    const top = dense.y + 1;
    const h = dense.h - 2;
    for (const [x0, x1, , outcome, thin] of dense.calls) {
      const key = thin ? 'thin-' + outcome : outcome;
      const shape = shapes[key] || (shapes[key] = { d: [], n: 0, outcome, thin });
      shape.d.push('M' + x0.toFixed(1) + ' ' + top + 'h' + (x1 - x0).toFixed(1) + 'v' + h + 'h' + (x0 - x1).toFixed(1) + 'z');
      shape.n++;
    }
    let svg = '';
    for (const key of Object.keys(shapes).sort()) {
      const shape = shapes[key];
      const style = callStyle[shape.outcome];
      const paint = shape.thin
        ? ' fill="' + (shape.outcome === 'unknown' ? C.orange : style[1]) + '"'
        : ' fill="' + style[0] + '" stroke="' + style[1] + '" stroke-width="1"' + style[2];
      svg +=
        '<path class="calls-dense call-' +
        shape.outcome +
        '" data-dense="' +
        index +
        '" data-calls="' +
        shape.n +
        '" d="' +
        shape.d.join('') +
        '"' +
        paint +
        '/>';
    }
    return svg;
  }

  /** The call item at x in a dense row, or -1. */
  function denseItemAt(dense, x) {
    // the last call starting at or before x (+1 px of slack), then back while calls still reach x
    let lo = 0;
    let hi = dense.calls.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (dense.calls[mid][0] <= x + 1) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let k = at; k >= 0 && k >= at - 8; k--) if (dense.calls[k][1] >= x - 1) return dense.calls[k][2];
    return -1;
  }

  // ------------------------------------------------------------ hover, select, highlight

  let selected = -1;
  let selectedText = null;
  function highlight(i) {
    if (!svgEl) return;
    for (const el of svgEl.querySelectorAll('.dense-hl')) el.remove();
    for (const el of svgEl.querySelectorAll('.hl')) el.classList.remove('hl');
    const oldArrows = svgEl.getElementById('arrows');
    if (oldArrows) oldArrows.remove();
    if (i < 0) {
      svgEl.classList.remove('focus');
      return;
    }
    svgEl.classList.add('focus');
    const arrow = items[i].arrow;
    if (arrow) {
      // the request to the server and the answer back, as arrows
      let d = '<g id="arrows" pointer-events="none">';
      d +=
        '<line x1="' +
        xOf(arrow.from).toFixed(1) +
        '" y1="' +
        arrow.y +
        '" x2="' +
        xOf(arrow.server).toFixed(1) +
        '" y2="' +
        serverArrowY +
        '" stroke="#1d1d1d" stroke-width="1.5" marker-end="url(#arrowhead)"/>';
      if (arrow.to >= 0)
        d +=
          '<line x1="' +
          xOf(arrow.server).toFixed(1) +
          '" y1="' +
          serverArrowY +
          '" x2="' +
          xOf(arrow.to).toFixed(1) +
          '" y2="' +
          arrow.y +
          '" stroke="#1d1d1d" stroke-width="1.5" stroke-dasharray="4 2" marker-end="url(#arrowhead)"/>';
      svgEl.insertAdjacentHTML('beforeend', d + '</g>');
    }
    const box = items[i].box;
    if (box) {
      // a call drawn in a dense row's picture: outlined on top of it
      svgEl.insertAdjacentHTML(
        'beforeend',
        '<rect class="hl dense-hl" pointer-events="none" x="' +
          box[0].toFixed(1) +
          '" y="' +
          box[1] +
          '" width="' +
          Math.max(2, box[2]).toFixed(1) +
          '" height="' +
          box[3] +
          '" fill="none" stroke="#1d1d1d" stroke-width="2"/>',
      );
    }
    const rel = items[i].rel;
    for (const el of svgEl.querySelectorAll('[data-i="' + i + '"]')) el.classList.add('hl');
    for (const key of rel) for (const el of svgEl.querySelectorAll('[data-r~="' + CSS.escape(key) + '"]')) el.classList.add('hl');
  }
  function targetItem(event) {
    const el = event.target.closest ? event.target.closest('[data-i]') : null;
    if (el) return Number(el.getAttribute('data-i'));
    const picture = event.target.closest ? event.target.closest('.calls-dense') : null;
    if (!picture || !svgEl) return -1;
    const box = svgEl.getBoundingClientRect();
    return denseItemAt(denseRows[Number(picture.getAttribute('data-dense'))], ((event.clientX - box.left) / box.width) * svgEl.viewBox.baseVal.width);
  }
  plot.addEventListener('mousemove', (event) => {
    const i = targetItem(event);
    if (i < 0) {
      tooltip.style.display = 'none';
      if (selected < 0) highlight(-1);
      return;
    }
    tooltip.textContent = items[i].text;
    tooltip.style.display = 'block';
    const box = plot.getBoundingClientRect();
    let left = event.clientX - box.left + 14;
    if (left + 380 > box.width) left = Math.max(0, event.clientX - box.left - 390);
    tooltip.style.left = left + 'px';
    tooltip.style.top = event.clientY - box.top + 14 + 'px';
    if (selected < 0) highlight(i);
  });
  plot.addEventListener('mouseleave', () => {
    tooltip.style.display = 'none';
    if (selected < 0) highlight(-1);
  });
  function select(i) {
    selected = i;
    selectedText = items[i].text;
    details.textContent = items[i].text;
    highlight(i);
    stopPlay();
    setTime(items[i].t);
  }
  function unselect() {
    selected = -1;
    selectedText = null;
    details.innerHTML = '<span class="none">Hover over or click anything in the picture for its details.</span>';
    highlight(-1);
  }
  plot.addEventListener('click', (event) => {
    if (!svgEl) return;
    const box = svgEl.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * svgEl.viewBox.baseVal.width;
    const y = ((event.clientY - box.top) / box.height) * svgEl.viewBox.baseVal.height;
    if (laneClickHook) {
      const li = laneBands.findIndex((band) => y >= band[0] && y < band[1]);
      if (li >= 0 && laneClickHook(li, x >= plotLeft && x <= plotRight ? tOf(x) : currentMs, event, x < plotLeft)) return;
    }
    const i = targetItem(event);
    if (i >= 0) select(i);
    else {
      unselect();
      if (x >= plotLeft && x <= plotRight) {
        stopPlay();
        setTime(tOf(x));
      }
    }
  });

  const style = document.createElement('style');
  style.textContent =
    'svg.focus [data-i]:not(.hl){opacity:.28} svg [data-i]{cursor:pointer} svg .hl{opacity:1;stroke-width:2} svg text.halo{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}';
  document.head.appendChild(style);

  // ------------------------------------------------------------ go, and follow the window's width

  let pending = false;
  let lastWidth = -1;
  function rerender() {
    if (pending || data === null) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const width = Math.floor(plot.clientWidth);
      if (width === lastWidth) return;
      lastWidth = width;
      render();
      setTime(currentMs);
    });
  }
  /** Draw a run (the page's own, or the playground's next): keeps the time when it still fits. */
  function load(model, options) {
    const startedAt = performance.now();
    stopPlay();
    const endBefore = data === null ? -1 : endMs;
    adopt(model);
    // the playground's next run of the same length keeps the zoom (a fault injected while zoomed in)
    const keepZoom = options && options.keepZoom && endBefore === endMs && viewTo <= endMs;
    if (!keepZoom) {
      viewFrom = 0;
      viewTo = endMs;
      if (zoomLabel) zoomLabel.textContent = '';
    }
    scrubber.max = String(endMs);
    pickSpeed();
    selected = -1;
    selectedText = null;
    lastWidth = Math.floor(plot.clientWidth);
    render();
    const drawnMs = performance.now();
    setTime(options && options.timeMs !== undefined ? options.timeMs : 0);
    const doneMs = performance.now();
    document.body.setAttribute('data-render-ms', String(Math.round(doneMs - startedAt)));
    document.body.setAttribute('data-timings', 'draw on screen ' + Math.round(drawnMs - startedAt) + ' ms, state ' + Math.round(doneMs - drawnMs) + ' ms');
    return drawn;
  }
  /** What the playground drives: load a run, read and set the time, hear lane clicks. */
  window.leaselabTimeline = {
    load,
    timeMs: () => currentMs,
    setTime: (ms) => {
      stopPlay();
      setTime(ms);
    },
    onLaneClick: (hook) => (laneClickHook = hook),
  };
  // after the first frame with the picture is painted (registered first: runs before the late lanes)
  requestAnimationFrame(() => setTimeout(() => document.body.setAttribute('data-painted-ms', String(Math.round(performance.now()))), 0));
  const loaded = data !== null ? load(data) : Promise.resolve();
  if (typeof ResizeObserver === 'function') new ResizeObserver(rerender).observe(plot);
  else window.addEventListener('resize', rerender);
  // Load-to-ready, from navigation start: the lanes on screen drawn (data-screen-ms), that frame
  // painted (data-painted-ms), every lane drawn and the page ready (data-ready-ms, data-viewer=ready).
  document.body.setAttribute('data-screen-ms', String(Math.round(performance.now())));
  document.body.setAttribute(
    'data-timings',
    'before script ' +
      Math.round(scriptStartMs) +
      ' ms, parse ' +
      Math.round(parsedMs - scriptStartMs) +
      ' ms, ' +
      (document.body.getAttribute('data-timings') || ''),
  );
  loaded.then(() => {
    document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
    document.body.setAttribute('data-viewer', 'ready');
  });
})();
