/**
 * Go's encoding/json (go 1.19), the parts etcd 3.4.23's HTTP gateway runs on
 * a request body, with Go's own error texts, so leaselab's gateway can answer
 * a malformed body in the words etcd does:
 *
 *   firstValue(utf8('{"key":1} tail'))  → { kind: 'value', start: 0, end: 9 }   (json.Decoder reads one value)
 *   firstValue(utf8('{"key":'))         → { kind: 'error', message: 'unexpected EOF' }
 *   syntaxError(utf8('1 2'))            → "invalid character '2' after top-level value"   (json.Unmarshal's check)
 *   typeError('number', 'int64', '1.5') → 'json: cannot unmarshal number 1.5 into Go value of type int64'
 *   base64Std(utf8('YQ='))              → { error: 'illegal base64 data at input byte 3' }
 *   goJsonString('<')                   → '"\\u003c"'   (json.Marshal escapes HTML characters)
 *
 * Values are spans [start, end) of the body's bytes, walked lazily: a value
 * nested 10,000 deep in a field nobody reads is never built.
 */

// ---------------------------------------------------------------- the scanner

/** What one byte did, as far as the readers here care. */
const Step = {
  Continue: 0,
  /** A value ended at the byte before this one. */
  End: 1,
  /** An object or array closed at this byte. */
  Closed: 2,
  Error: 3,
} as const;
type Step = (typeof Step)[keyof typeof Step];

const State = {
  BeginValue: 0,
  BeginValueOrEmpty: 1,
  BeginStringOrEmpty: 2,
  BeginString: 3,
  EndValue: 4,
  EndTop: 5,
  InString: 6,
  InStringEsc: 7,
  InStringEscU: 8,
  InStringEscU1: 9,
  InStringEscU12: 10,
  InStringEscU123: 11,
  Neg: 12,
  One: 13,
  Zero: 14,
  Dot: 15,
  Dot0: 16,
  E: 17,
  ESign: 18,
  E0: 19,
  T: 20,
  Tr: 21,
  Tru: 22,
  F: 23,
  Fa: 24,
  Fal: 25,
  Fals: 26,
  N: 27,
  Nu: 28,
  Nul: 29,
  Failed: 30,
} as const;
type State = (typeof State)[keyof typeof State];

const Parse = {
  ObjectKey: 0,
  ObjectValue: 1,
  ArrayValue: 2,
} as const;
type Parse = (typeof Parse)[keyof typeof Parse];

/** encoding/json's maxNestingDepth. */
const maxNestingDepth = 10_000;

/** The byte after which a literal continues, the state it moves to, and what Go says when another byte comes. */
const literalSteps: Partial<Record<State, [expected: number, next: State, context: string]>> = {
  [State.T]: [0x72, State.Tr, "in literal true (expecting 'r')"],
  [State.Tr]: [0x75, State.Tru, "in literal true (expecting 'u')"],
  [State.Tru]: [0x65, State.EndValue, "in literal true (expecting 'e')"],
  [State.F]: [0x61, State.Fa, "in literal false (expecting 'a')"],
  [State.Fa]: [0x6c, State.Fal, "in literal false (expecting 'l')"],
  [State.Fal]: [0x73, State.Fals, "in literal false (expecting 's')"],
  [State.Fals]: [0x65, State.EndValue, "in literal false (expecting 'e')"],
  [State.N]: [0x75, State.Nu, "in literal null (expecting 'u')"],
  [State.Nu]: [0x6c, State.Nul, "in literal null (expecting 'l')"],
  [State.Nul]: [0x6c, State.EndValue, "in literal null (expecting 'l')"],
};

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const stringEscapes = new Set([0x62, 0x66, 0x6e, 0x72, 0x74, 0x5c, 0x2f, 0x22]);

/** encoding/json's scanner: a state machine over bytes that knows where a value ends and what is wrong with it. */
class Scanner {
  state: State = State.BeginValue;
  /** Set once a complete top-level value has been read. */
  endTop = false;
  error: string | undefined;
  #parse: Parse[] = [];

  step(c: number): Step {
    const state = this.state;
    switch (state) {
      case State.BeginValueOrEmpty:
        if (isSpace(c)) return Step.Continue;
        return c === 0x5d ? this.#endValue(c) : this.#beginValue(c);
      case State.BeginValue:
        return this.#beginValue(c);
      case State.BeginStringOrEmpty:
        if (isSpace(c)) return Step.Continue;
        if (c === 0x7d) {
          this.#parse[this.#parse.length - 1] = Parse.ObjectValue;
          return this.#endValue(c);
        }
        return this.#beginString(c);
      case State.BeginString:
        return this.#beginString(c);
      case State.EndValue:
        return this.#endValue(c);
      case State.EndTop:
        return this.#endTop(c);
      case State.InString:
        if (c === 0x22) return this.#to(State.EndValue);
        if (c === 0x5c) return this.#to(State.InStringEsc);
        return c < 0x20 ? this.#fail(c, 'in string literal') : Step.Continue;
      case State.InStringEsc:
        if (stringEscapes.has(c)) return this.#to(State.InString);
        return c === 0x75 ? this.#to(State.InStringEscU) : this.#fail(c, 'in string escape code');
      case State.InStringEscU:
      case State.InStringEscU1:
      case State.InStringEscU12:
      case State.InStringEscU123:
        if (!isHex(c)) return this.#fail(c, 'in \\u hexadecimal character escape');
        return this.#to(state === State.InStringEscU123 ? State.InString : ((state + 1) as State));
      case State.Neg:
        if (c === 0x30) return this.#to(State.Zero);
        return c >= 0x31 && c <= 0x39 ? this.#to(State.One) : this.#fail(c, 'in numeric literal');
      case State.One:
        return isDigit(c) ? Step.Continue : this.#zero(c);
      case State.Zero:
        return this.#zero(c);
      case State.Dot:
        return isDigit(c) ? this.#to(State.Dot0) : this.#fail(c, 'after decimal point in numeric literal');
      case State.Dot0:
        if (isDigit(c)) return Step.Continue;
        return c === 0x65 || c === 0x45 ? this.#to(State.E) : this.#endValue(c);
      case State.E:
        if (c === 0x2b || c === 0x2d) return this.#to(State.ESign);
        return this.#eSign(c);
      case State.ESign:
        return this.#eSign(c);
      case State.E0:
        return isDigit(c) ? Step.Continue : this.#endValue(c);
      case State.Failed:
        return Step.Error;
      default: {
        const [expected, next, context] = literalSteps[state]!;
        return c === expected ? this.#to(next) : this.#fail(c, context);
      }
    }
  }

  /** The scanner's eof: json.Unmarshal's last word on a body that ended. */
  eof(): Step {
    if (this.error !== undefined) return Step.Error;
    if (this.endTop) return Step.End;
    this.step(0x20);
    if (this.endTop) return Step.End;
    this.error ??= 'unexpected end of JSON input';
    return Step.Error;
  }

  #to(state: State): Step {
    this.state = state;
    return Step.Continue;
  }

  #fail(c: number, context: string): Step {
    this.state = State.Failed;
    this.error = `invalid character ${quoteChar(c)} ${context}`;
    return Step.Error;
  }

  #push(c: number, parse: Parse, state: State): Step {
    this.state = state;
    this.#parse.push(parse);
    return this.#parse.length <= maxNestingDepth ? Step.Continue : this.#fail(c, 'exceeded max depth');
  }

  #pop(): Step {
    this.#parse.pop();
    if (this.#parse.length === 0) {
      this.state = State.EndTop;
      this.endTop = true;
    } else {
      this.state = State.EndValue;
    }
    return Step.Closed;
  }

  #beginValue(c: number): Step {
    if (isSpace(c)) return Step.Continue;
    switch (c) {
      case 0x7b:
        return this.#push(c, Parse.ObjectKey, State.BeginStringOrEmpty);
      case 0x5b:
        return this.#push(c, Parse.ArrayValue, State.BeginValueOrEmpty);
      case 0x22:
        return this.#to(State.InString);
      case 0x2d:
        return this.#to(State.Neg);
      case 0x30:
        return this.#to(State.Zero);
      case 0x74:
        return this.#to(State.T);
      case 0x66:
        return this.#to(State.F);
      case 0x6e:
        return this.#to(State.N);
    }
    return c >= 0x31 && c <= 0x39 ? this.#to(State.One) : this.#fail(c, 'looking for beginning of value');
  }

  #beginString(c: number): Step {
    if (isSpace(c)) return Step.Continue;
    return c === 0x22 ? this.#to(State.InString) : this.#fail(c, 'looking for beginning of object key string');
  }

  #zero(c: number): Step {
    if (c === 0x2e) return this.#to(State.Dot);
    return c === 0x65 || c === 0x45 ? this.#to(State.E) : this.#endValue(c);
  }

  #eSign(c: number): Step {
    return isDigit(c) ? this.#to(State.E0) : this.#fail(c, 'in exponent of numeric literal');
  }

  #endValue(c: number): Step {
    const depth = this.#parse.length;
    if (depth === 0) {
      this.state = State.EndTop;
      this.endTop = true;
      return this.#endTop(c);
    }
    if (isSpace(c)) return this.#to(State.EndValue);
    switch (this.#parse[depth - 1]) {
      case Parse.ObjectKey:
        if (c !== 0x3a) return this.#fail(c, 'after object key');
        this.#parse[depth - 1] = Parse.ObjectValue;
        return this.#to(State.BeginValue);
      case Parse.ObjectValue:
        if (c === 0x2c) {
          this.#parse[depth - 1] = Parse.ObjectKey;
          return this.#to(State.BeginString);
        }
        return c === 0x7d ? this.#pop() : this.#fail(c, 'after object key:value pair');
      default:
        if (c === 0x2c) return this.#to(State.BeginValue);
        return c === 0x5d ? this.#pop() : this.#fail(c, 'after array element');
    }
  }

  /** After the top-level value: a non-space byte is an error on the next step (json.Unmarshal), or where a Decoder stops. */
  #endTop(c: number): Step {
    if (!isSpace(c)) {
      this.#fail(c, 'after top-level value');
    }
    return Step.End;
  }
}

/** A value's bytes: body[start, end). */
export interface Span {
  start: number;
  end: number;
}

/** What json.Decoder.Decode makes of a body: its first value (what follows it is never read), io.EOF, or Go's error text. */
export type FirstValue = ({ kind: 'value' } & Span) | { kind: 'eof' } | { kind: 'error'; message: string };

/** json.Decoder's readValue over a whole body. */
export function firstValue(body: Uint8Array): FirstValue {
  return readValue(body, true) as FirstValue;
}

/** readValue over what has arrived: `more` when the value may go on in bytes not yet read (`ended`: none will come). */
function readValue(body: Uint8Array, ended: boolean): FirstValue | { kind: 'more' } {
  const scanner = new Scanner();
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (start < 0 && !isSpace(c)) start = i;
    const step = scanner.step(c);
    if (step === Step.End) return { kind: 'value', start, end: i };
    if (step === Step.Error) return { kind: 'error', message: scanner.error! };
    // An object or array that closed the top level ends the value without waiting for the next byte.
    if (step === Step.Closed && scanner.endTop) return { kind: 'value', start, end: i + 1 };
  }
  if (!ended) return { kind: 'more' };
  if (scanner.step(0x20) === Step.End) return { kind: 'value', start, end: body.length };
  return start < 0 ? { kind: 'eof' } : { kind: 'error', message: 'unexpected EOF' };
}

/** One thing a json.Decoder reading a stream yields: a value's bytes, or the error that stops it. */
export type StreamItem = { kind: 'value'; value: Uint8Array } | { kind: 'error'; message: string };

/**
 * json.Decoder over a body that arrives in pieces (the gateway's watch and
 * keep-alive streams): each value as soon as it is complete, then nothing
 * once an error has stopped it.
 *
 *   const stream = new GoJsonStream();
 *   stream.push(utf8('{"ID":"1"}{"I'))  → [{ kind: 'value', value: utf8('{"ID":"1"}') }]
 *   stream.end()                        → [{ kind: 'error', message: 'unexpected EOF' }]
 */
export class GoJsonStream {
  #pending: Uint8Array = new Uint8Array(0);
  #stopped = false;

  push(chunk: Uint8Array): StreamItem[] {
    if (this.#stopped) return [];
    const joined = new Uint8Array(this.#pending.length + chunk.length);
    joined.set(this.#pending);
    joined.set(chunk, this.#pending.length);
    this.#pending = joined;
    return this.#drain(false);
  }

  /** The body ended: the values left, and the error if it ended inside one. */
  end(): StreamItem[] {
    return this.#stopped ? [] : this.#drain(true);
  }

  #drain(ended: boolean): StreamItem[] {
    const items: StreamItem[] = [];
    for (;;) {
      const next = readValue(this.#pending, ended);
      if (next.kind === 'more' || next.kind === 'eof') return items;
      if (next.kind === 'error') {
        this.#stopped = true;
        items.push({ kind: 'error', message: next.message });
        return items;
      }
      items.push({ kind: 'value', value: this.#pending.slice(next.start, next.end) });
      this.#pending = this.#pending.subarray(next.end);
    }
  }
}

/** json.Unmarshal's checkValid: Go's syntax error for these bytes as a whole document, or undefined. */
export function syntaxError(data: Uint8Array): string | undefined {
  const scanner = new Scanner();
  for (const c of data) if (scanner.step(c) === Step.Error) return scanner.error;
  return scanner.eof() === Step.Error ? scanner.error : undefined;
}

// ---------------------------------------------------------------- walking a valid value

/** The JSON kind Go's UnmarshalTypeError names. */
export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'bool' | 'null';

/** The kind of the (valid) value at a span. */
export function kindOf(body: Uint8Array, span: Span): JsonKind {
  switch (body[span.start]) {
    case 0x7b:
      return 'object';
    case 0x5b:
      return 'array';
    case 0x22:
      return 'string';
    case 0x74:
    case 0x66:
      return 'bool';
    case 0x6e:
      return 'null';
    default:
      return 'number';
  }
}

function skipSpace(body: Uint8Array, i: number): number {
  while (i < body.length && isSpace(body[i]!)) i++;
  return i;
}

/** Where each object and array of a body ends, by where it starts (0: not indexed yet). */
const containerEnds = new WeakMap<Uint8Array, Int32Array>();

/** The end of the valid value starting at `i`. */
function valueEnd(body: Uint8Array, i: number): number {
  const c = body[i]!;
  if (c === 0x7b || c === 0x5b) {
    const ends = containerEnds.get(body);
    return ends !== undefined && ends[i] !== 0 ? ends[i]! : indexContainers(body, i)[i]!;
  }
  if (c === 0x22) return stringEnd(body, i);
  // A number or literal: up to the next delimiter.
  while (i < body.length && !isSpace(body[i]!) && body[i] !== 0x2c && body[i] !== 0x7d && body[i] !== 0x5d && body[i] !== 0x3a) i++;
  return i;
}

function stringEnd(body: Uint8Array, i: number): number {
  i++;
  while (body[i] !== 0x22) i += body[i] === 0x5c ? 2 : 1;
  return i + 1;
}

/**
 * Notes the end of the object or array at `start` and of every one inside it,
 * in one pass without recursion (values nest 10,000 deep): walking a txn
 * nested a thousand levels then finds each level's end at once instead of
 * scanning what it holds again.
 */
function indexContainers(body: Uint8Array, start: number): Int32Array {
  let ends = containerEnds.get(body);
  if (ends === undefined) {
    ends = new Int32Array(body.length);
    containerEnds.set(body, ends);
  }
  const open: number[] = [];
  let i = start;
  do {
    const c = body[i]!;
    if (c === 0x22) {
      i = stringEnd(body, i);
      continue;
    }
    if (c === 0x7b || c === 0x5b) open.push(i);
    else if (c === 0x7d || c === 0x5d) ends[open.pop()!] = i + 1;
    i++;
  } while (open.length > 0);
  return ends;
}

/** An object's members as Go decodes it into map[string]json.RawMessage: keys unescaped, a repeated key's last value. */
export function objectMembers(body: Uint8Array, span: Span): Map<string, Span> {
  const members = new Map<string, Span>();
  let i = skipSpace(body, span.start + 1);
  while (body[i] !== 0x7d) {
    const keyEnd = valueEnd(body, i);
    const key = utf8Text(unquote(body.subarray(i, keyEnd)));
    const start = skipSpace(body, skipSpace(body, keyEnd) + 1);
    const end = valueEnd(body, start);
    members.set(key, { start, end });
    i = skipSpace(body, end);
    if (body[i] === 0x2c) i = skipSpace(body, i + 1);
  }
  return members;
}

/** An array's elements as Go decodes it into []json.RawMessage. */
export function arrayItems(body: Uint8Array, span: Span): Span[] {
  const items: Span[] = [];
  let i = skipSpace(body, span.start + 1);
  while (body[i] !== 0x5d) {
    const end = valueEnd(body, i);
    items.push({ start: i, end });
    i = skipSpace(body, end);
    if (body[i] === 0x2c) i = skipSpace(body, i + 1);
  }
  return items;
}

/** The bytes a (valid) JSON string literal stands for, as Go's unquoteBytes makes them: bad UTF-8 and lone surrogates become U+FFFD. */
export function unquote(literal: Uint8Array): Uint8Array {
  const out: number[] = [];
  const end = literal.length - 1;
  for (let i = 1; i < end; ) {
    const c = literal[i]!;
    if (c === 0x5c) {
      const e = literal[i + 1]!;
      if (e !== 0x75) {
        out.push(simpleEscapes.get(e) ?? e);
        i += 2;
        continue;
      }
      let rune = hex4(literal, i + 2);
      i += 6;
      if (rune >= 0xd800 && rune < 0xe000) {
        const low = literal[i] === 0x5c && literal[i + 1] === 0x75 ? hex4(literal, i + 2) : -1;
        if (rune < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
          rune = 0x10000 + ((rune - 0xd800) << 10) + (low - 0xdc00);
          i += 6;
        } else {
          rune = 0xfffd;
        }
      }
      pushUtf8(out, rune);
      continue;
    }
    if (c < 0x80) {
      out.push(c);
      i++;
      continue;
    }
    const [rune, size] = decodeRune(literal, i, end);
    pushUtf8(out, rune);
    i += size;
  }
  return Uint8Array.from(out);
}

/** \b \f \n \r \t by the letter after the backslash. */
const simpleEscapes = new Map([
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);

function hex4(bytes: Uint8Array, i: number): number {
  return Number.parseInt(String.fromCharCode(bytes[i]!, bytes[i + 1]!, bytes[i + 2]!, bytes[i + 3]!), 16);
}

function pushUtf8(out: number[], rune: number): void {
  if (rune < 0x80) out.push(rune);
  else if (rune < 0x800) out.push(0xc0 | (rune >> 6), 0x80 | (rune & 0x3f));
  else if (rune < 0x10000) out.push(0xe0 | (rune >> 12), 0x80 | ((rune >> 6) & 0x3f), 0x80 | (rune & 0x3f));
  else out.push(0xf0 | (rune >> 18), 0x80 | ((rune >> 12) & 0x3f), 0x80 | ((rune >> 6) & 0x3f), 0x80 | (rune & 0x3f));
}

/** Go's utf8.DecodeRune: the rune at `i` and its size; an invalid or short sequence is U+FFFD of size 1. */
function decodeRune(bytes: Uint8Array, i: number, end = bytes.length): [rune: number, size: number] {
  const c = bytes[i]!;
  if (c < 0x80) return [c, 1];
  const size = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (size === 0 || i + size > end) return [0xfffd, 1];
  let rune = c & (0x7f >> size);
  for (let k = 1; k < size; k++) {
    const b = bytes[i + k]!;
    if ((b & 0xc0) !== 0x80) return [0xfffd, 1];
    rune = (rune << 6) | (b & 0x3f);
  }
  const tooShort = (size === 3 && rune < 0x800) || (size === 4 && rune < 0x10000);
  if (tooShort || rune > 0x10ffff || (rune >= 0xd800 && rune < 0xe000)) return [0xfffd, 1];
  return [rune, size];
}

const utf8Decoder = new TextDecoder();

function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

// ---------------------------------------------------------------- Go's words

/** Go's UnmarshalTypeError text, for a value decoded straight into a Go type (no struct field around it). */
export function typeError(kind: Exclude<JsonKind, 'null'>, goType: string, numberText?: string): string {
  const value = numberText === undefined ? kind : `number ${numberText}`;
  return `json: cannot unmarshal ${value} into Go value of type ${goType}`;
}

/** encoding/json's quoteChar: a byte as the scanner's errors show it ('x', '\n', '\'', 'ÿ' for 0xff). */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  return `'${quoteRune(c, 0x27)}'`;
}

/** strconv.Quote of bytes (fmt's %q): printable runes as they are, the rest escaped, bad UTF-8 as \xNN. */
export function goQuote(bytes: Uint8Array): string {
  let out = '"';
  for (let i = 0; i < bytes.length; ) {
    const [rune, size] = decodeRune(bytes, i);
    out += rune === 0xfffd && size === 1 ? `\\x${hex(bytes[i]!, 2)}` : quoteRune(rune, 0x22);
    i += size;
  }
  return `${out}"`;
}

const shortEscapes: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, '0');
}

/** One rune as strconv quotes it inside `quote` marks. */
function quoteRune(rune: number, quote: number): string {
  if (rune === quote || rune === 0x5c) return `\\${String.fromCharCode(rune)}`;
  const text = String.fromCodePoint(rune);
  if (printable.test(text)) return text;
  const short = shortEscapes[rune];
  if (short !== undefined) return short;
  if (rune < 0x20 || rune === 0x7f) return `\\x${hex(rune, 2)}`;
  return rune < 0x10000 ? `\\u${hex(rune, 4)}` : `\\U${hex(rune, 8)}`;
}

const base64Values = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) base64Values[c.charCodeAt(0)] = i;

const isNewline = (c: number | undefined) => c === 0x0a || c === 0x0d;

/**
 * base64.StdEncoding.Decode, as encoding/json decodes a string into []byte:
 * padding required, newlines skipped, extra bits ignored; the error names
 * the offset Go names (`illegal base64 data at input byte 4`).
 */
export function base64Std(src: Uint8Array): { bytes: Uint8Array } | { error: string } {
  const out: number[] = [];
  const fail = (offset: number) => ({ error: `illegal base64 data at input byte ${offset}` });
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    let padded = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return { bytes: Uint8Array.from(out) };
        return fail(si - quantum.length);
      }
      const c = src[si++]!;
      const value = base64Values[c]!;
      if (value >= 0) {
        quantum.push(value);
        continue;
      }
      if (isNewline(c)) continue;
      if (c !== 0x3d || quantum.length < 2) return fail(si - 1);
      // Padding: "==" after two characters, "=" after three, then nothing but newlines.
      if (quantum.length === 2) {
        while (isNewline(src[si])) si++;
        if (si === src.length) return fail(src.length);
        if (src[si] !== 0x3d) return fail(si - 1);
        si++;
      }
      while (isNewline(src[si])) si++;
      if (si < src.length) return fail(si);
      padded = true;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (quantum.length > 2) out.push((bits >> 8) & 0xff);
    if (quantum.length > 3) out.push(bits & 0xff);
    if (padded) break;
  }
  return { bytes: Uint8Array.from(out) };
}

/** What Go's json.Marshal writes where JSON.stringify writes something else: HTML characters, line separators, \b and \f. */
const goEscapes: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
  '\\b': '\\u0008',
  '\\f': '\\u000c',
  '\\\\': '\\\\',
};
/** Outside strings JSON has none of these characters; inside, an escaped backslash is matched whole so the letter after it is left alone. */
const differentFromGo = /[<>&\u2028\u2029]|\\[bf\\]/g;

/**
 * json.Marshal's text for a JSON value (what etcd's gateway writes, through
 * jsonpb): JSON.stringify's, with `<`, `>`, `&`, U+2028 and U+2029 escaped
 * and \b, \f spelled \u0008, \u000c, as go 1.19 writes them.
 *
 *   goJson({ users: ['<u&>'] }) → '{"users":["\\u003cu\\u0026\\u003e"]}'
 */
export function goJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.replace(differentFromGo, (match) => goEscapes[match]!);
}

/** json.Marshal of a string: what Go writes for an error message (<, > and & as \u003c…, U+2028/9 escaped, \u00XX for other controls). */
export function goJsonString(text: string): string {
  return goJson(text);
}
