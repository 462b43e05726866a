/**
 * Finds object literals that start with a spread and then add keys:
 * `{ ...a, x }`, `{ ...a, ...b }`. In Node 20 such a literal costs
 * microseconds (V8 copies `a` through its slow generic path and then adds
 * properties one by one, changing the hidden class each time), where a plain
 * literal or `Object.assign({}, a, { x })` costs tens of nanoseconds.
 * `{ ...a }` alone (a clone) takes V8's fast path and is allowed.
 *
 * A scanner, not a parser: comments and string contents are blanked first,
 * then every `{` followed by `...` is followed to its matching `}`, looking
 * for a top-level comma with more after it. A destructuring pattern cannot
 * start with a rest element and go on, so every hit is a literal.
 */

/**
 * Whether a `/` at `slash` starts a regex literal rather than dividing: it
 * does after an operator, an opening bracket, a comma or semicolon, or a
 * keyword such as `return` (a division follows a value: a name, `)` or `]`).
 */
function regexCanStart(source: string, slash: number): boolean {
  let k = slash - 1;
  while (k >= 0 && (source[k] === ' ' || source[k] === '\t')) k--;
  if (k < 0) return true;
  const before = source[k]!;
  if ('(,=:[!&|?{};+-*%<>~^\n'.includes(before)) return true;
  return /(?:^|[^\w$])(?:return|typeof|case|in|of|void|delete|throw|yield|await)$/.test(source.slice(Math.max(0, k - 10), k + 1));
}

/** The index of the `/` that closes the regex literal opening at `slash` (a `/` in a class `[...]` does not), or the line's end. */
function regexEnd(source: string, slash: number): number {
  let inClass = false;
  let k = slash + 1;
  while (k < source.length && source[k] !== '\n') {
    const c = source[k];
    if (c === '\\') k++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) return k;
    k++;
  }
  return k;
}

/** Comments and string/template contents replaced by spaces (lines and offsets kept). */
export function blankCommentsAndStrings(source: string): string {
  const out = source.split('');
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  /** Template nesting: each entry is the brace depth at which a `${` opened. */
  const templates: number[] = [];
  let depth = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === '/' && regexCanStart(source, i)) {
      // A regex literal: its text may hold quotes, backticks or braces (`/[&<>"']/g`).
      const k = regexEnd(source, i);
      blank(i + 1, k);
      i = k + 1;
    } else if (c === "'" || c === '"') {
      let k = i + 1;
      while (k < source.length && source[k] !== c && source[k] !== '\n') k += source[k] === '\\' ? 2 : 1;
      blank(i + 1, k);
      i = k + 1;
    } else if (c === '`' || (c === '}' && templates.length > 0 && templates[templates.length - 1] === depth)) {
      // Template text up to the closing backtick or the next `${`.
      if (c === '}') templates.pop();
      let k = i + 1;
      while (k < source.length && source[k] !== '`' && !(source[k] === '$' && source[k + 1] === '{')) k += source[k] === '\\' ? 2 : 1;
      blank(i + 1, k);
      if (source[k] === '$') {
        templates.push(depth);
        i = k + 2;
      } else i = k + 1;
    } else {
      if (c === '{') depth++;
      else if (c === '}') depth--;
      i++;
    }
  }
  return out.join('');
}

export interface SpreadLiteral {
  line: number;
  text: string;
}

/** Object literals in `source` that start with a spread and then go on. */
export function spreadThenKeys(source: string): SpreadLiteral[] {
  const code = blankCommentsAndStrings(source);
  const lines = source.split('\n');
  const found: SpreadLiteral[] = [];
  const opener = /\{\s*\.\.\./g;
  for (let match = opener.exec(code); match !== null; match = opener.exec(code)) {
    let depth = 0;
    for (let k = match.index + match[0].length; k < code.length; k++) {
      const c = code[k]!;
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']') depth--;
      else if (c === '}') {
        if (depth === 0) break;
        depth--;
      } else if (c === ',' && depth === 0) {
        if (/^\s*\}/.test(code.slice(k + 1, k + 200))) break; // `{ ...a, }`: a clone with a trailing comma
        const line = code.slice(0, match.index).split('\n').length;
        found.push({ line, text: lines[line - 1]!.trim() });
        break;
      }
    }
  }
  return found;
}
