// src/server/go-json.ts and go-jsonpb.ts against Go itself: random bodies built from JSON-ish pieces go
// to a Go program (test/server/go-json/main.go, run by the Go installed here) and to leaselab's
// readers; json.Decoder's first value or error, json.Unmarshal into int64 (a quoted int64 as jsonpb
// hands it over) and into []byte (a bytes field), fmt's %q and json.Marshal of a string must match.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstValue, goJsonString, goQuote } from '../../src/server/go-json.ts';
import { readRequestBody } from '../../src/server/go-jsonpb.ts';

const goMissing = spawnSync('go', ['version']).status !== 0 ? 'go not installed: apt-get install golang-go' : undefined;
const program = fileURLToPath(new URL('./go-json/main.go', import.meta.url));

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const sample = <T>(arbitrary: fc.Arbitrary<T>, seed: number, numRuns: number) => fc.sample(arbitrary, { seed, numRuns });
const joined = (pieces: string[], maxLength: number) => fc.array(fc.constantFrom(...pieces), { maxLength }).map((parts) => parts.join(''));

const jsonPieces = ['{', '}', '[', ']', ':', ',', '"', '\\', 'u', '0', '1', '9', '-', '+', '.', 'e', 'E', ' ', '\n', '\t', '\x01'];
const morePieces = ['t', 'r', 'n', 'l', 'f', 'a', 's', 'x', '"key"', 'null', 'true', '12', '\xff', '\xc3\xa9', '/', '"YQ=="', '\\ud800', '<'];
/** The inside of a JSON string literal (escapes complete), as jsonpb hands a quoted int64 to json.Unmarshal. */
const quotedIntPieces = ['1', '0', '-', '9', '.', 'e', ' ', '\\"', 'null', 'x', '{', '}', '[', ']', '\\\\', '+', '9223372036854775807', 'true', ',', '\\u0031'];
const base64Pieces = ['A', 'Y', 'Q', 'W', 'J', 'j', '=', '==', '\\n', '\\r', '!', ' ', '+', '/', '-', '_', '\\u0041', 'YQ==', 'YWJj', '\\u00e9'];

interface Case {
  mode: 'decoder' | 'int64' | 'bytes' | 'quote' | 'marshal';
  /** The bytes Go gets. */
  input: Buffer;
  /** leaselab's answer, in the program's words. */
  ours: string;
}

const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

function decoderCase(input: Buffer): Case {
  const first = firstValue(input);
  const ours =
    first.kind === 'eof' ? 'eof' : first.kind === 'error' ? `error ${hex(first.message)}` : `value ${input.subarray(first.start, first.end).toString('hex')}`;
  return { mode: 'decoder', input, ours };
}

function fieldCase(mode: 'int64' | 'bytes', goInput: string, body: string, field: 'limit' | 'key', zero: string): Case {
  const read = readRequestBody('RangeRequest', latin1(body));
  const ours = read.ok ? `ok ${hex(String(read.json[field] ?? zero))}` : `error ${hex(read.message)}`;
  return { mode, input: latin1(goInput), ours };
}

function cases(): Case[] {
  const all: Case[] = [];
  for (const text of sample(joined([...jsonPieces, ...morePieces], 12), 3, 3000)) all.push(decoderCase(latin1(text)));
  for (const text of sample(joined(jsonPieces, 30), 4, 1000)) all.push(decoderCase(latin1(text)));
  for (const inner of sample(joined(quotedIntPieces, 6), 5, 1500)) all.push(fieldCase('int64', inner, `{"limit":"${inner}"}`, 'limit', '0'));
  for (const inner of sample(joined(base64Pieces, 10), 6, 1500)) all.push(fieldCase('bytes', `"${inner}"`, `{"key":"${inner}"}`, 'key', ''));
  const byteArrays = fc.array(fc.constantFrom('97', '0', '255', '256', '-1', '1.5', '1e2', 'null', '"a"', '[]', '{}', 'true'), { maxLength: 4 });
  for (const items of sample(byteArrays, 7, 300)) all.push(fieldCase('bytes', `[${items.join(',')}]`, `{"key":[${items.join(',')}]}`, 'key', ''));
  for (let c = 0; c < 256; c++) all.push({ mode: 'quote', input: Buffer.from([c]), ours: hex(goQuote(Buffer.from([c]))) });
  for (const text of sample(joined(morePieces, 6), 8, 500)) all.push({ mode: 'quote', input: latin1(text), ours: hex(goQuote(latin1(text))) });
  for (const text of sample(fc.string({ unit: 'binary', maxLength: 6 }), 9, 1000)) {
    // Well-formed text only: an error message never holds a lone surrogate.
    if (!/[\ud800-\udfff]/u.test(text)) all.push({ mode: 'marshal', input: Buffer.from(text, 'utf8'), ours: hex(goJsonString(text)) });
  }
  return all;
}

describe.skipIf(goMissing !== undefined)(`go-json against go's encoding/json${goMissing === undefined ? '' : ` (skipped: ${goMissing})`}`, () => {
  it('reads every random body, int64 and []byte as Go does, and quotes as Go does', () => {
    const all = cases();
    const go = spawnSync('go', ['run', program], {
      input: `${all.map((c) => `${c.mode} ${c.input.toString('hex')}`).join('\n')}\n`,
      encoding: 'utf8',
      env: Object.assign({}, process.env, { GO111MODULE: 'off' }),
      timeout: 120_000,
      maxBuffer: 1 << 26,
    });
    expect(go.stderr).toBe('');
    const goLines = go.stdout.trimEnd().split('\n');
    expect(goLines).toHaveLength(all.length);
    const differences = all
      .map((c, i) => ({ mode: c.mode, input: c.input.toString('latin1'), go: goLines[i], ours: c.ours }))
      .filter((row) => row.go !== row.ours);
    expect(differences).toEqual([]);
  }, 180_000);
});
