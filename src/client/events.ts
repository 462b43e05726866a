/**
 * What a client reports about itself as it works: every call and its outcome,
 * keepalives, and what the lock recipes believe. The simulator stamps these
 * with virtual time and process name and puts them in the trace; checkers and
 * reports read them from there. Nothing here is needed to use the client.
 */
import type { LeaseId } from '../store/messages.ts';

/** How a call ended: `unknown` is a timeout, the request may or may not have been applied. */
export type CallOutcome = 'ok' | 'error' | 'unknown';

/** What a client reports: a call and its outcome, keepalives, lock beliefs. */
export type ClientEvent =
  | { kind: 'call'; callId: number; method: string; request: unknown }
  | { kind: 'return'; callId: number; method: string; outcome: CallOutcome; response?: unknown; error?: string }
  | { kind: 'keepalive-sent'; leaseId: LeaseId }
  | { kind: 'keepalive-answered'; leaseId: LeaseId; ttlSeconds: number }
  /** The client stopped believing in a lease: the server said TTL 0, or its local deadline passed unanswered. */
  | { kind: 'lease-lost'; leaseId: LeaseId; reason: 'expired' | 'deadline' | 'revoked' | 'closed' }
  /** A lock recipe returned from acquire: from here the caller believes it holds `lockName`. */
  | { kind: 'lock-acquired'; lockName: string; key: string; leaseId: LeaseId; fencingToken: number }
  /** The holder gave the lock up (unlock called). */
  | { kind: 'lock-released'; lockName: string; key: string; leaseId: LeaseId }
  /** The holder learned it lost the lock (its session's lease was lost). */
  | { kind: 'lock-lost'; lockName: string; key: string; leaseId: LeaseId }
  /** watch() was called: `watchNo` numbers this client's watches from 1; keys as UTF-8 text. */
  | { kind: 'watch-started'; watchNo: number; key: string; rangeEnd: string | undefined }
  /** A watch response with events reached the handler. */
  | { kind: 'watch-events'; watchNo: number; revision: number; events: WatchEventSummary[] }
  /** The watch ended: canceled by the caller or the server, or the client closed. */
  | { kind: 'watch-ended'; watchNo: number; reason: string };

/** One event of a watch response, as the trace keeps it. */
export interface WatchEventSummary {
  type: 'PUT' | 'DELETE';
  key: string;
  modRevision: number;
}

/** Receives a client's {@link ClientEvent}s (the simulator records them in the trace). */
export type ClientObserver = (event: ClientEvent) => void;
