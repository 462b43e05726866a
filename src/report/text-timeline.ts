/**
 * A timeline a person can read, from a trace: virtual time, who, what, with
 * revisions, lease TTLs, and who believes they hold each lock.
 *
 *     0.017s  alice    txn if create("/lock/2d12…")=0 then put, get "/lock/"… → succeeded, rev 2
 *     0.017s  alice    🔒 believes it holds /lock (token 2)
 *     1.000s  fault    ⏸ pause alice: stop-the-world, alice runs nothing while time goes on
 *     5.500s  server   ⌛ lease 2d12… expired (granted 5s to alice) → its keys deleted at rev 4
 *     5.513s  bob      🔒 believes it holds /lock (token 3)
 *                      ⚠ TWO HOLDERS of /lock: alice (token 2), bob (token 3)
 *
 * Compact by default: a call and its answer share one line (at the answer),
 * keepalives after the first and repeated dropped messages are hidden and
 * counted at the end. `verbose` shows every event. Colour comes from
 * picocolors (off with NO_COLOR or when not a terminal) unless set.
 */
import pc from 'picocolors';
import type { ClientEvent } from '../client/events.ts';
import { LockBeliefTracker } from '../check/beliefs.ts';
import { describeFault } from '../sim/faults.ts';
import { describeMemberRole, formatTimeMs, renderApplied, renderClientEvent, show, showLeaseId, type Trace, type TraceEvent } from '../sim/trace.ts';
import type { Compare, RangeRequest, RequestOp, TxnRequest } from '../store/messages.ts';
import { iconLegend, toAscii, wrapLine } from './terminal-text.ts';

/** Options of {@link renderTextTimeline}. */
export interface TextTimelineOptions {
  /** Show every event: each call and answer, keepalives, dropped messages. @defaultValue false */
  verbose?: boolean;
  /** Colour the output. @defaultValue picocolors' detection (NO_COLOR, FORCE_COLOR, TTY) */
  color?: boolean;
  /** ASCII instead of icons and typographic characters (src/report/terminal-text.ts). @defaultValue false */
  ascii?: boolean;
  /** Wrap lines to this many columns, continuing under the `what` column. @defaultValue no wrapping */
  width?: number;
  /** End with a line naming the icons used. @defaultValue false */
  legend?: boolean;
}

type Colors = ReturnType<typeof pc.createColors>;

const textDecoder = new TextDecoder();

function text(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : textDecoder.decode(bytes);
}

function quote(bytes: Uint8Array | undefined): string {
  return JSON.stringify(text(bytes));
}

/** A range's extent, as a learner reads it. */
function rangeOf(key: Uint8Array | undefined, rangeEnd: Uint8Array | undefined): string {
  if (rangeEnd === undefined || rangeEnd.length === 0) return quote(key);
  const k = text(key);
  const end = text(rangeEnd);
  if (k.length > 0 && end === k.slice(0, -1) + String.fromCharCode(k.charCodeAt(k.length - 1) + 1)) return JSON.stringify(`${k}*`);
  if (end === '\u0000') return `from ${JSON.stringify(k)}`;
  return `[${JSON.stringify(k)}, ${JSON.stringify(end)})`;
}

function describeRange(request: RangeRequest): string {
  const extent = rangeOf(request.key, request.range_end);
  const parts =
    request.sort_target === 'CREATE' && request.limit === 1
      ? [`get the ${request.sort_order === 'DESCEND' ? 'newest' : 'oldest'} key of ${extent}`]
      : [`get ${extent}`];
  if (request.max_create_revision !== undefined && request.max_create_revision > 0) parts.push(`created ≤ rev ${request.max_create_revision}`);
  if (request.revision !== undefined && request.revision > 0) parts.push(`at rev ${request.revision}`);
  return parts.join(' ');
}

function describeCompare(compare: Compare): string {
  const op = { EQUAL: '=', GREATER: '>', LESS: '<', NOT_EQUAL: '≠' }[compare.result ?? 'EQUAL'];
  const target = compare.target ?? 'VERSION';
  const value =
    target === 'CREATE'
      ? (compare.create_revision ?? 0)
      : target === 'MOD'
        ? (compare.mod_revision ?? 0)
        : target === 'VERSION'
          ? (compare.version ?? 0)
          : target === 'LEASE'
            ? showLeaseId(compare.lease ?? 0n)
            : quote(compare.value);
  const name = { CREATE: 'create', MOD: 'mod', VERSION: 'version', LEASE: 'lease', VALUE: 'value' }[target];
  return `${name}(${quote(compare.key)})${op}${value}`;
}

function describeOp(op: RequestOp): string {
  if (op.request_put !== undefined) return `put ${quote(op.request_put.key)}`;
  if (op.request_range !== undefined) return describeRange(op.request_range);
  if (op.request_delete_range !== undefined) return `delete ${rangeOf(op.request_delete_range.key, op.request_delete_range.range_end)}`;
  if (op.request_txn !== undefined) return 'txn';
  return '?';
}

function describeTxn(request: TxnRequest): string {
  const compares = (request.compare ?? []).map(describeCompare).join(' and ');
  const success = (request.success ?? []).map(describeOp).join(', ');
  const failure = (request.failure ?? []).map(describeOp).join(', ');
  return `txn if ${compares || 'true'} then ${success || 'nothing'}${failure ? ' else …' : ''}`;
}

/** A call, as one phrase: `put "/k" = "v" with lease 2d12…`. */
function describeCall(method: string, request: unknown): string {
  const r = request as Record<string, unknown>;
  switch (method) {
    case 'range':
      return describeRange(r as RangeRequest);
    case 'put': {
      const lease = r['lease'] as bigint | undefined;
      return `put ${quote(r['key'] as Uint8Array)} = ${quote(r['value'] as Uint8Array | undefined)}${lease !== undefined && lease !== 0n ? ` with lease ${showLeaseId(lease)}` : ''}`;
    }
    case 'deleteRange':
      return `delete ${rangeOf(r['key'] as Uint8Array, r['range_end'] as Uint8Array | undefined)}`;
    case 'txn':
      return describeTxn(r as TxnRequest);
    case 'leaseGrant':
      return `grant a lease, ttl ${String(r['TTL'])}s`;
    case 'leaseRevoke':
      return `revoke lease ${showLeaseId(r['ID'] as bigint)}`;
    case 'leaseTimeToLive':
      return `ask lease ${showLeaseId(r['ID'] as bigint)}'s TTL`;
    case 'leaseKeepAlive':
      return `keepalive once lease ${showLeaseId(r['ID'] as bigint)}`;
    case 'leaseLeases':
      return 'list leases';
    case 'compact':
      return `compact to rev ${String(r['revision'])}`;
    default:
      return `${method} ${show(request)}`;
  }
}

/** What an ok answer said. */
function describeAnswer(method: string, response: unknown): string {
  const r = response as Record<string, unknown> & { header?: { revision: number } };
  const rev = r.header !== undefined ? `rev ${r.header.revision}` : '';
  const withRev = (what: string) => [what, rev].filter((part) => part !== '').join(', ');
  switch (method) {
    case 'range': {
      const kvs = (r['kvs'] as { key: Uint8Array; value: Uint8Array; create_revision: number }[] | undefined) ?? [];
      if (kvs.length === 0) return withRev('nothing');
      if (kvs.length === 1) {
        const kv = kvs[0]!;
        return withRev(`${quote(kv.key)}${kv.value.length > 0 ? ` = ${quote(kv.value)}` : ''} (created rev ${kv.create_revision})`);
      }
      return withRev(`${kvs.length} keys`);
    }
    case 'put':
      return withRev('ok');
    case 'deleteRange':
      return withRev(`deleted ${String(r['deleted'] ?? 0)}`);
    case 'txn':
      return withRev(r['succeeded'] === true ? 'succeeded (then)' : 'failed (else)');
    case 'leaseGrant':
      return withRev(`lease ${showLeaseId(r['ID'] as bigint)}, ttl ${String(r['TTL'])}s`);
    case 'leaseTimeToLive': {
      const ttl = r['TTL'] as number;
      return withRev(ttl < 0 ? 'not found (ttl -1)' : `ttl ${ttl}s left of ${String(r['grantedTTL'])}s`);
    }
    case 'leaseKeepAlive':
      return withRev(`ttl ${String(r['TTL'])}s`);
    default:
      return withRev('ok');
  }
}

function whoOf(process: string, incarnation: number): string {
  return incarnation > 1 ? `${process}#${incarnation}` : process;
}

interface Line {
  atMs: number;
  who: string;
  what: string;
  /** Printed under the line, indented to the `what` column. */
  notes: string[];
}

const leaseLostReasons: Record<string, string> = {
  expired: 'the server answered TTL 0: the lease is gone',
  deadline: 'no keepalive answer before its local deadline',
  revoked: 'revoked',
  closed: 'keepalive stopped',
};

/**
 * Render a trace as a readable timeline.
 * @param trace - a run's trace (`result.trace`)
 * @param options - `verbose`, `color`
 * @returns the timeline, one event a line, ending with a newline
 */
export function renderTextTimeline(trace: Trace | readonly TraceEvent[], options: TextTimelineOptions = {}): string {
  const events: readonly TraceEvent[] = Array.isArray(trace) ? trace : (trace as Trace).events;
  const c: Colors = options.color === undefined ? pc : pc.createColors(options.color);
  const timeline = new TimelineLines(events, options.verbose ?? false, c);
  for (const event of events) timeline.add(event);
  let out = formatLines(timeline.lines, c, processColors(events, c), options.width);
  out += timeline.hiddenSummary();
  if (options.legend === true) out += c.dim(iconLegend(out, options.ascii === true));
  return options.ascii === true ? toAscii(out) : out;
}

type ReturnEvent = Extract<ClientEvent, { kind: 'return' }>;
type ClientTraceEvent = Extract<TraceEvent, { kind: 'client' }>;

/** Each process its own colour (in order of appearance), the server, faults and the network theirs. */
function processColors(events: readonly TraceEvent[], c: Colors): (who: string) => (s: string) => string {
  const processNames = [...new Set(events.flatMap((event) => ('process' in event && event.kind !== 'lease-granted' ? [event.process] : [])))];
  const palette = [c.cyan, c.magenta, c.blue, c.yellow, c.green, c.red];
  return (who) => {
    if (who === 'server') return c.gray;
    if (who === 'fault') return (s) => c.bold(c.yellow(s));
    if (who === 'network') return c.gray;
    const index = processNames.indexOf(who.split('#')[0]!);
    return index >= 0 ? palette[index % palette.length]! : c.white;
  };
}

/** The lines as columns under a header: time, who, what; notes and wrapped text continue under `what`. */
function formatLines(lines: readonly Line[], c: Colors, colorOf: (who: string) => (s: string) => string, width: number | undefined): string {
  const whoWidth = Math.max(7, ...lines.map((line) => line.who.length));
  const indent = ' '.repeat(8 + 2 + whoWidth + 2);
  const wrap = (line: string) => (width === undefined ? line : wrapLine(line, width, indent.length));
  let out = c.dim(`${'time'.padStart(8)}  ${'who'.padEnd(whoWidth)}  what\n`);
  for (const line of lines) {
    const time = `${formatTimeMs(line.atMs).trimStart().padStart(7)}s`;
    out += `${wrap(`${c.dim(time)}  ${colorOf(line.who)(line.who.padEnd(whoWidth))}  ${line.what}`)}\n`;
    for (const note of line.notes) out += `${wrap(`${indent}${note}`)}\n`;
  }
  return out;
}

/** Turns trace events into timeline lines, one handler per event kind, following beliefs, pauses and revisions on the way. */
class TimelineLines {
  readonly lines: Line[] = [];
  readonly #verbose: boolean;
  readonly #c: Colors;
  /** Each call's answer, by process, incarnation and call id: in compact mode they share one line. */
  readonly #answers = new Map<string, ReturnEvent & { atMs: number }>();
  readonly #calls = new Map<string, { method: string; request: unknown; atMs: number }>();
  readonly #beliefs = new LockBeliefTracker();
  readonly #pausedSince = new Map<string, number>();
  readonly #keepAliveSeen = new Set<string>();
  readonly #dropsShown = new Set<string>();
  #hiddenKeepAlives = 0;
  #hiddenDrops = 0;
  /** The highest store revision the trace has shown so far. */
  #lastRevision = 0;

  constructor(events: readonly TraceEvent[], verbose: boolean, c: Colors) {
    this.#verbose = verbose;
    this.#c = c;
    for (const event of events) {
      if (event.kind === 'client' && event.event.kind === 'return')
        this.#answers.set(`${event.process}#${event.incarnation}/${event.event.callId}`, { ...event.event, atMs: event.atMs });
    }
  }

  #push(atMs: number, who: string, what: string, ...notes: string[]): void {
    this.lines.push({ atMs, who, what, notes });
  }

  add(event: TraceEvent): void {
    const c = this.#c;
    switch (event.kind) {
      case 'process-started':
        this.#push(
          event.atMs,
          whoOf(event.process, event.incarnation),
          event.incarnation > 1 ? c.bold('restarted (a fresh client; it remembers nothing)') : 'started',
        );
        break;
      case 'process-exited':
        this.#push(
          event.atMs,
          whoOf(event.process, event.incarnation),
          event.error === undefined ? c.dim('exited') : c.red(`exited with error: ${event.error}`),
          ...this.#followBeliefs(event),
        );
        break;
      case 'log':
        this.#push(event.atMs, whoOf(event.process, event.incarnation), c.italic(`“${event.message}”`));
        break;
      case 'fault':
        this.#fault(event);
        break;
      case 'lease-granted':
        this.#push(
          event.atMs,
          'server',
          `lease ${showLeaseId(event.leaseId)} granted to ${whoOf(event.process, event.incarnation)}: ttl ${event.ttlSeconds}s, deadline ${formatTimeMs(event.atMs + event.ttlSeconds * 1000).trim()}s unless kept alive`,
        );
        break;
      case 'lease-expired':
        this.#leaseExpired(event);
        break;
      case 'kv-applied':
        // What the server applied, for whom: shown in full (verbose) only; the compact view shows calls with answers.
        if (this.#verbose) this.#push(event.atMs, 'server', renderApplied(event));
        break;
      case 'server-up':
        this.#push(event.atMs, 'server', c.bold(`up again as leader: ${event.leases} lease(s) promoted to full TTL + election timeout`));
        break;
      case 'member':
        // A cluster member's raft role: elections and leader changes are the story's turning points.
        this.#push(event.atMs, event.member, event.role === 'leader' ? c.bold(describeMemberRole(event)) : describeMemberRole(event));
        break;
      case 'resource-write':
        this.#resourceWrite(event);
        break;
      case 'message-dropped':
        this.#messageDropped(event);
        break;
      case 'client':
        this.#client(event);
        break;
    }
  }

  /** The compact view's count of what it hid, or ''. */
  hiddenSummary(): string {
    if (this.#verbose || (this.#hiddenKeepAlives === 0 && this.#hiddenDrops === 0)) return '';
    const hidden = [
      this.#hiddenKeepAlives > 0 ? `${this.#hiddenKeepAlives} keepalive events` : '',
      this.#hiddenDrops > 0 ? `${this.#hiddenDrops} dropped messages` : '',
    ].filter((part) => part !== '');
    return this.#c.dim(`(${hidden.join(' and ')} hidden; --verbose shows every event)\n`);
  }

  #holdersNote(lockName: string): string {
    const c = this.#c;
    const open = this.#beliefs.holders(lockName);
    const names = open.map(
      (belief) => `${whoOf(belief.process, belief.incarnation)} (token ${belief.fencingToken}${this.#pausedSince.has(belief.process) ? ', paused' : ''})`,
    );
    if (open.length === 0) return c.dim(`nobody believes it holds ${lockName}`);
    if (open.length === 1) return c.green(`holder of ${lockName}: ${names[0]}`);
    // The banner stays on one line; the names after it may wrap.
    return `${c.bold(c.inverse(c.red(` ⚠ TWO HOLDERS of ${lockName}:`)))} ${c.bold(c.red(names.join(', ')))}`;
  }

  /** Apply an event to the beliefs; a holders note for each lock whose holders it changed. */
  #followBeliefs(event: TraceEvent): string[] {
    const change = this.#beliefs.apply(event);
    const changed = new Set(change.closed.map((belief) => belief.lockName));
    if (change.opened !== undefined) changed.add(change.opened.lockName);
    return [...changed].map((lockName) => this.#holdersNote(lockName));
  }

  #fault(event: Extract<TraceEvent, { kind: 'fault' }>): void {
    const c = this.#c;
    const fault = event.fault;
    let what = `⚡ ${describeFault(fault)}`;
    const notes: string[] = [];
    if (fault.kind === 'pause') {
      this.#pausedSince.set(fault.process, event.atMs);
      what = `⏸ pause ${fault.process}: stop-the-world, it runs nothing while time goes on`;
    } else if (fault.kind === 'resume') {
      const since = this.#pausedSince.get(fault.process);
      this.#pausedSince.delete(fault.process);
      what = `▶ resume ${fault.process}${since !== undefined ? ` after ${((event.atMs - since) / 1000).toFixed(3)}s; it carries on believing what it believed` : ''}`;
    } else if (fault.kind === 'crash') {
      what = `💥 crash ${fault.process}: its memory, timers and pending calls are gone`;
      const ended = this.#followBeliefs(event);
      if (ended.length > 0) ended.push(c.dim(`(its lock key stays in etcd until its lease expires)`));
      notes.push(...ended);
    } else if (fault.kind === 'partition') {
      what = `✂ partition ${fault.from} ${fault.oneWay ? '→' : '↔'} ${fault.to}: messages are dropped`;
    } else if (fault.kind === 'heal') {
      what = `🔗 ${describeFault(fault)}`;
    } else if (fault.kind === 'serverRestart') {
      what = `↻ etcd restarts${fault.downMs ? ` (down ${fault.downMs}ms)` : ''}: connections drop, data is kept`;
    }
    this.#push(event.atMs, 'fault', c.bold(c.yellow(what)), ...notes);
  }

  #leaseExpired(event: Extract<TraceEvent, { kind: 'lease-expired' }>): void {
    const what =
      event.revision > this.#lastRevision
        ? `⌛ lease ${showLeaseId(event.leaseId)} expired at the sweep: its keys deleted in one write, rev ${event.revision}`
        : `⌛ lease ${showLeaseId(event.leaseId)} expired at the sweep (no keys left on it; rev stays ${event.revision})`;
    this.#push(event.atMs, 'server', this.#c.bold(what));
    this.#lastRevision = Math.max(this.#lastRevision, event.revision);
  }

  #resourceWrite(event: Extract<TraceEvent, { kind: 'resource-write' }>): void {
    const c = this.#c;
    const by = whoOf(event.process, event.incarnation);
    const stale = event.fencingToken < event.highestTokenBefore;
    const what = `write ${JSON.stringify(event.value)} from ${by}, token ${event.fencingToken}`;
    if (!event.accepted)
      this.#push(event.atMs, event.resource, c.bold(c.green(`✗ REJECTED ${what}: stale, it has accepted token ${event.highestTokenBefore}`)));
    else if (stale)
      this.#push(event.atMs, event.resource, c.bold(c.red(`⚠ accepted STALE ${what} after token ${event.highestTokenBefore} (it does not check tokens)`)));
    else this.#push(event.atMs, event.resource, `✓ accepted ${what}`);
  }

  #messageDropped(event: Extract<TraceEvent, { kind: 'message-dropped' }>): void {
    const link = `${event.from}→${event.to}/${event.reason}`;
    if (!this.#verbose && this.#dropsShown.has(link)) {
      this.#hiddenDrops++;
      return;
    }
    this.#dropsShown.add(link);
    this.#push(
      event.atMs,
      'network',
      this.#c.dim(`dropped ${event.from} → ${event.to}: ${event.message} (${event.reason})${this.#verbose ? '' : '; more like it hidden'}`),
    );
  }

  #client(event: ClientTraceEvent): void {
    const c = this.#c;
    const e = event.event;
    const who = whoOf(event.process, event.incarnation);
    if (this.#verbose) {
      const highlighted = e.kind === 'lock-acquired' || e.kind === 'lock-lost' ? c.bold(renderClientEvent(e)) : renderClientEvent(e);
      this.#push(event.atMs, who, highlighted);
    }
    switch (e.kind) {
      case 'call':
        this.#call(event, e, who);
        break;
      case 'return':
        this.#return(event, e, who);
        break;
      case 'keepalive-sent':
        if (!this.#verbose) this.#hiddenKeepAlives++;
        break;
      case 'keepalive-answered':
        if (!this.#verbose) this.#keepAliveAnswered(event, e, who);
        break;
      case 'lease-lost':
        if (!this.#verbose) {
          const what = `lease ${showLeaseId(e.leaseId)} ${e.reason === 'closed' ? 'no longer kept alive' : 'lost'}: ${leaseLostReasons[e.reason] ?? e.reason}`;
          this.#push(event.atMs, who, e.reason === 'closed' ? c.dim(what) : c.red(what));
        }
        break;
      case 'lock-acquired':
      case 'lock-released':
      case 'lock-lost':
        this.#lockChange(event, e, who);
        break;
    }
  }

  #call(event: ClientTraceEvent, e: Extract<ClientEvent, { kind: 'call' }>, who: string): void {
    const callKey = `${event.process}#${event.incarnation}/${e.callId}`;
    this.#calls.set(callKey, { method: e.method, request: e.request, atMs: event.atMs });
    if (this.#verbose || e.method === 'leaseKeepAlive') return;
    if (!this.#answers.has(callKey)) this.#push(event.atMs, who, `${describeCall(e.method, e.request)} ${this.#c.dim('… never answered')}`);
  }

  #return(event: ClientTraceEvent, e: ReturnEvent, who: string): void {
    const c = this.#c;
    const revision = (e.response as { header?: { revision?: unknown } } | undefined)?.header?.revision;
    if (typeof revision === 'number') this.#lastRevision = Math.max(this.#lastRevision, revision);
    if (this.#verbose) return;
    const call = this.#calls.get(`${event.process}#${event.incarnation}/${e.callId}`);
    const phrase = call === undefined ? e.method : describeCall(e.method, call.request);
    const waitedMs = call === undefined ? 0 : event.atMs - call.atMs;
    const waited = waitedMs >= 100 ? c.dim(` (after ${(waitedMs / 1000).toFixed(3)}s)`) : '';
    if (e.outcome === 'ok' && e.method === 'leaseGrant') return; // the server's grant line says it all
    if (e.outcome === 'ok') this.#push(event.atMs, who, `${phrase} → ${describeAnswer(e.method, e.response)}${waited}`);
    else if (e.outcome === 'error') this.#push(event.atMs, who, `${phrase} → ${c.red(`error: ${e.error ?? ''}`)}${waited}`);
    else this.#push(event.atMs, who, `${phrase} → ${c.red(`unknown: ${e.error ?? 'no answer'} (it may or may not have been applied)`)}${waited}`);
  }

  #keepAliveAnswered(event: ClientTraceEvent, e: Extract<ClientEvent, { kind: 'keepalive-answered' }>, who: string): void {
    const leaseKey = `${event.process}#${event.incarnation}/${e.leaseId}`;
    if (e.ttlSeconds <= 0) this.#push(event.atMs, who, this.#c.red(`keepalive for lease ${showLeaseId(e.leaseId)} answered ttl 0: the lease is gone`));
    else if (!this.#keepAliveSeen.has(leaseKey)) {
      this.#keepAliveSeen.add(leaseKey);
      this.#push(
        event.atMs,
        who,
        `keeps lease ${showLeaseId(e.leaseId)} alive: answered ttl ${e.ttlSeconds}s, renewed every ~${Math.ceil((e.ttlSeconds * 1000) / 3 / 500) * 0.5}s`,
      );
    } else this.#hiddenKeepAlives++;
  }

  /** A lock acquired, released or lost: the line (compact) or a note under the verbose line, with who holds it now. */
  #lockChange(event: ClientTraceEvent, e: Extract<ClientEvent, { kind: 'lock-acquired' | 'lock-released' | 'lock-lost' }>, who: string): void {
    const c = this.#c;
    this.#beliefs.apply(event);
    const note = this.#holdersNote(e.lockName);
    if (this.#verbose) {
      this.lines.at(-1)!.notes.push(note);
      return;
    }
    if (e.kind === 'lock-acquired')
      this.#push(event.atMs, who, c.bold(c.green(`🔒 believes it holds ${e.lockName} (key ${JSON.stringify(e.key)}, token ${e.fencingToken})`)), note);
    else if (e.kind === 'lock-released') this.#push(event.atMs, who, c.green(`🔓 releases ${e.lockName}`), note);
    else this.#push(event.atMs, who, c.bold(c.red(`🔓 learns it LOST ${e.lockName}`)), note);
  }
}
