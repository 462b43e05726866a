/**
 * What the checkers read: plain data, no simulator types. The explorer turns
 * a trace into these; a user can write them by hand.
 *
 * Times are virtual milliseconds (any consistent unit works). A history need
 * not be sorted: every checker sorts a copy by time, keeping the given order
 * for equal times.
 *
 *   lock events     {timeMs: 10, process: 'p1', kind: 'acquired', lockName: 'L', fencingToken: 7}
 *                   {timeMs: 30, process: 'p1', kind: 'released', lockName: 'L'}
 *   fenced writes   {timeMs: 20, process: 'p1', fencingToken: 7, accepted: true}
 *   operations      {process: 'p2', invokeMs: 12, returnMs: 15, input: …, output: …, outcome: 'ok'}
 */
import type { CallOutcome } from '../client/events.ts';

/** A process as the trace names it (the simulator's process name, or a number in Jepsen-style histories). */
export type ProcessName = string | number;

/** How a call ended (the client's `CallOutcome`): `unknown` is a timeout, maybe applied. */
export type { CallOutcome };

// ---------------------------------------------------------------- locks

/**
 * What a lock client believed, and when:
 * - `acquired`: acquire returned, from here it believes it holds `lockName`;
 * - `released`: it gave the lock up (unlock called);
 * - `lost`: it learned it lost the lock (lease lost). A crashed holder believes
 *   nothing any more: the explorer reports a `lost` at the crash instant.
 */
export type LockEventKind = 'acquired' | 'released' | 'lost';

/** One change of a process's belief about a lock. */
export interface LockEvent {
  timeMs: number;
  process: ProcessName;
  kind: LockEventKind;
  lockName: string;
  /** The token the lock handed out (etcd: the lock key's create revision); given on `acquired`. */
  fencingToken?: number;
}

/** A process began trying to acquire `lockName` at `timeMs`. */
export interface LockWaitStart {
  timeMs: number;
  process: ProcessName;
  lockName: string;
  /** It stopped trying without acquiring (gave up, crashed) at this time. */
  abandonedMs?: number;
}

/**
 * Server-side truth: from `fromMs` (inclusive) to `toMs` (exclusive) the
 * server considered `process` the holder of the lock, with this token.
 * `toMs` absent: still holding at the end of the run.
 */
export interface HolderInterval {
  process: ProcessName;
  fencingToken: number;
  fromMs: number;
  toMs?: number;
}

/** The fenced resource's record of one write attempt. */
export interface FencedWrite {
  timeMs: number;
  process: ProcessName;
  /** The token the writer presented; absent when it presented none. */
  fencingToken?: number;
  accepted: boolean;
}

// ---------------------------------------------------------------- operations

/**
 * One call and its return, as a linearizability checker needs it.
 *
 * - `returnMs` is `Infinity` for an `unknown` outcome (maybe applied, at any
 *   time after the call); a finite one given with `unknown` is ignored.
 * - `output` is what the caller saw; absent for `unknown` and `error`.
 * - `error` means definitely not applied: the op is left out of the check.
 *   That is true of etcd's typed errors (a request failing with an EtcdError
 *   changed nothing) but not of a timeout or a lost connection, which the
 *   recorder must report as `unknown`.
 */
export interface Operation<Input, Output> {
  process: ProcessName;
  invokeMs: number;
  returnMs: number;
  input: Input;
  output?: Output;
  outcome: CallOutcome;
}
