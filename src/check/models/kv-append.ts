/**
 * The key-value service of the shared kv-append histories (porcupine's kv
 * model): string keys, a value starts as the empty string, `put` sets it,
 * `append` concatenates, `get` returns it.
 *
 *   put(x, "a"); append(x, "b"); get(x) → "ab"
 *
 * Keys are independent, so the model partitions the history per key. A `get`
 * whose outcome is unknown constrains nothing and is left out.
 */
import type { EdnInput, EdnOutput } from '../edn-history.ts';
import { ednOperations } from '../edn-history.ts';
import type { Operation } from '../history.ts';
import type { Model } from '../linearizability.ts';
import type { HistoryProblem } from '../verdict.ts';

/** A call to the kv-append service. */
export interface KvAppendInput {
  op: 'get' | 'put' | 'append';
  key: string;
  /** The value put or appended; ignored by `get`. */
  value: string;
}

/** What the call returned: the value for `get`, anything for the others. */
export interface KvAppendOutput {
  value: string;
}

/** An operation on the kv-append service. */
export type KvAppendOperation = Operation<KvAppendInput, KvAppendOutput>;

/** Split by key, keeping order; unknown-outcome gets are dropped. */
function partitionByKey(operations: readonly KvAppendOperation[]): KvAppendOperation[][] {
  const byKey = new Map<string, KvAppendOperation[]>();
  for (const op of operations) {
    if (op.input.op === 'get' && op.outcome === 'unknown') continue;
    let list = byKey.get(op.input.key);
    if (list === undefined) byKey.set(op.input.key, (list = []));
    list.push(op);
  }
  return [...byKey.values()];
}

const describeOperation = (input: KvAppendInput, output: KvAppendOutput | undefined): string =>
  input.op === 'get'
    ? `get(${JSON.stringify(input.key)}) → ${output === undefined ? '?' : JSON.stringify(output.value)}`
    : `${input.op}(${JSON.stringify(input.key)}, ${JSON.stringify(input.value)})`;

/**
 * The kv-append model, partitioned per key: its state is one key's value and
 * a hash of it.
 */
export function kvAppendModel(): Model<KvAppendValue, KvAppendInput, KvAppendOutput> {
  return {
    partition: partitionByKey,
    init: () => emptyValue,
    step(state, input, output) {
      if (input.op === 'get') return output === undefined || output.value === state.text ? [true, state] : rejected;
      // h(a + b) = h(a)·B^|b| + h(b), folded into one pass over b without allocating
      const value = input.value;
      let hash = input.op === 'put' ? 0 : state.hash;
      for (let i = 0; i < value.length; i++) hash = (Math.imul(hash, hashBase) + value.charCodeAt(i)) >>> 0;
      return [true, { text: input.op === 'put' ? value : state.text + value, hash }];
    },
    equal: (a, b) => a.hash === b.hash && a.text === b.text,
    hash: (state) => state.hash,
    describeOperation,
    describeState: (state) => JSON.stringify(state.text),
  };
}

/**
 * The kv-append model without partitioning: the state is the whole store, a
 * map from key to value. Much slower (porcupine's "no partition" model); for
 * testing the checker on histories that mix keys.
 */
export function kvAppendUnpartitionedModel(): Model<ReadonlyMap<string, string>, KvAppendInput, KvAppendOutput> {
  return {
    init: () => new Map<string, string>(),
    step(state, input, output) {
      const current = state.get(input.key) ?? '';
      if (input.op === 'get') return [output === undefined || output.value === current, state];
      const next = new Map(state);
      next.set(input.key, input.op === 'put' ? input.value : current + input.value);
      return [true, next];
    },
    equal(a, b) {
      if (a.size !== b.size) return false;
      for (const [key, value] of a) if (b.get(key) !== value) return false;
      return true;
    },
    describeOperation,
    describeState: (state) => JSON.stringify(Object.fromEntries(state)),
  };
}

/**
 * One key's value with a polynomial hash of it, kept up to date on append
 * (h(a + b) = h(a)·B^|b| + h(b) mod 2^32), so that the checker's cache
 * compares hashes, not long strings.
 */
export interface KvAppendValue {
  text: string;
  hash: number;
}

const emptyValue: KvAppendValue = { text: '', hash: 0 };
/** One shared answer for a rejected get: most steps of a search are those. */
const rejected = [false, emptyValue] as const;
const hashBase = 0x01000193;

/**
 * Read a kv-append history in the shared EDN format (see `ednOperations`):
 * `:f` is the op, `:key` the key, `:value` the argument or (on `:ok` of a
 * get) the result; `nil` reads as the empty string.
 */
export function readKvAppendHistory(text: string): { operations: KvAppendOperation[]; problems: HistoryProblem[] } {
  const parsed = ednOperations(text);
  const problems = [...parsed.problems];
  const operations: KvAppendOperation[] = [];
  parsed.operations.forEach((op: Operation<EdnInput, EdnOutput>) => {
    const f = op.input.f;
    if (f !== 'get' && f !== 'put' && f !== 'append') {
      problems.push({ index: op.invokeMs, message: `unknown :f ${f}` });
      return;
    }
    const converted: KvAppendOperation = {
      process: op.process,
      invokeMs: op.invokeMs,
      returnMs: op.returnMs,
      input: { op: f, key: String(op.input.key ?? ''), value: String(op.input.value ?? '') },
      outcome: op.outcome,
    };
    if (op.output !== undefined) converted.output = { value: String(op.output.value ?? '') };
    operations.push(converted);
  });
  return { operations, problems };
}
