// parseGoDurationMs reads etcd's duration flags as Go's time.ParseDuration does. The expected values are
// what go1.19's time.ParseDuration (installed here) returns for each text, converted from ns to ms.
import { describe, expect, it } from 'vitest';
import { parseGoDurationMs } from '../../src/cli/go-duration.ts';

describe('parseGoDurationMs', () => {
  it.each([
    ['0', 0], // a bare 0 needs no unit
    ['+0', 0],
    ['-0', 0],
    ['0s', 0],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['.5s', 500], // no digits before the point
    ['1.s', 1000], // no digits after it
    ['250us', 0.25],
    ['250µs', 0.25], // U+00B5 micro sign
    ['250μs', 0.25], // U+03BC Greek mu
    ['3ns', 0.000003],
    ['1h1h', 7_200_000], // units may repeat
    ['-1m', -60_000],
    ['+2s', 2000],
    ['2562047h', 9_223_369_200_000], // the most whole hours an int64 of ns holds
  ])('%s is %d ms, as time.ParseDuration says', (text, ms) => {
    expect(parseGoDurationMs(text)).toBeCloseTo(ms, 9);
  });

  // Each is an error from time.ParseDuration ("invalid duration", "missing unit", "unknown unit").
  it.each([
    '',
    '-',
    '.',
    '5', // a number other than 0 needs a unit
    '00',
    '1e3s',
    '1h-2m', // a sign only in front
    ' 1s',
    '1s ',
    '1.5.5s',
    '1d', // no day unit
    '2562048h', // past an int64 of ns
    '9223372036855ms',
  ])('%j is refused, naming the text', (text) => {
    expect(() => parseGoDurationMs(text)).toThrow(`invalid duration ${JSON.stringify(text)}: use Go's syntax`);
  });
});
