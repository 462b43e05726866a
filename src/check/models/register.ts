/**
 * One register with read, write and compare-and-set: the model of Jepsen's
 * etcd register test, and a reader for its logs (as in porcupine's
 * test_data/jepsen), one event a line:
 *
 *   INFO  jepsen.util - 3	:invoke	:cas	[1 4]
 *   INFO  jepsen.util - 3	:fail	:cas	[1 4]      the compare failed
 *   INFO  jepsen.util - 0	:ok	:read	nil          (nil: never written)
 *   INFO  jepsen.util - 2	:info	:write	:timed-out  maybe applied
 *
 * `:ok` returns; `:fail` of a cas returns "compare failed", of a write "not
 * applied"; `:fail` of a read (timed out) and `:info` of anything leave the outcome unknown (an unknown
 * read constrains nothing; an unknown write or cas may take effect at any
 * time after its call). Other lines are skipped.
 *
 *   checkLinearizability(readJepsenRegisterLog(text).operations, registerModel()).result → 'ok' | 'illegal'
 */
import type { Operation } from '../history.ts';
import type { Model } from '../linearizability.ts';

/** A call on the register. */
export type RegisterInput = { kind: 'read' } | { kind: 'write'; value: number } | { kind: 'cas'; from: number; to: number };

/** What it returned: a read's value (`null`: never written), or whether a cas swapped. */
export interface RegisterOutput {
  value?: number | null;
  swapped?: boolean;
}

export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

/** The register's value (`null`: never written). A write returns another object than the one it was given, so an equal value written again is not taken for a read. */
export interface RegisterState {
  value: number | null;
}

const neverWritten: RegisterState = { value: null };
const rejected = [false, neverWritten] as const;

/**
 * Two state objects per value, each with its accepting answer, made once: a
 * write or swap returns one that is not the state it was given (so it is
 * never taken for a read), without allocating on each step of a search.
 */
class RegisterStates {
  readonly #twins = new Map<number | null, [readonly [true, RegisterState], readonly [true, RegisterState]]>();

  /** `[true, a state holding value]` that is not `current`. */
  after(current: RegisterState, value: number | null): readonly [true, RegisterState] {
    let twins = this.#twins.get(value);
    if (twins === undefined) {
      twins = [
        [true, { value }],
        [true, { value }],
      ];
      this.#twins.set(value, twins);
    }
    return twins[0][1] === current ? twins[1] : twins[0];
  }
}

/** The model: a read returns the state object itself (no change), a write or a swap another one. */
export function registerModel(): Model<RegisterState, RegisterInput, RegisterOutput> {
  const states = new RegisterStates();
  return {
    init: () => neverWritten,
    step(state, input, output) {
      if (input.kind === 'read') return output === undefined || output.value === state.value ? [true, state] : rejected;
      if (input.kind === 'write') return states.after(state, input.value);
      const swaps = state.value === input.from;
      if (output !== undefined && output.swapped !== swaps) return rejected;
      return states.after(state, swaps ? input.to : state.value);
    },
    equal: (a, b) => a.value === b.value,
    hash: (state) => (state.value === null ? 0x7fffffff : state.value | 0) >>> 0,
    describeOperation(input, output) {
      if (input.kind === 'read') return `read() → ${output === undefined ? '?' : String(output.value)}`;
      if (input.kind === 'write') return `write(${input.value})`;
      return `cas(${input.from}, ${input.to}) → ${output === undefined ? '?' : output.swapped ? 'ok' : 'fail'}`;
    },
    describeState: (state) => String(state.value),
  };
}

/**
 * Read a Jepsen register log. Times are line numbers; a call never completed
 * is `unknown`. @returns the operations in call order; never throws
 */
export function readJepsenRegisterLog(text: string): { operations: RegisterOperation[] } {
  const operations: RegisterOperation[] = [];
  const open = new Map<number, RegisterOperation>();
  const lines = text.split('\n');
  for (let line = 0; line < lines.length; line++) {
    const fields = lines[line]!.trim().split(/\s+/);
    if (fields.length < 7 || fields[1] !== 'jepsen.util') continue;
    const process = Number(fields[3]);
    if (!Number.isInteger(process)) continue;
    const [type, f] = [fields[4], fields[5]];
    const number = (text: string | undefined) => Number((text ?? '').replace(/[[\]]/g, ''));
    if (type === ':invoke') {
      const input: RegisterInput | undefined =
        f === ':read'
          ? { kind: 'read' }
          : f === ':write'
            ? { kind: 'write', value: number(fields[6]) }
            : f === ':cas'
              ? { kind: 'cas', from: number(fields[6]), to: number(fields[7]) }
              : undefined;
      if (input === undefined) continue;
      const operation: RegisterOperation = { process, invokeMs: line, returnMs: Infinity, input, outcome: 'unknown' };
      operations.push(operation);
      open.set(process, operation);
      continue;
    }
    const operation = open.get(process);
    if (operation === undefined) continue;
    if (type === ':ok') {
      operation.outcome = 'ok';
      operation.returnMs = line;
      operation.output = operation.input.kind === 'read' ? { value: fields[6] === 'nil' ? null : number(fields[6]) } : { swapped: true };
    } else if (type === ':fail' && operation.input.kind === 'cas') {
      operation.outcome = 'ok';
      operation.returnMs = line;
      operation.output = { swapped: false };
    } else if (type === ':fail' && operation.input.kind === 'write') {
      operation.outcome = 'error';
      operation.returnMs = line;
    } else if (type !== ':fail' && type !== ':info') continue;
    // A failed (timed-out) read or an :info stays unknown: maybe applied, returning at infinity.
    open.delete(process);
  }
  return { operations };
}
