/**
 * Lock-state coverage of a run: the rare situations subtle lock bugs live
 * in, read from the trace, so a search can tell a schedule that reached new
 * ground from one that repeated the common case (src/explore/guided.ts).
 *
 *   waiter-key-expired         a lease expired while its process waited for the lock
 *   holder-lease-expired       a lease expired while its process believed it held the lock
 *   acquired-after-lease-lost  a process acquired after its client had given up a lease (keepalive
 *                              ended) without granting a new one
 *   write-unknown:<method>     a put/txn/deleteRange timed out: maybe applied, maybe later
 *   answer-lost:<method>       the server applied a write and its answer was dropped
 *   late-delete                a deleteRange answered after its caller gave up on it, or whose answer was
 *                              lost: the delete was applied, but the caller could not know when
 *   acquire-failed:<error>     acquire() threw (by the error's first words)
 *   restart-while-held / restart-while-waiting
 *   stale-write-attempt        a write reached the resource with a token below one it had accepted
 *
 * Each feature is counted and the count bucketed (1, 2, 3-4, 5-8, 9+), as
 * fuzzers do: reaching a situation more often is new ground too, but only
 * when the count moves to another bucket.
 */
import type { LeaseId } from '../store/messages.ts';
import type { Trace, TraceEvent, TraceEventKind } from '../sim/trace.ts';
import { acquireFailedLog, acquiringLog } from './history.ts';

const writeMethods = new Set(['put', 'txn', 'deleteRange']);

function bucket(count: number): string {
  if (count <= 2) return String(count);
  if (count <= 4) return '3-4';
  if (count <= 8) return '5-8';
  return '9+';
}

type TraceEventOf<K extends TraceEventKind> = Extract<TraceEvent, { kind: K }>;

/** What the trace has shown so far of each process's lock, leases and write calls, and the features it reached. */
class LockStateReader {
  readonly features = new Map<string, number>();
  readonly #leaseOwner = new Map<LeaseId, string>();
  readonly #waiting = new Set<string>();
  readonly #holding = new Set<string>();
  /** Processes whose client gave up a lease, and have not been granted one since. */
  readonly #lostLease = new Set<string>();
  /** Open write calls: `process#incarnation#callId` → method. */
  readonly #openWrites = new Map<string, string>();
  /** Write calls that timed out (outcome unknown) and may still be answered late. */
  readonly #timedOut = new Map<string, string>();

  hit(feature: string): void {
    this.features.set(feature, (this.features.get(feature) ?? 0) + 1);
  }

  read(event: TraceEvent): void {
    switch (event.kind) {
      case 'lease-granted':
        this.#leaseOwner.set(event.leaseId, event.process);
        this.#lostLease.delete(event.process);
        break;
      case 'lease-expired': {
        const owner = this.#leaseOwner.get(event.leaseId);
        if (owner === undefined) break;
        if (this.#waiting.has(owner)) this.hit('waiter-key-expired');
        if (this.#holding.has(owner)) this.hit('holder-lease-expired');
        break;
      }
      case 'log':
        this.#readLog(event);
        break;
      case 'client':
        this.#readClient(event);
        break;
      case 'message-dropped':
        this.#readDropped(event);
        break;
      case 'fault':
        this.#readFault(event);
        break;
      case 'process-exited':
        this.#waiting.delete(event.process);
        this.#holding.delete(event.process);
        break;
      case 'resource-write':
        if (event.fencingToken < event.highestTokenBefore) this.hit('stale-write-attempt');
        break;
      default:
        break;
    }
  }

  /** After the last event: a timed-out delete is one that may land late. */
  finish(): void {
    // A timed-out delete whose key vanished later is the late delete; without server-side apply events,
    // a timed-out deleteRange is counted as one that may land late.
    for (const method of this.#timedOut.values()) if (method === 'deleteRange') this.hit('late-delete');
  }

  #readLog(event: TraceEventOf<'log'>): void {
    if (event.message === acquiringLog) this.#waiting.add(event.process);
    else if (event.message.startsWith(acquireFailedLog)) {
      this.#waiting.delete(event.process);
      const words = event.message
        .slice(acquireFailedLog.length)
        .replace(/^[:\s]+/, '')
        .split(/\s+/)
        .slice(0, 3)
        .join(' ');
      this.hit(`acquire-failed:${words}`);
    }
  }

  #readClient(event: TraceEventOf<'client'>): void {
    const client = event.event;
    const who = `${event.process}#${event.incarnation}`;
    switch (client.kind) {
      case 'lock-acquired':
        this.#waiting.delete(event.process);
        this.#holding.add(event.process);
        if (this.#lostLease.has(event.process)) this.hit('acquired-after-lease-lost');
        break;
      case 'lock-released':
      case 'lock-lost':
        this.#holding.delete(event.process);
        break;
      case 'lease-lost':
        if (client.reason !== 'closed') this.#lostLease.add(event.process);
        break;
      case 'call':
        if (writeMethods.has(client.method)) this.#openWrites.set(`${who}#${client.callId}`, client.method);
        break;
      case 'return': {
        const key = `${who}#${client.callId}`;
        const method = this.#openWrites.get(key);
        if (method === undefined) break;
        this.#openWrites.delete(key);
        if (client.outcome === 'unknown') {
          this.hit(`write-unknown:${method}`);
          this.#timedOut.set(key, method);
        }
        break;
      }
      default:
        break;
    }
  }

  /** A dropped answer to an open write: the server applied it, the caller never heard. */
  #readDropped(event: TraceEventOf<'message-dropped'>): void {
    if (event.from !== 'server' || !/^(response|error) #\d+$/.test(event.message)) return;
    const callId = event.message.slice(event.message.indexOf('#') + 1);
    for (const [key, method] of this.#openWrites) {
      if (!key.startsWith(`${event.to}#`) || !key.endsWith(`#${callId}`)) continue;
      this.hit(`answer-lost:${method}`);
      if (method === 'deleteRange') this.hit('late-delete');
    }
  }

  #readFault(event: TraceEventOf<'fault'>): void {
    if (event.fault.kind === 'serverRestart') {
      if (this.#holding.size > 0) this.hit('restart-while-held');
      if (this.#waiting.size > 0) this.hit('restart-while-waiting');
    } else if (event.fault.kind === 'crash') {
      this.#waiting.delete(event.fault.process);
      this.#holding.delete(event.fault.process);
    }
  }
}

/** The features a run reached, with how often. */
export function lockStateCoverage(trace: Trace): Map<string, number> {
  const reader = new LockStateReader();
  for (const event of trace.events) reader.read(event);
  reader.finish();
  return reader.features;
}

/** The coverage keys of a run: each feature with its count's bucket (`waiter-key-expired×1`, `write-unknown:txn×3-4`). */
export function coverageKeys(features: ReadonlyMap<string, number>): string[] {
  return [...features].map(([feature, count]) => `${feature}×${bucket(count)}`).sort();
}
