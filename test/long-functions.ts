/**
 * Finds functions longer than a limit, for the tidy test. A scanner, not a
 * parser (as test/spread-literals.ts): comments and strings are blanked, then
 * every `{` that opens a function body is followed to its matching `}`. A body
 * opens after `=>`, or after a parameter list `(…)` (with an optional return
 * type without braces) whose `(` follows a name that is not a keyword
 * (`if (…) {`, `for (…) {` are not functions).
 */
import { blankCommentsAndStrings } from './spread-literals.ts';

export interface LongFunction {
  /** The function's name: the identifier before its parameters, or `(anonymous)`. */
  name: string;
  /** 1-based line of the opening `{`. */
  line: number;
  /** Lines from the opening `{` to the closing `}`, both included. */
  lines: number;
}

/** Words before a `(` that make it no function's name (`async` heads an anonymous arrow: `.then(async () => {`). */
const notFunctions = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof', 'await', 'of', 'in', 'new', 'async']);

/** The index of the `(` matching the `)` at `close`, or -1. */
function openingParen(code: string, close: number): number {
  let depth = 0;
  for (let k = close; k >= 0; k--) {
    const c = code[k];
    if (c === ')') depth++;
    else if (c === '(' && --depth === 0) return k;
  }
  return -1;
}

/** The name before a parameter list opening at `paren` (`name(`, `name = (`, `name: async <T>(`, `function name(`), '' for none. */
function nameBefore(code: string, paren: number): string {
  const head = code.slice(Math.max(0, paren - 200), paren);
  const match = /(?:function\s*\*?\s*)?([\w$#]*)\s*(?:[=:]\s*(?:async\s*)?)?(?:<[^()]*>)?\s*$/.exec(head);
  return match?.[1] ?? '';
}

/** The function name for the body opening at `open`, or undefined when that `{` opens no function body. */
function functionNameAt(code: string, open: number): string | undefined {
  let k = open - 1;
  while (k >= 0 && /\s/.test(code[k]!)) k--;
  if (code[k] === '>' && code[k - 1] === '=') {
    // An arrow: `(params) =>` or `param =>`.
    k -= 2;
    while (k >= 0 && /\s/.test(code[k]!)) k--;
    const paren = code[k] === ')' ? openingParen(code, k) : k - (/[\w$]*$/.exec(code.slice(Math.max(0, k - 100), k + 1))?.[0].length ?? 0) + 1;
    const name = paren >= 0 ? nameBefore(code, paren) : '';
    return name === '' || notFunctions.has(name) ? '(anonymous)' : name;
  }
  const before = code.slice(Math.max(0, open - 200), open);
  const head = /\)\s*(?::\s*[^{};=()]*)?\s*$/.exec(before);
  if (head === null) return undefined;
  const paren = openingParen(code, open - before.length + head.index);
  if (paren < 0) return undefined;
  const name = nameBefore(code, paren);
  if (name === '') return /function\s*\*?\s*$/.test(code.slice(Math.max(0, paren - 40), paren)) ? '(anonymous)' : undefined;
  return notFunctions.has(name) ? undefined : name;
}

/** Functions in `source` whose body spans more than `linesMax` lines. */
export function longFunctions(source: string, linesMax: number): LongFunction[] {
  const code = blankCommentsAndStrings(source);
  const lineStarts: number[] = [0];
  for (let k = 0; k < code.length; k++) if (code[k] === '\n') lineStarts.push(k + 1);
  const lineOf = (index: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const closeOf = new Map<number, number>();
  const opens: number[] = [];
  for (let k = 0; k < code.length; k++) {
    if (code[k] === '{') opens.push(k);
    else if (code[k] === '}' && opens.length > 0) closeOf.set(opens.pop()!, k);
  }
  const found: LongFunction[] = [];
  for (const [open, close] of closeOf) {
    if (lineOf(close) - lineOf(open) + 1 <= linesMax) continue;
    const name = functionNameAt(code, open);
    if (name === undefined) continue;
    const lines = lineOf(close) - lineOf(open) + 1;
    if (lines > linesMax) found.push({ name, line: lineOf(open), lines });
  }
  return found.sort((x, y) => x.line - y.line);
}
