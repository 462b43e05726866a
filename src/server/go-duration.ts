/**
 * Go's time.ParseDuration (go1.19, what etcd 3.4.23 is built with), for the
 * etcd flags that take a duration ("10m", "1m30s", "500ms", "1.5h", "0"):
 * the same texts accepted, the same nanoseconds, and Go's own error texts,
 * which etcd passes on ("error parsing CompactionRetention: time: unknown unit
 * \"x\" in duration \"5x\"").
 *
 *   parseGoDurationMs('1m30s') → 90000     parseGoDurationMs('250us') → 0.25
 *   parseGoDurationMs('5')     → throws GoDurationError 'time: missing unit in duration "5"'
 *
 * Go reads the text as bytes; so does this (a unit is every byte up to the
 * next digit or '.'), so multi-byte units and odd input fail as in Go.
 */

/** A text time.ParseDuration refuses; the message is Go's. */
export class GoDurationError extends Error {
  override name = 'GoDurationError';
}

const nanosecondsPerUnit: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['µs', 1_000n], // U+00B5 micro sign
  ['μs', 1_000n], // U+03BC Greek mu
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

const int64Limit = 1n << 63n;
const zero = 0x30;
const nine = 0x39;
const point = 0x2e;
const isDigit = (byte: number) => byte >= zero && byte <= nine;

/** Go's time-package quote (time.quote): printable ASCII as is (with `"` and `\` escaped), every other byte as \xNN — unlike strconv.Quote (go-json.ts goQuote), which keeps printable UTF-8. */
function timeQuote(bytes: Uint8Array): string {
  let quoted = '"';
  for (const byte of bytes) {
    if (byte >= 0x80 || byte < 0x20) quoted += `\\x${byte.toString(16).padStart(2, '0')}`;
    else quoted += (byte === 0x22 || byte === 0x5c ? '\\' : '') + String.fromCharCode(byte);
  }
  return `${quoted}"`;
}

/** Go's time.ParseDuration, in nanoseconds. @throws GoDurationError with Go's message */
export function parseGoDurationNs(text: string): bigint {
  const bytes = new TextEncoder().encode(text);
  const invalid = () => new GoDurationError(`time: invalid duration ${timeQuote(bytes)}`);
  let at = 0;
  let negative = false;
  if (bytes.length > 0 && (bytes[0] === 0x2d || bytes[0] === 0x2b)) {
    negative = bytes[0] === 0x2d;
    at = 1;
  }
  if (bytes.length - at === 1 && bytes[at] === zero) return 0n;
  if (at === bytes.length) throw invalid();
  let total = 0n;
  while (at < bytes.length) {
    if (!(bytes[at] === point || isDigit(bytes[at]!))) throw invalid();
    // The whole part: leadingInt, which fails past 2^63.
    const wholeStart = at;
    let whole = 0n;
    for (; at < bytes.length && isDigit(bytes[at]!); at++) {
      if (whole > int64Limit / 10n) throw invalid();
      whole = whole * 10n + BigInt(bytes[at]! - zero);
      if (whole > int64Limit) throw invalid();
    }
    let digitsSeen = at !== wholeStart;
    // The fraction: leadingFraction, which stops gaining precision instead of failing.
    let fraction = 0n;
    let scale = 1;
    if (at < bytes.length && bytes[at] === point) {
      at++;
      const fractionStart = at;
      let overflow = false;
      for (; at < bytes.length && isDigit(bytes[at]!); at++) {
        if (overflow) continue;
        if (fraction > (int64Limit - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const next = fraction * 10n + BigInt(bytes[at]! - zero);
        if (next > int64Limit) {
          overflow = true;
          continue;
        }
        fraction = next;
        scale *= 10;
      }
      digitsSeen ||= at !== fractionStart;
    }
    if (!digitsSeen) throw invalid();
    const unitStart = at;
    while (at < bytes.length && bytes[at] !== point && !isDigit(bytes[at]!)) at++;
    if (at === unitStart) throw new GoDurationError(`time: missing unit in duration ${timeQuote(bytes)}`);
    const unitBytes = bytes.subarray(unitStart, at);
    // Bytes that are not UTF-8 decode to U+FFFD, which names no unit.
    const unit = nanosecondsPerUnit.get(new TextDecoder().decode(unitBytes));
    if (unit === undefined) throw new GoDurationError(`time: unknown unit ${timeQuote(unitBytes)} in duration ${timeQuote(bytes)}`);
    if (whole > int64Limit / unit) throw invalid();
    let value = whole * unit;
    // Go adds the fraction through a float64, so it is as (in)exact as Go's.
    if (fraction > 0n) {
      value += BigInt(Math.trunc(Number(fraction) * (Number(unit) / scale)));
      if (value > int64Limit) throw invalid();
    }
    total += value;
    if (total > int64Limit) throw invalid();
  }
  if (negative) return -total;
  if (total > int64Limit - 1n) throw invalid();
  return total;
}

/** Go's time.ParseDuration, in milliseconds (a double: below a millisecond as a fraction). */
export function parseGoDurationMs(text: string): number {
  return Number(parseGoDurationNs(text)) / 1e6;
}
