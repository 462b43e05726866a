/**
 * A short fingerprint of a run's trace: the playground shows it and `leaselab
 * run` prints it, so a learner sees at a glance that the command line reran
 * the page's run (same setup, same trace, byte for byte).
 *
 *   traceDigest(result.trace.events)   // '1a2b3c4d'
 */
import type { TraceEvent } from '../sim/trace.ts';

/** A 32-bit FNV-1a digest of the trace's events (as JSON, bigints as text), as 8 hex digits. */
export function traceDigest(events: readonly TraceEvent[]): string {
  let hash = 0x811c9dc5;
  const text = JSON.stringify(events, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value instanceof Uint8Array ? Array.from(value) : value,
  );
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
