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
 *
 * Every SVG element is written by tag() (with spanRect, markRect, line,
 * diamond for the shapes drawn often); render() lays the lanes out, then
 * drawLanes() calls one small draw function per kind of fact.
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

  // ------------------------------------------------------------ SVG markup: one element helper, the shapes drawn many times

  /**
   * An SVG element as markup: the attributes in the order given (undefined
   * ones left out, strings escaped); `data-i` (an item's index) brings the
   * item's relations along as `data-r` (left out when none: fewer attributes
   * to parse); `inner` (markup) makes it a container.
   */
  function tag(name, attributes, inner) {
    let markup = '<' + name;
    for (const key in attributes) {
      const value = attributes[key];
      if (value === undefined) continue;
      markup += ' ' + key + '="' + (typeof value === 'string' ? esc(value) : value) + '"';
      if (key === 'data-i' && items[value].rel.length > 0) markup += ' data-r="' + esc(items[value].rel.join(' ')) + '"';
    }
    return inner === undefined ? markup + '/>' : markup + '>' + inner + '</' + name + '>';
  }
  /** A rect over s = [x0, x1] from y, h high; `paint` (fill, stroke, data-i) after the geometry. */
  const spanRect = (cls, s, y, h, paint) =>
    tag('rect', Object.assign({ class: cls, x: s[0].toFixed(1), y, width: (s[1] - s[0]).toFixed(1), height: h }, paint));
  /** A rect w wide centred on x: a tick, a bar, a square. */
  const markRect = (cls, x, y, w, h, fill, i) => tag('rect', { class: cls, x: (x - w / 2).toFixed(1), y, width: w, height: h, fill, 'data-i': i });
  /** A line from (x1, y1) to (x2, y2). */
  const line = (cls, x1, x2, y1, y2, paint) => tag('line', Object.assign({ class: cls, x1, x2, y1, y2 }, paint));
  /** A diamond's path: its top at (x, top), w to each side, 2h tall. */
  const diamond = (x, top, w, h) => 'M' + x + ' ' + top + 'l' + w + ' ' + h + 'l-' + w + ' ' + h + 'l-' + w + ' -' + h + 'z';
  /** A fill pattern: a ground and a mark (stripe or dot) every `size` px, turned by `rotate` degrees. */
  const pattern = (id, size, rotate, ground, mark) =>
    tag(
      'pattern',
      { id, width: size, height: size, patternUnits: 'userSpaceOnUse', patternTransform: rotate === undefined ? undefined : 'rotate(' + rotate + ')' },
      tag('rect', Object.assign({ width: size, height: size }, ground)) + mark,
    );
  const stripe = (size, paint) => tag('line', Object.assign({ x1: 0, y1: 0, x2: 0, y2: size }, paint));
  /** The patterns the picture and its legend share (under their own ids): no fact is told by colour alone. */
  const patterns = {
    verm: (id) => pattern(id, 6, 45, { fill: C.verm }, stripe(6, { stroke: '#fff', 'stroke-width': 2, 'stroke-opacity': '.55' })),
    cut: (id) => pattern(id, 6, -45, { fill: C.purple, 'fill-opacity': '.35' }, stripe(6, { stroke: C.purple, 'stroke-width': 2 })),
    hold: (id) => pattern(id, 5, undefined, { fill: C.orange, 'fill-opacity': '.3' }, tag('circle', { cx: 2.5, cy: 2.5, r: 1.2, fill: '#8a5a00' })),
    unknown: (id) => pattern(id, 5, 45, { fill: '#fbe5b0' }, stripe(5, { stroke: C.orange, 'stroke-width': 2 })),
    cand: (id) => pattern(id, 6, 45, { fill: C.yellow, 'fill-opacity': '.35' }, stripe(6, { stroke: '#b8a800', 'stroke-width': 1.5 })),
  };
  const pictureDefs = tag(
    'defs',
    {},
    patterns.verm('hatch-verm') +
      pattern('hatch-pause', 8, 45, { fill: C.yellow, 'fill-opacity': '.28' }, stripe(8, { stroke: '#b8a800', 'stroke-width': 1, 'stroke-opacity': '.45' })) +
      patterns.cut('hatch-cut') +
      patterns.hold('dots-hold') +
      patterns.unknown('hatch-unknown') +
      tag(
        'marker',
        { id: 'arrowhead', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        tag('path', { d: 'M0 0L8 4L0 8z', fill: '#1d1d1d' }),
      ) +
      pattern('hatch-pastdeadline', 5, 45, { fill: '#cfe3f1' }, stripe(5, { stroke: C.blue, 'stroke-width': 1.6 })) +
      patterns.cand('hatch-cand'),
  );

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
  const use = (key) => usedLegend.add(key);
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

  const axisH = 24;
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
  /** The lane at a fault's other end (`everything` for a fault on every link). */
  const peerOf = (fault, li) => (fault.link ? laneName(fault.link[0] === li ? fault.link[1] : fault.link[0]) : 'everything');
  /** The narrowest span drawn (px). */
  const minW = 3;
  /** A time span's [x0, x1], at least minW wide. */
  const span = (from, until) => {
    const x0 = xOf(from);
    return [x0, Math.max(x0 + minW, xOf(until))];
  };
  const inView = (from, until) => until >= viewFrom && from <= viewTo;
  /** `from – until` for a tooltip, `open` when it lasts to the end. */
  const untilText = (until) => (until >= 0 ? fmt(until) : 'the end');
  const between = (from, until, open) => fmt(from) + ' – ' + (until >= 0 ? fmt(until) : open);
  const faultDuration = (fault) => (fault.untilMs >= 0 ? fmtMs(fault.untilMs - fault.fromMs) : 'to the end');
  /** The x of each time, but those within gapPx of the last one kept (a long run has thousands). */
  function spreadXs(times, gapPx) {
    const xs = [];
    let lastX = -10;
    for (const t of times) {
      const x = xOf(t);
      if (x - lastX < gapPx) continue;
      lastX = x;
      xs.push(x);
    }
    return xs;
  }

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

  // ------------------------------------------------------------ the picture: each lane's markup, labels that keep apart

  /**
   * What one render draws: each lane's shapes and labels (labels after
   * shapes, so they stay on top), and what crosses lanes. A label is placed
   * only where it touches no other label or marker in its row.
   */
  function newPicture(laneCount) {
    const laneOut = [];
    const laneOver = [];
    for (let li = 0; li < laneCount; li++) {
      laneOut.push([]);
      laneOver.push([]);
    }
    const globalOut = [];
    const globalOver = [];
    let out = globalOut;
    let over = globalOver;
    // Taken stretches of each row, in 64 px buckets (a crowded row has thousands).
    const occupied = new Map();
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
    /** A label if it fits at x in its row without touching another; else nothing. */
    function label(row, x, y, text, opts) {
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
      const attributes = { x: (x0 + 1).toFixed(1), y: y.toFixed(1), 'font-size': size, 'font-weight': opts.bold ? '600' : undefined };
      over.push(tag('text', Object.assign(attributes, { fill: opts.fill || '#1d1d1d', class: opts.cls, 'data-i': opts.i }), esc(text)));
      return true;
    }
    /** The first of several texts (long to short) that fits. */
    function labelFirst(row, x, y, texts, opts) {
      for (const text of texts) if (label(row, x, y, text, opts)) return true;
      return false;
    }
    return {
      laneOut,
      laneOver,
      globalOut,
      globalOver,
      /** Draw into a lane's own buffers (-1: across lanes). */
      setLane(li) {
        out = li >= 0 ? laneOut[li] : globalOut;
        over = li >= 0 ? laneOver[li] : globalOver;
      },
      draw: (markup) => out.push(markup),
      reserve,
      label,
      labelFirst,
      /** Right of xRight if it fits, else ending at xLeft. */
      labelEitherSide: (row, xRight, xLeft, y, texts, opts) =>
        labelFirst(row, xRight, y, texts, opts) || labelFirst(row, xLeft, y, texts, Object.assign({ anchorEnd: true }, opts)),
    };
  }

  // ------------------------------------------------------------ layout: each lane's rows

  /** Each lane's share of a list of facts (laneOf < 0: none). */
  function byLane(list, laneOf) {
    const grouped = lanes.map(() => []);
    for (const entry of list) {
      const li = laneOf(entry);
      if (li >= 0) grouped[li].push(entry);
    }
    return grouped;
  }
  /** The run's facts by lane: the calls in view, beliefs, leases, watches, writes, link faults, drops, logs. */
  function factsByLane() {
    const linkFaults = lanes.map(() => []);
    for (const fault of data.faults) {
      if (fault.everywhere) lanes.forEach((lane, i) => lane.kind === 'process' && linkFaults[i].push(fault));
      else if (fault.link) {
        for (const end of [fault.link[0], fault.link[1]]) if (hasLinks(end)) linkFaults[end].push(fault);
        if (!hasLinks(fault.link[0]) && !hasLinks(fault.link[1])) {
          const end = fault.link[0] >= 0 ? fault.link[0] : fault.link[1];
          if (end >= 0) linkFaults[end].push(fault);
        }
      }
    }
    return {
      calls: byLane(data.calls, (call) => (inView(call[1], call[2] >= 0 ? call[2] : endMs) ? call[0] : -1)),
      beliefs: byLane(data.beliefs, (belief) => belief[0]),
      leases: byLane(data.leases, (lease) => lease.lane),
      watches: byLane(data.watches, (watch) => watch.lane),
      writes: byLane(data.writes, (write) => write[0]),
      linkFaults,
      drops: byLane(data.drops, (drop) => (hasLinks(drop[1]) ? drop[1] : drop[2])),
      logs: byLane(data.logs, (log) => log[0]),
    };
  }
  const newRow = (kind, what) => Object.assign({ kind, h: rowH[kind] }, what);
  /** [x0, x1 + padPx, what]: a span for packRows. */
  const packSpan = (what, from, until, padPx) => {
    const s = span(from, until);
    return [s[0], s[1] + padPx, what];
  };
  /** A process lane: events, belief, calls (send → answer), leases, watches, links. */
  function processRows(li, facts, narrow) {
    const rows = [newRow('events')];
    if (facts.beliefs[li].length > 0) rows.push(newRow('belief'));
    const callSpans = facts.calls[li].map((call) => packSpan(call, call[1], call[2] >= 0 ? call[2] : stopAfter(li, call[1]), 0));
    for (const calls of packRows(callSpans, narrow ? 2 : 3)) rows.push(newRow('call', { calls }));
    const leaseSpans = facts.leases[li].map((lease) =>
      packSpan(lease, lease.grantedAtMs, Math.max(lease.endedAtMs >= 0 ? lease.endedAtMs : endMs, lease.lost ? lease.lost[0] : 0), 90),
    );
    for (const leases of packRows(leaseSpans, 3)) rows.push(newRow('lease', { leases }));
    const watchSpans = facts.watches[li].map((watch) => packSpan(watch, watch.fromMs, watch.untilMs >= 0 ? watch.untilMs : endMs, 0));
    for (const watches of packRows(watchSpans, 2)) rows.push(newRow('watch', { watches }));
    return rows.concat(linkRows(li, facts));
  }
  /** One strip per link that had trouble (alice ↔ server, alice ↔ storage): faults are drawn on the link they cut. */
  function linkRows(li, facts) {
    const peers = [];
    for (const fault of facts.linkFaults[li]) {
      const peer = peerOf(fault, li);
      if (peers.indexOf(peer) < 0) peers.push(peer);
    }
    if (peers.length === 0 && facts.drops[li].length > 0) peers.push('');
    return peers.map((peer) => newRow('link', { peer }));
  }
  /** The server lane: events, who owns each lock, revisions, expiry sweeps. */
  function serverRows() {
    const rows = [newRow('events')];
    for (const lockName of new Set(data.owners.map((owner) => owner[0]))) rows.push(newRow('owner', { lockName }));
    return rows.concat([newRow('revisions'), newRow('sweeps')]);
  }
  /** A resource lane: writes from send to arrival. */
  function resourceRows(li, facts) {
    const packed = packRows(
      facts.writes[li].map((write) => packSpan(write, write[2], write[3], 8)),
      3,
    );
    if (packed.length === 0) packed.push([]);
    return packed.map((writes) => newRow('write', { writes }));
  }
  function laneRowsOf(lane, li, facts, narrow) {
    if (lane.kind === 'process') return processRows(li, facts, narrow);
    if (lane.kind === 'member') return [newRow('events'), newRow('role')].concat(linkRows(li, facts));
    if (lane.kind === 'server') return serverRows();
    return resourceRows(li, facts);
  }
  /** Every lane's top, height and rows (each row's y set), and the picture's height. */
  function layOut(facts, narrow) {
    let y = axisH;
    const laneTops = [];
    const laneHeights = [];
    const laneRows = [];
    lanes.forEach((lane, li) => {
      const rows = laneRowsOf(lane, li, facts, narrow);
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
    return { laneTops, laneHeights, laneRows, totalH: y + 8 };
  }

  // ------------------------------------------------------------ render: the frame, then the lanes kind by kind

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
    plotLeft = labelW;
    plotRight = width - 12;
    const plotW = plotRight - plotLeft;
    // The view window (zoom): times outside it fall just off the plot and are clipped.
    const viewMs = viewTo - viewFrom;
    xOf = (t) => plotLeft + Math.max(-0.02, Math.min(1.02, (Math.max(0, Math.min(t, endMs)) - viewFrom) / viewMs)) * plotW;
    tOf = (x) => Math.max(0, Math.min(endMs, viewFrom + ((x - plotLeft) / plotW) * viewMs));
    const facts = factsByLane();
    /** What every drawing reads: the layout, the facts by lane, the picture drawn into. */
    const g = Object.assign(layOut(facts, narrow), { facts, pic: newPicture(lanes.length), width, narrow, labelW, plotW });
    g.rowOf = (li, kind) => g.laneRows[li].find((row) => row.kind === kind);
    laneBands = g.laneTops.map((top, li) => [top, top + g.laneHeights[li]]);
    g.serverLane = lanes.findIndex((lane) => lane.kind === 'server');
    const serverRevRow = g.serverLane >= 0 ? g.rowOf(g.serverLane, 'revisions') : undefined;
    serverArrowY = serverRevRow ? serverRevRow.y + 4 : g.totalH - 10;

    g.pic.draw(pictureDefs);
    drawLaneBackgrounds(g);
    drawAxis(g);
    g.pic.draw(
      tag('clipPath', { id: 'plot-clip' }, tag('rect', { x: plotLeft - 1, y: 0, width: plotW + 2, height: g.totalH })) + '<g clip-path="url(#plot-clip)">',
    );
    g.overlapItems = data.overlaps.map(overlapItem);
    g.violationItems = data.violations.map((violation) => {
      use('violation');
      return item('violation', violation.atMs, violation.property + ' violated at ' + fmt(violation.atMs) + ':\n' + violation.message, []);
    });
    const onScreen = lanesOnScreen(g.laneTops, g.laneHeights);
    drawLanes(g, (li) => onScreen[li]);
    // the lanes on screen, then a group per lane (filled now, or just after for lanes off screen)
    for (let li = 0; li < lanes.length; li++)
      g.pic.draw(tag('g', { class: 'lane-g', 'data-lane-g': li }, g.pic.laneOut[li].join('') + g.pic.laneOver[li].join('')));
    drawAcrossLanes(g);
    g.pic.draw('</g>');
    drawLaneLabels(g);

    const cursorX = xOf(currentMs);
    const cursor = tag('line', {
      id: 'cursor',
      x1: cursorX,
      x2: cursorX,
      y1: axisH - 4,
      y2: g.totalH - 8,
      stroke: '#1d1d1d',
      'stroke-width': 1.5,
      'pointer-events': 'none',
    });
    const svg = tag(
      'svg',
      {
        xmlns: 'http://www.w3.org/2000/svg',
        id: 'timeline',
        width,
        height: g.totalH,
        viewBox: '0 0 ' + width + ' ' + g.totalH,
        role: 'img',
        'aria-label': 'timeline of the run',
      },
      g.pic.globalOut.join('') + g.pic.globalOver.join('') + cursor,
    );
    const old = plot.querySelector('svg');
    if (old) old.remove();
    plot.insertAdjacentHTML('beforeend', svg);
    svgEl = plot.querySelector('svg');
    cursorEl = svgEl.getElementById('cursor');
    afterDrawing();
    drawOffScreenSoon(g, onScreen);
  }
  /** What follows the picture: the arrows, the legend, the step times, the selection kept (by its text). */
  function afterDrawing() {
    drawAllArrows();
    renderLegend();
    buildStepTimes();
    if (selected >= 0 && selectedText !== null) {
      const again = items.findIndex((it) => it.text === selectedText);
      selected = again;
      if (again >= 0) highlight(again);
    }
  }
  /** Lanes off screen: drawn after the next frame is painted, so the first screen shows at once. */
  function drawOffScreenSoon(g, onScreen) {
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
            g.pic.laneOut[li].length = 0;
            g.pic.laneOver[li].length = 0;
          }
          const wanted = new Set(offScreen);
          drawLanes(g, (li) => wanted.has(li));
          for (const li of offScreen) {
            const group = svgEl.querySelector('[data-lane-g="' + li + '"]');
            if (group) group.insertAdjacentHTML('beforeend', g.pic.laneOut[li].join('') + g.pic.laneOver[li].join(''));
          }
          afterDrawing();
          drawDeadlines();
          drawFuture();
          resolve();
        }, 0);
      // a hidden page paints no frames: do not wait for one there
      if (document.visibilityState === 'hidden') later();
      else requestAnimationFrame(later);
    });
  }

  const laneFill = (li) => (li % 2 === 0 ? '#ffffff' : '#f7f7f5');
  function drawLaneBackgrounds(g) {
    lanes.forEach((lane, li) => {
      const bottom = g.laneTops[li] + g.laneHeights[li];
      g.pic.draw(
        tag('rect', { x: 0, y: g.laneTops[li], width: g.width, height: g.laneHeights[li], fill: laneFill(li), class: 'lane', 'data-lane': lane.name }),
      );
      g.pic.draw(line(undefined, 0, g.width, bottom, bottom, { stroke: '#e3e3e3' }));
    });
  }
  const tickSteps = [1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 15000, 30000, 60000, 120000, 300000, 600000];
  /** The time axis: a tick and its time every 56 px or more. */
  function drawAxis(g) {
    const pxPerMs = g.plotW / (viewTo - viewFrom);
    const tickMs = tickSteps.find((s) => s * pxPerMs >= (g.narrow ? 56 : 70)) || 600000;
    const decimals = tickMs < 10 ? 3 : tickMs < 100 ? 2 : tickMs < 1000 ? 1 : 0;
    for (let t = Math.ceil(viewFrom / tickMs) * tickMs; t <= viewTo + 0.5; t += tickMs) {
      const x = xOf(t);
      g.pic.draw(line(undefined, x, x, axisH - 4, g.totalH - 8, { stroke: '#ececec' }));
      const text = (t / 1000).toFixed(decimals) + ' s';
      const w = textWidth(text, 11);
      const lx = Math.min(Math.max(x - w / 2, plotLeft - 4), plotRight - w);
      g.pic.draw(tag('text', { x: lx.toFixed(1), y: axisH - 8, 'font-size': 11, fill: '#5f5f5f' }, text));
    }
  }
  const laneKindNames = { process: 'client', server: 'etcd', member: 'raft member' };
  /** Lane labels last, over everything. */
  function drawLaneLabels(g) {
    lanes.forEach((lane, li) => {
      const y0 = g.laneTops[li];
      g.pic.draw(tag('rect', { x: 0, y: y0, width: g.labelW - 4, height: g.laneHeights[li], fill: laneFill(li) }));
      let name = lane.name;
      while (textWidth(name, 13, true) > g.labelW - 12 && name.length > 3) name = name.slice(0, -2) + '…';
      const title = tag('title', {}, esc(lane.name));
      g.pic.draw(tag('text', { class: 'lane-label', x: 6, y: y0 + 18, 'font-size': 13, 'font-weight': 600, fill: '#1d1d1d' }, esc(name) + title));
      g.pic.draw(tag('text', { x: 6, y: y0 + 31, 'font-size': 10, fill: '#767676' }, laneKindNames[lane.kind] || 'resource'));
    });
  }

  /** Draw the lanes `want` picks (the ones on screen first, the rest just after), kind by kind. */
  function drawLanes(g, want) {
    drawWholeLaneFaults(g, want);
    drawBeliefs(g, want);
    drawOverlaps(g, want);
    forRows(g, want, 'call', drawCallRow);
    forRows(g, want, 'lease', drawLeaseRow);
    forRows(g, want, 'watch', drawWatchRow);
    drawLeadersElected(g, want);
    drawLinkStrips(g, want);
    drawProcessEvents(g, want);
    if (g.serverLane >= 0 && want(g.serverLane)) drawServerLane(g);
    drawRoles(g, want);
    forRows(g, want, 'write', drawWriteRow);
    drawViolationLabels(g, want);
    g.pic.setLane(-1);
  }
  /** Each wanted lane's rows of one kind, drawn into that lane (row key: the lane and the row). */
  function forRows(g, want, kind, drawRow) {
    for (let li = 0; li < lanes.length; li++) {
      if (!want(li)) continue;
      g.pic.setLane(li);
      g.laneRows[li].forEach((row, ri) => {
        if (row.kind === kind) drawRow(g, row, li, kind + li + ':' + ri);
      });
    }
  }

  // --- whole-lane faults: pause, crash (to restart), server restart, slow apply, drift

  /** A whole-lane fault's fill, legend key and label. */
  function laneFaultLook(fault, dur) {
    switch (fault.kind) {
      case 'pause':
        return ['url(#hatch-pause)', 'pause', 'paused ' + dur + ': runs nothing, time goes on'];
      case 'crash':
        return ['#d9d9d9', 'crash', 'crashed' + (fault.untilMs >= 0 ? ' (restarted at ' + fmt(fault.untilMs) + ')' : '')];
      case 'serverRestart':
        return ['#e7d3e0', 'serverRestart', 'etcd down, restarting (' + dur + ')'];
      case 'slowApply':
        return ['#f4e6c8', 'slowApply', fault.label + ' (' + dur + ')'];
      case 'drift':
        return ['#e4eef6', 'drift', fault.label];
      default:
        return ['url(#hatch-pause)', 'pause', fault.label];
    }
  }
  function drawWholeLaneFaults(g, want) {
    for (const crash of data.crashes) if (crash[0] >= 0 && want(crash[0])) g.pic.reserve('ev' + crash[0], xOf(crash[1]) - 6, xOf(crash[1]) + 6);
    for (const start of data.starts) if (start[0] >= 0 && start[2] > 1 && want(start[0])) g.pic.reserve('ev' + start[0], xOf(start[1]) - 2, xOf(start[1]) + 9);
    for (const fault of data.faults) {
      if (fault.link || fault.everywhere) continue;
      for (const li of fault.lanes) if (li >= 0 && want(li)) drawLaneFault(g, fault, li);
    }
  }
  function drawLaneFault(g, fault, li) {
    g.pic.setLane(li);
    const s = span(fault.fromMs, fault.untilMs >= 0 ? fault.untilMs : endMs);
    const dur = faultDuration(fault);
    const [fill, legend, text] = laneFaultLook(fault, dur);
    use(legend);
    const i = item('fault', fault.fromMs, fault.label + '\n' + between(fault.fromMs, fault.untilMs, 'end') + ' (' + dur + ')', ['f:' + fault.kind + ':' + li]);
    g.pic.draw(spanRect('fault fault-' + fault.kind, s, g.laneTops[li] + 2, g.laneHeights[li] - 4, { fill, 'data-i': i }));
    const ev = g.rowOf(li, 'events');
    if (ev)
      g.pic.labelFirst('ev' + li, s[0] + 3, ev.y + 10, [text, fault.kind === 'pause' ? 'paused ' + dur : fault.label, fault.kind], {
        maxX: Math.max(s[1], s[0] + 140),
        i,
        fill: '#4d4500',
      });
  }

  // --- lock beliefs, then two holders on top

  const beliefEnds = { released: 'released', lost: 'learned it lost the lock', crashed: 'crashed', exited: 'exited', held: 'still held at the end' };
  function drawBeliefs(g, want) {
    for (const belief of data.beliefs) {
      if (!want(belief[0])) continue;
      const s = span(belief[3], belief[4] >= 0 ? belief[4] : endMs);
      g.pic.reserve('belief' + belief[0], s[0], s[1] - 4);
    }
    for (const belief of data.beliefs) {
      const row = g.rowOf(belief[0], 'belief');
      if (row && want(belief[0])) drawBelief(g, belief, row);
    }
  }
  function drawBelief(g, belief, row) {
    const li = belief[0];
    g.pic.setLane(li);
    const s = span(belief[3], belief[4] >= 0 ? belief[4] : endMs);
    const i = item(
      'belief',
      belief[3],
      `${laneName(li)} believes it holds ${belief[1]} (fencing token ${belief[2]}, lease ${belief[6]})\n` +
        `from ${fmt(belief[3])} until ${untilText(belief[4])}: ${beliefEnds[belief[5]] || belief[5]}`,
      ['l:' + belief[6], 'tok:' + li + ':' + belief[2], 'b:' + belief[1]],
    );
    use('belief');
    g.pic.draw(spanRect('belief', s, row.y + 1, row.h - 3, { rx: 3, fill: C.green, 'data-i': i }));
    g.pic.labelFirst('beliefIn' + li, s[0] + 4, row.y + 12, ['holds ' + belief[1] + ' · token ' + belief[2], 'token ' + belief[2], '' + belief[2]], {
      maxX: s[1] - 2,
      noShift: true,
      fill: '#fff',
      bold: true,
      i,
    });
    if (belief[5] !== 'lost' && belief[5] !== 'crashed') return;
    use('belief-lost');
    g.pic.draw(line(undefined, s[1].toFixed(1), s[1].toFixed(1), row.y, row.y + row.h - 1, { stroke: C.black, 'stroke-width': 2 }));
    if (belief[5] === 'lost') g.pic.labelFirst('belief' + li, s[1] + 4, row.y + 12, ['learns it lost it', 'lost'], { noShift: true, fill: '#1d1d1d' });
  }
  /** Two holders at once: what crosses lanes (one outline around both) is drawn in drawAcrossLanes. */
  function overlapItem(overlap) {
    const until = overlap[2] >= 0 ? overlap[2] : endMs;
    const names = overlap[3].map(laneName).join(' and ');
    use('overlap');
    return item(
      'overlap',
      overlap[1],
      `TWO HOLDERS of ${overlap[0]}: ${names} both believe they hold it\n${between(overlap[1], overlap[2], 'the end')} (${fmtMs(until - overlap[1])})`,
      ['b:' + overlap[0]],
    );
  }
  function drawOverlaps(g, want) {
    data.overlaps.forEach((overlap, oi) => {
      const s = span(overlap[1], overlap[2] >= 0 ? overlap[2] : endMs);
      const i = g.overlapItems[oi];
      for (const li of overlap[3]) {
        const row = g.rowOf(li, 'belief');
        if (!row || !want(li)) continue;
        g.pic.setLane(li);
        g.pic.draw(spanRect('overlap', s, row.y + 1, row.h - 3, { rx: 3, fill: 'url(#hatch-verm)', stroke: C.verm, 'data-i': i }));
      }
      const first = overlap[3][0];
      const ev = g.rowOf(first, 'events');
      if (!ev || !want(first)) return;
      g.pic.setLane(first);
      g.pic.labelFirst('ev' + first, s[0] + 3, ev.y + 10, ['TWO HOLDERS of ' + overlap[0], 'TWO HOLDERS', '2 holders'], { bold: true, fill: '#a34300', i });
    });
  }

  // --- calls: send → answer, by outcome

  /** A call's fill, stroke and dash by outcome. */
  const callStyle = {
    ok: ['#d6e9f5', C.blue, undefined],
    error: ['#f7d4c1', C.verm, undefined],
    unknown: ['url(#hatch-unknown)', '#8a5a00', undefined],
    open: ['#ffffff', C.grey, '3 2'],
  };
  /** A call too short to show its outline: a solid tick. */
  const thinCallFill = (outcome) => (outcome === 'unknown' ? C.orange : callStyle[outcome][1]);
  const callPaint = (outcome) => {
    const style = callStyle[outcome];
    return { fill: style[0], stroke: style[1], 'stroke-width': 1, 'stroke-dasharray': style[2] };
  };
  const callOutcomes = { ok: 'ok', error: 'error', unknown: 'unknown: timed out, may or may not have been applied', open: 'never answered' };
  function drawCallRow(g, row, li, rowKey) {
    const dense = row.calls.length >= denseRowCallsMin ? { x: plotLeft, y: row.y, w: g.plotW, h: row.h, calls: [] } : undefined;
    for (const call of row.calls) {
      const s = span(call[1], call[2] >= 0 ? call[2] : stopAfter(li, call[1]));
      use('call-' + call[4]);
      const i = callItem(call, li, row);
      const thin = s[1] - s[0] <= minW + 0.01 && call[4] !== 'open';
      if (dense) {
        dense.calls.push([s[0], thin ? s[0] + 2 : s[1], i, call[4], thin]);
        items[i].box = [s[0], row.y + 1, thin ? 2 : s[1] - s[0], row.h - 2];
      } else g.pic.draw(callRect(call, s, row, thin, i));
      if (s[1] - s[0] > 30)
        g.pic.label(rowKey, s[0] + 2, row.y + 8.5, call[3] + (call[4] === 'ok' ? '' : ' ' + call[4]), {
          maxX: s[1] - 1,
          noShift: true,
          size: 8.5,
          fill: '#1d1d1d',
        });
    }
    if (dense) {
      dense.calls.sort((a, b) => a[0] - b[0]);
      g.pic.draw(denseRowPaths(dense, denseRows.length));
      denseRows.push(dense);
    }
  }
  /** A call's item: what it did, when, its answer; its arrow when the server applied it. */
  function callItem(call, li, row) {
    const unknowing = call[4] === 'ok' ? '' : ': it took effect although the client does not know';
    const applied = call[6] >= 0 ? `\napplied by the server at ${fmt(call[6])} (${fmtMs(call[6] - call[1])} after sending)${unknowing}` : '';
    const answered = call[2] >= 0 ? ', answered ' + fmt(call[2]) + ' (' + fmtMs(call[2] - call[1]) + ')' : '';
    const i = item(
      'call',
      call[1],
      laneName(li) + ' ' + call[3] + ': sent ' + fmt(call[1]) + answered + ' — ' + callOutcomes[call[4]] + applied + '\n' + call[5],
      ['c:' + li],
    );
    if (call[6] >= 0) {
      items[i].arrow = { y: row.y + row.h / 2, from: call[1], server: call[6], to: call[2] };
      use('arrow');
    }
    return i;
  }
  function callRect(call, s, row, thin, i) {
    const attributes = { class: 'call call-' + call[4], 'data-applied': call[6] >= 0 ? call[6] : undefined, x: s[0].toFixed(1), y: row.y + 1 };
    if (thin) return tag('rect', Object.assign(attributes, { width: 2, height: row.h - 2, fill: thinCallFill(call[4]), 'data-i': i }));
    return tag('rect', Object.assign(attributes, { width: (s[1] - s[0]).toFixed(1), height: row.h - 2, rx: 2 }, callPaint(call[4]), { 'data-i': i }));
  }

  // --- leases: server lifetime (deadline, renewals, sweep) over the client's view (local deadline)

  function drawLeaseRow(g, row, li, rowKey) {
    for (const lease of row.leases) {
      const serverEnd = lease.endedAtMs >= 0 ? lease.endedAtMs : endMs;
      const last = lease.serverDeadlines.filter((d) => d[0] <= serverEnd).pop();
      /** One lease's drawing: its row, the y of its server and client bars, its last server deadline. */
      const at = { lease, row, li, rowKey, rel: ['l:' + lease.id], serverEnd, sy: row.y + 12, cy: row.y + 20 };
      at.deadline = last ? last[1] : lease.grantedAtMs + lease.ttlSeconds * 1000;
      leaseGeometry.push({ lease, sy: at.sy, cy: at.cy });
      use('deadline-now');
      drawLease(g, at);
    }
  }
  function leaseEndText(lease, deadline) {
    if (lease.end === 'expired')
      return `expired at the sweep ${fmt(lease.endedAtMs)}, ${fmtMs(lease.endedAtMs - deadline)} after its deadline ${fmt(deadline)}${lease.revision >= 0 ? ` (rev ${lease.revision})` : ''}`;
    return lease.end === 'revoked' ? 'revoked ' + fmt(lease.endedAtMs) : 'alive at the end (deadline ' + fmt(deadline) + ')';
  }
  function drawLease(g, at) {
    const lease = at.lease;
    const renewals = lease.serverDeadlines.length - 1;
    const i = item(
      'lease',
      lease.grantedAtMs,
      `lease ${lease.id} of ${laneName(at.li)}, TTL ${lease.ttlSeconds} s\n` +
        `granted ${fmt(lease.grantedAtMs)}, renewed ${renewals} time(s) by keepalives\n${leaseEndText(lease, at.deadline)}`,
      at.rel,
    );
    use('lease-server');
    const aliveUntil = lease.end === 'expired' ? Math.min(at.deadline, at.serverEnd) : at.serverEnd;
    g.pic.draw(spanRect('lease', span(lease.grantedAtMs, aliveUntil), at.sy, 6, { fill: C.blue, 'data-i': i }));
    // keepalive renewals at the server: white notches
    const notches = spreadXs(
      lease.serverDeadlines.slice(1).map((d) => d[0]),
      2,
    );
    if (notches.length > 0) {
      use('renewal');
      const d = notches.map((x) => 'M' + x.toFixed(1) + ' ' + at.sy + 'v6').join('');
      g.pic.draw(tag('path', { class: 'renewal', d, stroke: '#fff', 'stroke-width': 1.2, 'pointer-events': 'none' }));
    }
    if (lease.end === 'expired') drawLeaseSwept(g, at);
    else if (lease.end === 'revoked') {
      const ex = xOf(lease.endedAtMs);
      g.pic.draw(markRect('revoke', ex, at.sy - 2, 2, 10, C.grey, i));
      g.pic.label(at.rowKey, ex + 4, at.row.y + 9.5, 'revoked', { size: 9.5, fill: C.grey, noShift: true });
    }
    const ttl = '… TTL ' + lease.ttlSeconds + ' s';
    const texts = ['lease ' + lease.id.slice(0, 8) + ttl + ' (server | client)', 'lease ' + lease.id.slice(0, 6) + ttl, 'lease'];
    g.pic.labelFirst(at.rowKey, span(lease.grantedAtMs, at.serverEnd)[0], at.row.y + 9.5, texts, { size: 9.5, fill: '#08466e', noShift: true, i });
    // client side: from the first keepalive to giving up, with its local deadline
    if (lease.clientDeadlines.length > 0) drawClientLease(g, at);
  }
  /** Past its deadline, still there until the sweep: the deadline ◇, the hatched wait, the sweep. */
  function drawLeaseSwept(g, at) {
    const { lease, deadline, serverEnd, sy, rel } = at;
    const pd = span(Math.min(deadline, serverEnd), serverEnd);
    const dx = xOf(deadline);
    const late = fmtMs(lease.endedAtMs - deadline);
    use('deadline');
    use('sweep');
    const di = item(
      'deadline',
      deadline,
      'lease ' + lease.id + ': server deadline ' + fmt(deadline) + ' (last renewal + TTL)\nthe sweep revoked it ' + late + ' later, at ' + fmt(lease.endedAtMs),
      rel,
    );
    if (pd[1] - pd[0] > 0)
      g.pic.draw(spanRect('past-deadline', pd, sy, 6, { fill: 'url(#hatch-pastdeadline)', stroke: C.blue, 'stroke-width': '.6', 'data-i': di }));
    g.pic.draw(
      tag('path', { class: 'server-deadline', d: diamond(dx.toFixed(1), sy - 3, 4, 6), fill: '#fff', stroke: C.black, 'stroke-width': 1.3, 'data-i': di }),
    );
    const ex = xOf(lease.endedAtMs);
    const si = item(
      'sweep',
      lease.endedAtMs,
      `the expiry sweep revoked lease ${lease.id} at ${fmt(lease.endedAtMs)}${lease.revision >= 0 ? `: its keys deleted in one write, rev ${lease.revision}` : ''}\n` +
        `${late} after the deadline ${fmt(deadline)}`,
      rel,
    );
    g.pic.draw(markRect('sweep', ex, sy - 4, 3, 14, C.black, si));
    const texts = ['swept +' + late + ' after the deadline ◇', 'swept +' + late];
    g.pic.labelEitherSide(at.rowKey, ex + 4, dx - 6, at.row.y + 9.5, texts, { size: 9.5, fill: '#1d1d1d', noShift: true, i: si });
  }
  function drawClientLease(g, at) {
    const { lease, li, cy } = at;
    const from = lease.clientDeadlines[0][0];
    const lostAt = lease.lost ? lease.lost[0] : Math.min(at.serverEnd, stopAfter(li, from));
    const lastLocal = lease.clientDeadlines.filter((d) => d[0] <= lostAt).pop();
    const ci = item(
      'lease-client',
      from,
      `${laneName(li)}'s client keeps lease ${lease.id} alive from ${fmt(from)}\n` +
        `${lease.keepalivesSentAtMs.length} keepalive(s) sent, ${lease.clientDeadlines.length - 1} answered` +
        (lastLocal ? `\nlast local deadline ${fmt(lastLocal[1])}` : '') +
        (lease.lost ? `\ngave it up at ${fmt(lease.lost[0])} (${lease.lost[1]})` : ''),
      at.rel,
    );
    use('lease-client');
    g.pic.draw(spanRect('lease-client', span(from, lostAt), cy, 4, { fill: C.sky, 'data-i': ci }));
    if (!lease.lost || lease.lost[1] === 'closed') return;
    use('client-lost');
    g.pic.draw(markRect('client-lost', xOf(lease.lost[0]), cy - 4, 3, 11, C.verm, ci));
    if (lease.lost[1] !== 'deadline' || !lastLocal) return;
    use('local-deadline');
    g.pic.draw(
      tag('path', {
        class: 'local-deadline',
        d: diamond(xOf(lastLocal[1]).toFixed(1), cy - 2, 3, 4),
        fill: C.sky,
        stroke: C.black,
        'stroke-width': '.8',
        'data-i': ci,
      }),
    );
  }

  // --- watches: the watch open, and each response with events

  function drawWatchRow(g, row, li, rowKey) {
    for (const watch of row.watches) for (const response of watch.responses) g.pic.reserve(rowKey, xOf(response[0]) - 5, xOf(response[0]) + 3);
    for (const watch of row.watches) {
      const s = span(watch.fromMs, watch.untilMs >= 0 ? watch.untilMs : stopAfter(li, watch.fromMs));
      const keyText = watch.rangeEnd === null ? watch.key : watch.key + ' … ' + watch.rangeEnd;
      const until = watch.untilMs >= 0 ? ' until ' + fmt(watch.untilMs) + ' (' + watch.endReason + ')' : '';
      const wi = item(
        'watch',
        watch.fromMs,
        laneName(li) + ' watches ' + keyText + ' from ' + fmt(watch.fromMs) + until + '\n' + watch.responses.length + ' response(s) with events',
        ['w:' + li + ':' + watch.watchNo],
      );
      use('watch');
      g.pic.draw(spanRect('watch', s, row.y + 11, 2.5, { fill: C.purple, 'data-i': wi }));
      g.pic.label(rowKey, s[0], row.y + 9, 'watch ' + (watch.rangeEnd === null ? watch.key : watch.key + '*'), { size: 9, fill: '#7a3b63', noShift: true });
      for (const response of watch.responses) drawWatchResponse(g, watch, response, row, li, rowKey);
    }
  }
  function drawWatchResponse(g, watch, response, row, li, rowKey) {
    const x = xOf(response[0]);
    const i = item('watch-event', response[0], laneName(li) + "'s watch got rev " + response[1] + ' at ' + fmt(response[0]) + ':\n' + response[2], [
      'w:' + li + ':' + watch.watchNo,
      'r:' + response[1],
    ]);
    use('watch-event');
    g.pic.draw(
      tag('path', { class: 'watch-event', d: diamond(x.toFixed(1), row.y + 6, 5, 6), fill: C.purple, stroke: '#fff', 'stroke-width': '.8', 'data-i': i }),
    );
    const n = response[2].split(', ').length;
    const kinds = response[2].indexOf('DELETE') >= 0 ? (response[2].indexOf('PUT') >= 0 ? 'events' : 'DELETE') : 'PUT';
    g.pic.labelFirst(rowKey, x + 7, row.y + 9, [n + ' ' + kinds + ' @r' + response[1], 'r' + response[1]], { size: 9, fill: '#7a3b63', noShift: true, i });
  }

  // --- a leader elected: a crown on its lane's events row (before the link labels, which then keep off it)

  function drawLeadersElected(g, want) {
    for (const change of data.leaderChanges || []) {
      const li = change[1];
      const ev = li >= 0 ? g.rowOf(li, 'events') : undefined;
      if (!ev || !want(li) || !inView(change[0], change[0])) continue;
      g.pic.setLane(li);
      const x = xOf(change[0]);
      use('leader-elected');
      const i = item('leader-elected', change[0], laneName(li) + ' elected leader at ' + fmt(change[0]) + ', term ' + change[2], ['term:' + change[2]]);
      g.pic.reserve('ev' + li, x - 5, x + 5);
      const crown = 'M' + (x - 5).toFixed(1) + ' ' + (ev.y + 11) + 'l1.5 -8l2 4l1.5 -5l1.5 5l2 -4l1.5 8z';
      g.pic.draw(tag('path', { class: 'leader-elected', d: crown, fill: C.orange, stroke: '#1d1d1d', 'stroke-width': '.8', 'data-i': i }));
      g.pic.labelFirst('ev' + li, x + 10, ev.y + 10, ['elected leader, term ' + change[2], 'leader t' + change[2]], { noShift: true, fill: '#6b4500', i });
    }
  }

  // --- link strip: faults on the links they cut, dropped messages

  /** A link fault's fill, outline and verb. */
  const linkLooks = {
    partition: { fill: 'url(#hatch-cut)', stroke: C.purple, verb: 'cut from ' },
    hold: { fill: 'url(#dots-hold)', stroke: '#8a5a00', verb: 'held: messages to/from ' },
    loss: { fill: '#d7ecf8', stroke: C.sky, verb: 'lossy link to ' },
    latency: { fill: '#d7ecf8', stroke: C.sky, verb: 'slow link to ' },
  };
  function drawLinkStrips(g, want) {
    for (let li = 0; li < lanes.length; li++) {
      if (!want(li)) continue;
      g.pic.setLane(li);
      const strips = g.laneRows[li].filter((row) => row.kind === 'link');
      if (strips.length === 0) continue;
      for (const fault of g.facts.linkFaults[li]) drawLinkFault(g, fault, li, strips.find((row) => row.peer === peerOf(fault, li)) || strips[0]);
      drawDrops(g, li, strips[0]);
    }
  }
  function drawLinkFault(g, fault, li, row) {
    const s = span(fault.fromMs, fault.untilMs >= 0 ? fault.untilMs : endMs);
    const other = peerOf(fault, li);
    const direction = fault.link && fault.link[2] ? (fault.link[0] === li ? ' (outgoing only)' : ' (incoming only)') : '';
    const look = linkLooks[fault.kind] || linkLooks.latency;
    use('link-' + fault.kind);
    const i = item(
      'link',
      fault.fromMs,
      `${fault.label}\n${between(fault.fromMs, fault.untilMs, 'end')} (${faultDuration(fault)})\nonly this link: the other lanes still reach each other`,
      ['f:link:' + fault.label],
    );
    g.pic.draw(spanRect('link-fault link-' + fault.kind, s, row.y + 1, row.h - 2, { fill: look.fill, stroke: look.stroke, 'stroke-width': '.8', 'data-i': i }));
    const ev = g.rowOf(li, 'events');
    const texts = [(fault.kind === 'partition' ? '✂ ' : '') + look.verb + other + direction, look.verb + other, fault.kind];
    const colour = fault.kind === 'partition' ? '#7a3b63' : '#6b4500';
    if (!(ev && g.pic.labelFirst('ev' + li, s[0] + 3, ev.y + 10, texts, { fill: colour, i, maxX: Math.max(s[1], s[0] + 160) })))
      g.pic.labelFirst('link' + li + ':' + row.peer, s[0] + 3, row.y + 8.5, texts, {
        size: 8.5,
        fill: colour,
        bold: true,
        i,
        maxX: s[1],
        noShift: true,
        cls: 'halo',
      });
  }
  function drawDrops(g, li, row) {
    const list = g.facts.drops[li];
    const xs = spreadXs(
      list.map((drop) => drop[0]),
      3,
    );
    if (xs.length === 0) return;
    use('drop');
    const shown = list
      .slice(0, 6)
      .map((drop) => fmt(drop[0]) + ' ' + laneName(drop[1]) + ' → ' + laneName(drop[2]) + ' ' + drop[3] + ' (' + drop[4] + ')')
      .join('\n');
    const omitted = data.dropsOmitted > 0 ? ' (and ' + data.dropsOmitted + ' more in the run, not kept)' : '';
    const i = item(
      'drops',
      list[0][0],
      list.length + ' message(s) dropped on ' + laneName(li) + "'s links" + omitted + ', first at ' + fmt(list[0][0]) + ':\n' + shown,
      [],
    );
    const top = row.y + 2;
    const d = xs.map((x) => 'M' + (x - 2).toFixed(1) + ' ' + top + 'l4 4M' + (x + 2).toFixed(1) + ' ' + top + 'l-4 4').join('');
    g.pic.draw(tag('path', { class: 'drop', d, stroke: C.verm, 'stroke-width': 1.4, 'data-i': i }));
  }

  // --- process events row: log lines, crashes, restarts, exits

  function drawProcessEvents(g, want) {
    for (let li = 0; li < lanes.length; li++) {
      if (!want(li)) continue;
      g.pic.setLane(li);
      if (lanes[li].kind === 'process') drawLogs(g, li);
    }
    for (const [li, atMs] of data.crashes) {
      if (li < 0 || !want(li)) continue;
      const text = ' crashed at ' + fmt(atMs) + ': memory, timers and pending calls gone; its lease lives on until it expires';
      drawLaneEvent(g, li, atMs, 'crash', text, (x, top, i) => markRect('crash', x, top + 1, 8, 8, C.black, i));
    }
    for (const [li, atMs, incarnation] of data.starts) {
      if (li < 0 || incarnation <= 1 || !want(li)) continue;
      const text = ' restarted at ' + fmt(atMs) + ' (incarnation ' + incarnation + '): a fresh client that remembers nothing';
      drawLaneEvent(g, li, atMs, 'restart', text, (x, top, i) =>
        tag('path', { class: 'restart', d: 'M' + x.toFixed(1) + ' ' + (top + 1) + 'l7 4.5l-7 4.5z', fill: C.green, 'data-i': i }),
      );
    }
    for (const [li, atMs, error] of data.exits) {
      if (li < 0 || !want(li)) continue;
      drawLaneEvent(g, li, atMs, 'exit', ' exited at ' + fmt(atMs) + (error ? ': ' + error : ''), (x, top, i) =>
        markRect('exit', x, top, 2, g.laneHeights[li] - 14, '#9a9a9a', i),
      );
    }
  }
  function drawLogs(g, li) {
    const row = g.rowOf(li, 'events');
    for (const log of g.facts.logs[li]) {
      const i = item('log', log[1], laneName(li) + ' logs at ' + fmt(log[1]) + ':\n“' + log[2] + '”', []);
      use('log');
      g.pic.draw(tag('circle', { class: 'log', cx: xOf(log[1]).toFixed(1), cy: row.y + row.h - 2, r: 2.2, fill: C.grey, 'data-i': i }));
    }
  }
  /** A process's crash, restart or exit: its item (the lane's name, then `text`), and its mark from the events row's top. */
  function drawLaneEvent(g, li, atMs, kind, text, mark) {
    g.pic.setLane(li);
    const i = item(kind, atMs, laneName(li) + text, []);
    if (kind !== 'exit') use(kind);
    g.pic.draw(mark(xOf(atMs), g.rowOf(li, 'events').y, i));
  }

  // --- server lane: revisions, lock owners, expiry sweeps, restarts

  function drawServerLane(g) {
    g.pic.setLane(g.serverLane);
    drawRevisions(g, g.rowOf(g.serverLane, 'revisions'));
    drawOwners(g);
    drawExpiries(g, g.rowOf(g.serverLane, 'sweeps'));
    const ev = g.rowOf(g.serverLane, 'events');
    for (const up of data.serverUps) {
      const i = item('server-up', up[0], 'etcd up again at ' + fmt(up[0]) + ': ' + up[1] + ' lease(s) promoted to their full TTL + the election timeout', []);
      g.pic.label('ev' + g.serverLane, xOf(up[0]) + 3, ev.y + 10, 'up: ' + up[1] + ' lease(s) get a full TTL again', { fill: '#5c2a4c', i });
    }
  }
  /** A change as a tooltip tells it: `PUT key = "value" (lease id)`, `DELETE key`. */
  const changeText = (c) => c[0] + ' ' + c[1] + (c[0] === 'PUT' ? ' = ' + JSON.stringify(c[2]) + (c[3] ? ' (lease ' + c[3] + ')' : '') : '');
  const revisionText = (revision) => `rev ${revision[1]} at ${fmt(revision[0])}:\n${revision[2].map(changeText).join('\n')}`;
  /** Revisions that share a tick: the first four told, the rest counted. */
  function revisionGroupText(group) {
    const shown = group.slice(0, 4).map(revisionText).join('\n');
    if (group.length === 1) return shown;
    const more = group.length > 4 ? '\n… and ' + (group.length - 4) + ' more' : '';
    return group.length + ' revisions, ' + group[0][1] + '–' + group[group.length - 1][1] + ' (zoom in to tell them apart):\n' + shown + more;
  }
  /** One tick per revision; revisions within 2 px of each other share a tick (a long run has thousands). */
  function drawRevisions(g, revRow) {
    let lastX = -10;
    const revisions = data.revisions;
    for (let k = 0; k < revisions.length; ) {
      const first = revisions[k];
      const x = xOf(first[0]);
      let end = k + 1;
      while (end < revisions.length && xOf(revisions[end][0]) - x < 2) end++;
      const group = revisions.slice(k, end);
      k = end;
      if (first[0] > viewTo + 1 || group[group.length - 1][0] < viewFrom - 1) continue;
      const rel = [];
      for (const revision of group) {
        rel.push('r:' + revision[1]);
        for (const c of revision[2]) if (c[3]) rel.push('l:' + c[3]);
      }
      const i = item('revision', first[0], revisionGroupText(group), rel);
      use('revision');
      g.pic.draw(markRect('revision', x, revRow.y + 1, 3, 7, C.black, i));
      if (x - lastX > 2) {
        lastX = x;
        g.pic.label('rev', x - 4, revRow.y + 15, 'r' + first[1], { size: 9, fill: '#3d3d3d', noShift: true, i });
      }
    }
  }
  /** Whom the server's keys make the owner: the lowest create revision under the lock. */
  function drawOwners(g) {
    for (const owner of data.owners) {
      const row = g.laneRows[g.serverLane].find((candidate) => candidate.kind === 'owner' && candidate.lockName === owner[0]);
      if (!row) continue;
      const s = span(owner[2], owner[3] >= 0 ? owner[3] : endMs);
      const who = owner[1] >= 0 ? laneName(owner[1]) : '?';
      const i = item(
        'owner',
        owner[2],
        `etcd: ${who} owns ${owner[0]} from ${fmt(owner[2])} until ${untilText(owner[3])}\n` +
          `its key ${owner[4]} has the lowest create revision (${owner[5]}) under the lock`,
        ['tok:' + owner[1] + ':' + owner[5], 'b:' + owner[0]],
      );
      use('owner');
      g.pic.draw(spanRect('owner', s, row.y + 2, row.h - 5, { rx: 3, fill: '#e3f3ec', stroke: C.green, 'stroke-width': 1.2, 'data-i': i }));
      g.pic.labelFirst('owner:' + owner[0], s[0] + 4, row.y + 12, ['etcd: ' + who + ' owns ' + owner[0], who + ' (etcd)', who], {
        maxX: s[1] - 2,
        noShift: true,
        size: 10,
        fill: '#00553c',
        i,
      });
    }
  }
  function drawExpiries(g, sweepRow) {
    for (const expiry of data.expiries) g.pic.reserve('sweep', xOf(expiry[0]) - 5, xOf(expiry[0]) + 2);
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
      g.pic.draw(tag('path', { class: 'expiry', d: 'M' + (x - 5).toFixed(1) + ' ' + (sweepRow.y + 1) + 'h10l-5 8z', fill: C.black, 'data-i': i }));
      const texts = [owner + "'s lease expired (sweep), rev " + expiry[2], owner + "'s lease expired", 'expired'];
      g.pic.labelEitherSide('sweep', x + 6, x - 7, sweepRow.y + 12, texts, { size: 10, fill: '#1d1d1d', noShift: true, i });
    }
  }

  // --- cluster members: each one's raft role over time

  function drawRoles(g, want) {
    for (const role of data.roles || []) {
      const li = role[0];
      const row = li >= 0 ? g.rowOf(li, 'role') : undefined;
      if (!row || !want(li)) continue;
      const until = role[4] >= 0 ? role[4] : endMs;
      if (inView(role[3], until)) drawRole(g, role, row, until);
    }
  }
  /** A role's labels, long to short. */
  function roleTexts(role, following) {
    if (role[1] === 'leader') return ['leader, term ' + role[2], 'leader t' + role[2], 'L' + role[2]];
    if (role[1] === 'follower') return ['follower, term ' + role[2] + (following ? ' (of ' + following + ')' : ''), 'follower t' + role[2], 'f' + role[2]];
    if (role[1] === 'candidate') return ['candidate, term ' + role[2], 'cand. t' + role[2], 'c' + role[2]];
    return ['down', 'd'];
  }
  function drawRole(g, role, row, until) {
    const li = role[0];
    g.pic.setLane(li);
    const s = span(role[3], until);
    const style = roleStyle[role[1]] || roleStyle.follower;
    const following = role[5] >= 0 ? laneName(role[5]) : '';
    use('role-' + role[1]);
    const term = role[1] === 'down' ? ' (last term ' + role[2] + ')' : ' in term ' + role[2];
    const i = item(
      'role',
      role[3],
      `${laneName(li)}: ${role[1]}${term}${following ? `, following ${following}` : ''}\n${between(role[3], role[4], 'end')} (${fmtMs(until - role[3])})`,
      ['term:' + role[2]],
    );
    g.pic.draw(spanRect('role role-' + role[1], s, row.y + 1, row.h - 3, { fill: style[0], stroke: style[1], 'stroke-width': '.8', 'data-i': i }));
    g.pic.labelFirst('role' + li, s[0] + 3, row.y + 11.5, roleTexts(role, following), {
      size: 10,
      maxX: s[1] - 2,
      noShift: true,
      fill: style[2],
      bold: role[1] === 'leader',
      i,
    });
  }

  // --- resource lanes: writes from send to arrival

  function drawWriteRow(g, row, li, rowKey) {
    for (const write of row.writes) g.pic.reserve(rowKey, xOf(write[3]) - 7, xOf(write[3]) + 4);
    for (const write of row.writes) drawWrite(g, write, row, li, rowKey);
  }
  function writeText(write, resource, who, stale) {
    const verdict = !write[6]
      ? 'REJECTED: token ' + write[4] + ' < highest accepted ' + write[7]
      : stale
        ? 'ACCEPTED although stale (it had accepted token ' + write[7] + '): a lost update'
        : 'accepted';
    const delay = write[3] - write[2];
    const sent = '\nsent ' + fmt(write[2]) + ', arrived ' + fmt(write[3]) + (delay > 0 ? ' (' + fmtMs(delay) + ' in the network)' : '');
    return resource + ': write ' + JSON.stringify(write[5]) + ' from ' + who + ' with token ' + write[4] + sent + '\n' + verdict;
  }
  /** Where a write arrived: accepted ●, stale but accepted ▲!, rejected ⊘; its legend key and labels. */
  function writeMark(write, stale, who, x1, my, i) {
    if (!write[6]) {
      const cross = tag('path', { d: 'M' + (x1 - 3.5).toFixed(1) + ' ' + (my + 3.5) + 'l7 -7', stroke: '#fff', 'stroke-width': 2 });
      const markup = tag(
        'g',
        { class: 'write-rejected', 'data-i': i },
        tag('rect', { x: (x1 - 6).toFixed(1), y: my - 6, width: 12, height: 12, rx: 2, fill: C.blue }) + cross,
      );
      return ['write-rejected', markup, [who + ' t' + write[4] + ' rejected (stale)', who + ' t' + write[4] + ' rejected', 'rejected', '⊘']];
    }
    if (stale) {
      const bang = tag('text', { x: (x1 - 1.6).toFixed(1), y: my + 4.5, 'font-size': 9, 'font-weight': 700, fill: '#fff' }, '!');
      const markup = tag(
        'g',
        { class: 'write-stale', 'data-i': i },
        tag('path', { d: 'M' + (x1 - 7).toFixed(1) + ' ' + (my + 6) + 'h14l-7 -13z', fill: C.verm }) + bang,
      );
      return ['write-stale', markup, [who + ' t' + write[4] + ' STALE, accepted', who + ' t' + write[4] + ' STALE', 'STALE', '!']];
    }
    return [
      'write-ok',
      tag('circle', { class: 'write', cx: x1.toFixed(1), cy: my, r: 4.5, fill: C.green, 'data-i': i }),
      [who + ' t' + write[4], 't' + write[4]],
    ];
  }
  function drawWrite(g, write, row, li, rowKey) {
    const x0 = xOf(write[2]);
    const x1 = xOf(write[3]);
    const my = row.y + 8;
    const stale = write[4] < write[7];
    const who = laneName(write[1]);
    const i = item('write', write[3], writeText(write, lanes[li].name, who, stale), ['tok:' + write[1] + ':' + write[4]]);
    const held = write[3] - write[2] >= 200;
    if (held) use('write-held');
    // the flight from send to arrival, where it is long enough to see past the arrival's marker
    if (held || x1 - x0 >= 6) {
      const flight = { stroke: held ? '#8a5a00' : C.grey, 'stroke-width': held ? 2 : 1, 'stroke-dasharray': held ? '5 3' : undefined, 'data-i': i };
      g.pic.draw(line('write-flight', x0.toFixed(1), x1.toFixed(1), my, my, flight));
      g.pic.draw(tag('circle', { cx: x0.toFixed(1), cy: my, r: 2, fill: '#fff', stroke: C.grey, 'pointer-events': 'none' }));
    }
    const [legend, markup, texts] = writeMark(write, stale, who, x1, my, i);
    use(legend);
    g.pic.draw(markup);
    g.pic.labelFirst(rowKey, x1 + 8, my + 4, texts, {
      size: 10,
      noShift: true,
      fill: !write[6] ? '#08466e' : stale ? '#a34300' : '#1d1d1d',
      bold: !write[6] || stale,
      i,
    });
  }

  // --- explorer violations: a label on the lane, a dashed line across all

  function drawViolationLabels(g, want) {
    data.violations.forEach((violation, vi) => {
      const vl = lanes.findIndex((lane) => lane.name === violation.processes[violation.processes.length - 1]);
      const ev = vl >= 0 ? g.rowOf(vl, 'events') : null;
      if (!ev || !want(vl)) return;
      g.pic.setLane(vl);
      g.pic.labelFirst('ev' + vl, xOf(violation.atMs) + 3, ev.y + 10, [violation.property + ' violated', '!'], {
        bold: true,
        fill: '#a34300',
        i: g.violationItems[vi],
      });
    });
  }
  /** What crosses lanes: two holders at once (one outline around both), violations, a change of leader across the members. */
  function drawAcrossLanes(g) {
    for (const overlap of data.overlaps) {
      const s = span(overlap[1], overlap[2] >= 0 ? overlap[2] : endMs);
      const ys = [];
      for (const li of overlap[3]) {
        const row = g.rowOf(li, 'belief');
        if (row) ys.push(row.y + 1, row.y + row.h - 2);
      }
      if (ys.length === 0) continue;
      const top = Math.min.apply(null, ys) - 2;
      const bottom = Math.max.apply(null, ys) + 2;
      const outline = { fill: 'none', stroke: C.verm, 'stroke-width': 1.5, 'stroke-dasharray': '5 3', 'pointer-events': 'none' };
      g.pic.draw(
        tag(
          'rect',
          Object.assign({ class: 'overlap-outline', x: (s[0] - 1).toFixed(1), y: top, width: (s[1] - s[0] + 2).toFixed(1), height: bottom - top }, outline),
        ),
      );
    }
    data.violations.forEach((violation, vi) => {
      const x = xOf(violation.atMs).toFixed(1);
      g.pic.draw(
        line('violation', x, x, axisH, g.totalH - 8, { stroke: C.verm, 'stroke-width': 2, 'stroke-dasharray': '6 3', 'data-i': g.violationItems[vi] }),
      );
    });
    // a change of leader, across the member lanes: the cluster is one story
    const memberLanes = [];
    lanes.forEach((lane, li) => lane.kind === 'member' && memberLanes.push(li));
    if (memberLanes.length === 0) return;
    const top = g.laneTops[memberLanes[0]];
    const last = memberLanes[memberLanes.length - 1];
    const bottom = g.laneTops[last] + g.laneHeights[last];
    (data.leaderChanges || []).forEach((change, ci) => {
      if (ci === 0 || !inView(change[0], change[0])) return;
      const x = xOf(change[0]).toFixed(1);
      g.pic.draw(line('leader-change', x, x, top, bottom, { stroke: '#8a5a00', 'stroke-width': 1, 'stroke-dasharray': '3 3', 'pointer-events': 'none' }));
    });
  }

  // ------------------------------------------------------------ arrows: every call's request and answer

  /** An arrow's line and its head, as path data. */
  function arrowPath(x0, y0, x1, y1) {
    const len = Math.hypot(x1 - x0, y1 - y0) || 1;
    const ux = (x1 - x0) / len;
    const uy = (y1 - y0) / len;
    // the head: two strokes 5 px back along the line, 2.5 px to each side
    const point = (along, side) => (x1 - along * ux + side * uy).toFixed(1) + ' ' + (y1 - along * uy - side * ux).toFixed(1);
    const head = 'M' + point(5, -2.5) + 'L' + point(0, 0) + 'L' + point(5, 2.5);
    return 'M' + x0.toFixed(1) + ' ' + y0 + 'L' + x1.toFixed(1) + ' ' + y1 + head;
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
    for (const it of items) {
      const arrow = it.arrow;
      if (!arrow || arrow.server < viewFrom || arrow.from > viewTo) continue;
      n++;
      requests += arrowPath(xOf(arrow.from), arrow.y, xOf(arrow.server), serverArrowY);
      if (arrow.to >= 0) answers += arrowPath(xOf(arrow.server), serverArrowY, xOf(arrow.to), arrow.y);
    }
    const paths =
      tag('path', { class: 'arrows-request', d: requests, stroke: '#0072B2', 'stroke-opacity': '.55' }) +
      tag('path', { class: 'arrows-answer', d: answers, stroke: '#1d1d1d', 'stroke-opacity': '.4', 'stroke-dasharray': '3 2' });
    svgEl.insertAdjacentHTML('beforeend', tag('g', { id: 'all-arrows', 'data-count': n, 'pointer-events': 'none', fill: 'none', 'stroke-width': '.8' }, paths));
    drawFuture(); // the cover stays on top
  }
  /** Which lanes show in the window now (with a margin): they are drawn first. */
  function lanesOnScreen(laneTops, laneHeights) {
    const top = plot.getBoundingClientRect().top;
    const viewH = window.innerHeight || 900;
    return laneTops.map((laneTop, li) => top + laneTop < viewH + 150 && top + laneTop + laneHeights[li] > -150);
  }

  // ------------------------------------------------------------ legend: only what the picture shows

  /**
   * The legend, in its order: the key the drawing uses, the swatch's shape, its fill
   * (`fill|stroke`; a colour, or a name in C) and what it means.
   */
  const legendEntries = `
belief          rect        green                     believes it holds the lock
overlap         rect        url(#lg-verm)             two hold it at once
belief-lost     bar         black                     learns it lost the lock / crashed
owner           rect-s      #e3f3ec|green             etcd's owner: lowest create revision
call-ok         rect-s      #d6e9f5|blue              call, send → answer: ok
call-error      rect-s      #f7d4c1|verm              call answered with an error
call-unknown    rect-s      url(#lg-unknown)|#8a5a00  call timed out: outcome unknown
call-open       rect-d      #fff|grey                 call never answered
arrow           arrow       #1d1d1d                   a call's request to the server and the answer (hover a call, or tick “arrows”)
lease-server    thin        blue                      lease alive on the server
renewal         thin-notch  blue                      notch: renewed by a keepalive
deadline        diamond     #fff                      server deadline (hatched: past it, before the sweep)
deadline-now    dash        #1d1d1d                   at the cursor: each live lease's deadlines, server ◇ and client ◆, ahead of now
sweep           tri         black                     expiry sweep revoked it
lease-client    thin        sky                       client's belief in its lease
local-deadline  diamond     sky                       client's local deadline
client-lost     bar         verm                      client gives the lease up
watch           thin        purple                    watch open
watch-event     diamond     purple                    watch response with events
pause           rect        url(#lg-pause)            process paused
crash           square      black                     crash (grey: down)
restart         play        green                     process restarted
serverRestart   rect        #e7d3e0                   etcd restarting
slowApply       rect        #f4e6c8                   etcd applies slowly
drift           rect        #e4eef6                   clock drift
link-partition  rect        url(#lg-cut)              link cut (partition)
link-hold       rect        url(#lg-hold)             link holds messages
link-loss       rect        #d7ecf8                   lossy link
link-latency    rect        #d7ecf8                   slow link
drop            x           verm                      message dropped
log             dot         grey                      log line
revision        tick        black                     a write committed (revision)
write-ok        circle      green                     write accepted
write-stale     tri-up      verm                      stale write accepted (unsafe)
write-rejected  blocked     blue                      stale write rejected (safe)
write-held      dash        #8a5a00                   write held in the network
violation       dash        verm                      property violated
leader-elected  crown       orange                    a member elected leader (dashed across the members: the leader changed)
role-leader     rect        orange                    member is the raft leader
role-follower   rect-s      #f1f1f1|#bdbdbd           member is a follower
role-candidate  rect        url(#lg-cand)             member is campaigning (candidate)
role-down       rect        #5f5f5f                   member down
`
    .trim()
    .split('\n')
    .map((entry) => {
      const [, key, shape, colours, meaning] = /^(\S+) +(\S+) +(\S+) +(.+)$/.exec(entry);
      return [
        key,
        shape,
        colours
          .split('|')
          .map((colour) => C[colour] || colour)
          .join('|'),
        meaning,
      ];
    });

  /** Each legend shape drawn in a 24 × 16 box, in the entry's fill (and stroke). */
  const swatchShapes = {
    rect: (fill) => tag('rect', { x: 1, y: 3, width: 22, height: 10, rx: 2, fill, stroke: '#999', 'stroke-width': '.5' }),
    'rect-s': (fill, stroke) => tag('rect', { x: 1, y: 4, width: 22, height: 8, rx: 2, fill, stroke }),
    'rect-d': (fill, stroke) => tag('rect', { x: 1, y: 4, width: 22, height: 8, rx: 2, fill, stroke, 'stroke-dasharray': '3 2' }),
    bar: (fill) => tag('rect', { x: 10, y: 2, width: 2.5, height: 12, fill }),
    thin: (fill) => tag('rect', { x: 1, y: 5, width: 22, height: 5, fill }),
    'thin-notch': (fill) => swatchShapes.thin(fill) + tag('path', { d: 'M8 5v5M15 5v5', stroke: '#fff', 'stroke-width': 1.2 }),
    diamond: (fill) => tag('path', { d: diamond(12, 2, 5, 6), fill, stroke: '#000', 'stroke-width': 1.2 }),
    tri: (fill) => tag('path', { d: 'M5 3h14l-7 11z', fill }),
    'tri-up': (fill) => tag('path', { d: 'M6 13h12l-6 -10z', fill }),
    square: (fill) => tag('rect', { x: 7, y: 3, width: 10, height: 10, fill }),
    play: (fill) => tag('path', { d: 'M8 3l9 5l-9 5z', fill }),
    x: (fill) => tag('path', { d: 'M8 4l8 8M16 4l-8 8', stroke: fill, 'stroke-width': 2 }),
    dot: (fill) => tag('circle', { cx: 12, cy: 8, r: 3, fill }),
    tick: (fill) => tag('rect', { x: 10.5, y: 3, width: 3, height: 10, fill }),
    circle: (fill) => tag('circle', { cx: 12, cy: 8, r: 5, fill }),
    blocked: (fill) =>
      tag('rect', { x: 6, y: 2, width: 12, height: 12, rx: 2, fill }) + tag('path', { d: 'M8.5 11.5l7 -7', stroke: '#fff', 'stroke-width': 2 }),
    arrow: (fill) => tag('path', { d: 'M1 4L12 12L23 4', fill: 'none', stroke: fill, 'stroke-width': 1.5 }),
    crown: (fill) => tag('path', { d: 'M6 13l2 -10l3 5l1 -6l1 6l3 -5l2 10z', fill, stroke: '#1d1d1d', 'stroke-width': '.8' }),
    dash: (fill) => line(undefined, 1, 23, 8, 8, { stroke: fill, 'stroke-width': 2, 'stroke-dasharray': '5 3' }),
  };
  function swatch(shape, color) {
    const [fill, stroke] = color.split('|');
    return tag('svg', { width: 24, height: 16, viewBox: '0 0 24 16', 'aria-hidden': 'true' }, swatchShapes[shape](fill, stroke));
  }
  /** The legend's swatch patterns, in the legend's own SVG under ids of their own (lg-*). */
  const legendDefs = tag(
    'svg',
    { width: 0, height: 0, style: 'position:absolute', 'aria-hidden': 'true' },
    tag(
      'defs',
      {},
      patterns.verm('lg-verm') +
        pattern('lg-pause', 8, 45, { fill: C.yellow, 'fill-opacity': '.5' }, stripe(8, { stroke: '#b8a800' })) +
        patterns.cut('lg-cut') +
        patterns.hold('lg-hold') +
        patterns.unknown('lg-unknown') +
        patterns.cand('lg-cand'),
    ),
  );

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
    const cover = tag('rect', {
      x: (x + 1).toFixed(1),
      y: 20,
      width: Math.max(0, plotRight - x + 12).toFixed(1),
      height: height - 20,
      fill: '#fff',
      'fill-opacity': '.93',
    });
    const note =
      plotRight - x > 150 ? tag('text', { x: (x + 10).toFixed(1), y: 40, 'font-size': 12, fill: '#5f5f5f' }, 'the future: step or play to see it') : '';
    svgEl.insertAdjacentHTML('beforeend', tag('g', { id: 'future' }, cover + note));
  }
  /** At the cursor: each live lease's deadlines ahead of now, server ◇ (with a dashed line to it) and client ◆. */
  function drawDeadlines() {
    if (!svgEl) return;
    const old = svgEl.getElementById('deadlines');
    if (old) old.remove();
    const t = currentMs;
    let d = '';
    let n = 0;
    for (const { lease, sy, cy } of leaseGeometry) {
      if (lease.grantedAtMs > t || (lease.endedAtMs >= 0 && lease.endedAtMs <= t) || n >= 60) continue;
      n++;
      const server = lease.serverDeadlines.filter((entry) => entry[0] <= t).pop();
      if (server) {
        const x = xOf(server[1]).toFixed(1);
        d += line(undefined, xOf(t).toFixed(1), x, sy - 2, sy - 2, { stroke: '#1d1d1d', 'stroke-width': 1, 'stroke-dasharray': '2 2' });
        d += tag('path', { class: 'deadline-now', d: diamond(x, sy - 6, 4, 4), fill: '#fff', stroke: '#1d1d1d', 'stroke-width': 1.2 });
      }
      const client = lease.clientDeadlines.filter((entry) => entry[0] <= t).pop();
      if (client && !(lease.lost && lease.lost[0] <= t))
        d += tag('path', {
          class: 'local-deadline-now',
          d: diamond(xOf(client[1]).toFixed(1), cy - 2, 3, 4),
          fill: C.sky,
          stroke: '#1d1d1d',
          'stroke-width': '.8',
        });
    }
    svgEl.insertAdjacentHTML('beforeend', tag('g', { id: 'deadlines', 'pointer-events': 'none' }, d));
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
    const state = keysAt(t);
    const html = ['<h3>State at t = ' + fmt(t) + '</h3>'];
    lockState(html, t, state.keys);
    memberState(html, t);
    keyTable(html, state);
    leaseState(html, t);
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
  /** The keys at t (every revision up to t replayed) and the revision then. */
  function keysAt(t) {
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
    return { keys, revision };
  }
  /** Lock holders: who believes, and whom the server puts first. */
  function lockState(html, t, keys) {
    const lockNames = Array.from(new Set(data.beliefs.map((b) => b[1])));
    if (lockNames.length > 0) html.push('<h3>Lock</h3>');
    const paused = (li) => data.faults.some((f) => f.kind === 'pause' && f.lanes.indexOf(li) >= 0 && f.fromMs <= t && (f.untilMs < 0 || f.untilMs > t));
    for (const lockName of lockNames) {
      const holders = data.beliefs.filter((b) => b[1] === lockName && b[3] <= t && (b[4] < 0 || b[4] > t));
      const names = holders.map((b) => esc(laneName(b[0])) + ' (token ' + b[2] + (paused(b[0]) ? ', paused' : '') + ')');
      if (holders.length === 0) html.push('<div>' + esc(lockName) + ': <span class="none">nobody believes they hold it</span></div>');
      else if (holders.length === 1) html.push('<div>' + esc(lockName) + ': <span class="good">' + names[0] + '</span> believes it holds it</div>');
      else html.push('<div class="warn">' + esc(lockName) + ': ' + holders.length + ' believe they hold it: ' + names.join(', ') + '</div>');
      html.push(serverLockOwner(lockName, keys));
    }
  }
  /** Server side: the waiter key with the lowest create revision owns an etcd mutex (or the lock's own key, a plain lock). */
  function serverLockOwner(lockName, keys) {
    let first = null;
    keys.forEach((kv, key) => {
      if (key.indexOf(lockName + '/') === 0 && (first === null || kv.create < first.kv.create)) first = { key, kv };
    });
    if (first !== null) {
      const lease = leaseById.get(first.kv.lease);
      const owner = esc(lease ? laneName(lease.lane) : 'lease ' + first.kv.lease);
      return `<div>server: <b>${owner}</b> owns it (key ${esc(first.key)}, lowest create rev ${first.kv.create})</div>`;
    }
    if (!keys.has(lockName)) return '<div>server: <span class="none">no lock key</span></div>';
    const kv = keys.get(lockName);
    const lease = leaseById.get(kv.lease);
    return '<div>server: key ' + esc(lockName) + ' held by ' + esc(lease ? laneName(lease.lane) : kv.value) + '</div>';
  }
  /** Cluster members: each one's role at t. */
  function memberState(html, t) {
    const roleAt = [];
    for (const role of data.roles || []) if (role[3] <= t && (role[4] < 0 || role[4] > t)) roleAt.push(role);
    if (roleAt.length > 0) html.push('<h3>Members</h3>');
    for (const role of roleAt)
      html.push(
        `<div class="member-role">${esc(laneName(role[0]))}: ${role[1] === 'leader' ? '<b>leader</b>' : role[1]}` +
          (role[1] === 'down' ? '' : ', term ' + role[2]) +
          (role[5] >= 0 && role[1] === 'follower' ? ' (of ' + esc(laneName(role[5])) + ')' : '') +
          '</div>',
      );
  }
  function keyTable(html, state) {
    const keys = state.keys;
    html.push('<h3>Keys (revision ' + state.revision + ')</h3>');
    if (keys.size === 0) return html.push('<div class="none">no keys</div>');
    const sorted = Array.from(keys.keys()).sort();
    html.push('<table><tr><th>key</th><th>value</th><th>create</th><th>mod</th><th>lease</th></tr>');
    for (const key of sorted.slice(0, 30)) {
      const kv = keys.get(key);
      const lease = leaseById.get(kv.lease);
      const leaseCell = kv.lease ? esc(lease ? laneName(lease.lane) : kv.lease.slice(0, 6)) : '';
      html.push(`<tr><td>${esc(key)}</td><td>${esc(kv.value)}</td><td>${kv.create}</td><td>${kv.mod}</td><td>${leaseCell}</td></tr>`);
    }
    html.push('</table>');
    if (sorted.length > 30) html.push('<div class="none">… and ' + (sorted.length - 30) + ' more</div>');
  }
  /** Leases alive at t on the server, with what the client believes. */
  function leaseState(html, t) {
    const alive = data.leases.filter((lease) => lease.grantedAtMs <= t && (lease.endedAtMs < 0 || lease.endedAtMs > t));
    html.push('<h3>Leases</h3>');
    if (alive.length === 0) html.push('<div class="none">no lease alive on the server</div>');
    for (const lease of alive.slice(0, 12)) {
      const server = lease.serverDeadlines.filter((d) => d[0] <= t).pop();
      const remaining = server ? server[1] - t : 0;
      const client = lease.clientDeadlines.filter((d) => d[0] <= t).pop();
      let line = '<div><b>' + esc(laneName(lease.lane)) + '</b> ' + esc(lease.id.slice(0, 8)) + ' TTL ' + lease.ttlSeconds + ' s: ';
      line +=
        remaining >= 0
          ? 'server deadline ' + fmt(server[1]) + ', <b>' + fmtMs(remaining) + ' left</b>'
          : '<span class="warn">' + fmtMs(-remaining) + ' past its deadline: the next sweep revokes it</span>';
      if (lease.lost && lease.lost[0] <= t) line += '; client gave it up (' + esc(lease.lost[1]) + ')';
      else if (client) line += '; client: alive until ' + fmt(client[1]) + ' on its clock';
      html.push(line + '</div>');
    }
    if (alive.length > 12) html.push('<div class="none">… and ' + (alive.length - 12) + ' more</div>');
  }

  // ------------------------------------------------------------ dense call rows

  /**
   * A dense call row as one path per outcome (a rect per call is thousands of
   * elements; a picture drawn on a canvas costs its PNG encoding: measured
   * slower at 800 px). data-calls: how many calls each path holds.
   */
  function denseRowPaths(dense, index) {
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
      const paint = shape.thin ? { fill: thinCallFill(shape.outcome) } : callPaint(shape.outcome);
      svg += tag('path', Object.assign({ class: 'calls-dense call-' + shape.outcome, 'data-dense': index, 'data-calls': shape.n, d: shape.d.join('') }, paint));
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
      const message = (fromX, fromY, toX, toY, dash) =>
        tag('line', {
          x1: fromX.toFixed(1),
          y1: fromY,
          x2: toX.toFixed(1),
          y2: toY,
          stroke: '#1d1d1d',
          'stroke-width': 1.5,
          'stroke-dasharray': dash,
          'marker-end': 'url(#arrowhead)',
        });
      const request = message(xOf(arrow.from), arrow.y, xOf(arrow.server), serverArrowY);
      const answer = arrow.to >= 0 ? message(xOf(arrow.server), serverArrowY, xOf(arrow.to), arrow.y, '4 2') : '';
      svgEl.insertAdjacentHTML('beforeend', tag('g', { id: 'arrows', 'pointer-events': 'none' }, request + answer));
    }
    const box = items[i].box;
    if (box) {
      // a call drawn in a dense row's picture: outlined on top of it
      const outline = { fill: 'none', stroke: '#1d1d1d', 'stroke-width': 2 };
      const geometry = {
        class: 'hl dense-hl',
        'pointer-events': 'none',
        x: box[0].toFixed(1),
        y: box[1],
        width: Math.max(2, box[2]).toFixed(1),
        height: box[3],
      };
      svgEl.insertAdjacentHTML('beforeend', tag('rect', Object.assign(geometry, outline)));
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
    `before script ${Math.round(scriptStartMs)} ms, parse ${Math.round(parsedMs - scriptStartMs)} ms, ${document.body.getAttribute('data-timings') || ''}`,
  );
  loaded.then(() => {
    document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
    document.body.setAttribute('data-viewer', 'ready');
  });
})();
