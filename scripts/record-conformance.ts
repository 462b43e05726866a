/**
 * Record conformance traces (format: ../shared/conformance/README.md) from a
 * real etcd 3.4 through its HTTP/JSON gateway.
 *
 *   node --import tsx scripts/record-conformance.ts <out-dir> [scenario-name ...]
 *
 * Every scenario gets a fresh etcd (new data directory, free loopback ports),
 * runs its steps, writes <out-dir>/<name>.json and stops etcd. Every wait is
 * bounded; every etcd started is killed at the end, also on failure.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEtcd } from '../test/server/etcd-process.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** A scenario step, as written below. */
type PlanStep =
  | { rpc: string; req: JsonObject; any?: string[] }
  | { sleep: number }
  /** Open a watch stream; waits for its `created` message, then `settleMs` for history to arrive. */
  | { watch: string; req: JsonObject; settleMs?: number }
  /** Close a watch stream after `waitMs` more, recording every message it delivered. */
  | { watchEnd: string; waitMs?: number };

interface Scenario {
  name: string;
  doc: string;
  steps: PlanStep[];
}

const RPC_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- helpers for writing scenarios

/** Base64 of a string's UTF-8 bytes, or of raw bytes. */
const b = (value: string | number[]): string => Buffer.from(typeof value === 'string' ? Buffer.from(value, 'utf8') : Uint8Array.from(value)).toString('base64');
const put = (key: string | number[], value: string, extra: JsonObject = {}): PlanStep => ({ rpc: 'kv/put', req: { key: b(key), value: b(value), ...extra } });
const range = (req: JsonObject): PlanStep => ({ rpc: 'kv/range', req });
const txn = (req: JsonObject): PlanStep => ({ rpc: 'kv/txn', req });

// ---------------------------------------------------------------- scenarios

const scenarios: Scenario[] = [
  {
    name: 'kv-edge-ranges',
    doc: 'from-key and all-keys ranges, a prefix of 0xff keys, range_end <= key, limit/count/more, sort NONE+CREATE with limit (sort applies after the limit), revision filters (count ignores them)',
    steps: [
      put('c', '1'),
      put('b', '2'),
      put('a', '3'),
      put('a', '4'),
      put([0x64, 0xff], '5'),
      put([0x64, 0xff, 0xff], '6'),
      put([0xff], '7'),
      put([0xff, 0xff], '8'),
      range({ key: b('b'), range_end: b([0]) }),
      range({ key: b([0]), range_end: b([0]), keys_only: true }),
      range({ key: b([0xff]), range_end: b([0]) }),
      range({ key: b([0x64, 0xff]), range_end: b('e'), keys_only: true }),
      range({ key: b('c'), range_end: b('b') }),
      range({ key: b('c'), range_end: b('c') }),
      range({ key: b('a'), range_end: b([0]), limit: '2' }),
      range({ key: b('a'), range_end: b([0]), limit: '2', count_only: true }),
      range({ key: b('a'), range_end: b('z'), limit: '2', sort_target: 'CREATE' }),
      range({ key: b('a'), range_end: b('z'), limit: '2', sort_order: 'ASCEND', sort_target: 'CREATE' }),
      range({ key: b('a'), range_end: b('z'), limit: '2', sort_order: 'DESCEND', sort_target: 'MOD', keys_only: true }),
      range({ key: b('a'), range_end: b('z'), sort_target: 'VERSION' }),
      range({ key: b('a'), range_end: b([0]), min_mod_revision: '4', keys_only: true }),
      range({ key: b('a'), range_end: b([0]), max_mod_revision: '3', keys_only: true }),
      range({ key: b('a'), range_end: b([0]), min_create_revision: '3', max_create_revision: '6', keys_only: true }),
      range({ key: b('a'), range_end: b([0]), min_mod_revision: '4', limit: '1', keys_only: true }),
      range({ key: b('a'), range_end: b([0]), max_create_revision: '4', count_only: true }),
      range({ key: b('a'), range_end: b([0]), revision: '4', keys_only: true }),
      range({ key: b('a'), range_end: b([0]), limit: '1', revision: '3' }),
    ],
  },
  {
    name: 'txn-compare-ranges',
    doc: 'compares over a range hold only if every key holds; an empty range compares VALUE as false and the others against zero; VALUE NOT_EQUAL on a missing key is false',
    steps: [
      put('k1', '1'),
      put('k2', '2'),
      put('k3', '1'),
      txn({
        compare: [{ key: b('k1'), range_end: b('k3'), target: 'VALUE', result: 'EQUAL', value: b('1') }],
        success: [{ request_put: { key: b('r1'), value: b('yes') } }],
        failure: [{ request_range: { key: b('k'), range_end: b('l') } }],
      }),
      txn({
        compare: [{ key: b('k1'), range_end: b('k4'), target: 'VERSION', result: 'EQUAL', version: '1' }],
        success: [{ request_range: { key: b('k1'), range_end: b('k4'), count_only: true } }],
      }),
      txn({
        compare: [{ key: b('k1'), range_end: b('k4'), target: 'VALUE', result: 'LESS', value: b('3') }],
        success: [{ request_put: { key: b('r2'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('k1'), range_end: b([0]), target: 'CREATE', result: 'GREATER', create_revision: '1' }],
        success: [{ request_put: { key: b('r3'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('x'), range_end: b('y'), target: 'VALUE', result: 'EQUAL', value: b('') }],
        success: [{ request_put: { key: b('r4'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('x'), range_end: b('y'), target: 'VERSION', result: 'EQUAL', version: '0' }],
        success: [{ request_put: { key: b('r5'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('x'), range_end: b('y'), target: 'MOD', result: 'LESS', mod_revision: '1' }],
        success: [{ request_put: { key: b('r6'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('missing'), target: 'VALUE', result: 'NOT_EQUAL', value: b('v') }],
        success: [{ request_put: { key: b('r7'), value: b('yes') } }],
        failure: [{ request_put: { key: b('r7'), value: b('no') } }],
      }),
      txn({
        compare: [{ key: b('missing'), target: 'CREATE', result: 'EQUAL', create_revision: '0' }],
        success: [{ request_put: { key: b('r8'), value: b('yes') } }],
      }),
      txn({
        compare: [{ key: b('k'), range_end: b('l'), target: 'LEASE', result: 'EQUAL', lease: '0' }],
        success: [{ request_delete_range: { key: b('r'), range_end: b('s'), prev_kv: true } }],
      }),
      txn({
        compare: [{ key: b('k2'), range_end: b('k2'), target: 'VALUE', result: 'EQUAL', value: b('nope') }],
        success: [{ request_put: { key: b('r9'), value: b('yes') } }],
      }),
      range({ key: b('a'), range_end: b([0]), keys_only: true }),
    ],
  },
  {
    name: 'lease-expired-keepalive',
    doc: 'a keepalive after the deadline and the sweep answers TTL 0 (header revision from before the call) and the lease and its key are gone; keepalive/timetolive/revoke of an unknown lease',
    steps: [
      { rpc: 'lease/grant', req: { ID: '100', TTL: '2' } },
      put('k', 'v', { lease: '100' }),
      { rpc: 'lease/keepalive', req: { ID: '7' } },
      { rpc: 'kv/lease/timetolive', req: { ID: '7' } },
      { rpc: 'kv/lease/revoke', req: { ID: '7' } },
      { sleep: 2700 },
      { rpc: 'lease/keepalive', req: { ID: '100' } },
      { rpc: 'kv/lease/timetolive', req: { ID: '100', keys: true } },
      range({ key: b('k') }),
      { rpc: 'lease/leases', req: {} },
    ],
  },
  {
    name: 'watch-progress-and-compaction',
    doc: 'a watch from a compacted revision is created then canceled with compact_revision; from the compaction revision it replays; progress_notify, fragment, future start_revision and from-key watches',
    steps: [
      put('a', '1'),
      put('a', '2'),
      put('b', '1'),
      { rpc: 'kv/compaction', req: { revision: '3' } },
      { watch: 'compacted', req: { create_request: { key: b('a'), start_revision: '2' } } },
      { watch: 'at-compact', req: { create_request: { key: b('a'), range_end: b([0]), start_revision: '3', prev_kv: true } } },
      { watch: 'progress', req: { create_request: { key: b('a'), progress_notify: true } } },
      { watch: 'future', req: { create_request: { key: b('a'), range_end: b('c'), start_revision: '6', fragment: true } } },
      put('a', '3'),
      put('b', '2', { prev_kv: true }),
      { rpc: 'kv/deleterange', req: { key: b('a'), range_end: b('c') } },
      { watchEnd: 'compacted', waitMs: 200 },
      { watchEnd: 'at-compact' },
      { watchEnd: 'progress' },
      { watchEnd: 'future' },
    ],
  },
  {
    name: 'kv-sort-ties',
    doc: 'sorted ranges with ties come out in Go sort.Sort (pdqsort) order, not key order; with a limit the ties decide which keys return (issue 11 class 4)',
    steps: [
      txn({ success: Array.from({ length: 20 }, (_, i) => ({ request_put: { key: b(`k${String(i).padStart(2, '0')}`), value: b(String(i % 3)) } })) }),
      put('k03', '1'),
      put('k11', '0'),
      range({ key: b('k'), range_end: b('l'), sort_order: 'ASCEND', sort_target: 'VERSION', keys_only: true }),
      range({ key: b('k'), range_end: b('l'), sort_order: 'DESCEND', sort_target: 'VERSION', keys_only: true, limit: '5' }),
      range({ key: b('k'), range_end: b('l'), sort_order: 'ASCEND', sort_target: 'CREATE', keys_only: true }),
      range({ key: b('k'), range_end: b('l'), sort_order: 'DESCEND', sort_target: 'CREATE', keys_only: true, limit: '7' }),
      range({ key: b('k'), range_end: b('l'), sort_order: 'ASCEND', sort_target: 'VALUE', keys_only: true }),
      range({ key: b('k'), range_end: b('l'), sort_order: 'DESCEND', sort_target: 'VALUE', limit: '4' }),
      range({ key: b('k'), range_end: b('l'), sort_target: 'MOD', keys_only: true }),
    ],
  },
  {
    name: 'kv-int64-extremes',
    doc: 'int64s beyond 2^53 are taken exactly: future revisions, no limit, revision filters, compaction and compares at the int64 extremes (issue 11 class 3)',
    steps: [
      put('a', '1'),
      put('b', '2'),
      range({ key: b('a'), revision: '9223372036854775807' }),
      range({ key: b('a'), revision: '9007199254740993' }),
      range({ key: b('a'), range_end: b('c'), limit: '9223372036854775807', keys_only: true }),
      range({ key: b('a'), range_end: b('c'), min_mod_revision: '9007199254740993', keys_only: true }),
      range({ key: b('a'), range_end: b('c'), max_mod_revision: '9223372036854775807', min_create_revision: '-9223372036854775808', keys_only: true }),
      { rpc: 'kv/compaction', req: { revision: '9223372036854775807' } },
      txn({
        compare: [
          { key: b('a'), target: 'MOD', result: 'LESS', mod_revision: '9223372036854775807' },
          { key: b('a'), target: 'VERSION', result: 'GREATER', version: '-9223372036854775808' },
          { key: b('a'), target: 'CREATE', result: 'NOT_EQUAL', create_revision: '9007199254740993' },
        ],
        success: [{ request_put: { key: b('r'), value: b('yes') } }],
      }),
    ],
  },
  {
    name: 'kv-unknown-enums',
    doc: 'enum numbers the proto does not name are ignored: sort_order sorts nothing, a compare target compares equal, a compare result holds (issue 11 class 8)',
    steps: [
      put('a', '1'),
      put('b', '2'),
      put('c', '3'),
      put('b', '4'),
      range({ key: b('a'), range_end: b('z'), sort_order: 7, keys_only: true, limit: '2' }),
      range({ key: b('a'), range_end: b('z'), sort_order: 7, sort_target: 'VERSION', keys_only: true }),
      txn({ compare: [{ key: b('a'), target: 9, result: 'EQUAL', version: '1' }], success: [{ request_put: { key: b('r1'), value: b('yes') } }] }),
      txn({ compare: [{ key: b('a'), target: 9, result: 'GREATER', version: '1' }], success: [{ request_put: { key: b('r2'), value: b('yes') } }] }),
      txn({ compare: [{ key: b('a'), target: 'VERSION', result: 9, version: '5' }], success: [{ request_put: { key: b('r3'), value: b('yes') } }] }),
      txn({ compare: [{ key: b('zz'), target: 'VALUE', result: 9, value: b('x') }], success: [{ request_put: { key: b('r4'), value: b('yes') } }] }),
      range({ key: b('r'), range_end: b('s'), keys_only: true }),
    ],
  },
  {
    name: 'watch-negative-start',
    doc: 'a negative start_revision: the watch is created, then the resync cancels it with compact_revision -1 (no compaction yet) or replays everything (-1), and after a compaction cancels with its revision (issue 11 class 2)',
    steps: [
      put('a', '1'),
      put('a', '2'),
      { watch: 'minus-one', req: { create_request: { key: b('a'), start_revision: '-1' } }, settleMs: 250 },
      { watch: 'minus-five', req: { create_request: { key: b('a'), start_revision: '-5' } }, settleMs: 250 },
      put('a', '3'),
      { rpc: 'kv/compaction', req: { revision: '2' } },
      { watch: 'after-compaction', req: { create_request: { key: b('a'), start_revision: '-1' } }, settleMs: 250 },
      { watchEnd: 'minus-one' },
      { watchEnd: 'minus-five' },
      { watchEnd: 'after-compaction' },
    ],
  },
];

// etcd itself: test/server/etcd-process.ts starts it (ETCD_BIN, free loopback ports, a temp data dir).

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- recording

/** Drop cluster_id, member_id and raft_term from every header, in place. */
function stripHeaders(json: Json): Json {
  if (Array.isArray(json)) json.forEach(stripHeaders);
  else if (typeof json === 'object' && json !== null) {
    for (const [key, value] of Object.entries(json)) {
      if (key === 'header' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        delete value.cluster_id;
        delete value.member_id;
        delete value.raft_term;
      }
      stripHeaders(value);
    }
  }
  return json;
}

type Outcome = { res: JsonObject } | { err: { code: number; message: string } };

/** A gateway error body: unary `{error, message, code}`, streaming `{error: {grpc_code, message}}`. */
function asError(body: JsonObject): { code: number; message: string } | undefined {
  const error = body.error;
  if (typeof error === 'object' && error !== null && !Array.isArray(error)) {
    return { code: Number(error.grpc_code ?? error.code), message: String(error.message) };
  }
  if (error !== undefined) return { code: Number(body.code), message: String(body.message ?? error) };
  return undefined;
}

/** One unary call; lease/keepalive is a stream: send one request, read one answer, close. */
async function call(url: string, rpc: string, req: JsonObject): Promise<Outcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), RPC_TIMEOUT_MS);
  try {
    const res = await fetch(`${url}/v3/${rpc}`, { method: 'POST', body: JSON.stringify(req), signal: controller.signal });
    let body: JsonObject;
    if (rpc === 'lease/keepalive') {
      const line = await firstLine(res);
      body = JSON.parse(line) as JsonObject;
      const error = asError(body);
      if (error !== undefined) return { err: error };
      body = body.result as JsonObject;
    } else {
      body = (await res.json()) as JsonObject;
      const error = asError(body);
      if (error !== undefined) return { err: error };
    }
    return { res: stripHeaders(body) as JsonObject };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function firstLine(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) text += decoder.decode(value, { stream: true });
    const newline = text.indexOf('\n');
    if (newline >= 0) return text.slice(0, newline);
    if (done) return text;
  }
}

interface OpenWatch {
  messages: JsonObject[];
  controller: AbortController;
  reading: Promise<void>;
}

function openWatch(url: string, req: JsonObject): OpenWatch {
  const controller = new AbortController();
  const messages: JsonObject[] = [];
  const reading = (async () => {
    const res = await fetch(`${url}/v3/watch`, { method: 'POST', body: JSON.stringify(req), signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (value !== undefined) text += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = text.indexOf('\n')) >= 0) {
        const line = text.slice(0, newline).trim();
        text = text.slice(newline + 1);
        if (line === '') continue;
        const body = JSON.parse(line) as JsonObject;
        if (asError(body) !== undefined) throw new Error(`watch stream error: ${line}`);
        messages.push(stripHeaders(body.result as JsonObject) as JsonObject);
      }
      if (done) return;
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return { messages, controller, reading };
}

async function waitFor(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await sleep(10);
}

async function record(scenario: Scenario): Promise<JsonObject> {
  const etcd = await startEtcd();
  const watches = new Map<string, OpenWatch>();
  const steps: JsonObject[] = [];
  const start = performance.now();
  const now = () => Math.round(performance.now() - start);
  try {
    for (const step of scenario.steps) {
      if ('rpc' in step) {
        const t_ms = now();
        const outcome = await call(etcd.url, step.rpc, step.req);
        steps.push({ rpc: step.rpc, t_ms, req: step.req, ...outcome, ...(step.any ? { any: step.any } : {}) });
      } else if ('sleep' in step) {
        await sleep(step.sleep);
        steps.push({ sleep: step.sleep, t_ms: now() });
      } else if ('watch' in step) {
        const t_ms = now();
        const watch = openWatch(etcd.url, step.req);
        watches.set(step.watch, watch);
        await waitFor(() => watch.messages.length > 0, 5000);
        if (watch.messages.length === 0) throw new Error(`watch ${step.watch} was not created`);
        await sleep(step.settleMs ?? 100);
        steps.push({ watch: step.watch, t_ms, req: step.req });
      } else {
        const watch = watches.get(step.watchEnd);
        if (watch === undefined) throw new Error(`watch ${step.watchEnd} is not open`);
        await sleep(step.waitMs ?? 0);
        const t_ms = now();
        const messages = [...watch.messages];
        watch.controller.abort();
        await Promise.race([watch.reading, sleep(1000)]);
        watches.delete(step.watchEnd);
        steps.push({ watchEnd: step.watchEnd, t_ms, messages });
      }
    }
  } finally {
    for (const watch of watches.values()) watch.controller.abort();
    await etcd.stop();
  }
  return { name: scenario.name, doc: scenario.doc, etcd: '3.4.23', wall_ms: now(), steps: steps as Json[] };
}

async function main(): Promise<void> {
  const [outDir, ...only] = process.argv.slice(2);
  if (outDir === undefined) {
    console.error('usage: node --import tsx scripts/record-conformance.ts <out-dir> [scenario ...]');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  const chosen = only.length > 0 ? scenarios.filter((s) => only.includes(s.name)) : scenarios;
  for (const scenario of chosen) {
    const trace = await record(scenario);
    writeFileSync(join(outDir, `${scenario.name}.json`), `${JSON.stringify(trace, null, 1)}\n`);
    console.log(`${scenario.name}: ${(trace.steps as Json[]).length} steps, ${trace.wall_ms as number} ms`);
  }
}

await main();
