// parseGoDurationNs against Go itself: the texts below (etcd's duration flags' edge cases) and
// random ones built from duration-like pieces go to a Go program (test/server/go-duration/main.go,
// run by the Go installed here) and to parseGoDurationNs; the nanoseconds or the error text must match.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGoDurationNs } from '../../src/server/go-duration.ts';

const goMissing = spawnSync('go', ['version']).status !== 0 ? 'go not installed: apt-get install golang-go' : undefined;
const program = fileURLToPath(new URL('./go-duration/main.go', import.meta.url));

const edgeCases = [
  ...['0', '+0', '-0', '0s', '1m30s', '1.5h', '.5s', '1.s', '250us', '250µs', '250μs', '3ns', '1h1h', '-1m', '+2s'],
  ...['2562047h', '2562048h', '9223372036854775807ns', '9223372036854775808ns', '-9223372036854775808ns', '-9223372036854775809ns'],
  ...['1.0000000000000000000001s', '0.333333333333333333333h', '99999999999999999999s', '1.99999999999999999999999ns'],
  ...['', '-', '+', '.', '5', '00', '-1', '1e3s', '1h-2m', ' 1s', '1s ', '1.5.5s', '1d', '5x', 'µ', '1µ', '1"s', '1\\s', '1\u00e9s', '.s', '-.s'],
];

const piece = fc.oneof(
  fc.constantFrom('0', '1', '12', '.', '.5', '1.', '00', '9223372036854775808', '-', '+', ' '),
  fc.constantFrom('ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h', 'd', 'x', 'µ', 'é', ''),
);
const randomTexts = fc.sample(
  fc.array(piece, { maxLength: 6 }).map((parts) => parts.join('')),
  { seed: 14, numRuns: 600 },
);

/** What parseGoDurationNs says of a text, as the Go program prints it. */
function ours(text: string): string {
  try {
    return JSON.stringify({ ns: String(parseGoDurationNs(text)) });
  } catch (error) {
    return JSON.stringify({ error: (error as Error).message });
  }
}

describe.skipIf(goMissing !== undefined)(
  `parseGoDurationNs against go's time.ParseDuration${goMissing === undefined ? '' : ` (skipped: ${goMissing})`}`,
  () => {
    it('gives the same nanoseconds or the same error for every text', () => {
      const texts = [...edgeCases, ...randomTexts];
      const go = spawnSync('go', ['run', program], {
        input: JSON.stringify(texts),
        encoding: 'utf8',
        env: Object.assign({}, process.env, { GO111MODULE: 'off' }),
        timeout: 120_000,
      });
      expect(go.stderr).toBe('');
      const goLines = go.stdout.trimEnd().split('\n');
      expect(goLines).toHaveLength(texts.length);
      const differences = texts.map((text, i) => ({ text, go: goLines[i], ours: ours(text) })).filter((row) => row.go !== row.ours);
      expect(differences).toEqual([]);
    }, 180_000);
  },
);
