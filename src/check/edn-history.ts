/**
 * Jepsen-style histories, one EDN map per line, as in the shared kv-append
 * histories (porcupine's test data):
 *
 *   {:process 9, :type :invoke, :f :append, :key "0", :value "x 9 0 y"}
 *   {:process 9, :type :ok, :f :append, :key "0", :value "x 9 0 y"}
 *
 * `parseEdnLine` reads one flat map (keywords, strings, numbers, nil, true,
 * false); `ednOperations` pairs each `:invoke` with its process's next
 * completion and gives ops times from line numbers:
 * - `:ok` → outcome `ok`;
 * - `:fail` → `error` (definitely not applied);
 * - `:info`, or no completion at all → `unknown` (maybe applied, returns at infinity).
 */
import type { Operation, ProcessName } from './history.ts';
import type { HistoryProblem } from './verdict.ts';

/** A value in a flat EDN map; keywords keep no colon (`:append` → `'append'`). */
export type EdnValue = string | number | boolean | null;

/** A parsed line, or the reason it did not parse. */
export type EdnParse = { ok: true; map: Record<string, EdnValue> } | { ok: false; message: string };

/**
 * Parse one flat EDN map. Commas are whitespace, as in EDN.
 *
 * @param line - e.g. `{:process 1, :type :ok, :f :get, :key "9", :value "x 1 0 y"}`
 * @returns the map (keyword keys without their colon), or a message. Never throws.
 */
export function parseEdnLine(line: string): EdnParse {
  let i = 0;
  const skip = () => {
    while (i < line.length && (line[i] === ' ' || line[i] === ',' || line[i] === '\t' || line[i] === '\r' || line[i] === '\n')) i++;
  };
  const fail = (message: string): EdnParse => ({ ok: false, message: `${message} at column ${i + 1}` });
  const atom = (): string => {
    const start = i;
    while (i < line.length && !' ,\t\r\n{}[]()"'.includes(line[i]!)) i++;
    return line.slice(start, i);
  };
  const value = (): { ok: true; value: EdnValue } | { ok: false } => {
    if (line[i] === '"') {
      i++;
      let text = '';
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\') {
          const escaped = line[i + 1];
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };
          if (escaped === undefined || map[escaped] === undefined) return { ok: false };
          text += map[escaped];
          i += 2;
        } else text += line[i++];
      }
      if (line[i] !== '"') return { ok: false };
      i++;
      return { ok: true, value: text };
    }
    const word = atom();
    if (word === '') return { ok: false };
    if (word.startsWith(':')) return { ok: true, value: word.slice(1) };
    if (word === 'nil') return { ok: true, value: null };
    if (word === 'true' || word === 'false') return { ok: true, value: word === 'true' };
    const number = Number(word);
    return Number.isNaN(number) ? { ok: false } : { ok: true, value: number };
  };

  skip();
  if (line[i] !== '{') return fail('expected {');
  i++;
  const map: Record<string, EdnValue> = {};
  for (;;) {
    skip();
    if (i >= line.length) return fail('unterminated map');
    if (line[i] === '}') {
      i++;
      skip();
      return i === line.length ? { ok: true, map } : fail('text after the map');
    }
    const key = atom();
    if (!key.startsWith(':') || key.length < 2) return fail('expected a keyword key');
    skip();
    const parsed = value();
    if (!parsed.ok) return fail(`bad value for ${key}`);
    map[key.slice(1)] = parsed.value;
  }
}

/** An op of a Jepsen-style history: `:f`, `:key`, `:value` of the invocation, and the completion's `:value`. */
export interface EdnInput {
  f: string;
  key: EdnValue;
  value: EdnValue;
}

/** The completion's `:value`. */
export interface EdnOutput {
  value: EdnValue;
}

/** Operations read from an EDN history, and the lines that made no sense. */
export interface EdnHistory {
  operations: Operation<EdnInput, EdnOutput>[];
  problems: HistoryProblem[];
}

/**
 * Read a Jepsen-style history: one map per line, an op's times are the line
 * numbers (0-based) of its `:invoke` and its completion. Blank lines are
 * skipped; malformed lines and completions without an invoke are problems
 * (with 0-based line numbers as `index`). Never throws.
 */
export function ednOperations(text: string): EdnHistory {
  const operations: Operation<EdnInput, EdnOutput>[] = [];
  const problems: HistoryProblem[] = [];
  const open = new Map<ProcessName, Operation<EdnInput, EdnOutput>>();
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const parsed = parseEdnLine(line);
    if (!parsed.ok) {
      problems.push({ index, message: parsed.message });
      return;
    }
    const { process, type } = parsed.map;
    if (typeof process !== 'number' && typeof process !== 'string') {
      problems.push({ index, message: 'no :process' });
      return;
    }
    if (type === 'invoke') {
      if (open.has(process)) problems.push({ index, message: `process ${process} invokes with a call outstanding` });
      const operation: Operation<EdnInput, EdnOutput> = {
        process,
        invokeMs: index,
        returnMs: Infinity,
        input: { f: String(parsed.map.f), key: parsed.map.key ?? null, value: parsed.map.value ?? null },
        outcome: 'unknown',
      };
      open.set(process, operation);
      operations.push(operation);
      return;
    }
    const operation = open.get(process);
    if (operation === undefined) {
      problems.push({ index, message: `:${String(type)} from process ${process} without an :invoke` });
      return;
    }
    open.delete(process);
    if (type === 'ok') {
      operation.outcome = 'ok';
      operation.returnMs = index;
      operation.output = { value: parsed.map.value ?? null };
    } else if (type === 'fail') {
      operation.outcome = 'error';
      operation.returnMs = index;
    } else if (type !== 'info') {
      problems.push({ index, message: `unknown :type ${String(type)}` });
    }
  });
  return { operations, problems };
}
