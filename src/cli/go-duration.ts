/**
 * Go's time.ParseDuration, in milliseconds, for flags that take etcd's
 * spelling ("10m", "1m30s", "500ms", "1.5h", "0"):
 *
 *   parseGoDurationMs('1m30s') → 90000     parseGoDurationMs('250us') → 0.25
 *   parseGoDurationMs('5')     → throws (a number needs a unit unless it is 0)
 */
const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest Go Duration, (2^63 - 1) ns, in ms (as a double: a few ns past it are not told apart). */
const durationMsMax = (2 ** 63 - 1) / 1e6;

export function parseGoDurationMs(text: string): number {
  const invalid = () => new Error(`invalid duration ${JSON.stringify(text)}: use Go's syntax, e.g. 10m, 5s, 1m30s, 500ms`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw invalid();
  let totalMs = 0;
  while (rest !== '') {
    const match = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (match === null) throw invalid();
    totalMs += Number(match[1]) * unitMs[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  // A Go Duration is an int64 of ns: past about 2,562,047 h, ParseDuration says "invalid duration".
  if (totalMs > durationMsMax) throw invalid();
  return sign * totalMs;
}
