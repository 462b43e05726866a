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
import type { Trace } from '../sim/trace.ts';
import { acquireFailedLog, acquiringLog } from './history.ts';

const writeMethods = new Set(['put', 'txn', 'deleteRange']);

function bucket(count: number): string {
  if (count <= 2) return String(count);
  if (count <= 4) return '3-4';
  if (count <= 8) return '5-8';
  return '9+';
}

/** The features a run reached, with how often. */
export function lockStateCoverage(trace: Trace): Map<string, number> {
  const features = new Map<string, number>();
  const hit = (feature: string) => features.set(feature, (features.get(feature) ?? 0) + 1);
  const leaseOwner = new Map<LeaseId, string>();
  const waiting = new Set<string>();
  const holding = new Set<string>();
  /** Processes whose client gave up a lease, and have not been granted one since. */
  const lostLease = new Set<string>();
  /** Open write calls: `process#incarnation#callId` → method. */
  const openWrites = new Map<string, string>();
  /** Write calls that timed out (outcome unknown) and may still be answered late. */
  const timedOut = new Map<string, string>();
  for (const event of trace.events) {
    switch (event.kind) {
      case 'lease-granted':
        leaseOwner.set(event.leaseId, event.process);
        lostLease.delete(event.process);
        break;
      case 'lease-expired': {
        const owner = leaseOwner.get(event.leaseId);
        if (owner === undefined) break;
        if (waiting.has(owner)) hit('waiter-key-expired');
        if (holding.has(owner)) hit('holder-lease-expired');
        break;
      }
      case 'log':
        if (event.message === acquiringLog) waiting.add(event.process);
        else if (event.message.startsWith(acquireFailedLog)) {
          waiting.delete(event.process);
          const words = event.message
            .slice(acquireFailedLog.length)
            .replace(/^[:\s]+/, '')
            .split(/\s+/)
            .slice(0, 3)
            .join(' ');
          hit(`acquire-failed:${words}`);
        }
        break;
      case 'client': {
        const client = event.event;
        const who = `${event.process}#${event.incarnation}`;
        switch (client.kind) {
          case 'lock-acquired':
            waiting.delete(event.process);
            holding.add(event.process);
            if (lostLease.has(event.process)) hit('acquired-after-lease-lost');
            break;
          case 'lock-released':
          case 'lock-lost':
            holding.delete(event.process);
            break;
          case 'lease-lost':
            if (client.reason !== 'closed') lostLease.add(event.process);
            break;
          case 'call':
            if (writeMethods.has(client.method)) openWrites.set(`${who}#${client.callId}`, client.method);
            break;
          case 'return': {
            const key = `${who}#${client.callId}`;
            const method = openWrites.get(key);
            if (method === undefined) break;
            openWrites.delete(key);
            if (client.outcome === 'unknown') {
              hit(`write-unknown:${method}`);
              timedOut.set(key, method);
            }
            break;
          }
          default:
            break;
        }
        break;
      }
      case 'message-dropped':
        if (event.from === 'server' && /^(response|error) #\d+$/.test(event.message)) {
          const callId = event.message.slice(event.message.indexOf('#') + 1);
          for (const [key, method] of openWrites) {
            if (!key.startsWith(`${event.to}#`) || !key.endsWith(`#${callId}`)) continue;
            hit(`answer-lost:${method}`);
            if (method === 'deleteRange') hit('late-delete');
          }
        }
        break;
      case 'fault':
        if (event.fault.kind === 'serverRestart') {
          if (holding.size > 0) hit('restart-while-held');
          if (waiting.size > 0) hit('restart-while-waiting');
        } else if (event.fault.kind === 'crash') {
          waiting.delete(event.fault.process);
          holding.delete(event.fault.process);
        }
        break;
      case 'process-exited':
        waiting.delete(event.process);
        holding.delete(event.process);
        break;
      case 'resource-write':
        if (event.fencingToken < event.highestTokenBefore) hit('stale-write-attempt');
        break;
      default:
        break;
    }
  }
  // A timed-out delete whose key vanished later is the late delete; without server-side apply events,
  // a timed-out deleteRange is counted as one that may land late.
  for (const method of timedOut.values()) if (method === 'deleteRange') hit('late-delete');
  return features;
}

/** The coverage keys of a run: each feature with its count's bucket (`waiter-key-expired×1`, `write-unknown:txn×3-4`). */
export function coverageKeys(features: ReadonlyMap<string, number>): string[] {
  return [...features].map(([feature, count]) => `${feature}×${bucket(count)}`).sort();
}
