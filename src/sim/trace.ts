/**
 * What happened in a run, in order, as typed data with virtual times: client
 * calls and their outcomes, keepalives, lock beliefs (all from the client's
 * observer), the server's lease grants and expiries, faults, resource writes,
 * log lines and dropped messages. Checkers and reports read `trace.events`;
 * people read `trace.toText()`, one line per event:
 *
 *      1.003  alice#1   call #1 leaseGrant {TTL:5}
 *      1.006  server    lease 694d… granted ttl 5s to alice#1
 *      1.009  alice#1   return #1 leaseGrant ok {ID:694d…,TTL:5} rev 1
 *     10.000  fault     pause alice
 *     16.500  server    lease 694d… expired rev 4
 *
 * Same seed, same trace, byte for byte.
 */
import type { ClientEvent } from '../client/events.ts';
import type { LeaseId } from '../store/messages.ts';
import { describeFault, type Fault } from './faults.ts';

/** Why the network dropped a message. */
export type DropReason =
  /** A partition cut the link. */
  | 'partition'
  /** Random message loss. */
  | 'loss'
  /** Addressed to an incarnation that crashed or exited. */
  | 'stale-incarnation'
  /** Arrived at a server that was down. */
  | 'server-down'
  /** Sent on a connection the server dropped when it restarted. */
  | 'stale-connection';

interface Stamp {
  /** Virtual time (ms) when it happened. */
  atMs: number;
}

interface ProcessStamp extends Stamp {
  process: string;
  incarnation: number;
}

/** One key a revision changed. */
export interface KvChange {
  type: 'put' | 'delete';
  /** The key as text (UTF-8). */
  key: string;
  /** put: the key's create revision (equal to the revision when the put created it). */
  createRevision?: number;
  /** put: the key's version after it. */
  version?: number;
  /** put: the lease the key is attached to (absent for none). */
  lease?: LeaseId;
  /** put: the value as text, cut to a few dozen characters (for timelines). */
  value?: string;
}

/** What made the server change keys: a client's request, or its lessor revoking an expired lease. */
export type AppliedCause =
  | { kind: 'request'; process: string; incarnation: number; callId: number; method: string }
  | { kind: 'lease-expiry'; leaseId: LeaseId };

/** A cluster member's raft role, or down (crashed). */
export type MemberRole = 'leader' | 'follower' | 'candidate' | 'down';

/** One event of a run. */
export type TraceEvent =
  | (ProcessStamp & { kind: 'client'; event: ClientEvent })
  | (ProcessStamp & { kind: 'process-started' })
  /** main() returned (or threw: `error`); the process stops, its connections close. */
  | (ProcessStamp & { kind: 'process-exited'; error?: string })
  | (ProcessStamp & { kind: 'log'; message: string })
  | (Stamp & { kind: 'fault'; fault: Fault })
  /** The server applied a LeaseGrant. */
  | (Stamp & { kind: 'lease-granted'; leaseId: LeaseId; ttlSeconds: number; process: string; incarnation: number })
  /** The server renewed a lease on a keepalive (its deadline is now atMs + ttlSeconds). */
  | (Stamp & { kind: 'lease-renewed'; leaseId: LeaseId; ttlSeconds: number })
  /** The server's expiry sweep revoked a lease; `revision` is the store revision after its revoke. */
  | (Stamp & { kind: 'lease-expired'; leaseId: LeaseId; revision: number })
  /** The server applied a revision: the keys it changed and what caused it (which client's call, or a lease expiry). */
  | (Stamp & { kind: 'kv-applied'; revision: number; changes: KvChange[]; cause: AppliedCause })
  /** The server came back up after a restart and promoted every lease. */
  | (Stamp & { kind: 'server-up'; leases: number })
  /** A cluster member's raft role changed (src/sim/cluster): `down` when it crashed; `leader` names whom a follower follows. */
  | (Stamp & { kind: 'member'; member: string; role: MemberRole; term: number; leader?: string })
  /** A storage resource judged a write: accepted or rejected by its fencing token; `sentAtMs` is when the process sent it. */
  | (ProcessStamp & {
      kind: 'resource-write';
      resource: string;
      fencingToken: number;
      value: string;
      accepted: boolean;
      highestTokenBefore: number;
      sentAtMs: number;
    })
  | (Stamp & { kind: 'message-dropped'; from: string; to: string; message: string; reason: DropReason })
  /** A release let `messages` held on the link from → to go on, in order (in flight once more, some already past due). */
  | (Stamp & { kind: 'messages-released'; from: string; to: string; messages: number });

/** The kind of a {@link TraceEvent}. */
export type TraceEventKind = TraceEvent['kind'];

/** Everything a run did, as typed events with virtual times; `toText()` renders one line per event. */
export class Trace {
  readonly events: TraceEvent[] = [];
  readonly #onRecord: ((event: TraceEvent) => void) | undefined;

  /** `onRecord` hears of each event (the scheduler counts it as activity; aimed faults watch for their moment). */
  constructor(onRecord?: (event: TraceEvent) => void) {
    this.#onRecord = onRecord;
  }

  record(event: TraceEvent): void {
    this.events.push(event);
    this.#onRecord?.(event);
  }

  /** Events of one kind, typed. */
  ofKind<K extends TraceEventKind>(kind: K): Extract<TraceEvent, { kind: K }>[] {
    return this.events.filter((event): event is Extract<TraceEvent, { kind: K }> => event.kind === kind);
  }

  /** Client events of one kind with who and when. */
  clientEvents<K extends ClientEvent['kind']>(kind: K): (ProcessStamp & { event: Extract<ClientEvent, { kind: K }> })[] {
    const found: (ProcessStamp & { event: Extract<ClientEvent, { kind: K }> })[] = [];
    for (const event of this.events) {
      if (event.kind === 'client' && event.event.kind === kind)
        found.push({ atMs: event.atMs, process: event.process, incarnation: event.incarnation, event: event.event as Extract<ClientEvent, { kind: K }> });
    }
    return found;
  }

  /** One line per event. */
  toText(): string {
    let text = '';
    for (const event of this.events) text += `${renderTraceEvent(event)}\n`;
    return text;
  }
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

function showBytes(bytes: Uint8Array): string {
  try {
    const text = textDecoder.decode(bytes);
    if (!/[\u0000-\u001f\u007f]/.test(text)) return JSON.stringify(text);
  } catch {
    // not UTF-8: fall through to hex
  }
  return `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Lease IDs as etcd prints them: lowercase hex. */
export function showLeaseId(id: LeaseId): string {
  return id < 0n ? `-${(-id).toString(16)}` : id.toString(16);
}

const showCharsMax = 200;

/**
 * A compact, deterministic rendering of a request or response: bytes as
 * strings, bigints (lease IDs) in hex, empty and default fields left out.
 */
export function show(value: unknown): string {
  const text = showValue(value, 0);
  return text.length > showCharsMax ? `${text.slice(0, showCharsMax - 1)}…` : text;
}

function showValue(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'bigint') return showLeaseId(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return showBytes(value);
  if (depth > 4) return '…';
  if (Array.isArray(value)) return `[${value.map((item) => showValue(item, depth + 1)).join(',')}]`;
  const parts: string[] = [];
  for (const [key, field] of Object.entries(value)) {
    if (key === 'header' || field === undefined || field === false || field === '' || (Array.isArray(field) && field.length === 0)) continue;
    if ((field === 0 || field === 0n) && key !== 'TTL') continue;
    parts.push(`${key}:${showValue(field, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

function headerRevision(response: unknown): string {
  if (typeof response === 'object' && response !== null && 'header' in response) {
    const header = (response as { header?: { revision?: unknown } }).header;
    if (typeof header?.revision === 'number') return ` rev ${header.revision}`;
  }
  return '';
}

export function renderClientEvent(event: ClientEvent): string {
  switch (event.kind) {
    case 'call':
      return `call #${event.callId} ${event.method} ${show(event.request)}`;
    case 'return': {
      const detail = event.outcome === 'ok' ? ` ${show(event.response)}${headerRevision(event.response)}` : event.error !== undefined ? ` ${event.error}` : '';
      return `return #${event.callId} ${event.method} ${event.outcome}${detail}`;
    }
    case 'keepalive-sent':
      return `keepalive sent lease ${showLeaseId(event.leaseId)}`;
    case 'keepalive-answered':
      return `keepalive answered lease ${showLeaseId(event.leaseId)} ttl ${event.ttlSeconds}`;
    case 'lease-lost':
      return `lease ${showLeaseId(event.leaseId)} lost (${event.reason})`;
    case 'lock-acquired':
      return `LOCK ACQUIRED ${event.lockName} key ${JSON.stringify(event.key)} lease ${showLeaseId(event.leaseId)} token ${event.fencingToken}`;
    case 'lock-released':
      return `lock released ${event.lockName} key ${JSON.stringify(event.key)}`;
    case 'lock-lost':
      return `LOCK LOST ${event.lockName} key ${JSON.stringify(event.key)} lease ${showLeaseId(event.leaseId)}`;
    case 'watch-started':
      return `watch #${event.watchNo} ${JSON.stringify(event.key)}${event.rangeEnd !== undefined ? ` to ${JSON.stringify(event.rangeEnd)}` : ''}`;
    case 'watch-events':
      return `watch #${event.watchNo} rev ${event.revision}: ${event.events.map((e) => `${e.type} ${JSON.stringify(e.key)} mod ${e.modRevision}`).join(', ')}`;
    case 'watch-ended':
      return `watch #${event.watchNo} ended: ${event.reason}`;
  }
}

function renderBody(event: TraceEvent): [who: string, what: string] {
  switch (event.kind) {
    case 'client':
      return [`${event.process}#${event.incarnation}`, renderClientEvent(event.event)];
    case 'process-started':
      return [`${event.process}#${event.incarnation}`, 'started'];
    case 'process-exited':
      return [`${event.process}#${event.incarnation}`, event.error === undefined ? 'exited' : `exited with error: ${event.error}`];
    case 'log':
      return [`${event.process}#${event.incarnation}`, event.message];
    case 'fault':
      return ['fault', describeFault(event.fault)];
    case 'lease-granted':
      return ['server', `lease ${showLeaseId(event.leaseId)} granted ttl ${event.ttlSeconds}s to ${event.process}#${event.incarnation}`];
    case 'lease-expired':
      return ['server', `lease ${showLeaseId(event.leaseId)} expired rev ${event.revision}`];
    case 'lease-renewed':
      return ['server', `lease ${showLeaseId(event.leaseId)} renewed ttl ${event.ttlSeconds}s`];
    case 'kv-applied':
      return ['server', renderApplied(event)];
    case 'server-up':
      return ['server', `up: ${event.leases} lease(s) promoted`];
    case 'member':
      return [event.member, describeMemberRole(event)];
    case 'resource-write':
      return [
        event.resource,
        `write by ${event.process}#${event.incarnation} token ${event.fencingToken} ${event.accepted ? 'accepted' : 'REJECTED'}${event.fencingToken < event.highestTokenBefore ? ` (stale: highest ${event.highestTokenBefore})` : ''} ${JSON.stringify(event.value)}`,
      ];
    case 'message-dropped':
      return ['network', `dropped ${event.from} → ${event.to} ${event.message} (${event.reason})`];
    case 'messages-released':
      return ['network', `released ${event.messages} held message(s) ${event.from} → ${event.to}`];
  }
}

/** `leader term 3`, `follower of etcd2 term 3`, `down`. */
export function describeMemberRole(event: { role: MemberRole; term: number; leader?: string }): string {
  if (event.role === 'down') return 'down';
  if (event.role === 'follower')
    return event.leader === undefined ? `follower (no leader) term ${event.term}` : `follower of ${event.leader} term ${event.term}`;
  return `${event.role} term ${event.term}`;
}

/** `rev 21 put "/lock" lease 694d (created) ← alice#1 call #7 txn`, `rev 23 delete "/lock" ← lease 694d expired`. */
export function renderApplied(event: Extract<TraceEvent, { kind: 'kv-applied' }>): string {
  const changes = event.changes.map((change) => {
    if (change.type === 'delete') return `delete ${JSON.stringify(change.key)}`;
    const lease = change.lease !== undefined ? ` lease ${showLeaseId(change.lease)}` : '';
    return `put ${JSON.stringify(change.key)}${lease}${change.createRevision === event.revision ? ' (created)' : ` (version ${change.version})`}`;
  });
  const cause =
    event.cause.kind === 'request'
      ? `${event.cause.process}#${event.cause.incarnation} call #${event.cause.callId} ${event.cause.method}`
      : `lease ${showLeaseId(event.cause.leaseId)} expired`;
  return `applied rev ${event.revision}: ${changes.join(', ')} ← ${cause}`;
}

/** Virtual time as seconds with ms: `   12.345`. */
export function formatTimeMs(atMs: number): string {
  const whole = Math.floor(atMs);
  const seconds = Math.floor(whole / 1000);
  const ms = String(whole % 1000).padStart(3, '0');
  return `${String(seconds).padStart(6)}.${ms}`;
}

export function renderTraceEvent(event: TraceEvent): string {
  const [who, what] = renderBody(event);
  return `${formatTimeMs(event.atMs)}  ${who.padEnd(10)} ${what}`;
}
