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
      ? compare.create_revision ?? 0
      : target === 'MOD'
        ? compare.mod_revision ?? 0
        : target === 'VERSION'
          ? compare.version ?? 0
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
  const verbose = options.verbose ?? false;
  const c: Colors = options.color === undefined ? pc : pc.createColors(options.color);

  // Pair each call with its answer: in compact mode they share one line.
  const answers = new Map<string, Extract<ClientEvent, { kind: 'return' }> & { atMs: number }>();
  for (const event of events) {
    if (event.kind === 'client' && event.event.kind === 'return') answers.set(`${event.process}#${event.incarnation}/${event.event.callId}`, { ...event.event, atMs: event.atMs });
  }
  const calls = new Map<string, { method: string; request: unknown; atMs: number }>();

  const processNames = [...new Set(events.flatMap((event) => ('process' in event && event.kind !== 'lease-granted' ? [event.process] : [])))];
  const palette = [c.cyan, c.magenta, c.blue, c.yellow, c.green, c.red];
  const colorOf = (who: string): ((s: string) => string) => {
    if (who === 'server') return c.gray;
    if (who === 'fault') return (s) => c.bold(c.yellow(s));
    if (who === 'network') return c.gray;
    const index = processNames.indexOf(who.split('#')[0]!);
    return index >= 0 ? palette[index % palette.length]! : c.white;
  };

  const lines: Line[] = [];
  const push = (atMs: number, who: string, what: string, ...notes: string[]) => lines.push({ atMs, who, what, notes });
  const beliefs = new LockBeliefTracker();
  const pausedSince = new Map<string, number>();
  const crashed = new Set<string>();
  const keepAliveSeen = new Set<string>();
  let hiddenKeepAlives = 0;
  let hiddenDrops = 0;
  /** The highest store revision the trace has shown so far. */
  let lastRevision = 0;
  const dropsShown = new Set<string>();

  const holdersNote = (lockName: string): string => {
    const open = beliefs.holders(lockName);
    const names = open.map((belief) => `${whoOf(belief.process, belief.incarnation)} (token ${belief.fencingToken}${pausedSince.has(belief.process) ? ', paused' : ''})`);
    if (open.length === 0) return c.dim(`nobody believes it holds ${lockName}`);
    if (open.length === 1) return c.green(`holder of ${lockName}: ${names[0]}`);
    // The banner stays on one line; the names after it may wrap.
    return `${c.bold(c.inverse(c.red(` ⚠ TWO HOLDERS of ${lockName}:`)))} ${c.bold(c.red(names.join(', ')))}`;
  };
  /** Apply an event to the beliefs; a holders note for each lock whose holders it changed. */
  const followBeliefs = (event: TraceEvent): string[] => {
    const change = beliefs.apply(event);
    const changed = new Set(change.closed.map((belief) => belief.lockName));
    if (change.opened !== undefined) changed.add(change.opened.lockName);
    return [...changed].map(holdersNote);
  };

  for (const event of events) {
    switch (event.kind) {
      case 'process-started':
        crashed.delete(event.process);
        push(event.atMs, whoOf(event.process, event.incarnation), event.incarnation > 1 ? c.bold('restarted (a fresh client; it remembers nothing)') : 'started');
        break;
      case 'process-exited':
        push(
          event.atMs,
          whoOf(event.process, event.incarnation),
          event.error === undefined ? c.dim('exited') : c.red(`exited with error: ${event.error}`),
          ...followBeliefs(event),
        );
        break;
      case 'log':
        push(event.atMs, whoOf(event.process, event.incarnation), c.italic(`“${event.message}”`));
        break;
      case 'fault': {
        const fault = event.fault;
        let what = `⚡ ${describeFault(fault)}`;
        const notes: string[] = [];
        if (fault.kind === 'pause') {
          pausedSince.set(fault.process, event.atMs);
          what = `⏸ pause ${fault.process}: stop-the-world, it runs nothing while time goes on`;
        } else if (fault.kind === 'resume') {
          const since = pausedSince.get(fault.process);
          pausedSince.delete(fault.process);
          what = `▶ resume ${fault.process}${since !== undefined ? ` after ${((event.atMs - since) / 1000).toFixed(3)}s; it carries on believing what it believed` : ''}`;
        } else if (fault.kind === 'crash') {
          crashed.add(fault.process);
          what = `💥 crash ${fault.process}: its memory, timers and pending calls are gone`;
          const ended = followBeliefs(event);
          if (ended.length > 0) ended.push(c.dim(`(its lock key stays in etcd until its lease expires)`));
          notes.push(...ended);
        } else if (fault.kind === 'partition') {
          what = `✂ partition ${fault.from} ${fault.oneWay ? '→' : '↔'} ${fault.to}: messages are dropped`;
        } else if (fault.kind === 'heal') {
          what = `🔗 ${describeFault(fault)}`;
        } else if (fault.kind === 'serverRestart') {
          what = `↻ etcd restarts${fault.downMs ? ` (down ${fault.downMs}ms)` : ''}: connections drop, data is kept`;
        }
        push(event.atMs, 'fault', c.bold(c.yellow(what)), ...notes);
        break;
      }
      case 'lease-granted':
        push(
          event.atMs,
          'server',
          `lease ${showLeaseId(event.leaseId)} granted to ${whoOf(event.process, event.incarnation)}: ttl ${event.ttlSeconds}s, deadline ${formatTimeMs(event.atMs + event.ttlSeconds * 1000).trim()}s unless kept alive`,
        );
        break;
      case 'lease-expired':
        push(
          event.atMs,
          'server',
          c.bold(
            event.revision > lastRevision
              ? `⌛ lease ${showLeaseId(event.leaseId)} expired at the sweep: its keys deleted in one write, rev ${event.revision}`
              : `⌛ lease ${showLeaseId(event.leaseId)} expired at the sweep (no keys left on it; rev stays ${event.revision})`,
          ),
        );
        lastRevision = Math.max(lastRevision, event.revision);
        break;
      case 'kv-applied':
        // What the server applied, for whom: shown in full (verbose) only; the compact view shows calls with answers.
        if (verbose) push(event.atMs, 'server', renderApplied(event));
        break;
      case 'server-up':
        push(event.atMs, 'server', c.bold(`up again as leader: ${event.leases} lease(s) promoted to full TTL + election timeout`));
        break;
      case 'member':
        // A cluster member's raft role: elections and leader changes are the story's turning points.
        push(event.atMs, event.member, event.role === 'leader' ? c.bold(describeMemberRole(event)) : describeMemberRole(event));
        break;
      case 'resource-write': {
        const by = whoOf(event.process, event.incarnation);
        const stale = event.fencingToken < event.highestTokenBefore;
        const what = `write ${JSON.stringify(event.value)} from ${by}, token ${event.fencingToken}`;
        if (!event.accepted) push(event.atMs, event.resource, c.bold(c.green(`✗ REJECTED ${what}: stale, it has accepted token ${event.highestTokenBefore}`)));
        else if (stale) push(event.atMs, event.resource, c.bold(c.red(`⚠ accepted STALE ${what} after token ${event.highestTokenBefore} (it does not check tokens)`)));
        else push(event.atMs, event.resource, `✓ accepted ${what}`);
        break;
      }
      case 'message-dropped': {
        const link = `${event.from}→${event.to}/${event.reason}`;
        if (!verbose && dropsShown.has(link)) {
          hiddenDrops++;
          break;
        }
        dropsShown.add(link);
        push(event.atMs, 'network', c.dim(`dropped ${event.from} → ${event.to}: ${event.message} (${event.reason})${verbose ? '' : '; more like it hidden'}`));
        break;
      }
      case 'client': {
        const e = event.event;
        const who = whoOf(event.process, event.incarnation);
        const callKey = `${event.process}#${event.incarnation}/${'callId' in e ? e.callId : ''}`;
        if (verbose) {
          const highlighted = e.kind === 'lock-acquired' || e.kind === 'lock-lost' ? c.bold(renderClientEvent(e)) : renderClientEvent(e);
          push(event.atMs, who, highlighted);
        }
        switch (e.kind) {
          case 'call': {
            calls.set(callKey, { method: e.method, request: e.request, atMs: event.atMs });
            if (verbose || e.method === 'leaseKeepAlive') break;
            const answer = answers.get(callKey);
            if (answer === undefined) push(event.atMs, who, `${describeCall(e.method, e.request)} ${c.dim('… never answered')}`);
            break;
          }
          case 'return': {
            const revision = (e.response as { header?: { revision?: unknown } } | undefined)?.header?.revision;
            if (typeof revision === 'number') lastRevision = Math.max(lastRevision, revision);
            if (verbose) break;
            const call = calls.get(callKey);
            const phrase = call === undefined ? e.method : describeCall(e.method, call.request);
            const waitedMs = call === undefined ? 0 : event.atMs - call.atMs;
            const waited = waitedMs >= 100 ? c.dim(` (after ${(waitedMs / 1000).toFixed(3)}s)`) : '';
            if (e.outcome === 'ok' && e.method === 'leaseGrant') break; // the server's grant line says it all
            if (e.outcome === 'ok') push(event.atMs, who, `${phrase} → ${describeAnswer(e.method, e.response)}${waited}`);
            else if (e.outcome === 'error') push(event.atMs, who, `${phrase} → ${c.red(`error: ${e.error ?? ''}`)}${waited}`);
            else push(event.atMs, who, `${phrase} → ${c.red(`unknown: ${e.error ?? 'no answer'} (it may or may not have been applied)`)}${waited}`);
            break;
          }
          case 'keepalive-sent':
            if (!verbose) hiddenKeepAlives++;
            break;
          case 'keepalive-answered': {
            if (verbose) break;
            const leaseKey = `${event.process}#${event.incarnation}/${e.leaseId}`;
            if (e.ttlSeconds <= 0) push(event.atMs, who, c.red(`keepalive for lease ${showLeaseId(e.leaseId)} answered ttl 0: the lease is gone`));
            else if (!keepAliveSeen.has(leaseKey)) {
              keepAliveSeen.add(leaseKey);
              push(event.atMs, who, `keeps lease ${showLeaseId(e.leaseId)} alive: answered ttl ${e.ttlSeconds}s, renewed every ~${Math.ceil((e.ttlSeconds * 1000) / 3 / 500) * 0.5}s`);
            } else hiddenKeepAlives++;
            break;
          }
          case 'lease-lost':
            if (!verbose) {
              const what = `lease ${showLeaseId(e.leaseId)} ${e.reason === 'closed' ? 'no longer kept alive' : 'lost'}: ${leaseLostReasons[e.reason] ?? e.reason}`;
              push(event.atMs, who, e.reason === 'closed' ? c.dim(what) : c.red(what));
            }
            break;
          case 'lock-acquired': {
            beliefs.apply(event);
            const line = `🔒 believes it holds ${e.lockName} (key ${JSON.stringify(e.key)}, token ${e.fencingToken})`;
            if (verbose) lines.at(-1)!.notes.push(holdersNote(e.lockName));
            else push(event.atMs, who, c.bold(c.green(line)), holdersNote(e.lockName));
            break;
          }
          case 'lock-released':
          case 'lock-lost': {
            beliefs.apply(event);
            const line = e.kind === 'lock-released' ? `🔓 releases ${e.lockName}` : `🔓 learns it LOST ${e.lockName}`;
            if (verbose) lines.at(-1)!.notes.push(holdersNote(e.lockName));
            else push(event.atMs, who, e.kind === 'lock-lost' ? c.bold(c.red(line)) : c.green(line), holdersNote(e.lockName));
            break;
          }
        }
        break;
      }
    }
  }

  const whoWidth = Math.max(7, ...lines.map((line) => line.who.length));
  const indent = ' '.repeat(8 + 2 + whoWidth + 2);
  let out = c.dim(`${'time'.padStart(8)}  ${'who'.padEnd(whoWidth)}  what\n`);
  for (const line of lines) {
    const time = `${formatTimeMs(line.atMs).trimStart().padStart(7)}s`;
    const first = `${c.dim(time)}  ${colorOf(line.who)(line.who.padEnd(whoWidth))}  ${line.what}`;
    out += `${options.width === undefined ? first : wrapLine(first, options.width, indent.length)}\n`;
    for (const note of line.notes) out += `${options.width === undefined ? `${indent}${note}` : wrapLine(`${indent}${note}`, options.width, indent.length)}\n`;
  }
  if (!verbose && (hiddenKeepAlives > 0 || hiddenDrops > 0)) {
    const hidden = [hiddenKeepAlives > 0 ? `${hiddenKeepAlives} keepalive events` : '', hiddenDrops > 0 ? `${hiddenDrops} dropped messages` : ''].filter((part) => part !== '');
    out += c.dim(`(${hidden.join(' and ')} hidden; --verbose shows every event)\n`);
  }
  if (options.legend === true) out += c.dim(iconLegend(out, options.ascii === true));
  return options.ascii === true ? toAscii(out) : out;
}
