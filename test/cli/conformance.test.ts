// Replays every trace recorded from a real etcd 3.4 (../shared/conformance/etcd-3.4, or its vendored copy,
// plus test/fixtures/conformance-extra, recorded with scripts/record-conformance.ts) against the store:
// every step must answer exactly as etcd did.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { formatFailure, run } from '../../src/cli/commands/conformance.ts';
import { diffJson, replayTrace, type TraceResult } from '../../src/cli/conformance/replay.ts';
import { checkTrace, parseTrace, type Trace } from '../../src/cli/conformance/trace.ts';
import { conformanceDir } from '../fixtures/shared-data.ts';

/**
 * Traces the store does not pass yet. This list may only shrink: a listed
 * trace that passes completely fails the test until it is removed here.
 */
const expectedToFail: string[] = [];

/** Traces recorded here with scripts/record-conformance.ts, on behaviours the shared set does not cover. */
const extraDir = fileURLToPath(new URL('../fixtures/conformance-extra', import.meta.url));

const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ dir, file, name: file.replace(/\.json$/, '') }));
const sharedTraces = jsonFiles(conformanceDir);
const extraTraces = jsonFiles(extraDir);
const traceFiles = [...sharedTraces, ...extraTraces];

const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

function load(dir: string, file: string): Trace {
  const parsed = parseTrace(readFileSync(join(dir, file), 'utf8'), join(dir, file));
  if (!parsed.ok) throw new Error(`${file} is malformed: ${JSON.stringify(parsed.problems)}`);
  return parsed.trace;
}

function failures(result: TraceResult): string {
  return result.steps
    .filter((step) => !step.ok)
    .map((step) => stripAnsi(formatFailure(result.name, step)))
    .join('\n');
}

describe('conformance with etcd 3.4.23', () => {
  it('finds the recorded traces', () => {
    expect(sharedTraces.length).toBeGreaterThanOrEqual(15);
    expect(extraTraces.length).toBeGreaterThanOrEqual(4);
    const names = traceFiles.map((trace) => trace.name);
    expect(new Set(names).size, "an extra trace must not reuse a shared trace's name").toBe(names.length);
    for (const name of expectedToFail) expect(names, `expectedToFail lists ${name}, which is no trace`).toContain(name);
  });

  for (const { dir, file, name } of traceFiles) {
    it(`${name}${expectedToFail.includes(name) ? ' (expected to fail)' : ''}`, () => {
      const result = replayTrace(load(dir, file));
      expect(result.steps.length).toBeGreaterThan(0);
      if (expectedToFail.includes(name)) {
        expect(result.failed, `${name} passes every step now: remove it from expectedToFail in test/cli/conformance.test.ts`).toBeGreaterThan(0);
      } else {
        expect(failures(result), `${name}: ${result.failed} of ${result.steps.length} steps differ from etcd`).toBe('');
      }
    });
  }
});

describe('conformance replayer', () => {
  const trace = (steps: unknown[]): Trace => {
    const parsed = checkTrace({ name: 'made-up', steps }, 'made-up.json');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    return parsed.trace;
  };

  it('accepts any non-zero server-chosen lease ID and uses it in later requests, responses and watch messages', () => {
    const recorded = '7587862372958911234';
    const result = replayTrace(
      trace([
        { rpc: 'lease/grant', t_ms: 0, req: { TTL: '60' }, res: { header: { revision: '1' }, ID: recorded, TTL: '60' }, any: ['res.ID'] },
        { watch: 'w', t_ms: 1, req: { create_request: { key: 'aw==' } } },
        { rpc: 'kv/put', t_ms: 2, req: { key: 'aw==', value: 'dg==', lease: recorded }, res: { header: { revision: '2' } } },
        {
          rpc: 'kv/range',
          t_ms: 3,
          req: { key: 'aw==' },
          res: {
            header: { revision: '2' },
            kvs: [{ key: 'aw==', create_revision: '2', mod_revision: '2', version: '1', value: 'dg==', lease: recorded }],
            count: '1',
          },
        },
        {
          watchEnd: 'w',
          t_ms: 400,
          messages: [
            { header: { revision: '1' }, created: true },
            {
              header: { revision: '2' },
              events: [{ kv: { key: 'aw==', create_revision: '2', mod_revision: '2', version: '1', value: 'dg==', lease: recorded } }],
            },
          ],
        },
        {
          rpc: 'kv/lease/timetolive',
          t_ms: 1000,
          req: { ID: recorded, keys: true },
          res: { header: { revision: '2' }, ID: recorded, TTL: '59', grantedTTL: '60', keys: ['aw=='] },
        },
      ]),
    );
    expect(failures(result)).toBe('');
    expect(result.passed).toBe(6);
  });

  it('reports only the paths that differ, with what was wanted and what came back', () => {
    const result = replayTrace(
      trace([
        { rpc: 'kv/put', t_ms: 0, req: { key: 'YQ==', value: 'MQ==' }, res: { header: { revision: '3' } } },
        { rpc: 'kv/range', t_ms: 1, req: { key: 'YQ==' }, err: { code: 5, message: 'etcdserver: requested lease not found' } },
      ]),
    );
    expect(result.failed).toBe(2);
    expect(result.steps[0]!.differences).toEqual([{ path: 'res.header.revision', wanted: '3', got: '2' }]);
    expect(result.steps[1]!.differences.map((difference) => difference.path)).toEqual(['err', 'res']);
    expect(stripAnsi(formatFailure('made-up', result.steps[0]!))).toBe(
      ['✗ made-up steps[0] kv/put at 0 ms', '    res.header.revision  wanted "3"  got "2"'].join('\n'),
    );
  });

  it('diffs arrays element by element and treats absent as absent', () => {
    expect(diffJson({ a: [1, 2], b: 'x' }, { a: [1], c: 'y' })).toEqual([
      { path: 'a[1]', wanted: 2, got: undefined },
      { path: 'b', wanted: 'x', got: undefined },
      { path: 'c', wanted: undefined, got: 'y' },
    ]);
  });
});

describe('leaselab conformance', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function runIn(files: Record<string, unknown>): Promise<{ code: number; text: string }> {
    dir = mkdtempSync(join(tmpdir(), 'leaselab-conformance-'));
    for (const [name, content] of Object.entries(files)) {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
    }
    let text = '';
    const code = await run([dir], { write: (chunk) => void (text += chunk) });
    return { code, text: stripAnsi(text) };
  }

  const good = {
    name: 'good',
    steps: [
      { rpc: 'kv/put', t_ms: 0, req: { key: 'YQ==', value: 'MQ==' }, res: { header: { revision: '2' } } },
      { sleep: 100, t_ms: 100 },
      {
        rpc: 'kv/range',
        t_ms: 100,
        req: { key: 'YQ==' },
        res: { header: { revision: '2' }, kvs: [{ key: 'YQ==', create_revision: '2', mod_revision: '2', version: '1', value: 'MQ==' }], count: '1' },
      },
    ],
  };

  it('reports a malformed trace with its name and step, still runs the others, and exits 1', async () => {
    const broken = {
      name: 'broken',
      steps: [
        { rpc: 'kv/put', t_ms: 0, req: { key: 'YQ==' }, res: { header: { revision: '2' } } },
        { rpc: 'kv/frobnicate', t_ms: 1, req: {}, res: {} },
        { rpc: 'kv/put', t_ms: 2, req: { key: 'not base64!' }, res: {} },
      ],
    };
    const { code, text } = await runIn({ 'a-broken.json': broken, 'b-good.json': good, 'c-not-json.json': '{ "name": ' });
    expect(code).toBe(1);
    expect(text).toContain('✗ broken (');
    expect(text).toMatch(/steps\[1\]: unknown rpc "kv\/frobnicate"/);
    expect(text).toMatch(/steps\[2\]: req is not a valid PutRequest: invalid request: key: expected base64 bytes/);
    expect(text).toMatch(/c-not-json \(.*\): malformed trace, not run\n\s+not valid JSON/);
    expect(text).toContain('✓ good: 3 passed');
    expect(text.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed');
  });

  it('prints each failing step and exits 1 when a step differs, 0 when all pass', async () => {
    const wrong = structuredClone(good);
    wrong.name = 'wrong';
    wrong.steps[0]!.res = { header: { revision: '7' } };
    const failing = await runIn({ 'good.json': good, 'wrong.json': wrong });
    expect(failing.code).toBe(1);
    expect(failing.text).toContain('✗ wrong steps[0] kv/put at 0 ms');
    expect(failing.text).toMatch(/res\.header\.revision\s+wanted "7"\s+got "2"/);
    expect(failing.text).toContain('✗ wrong: 2 passed, 1 failed');
    expect(failing.text.trimEnd().split('\n').at(-1)).toBe('5 passed, 1 failed');
    rmSync(dir!, { recursive: true });

    const passing = await runIn({ 'good.json': good });
    expect(passing.code).toBe(0);
    expect(passing.text.trimEnd().split('\n').at(-1)).toBe('3 passed, 0 failed');
  });
});
