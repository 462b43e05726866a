/**
 * Replay one conformance trace against a fresh store on a virtual clock and
 * compare every answer with the recording. Pure apart from the store it
 * opens: nothing is printed, the result says per step what was wanted and
 * what came back.
 *
 *   step { rpc: 'kv/put', t_ms: 15, req: { key: 'YQ==' }, res: { header: { revision: '2' } } }
 *   → clock.advanceTo(15) (the store's 500 ms sweeps and 100 ms resyncs fire on the way)
 *   → store.put(decode('PutRequest', req)) → encode('PutResponse', …)
 *   → compare with res, defaults dropped on both sides: { ok: true, differences: [] }
 *
 * Rules (conformance/README.md): `cluster_id`, `member_id`, `raft_term` are
 * not compared; `keys` of a TimeToLive answer are a set; `"any": ["res.ID"]`
 * accepts any non-zero value there and maps the recorded lease ID to the
 * store's in every later request, response and watch message; a `watch`
 * step opens one stream per watch name and `watchEnd` compares everything
 * the stream delivered, in order, then closes it.
 *
 * A watch step settles: the recorder waited for the watch's created message
 * and its history before the next step (etcd 3.4 sends the history of a
 * watch from a past revision on its 100 ms resync, not at creation), and
 * the traces' `t_ms` do not always leave a resync tick between the watch
 * and the next write, so the replay runs one resync right after the create.
 */
import { EtcdStore } from '../../store/etcd-store.ts';
import type { EtcdApi } from '../../store/etcd-api.ts';
import { isEtcdError } from '../../store/errors.ts';
import type { LeaseId } from '../../store/messages.ts';
import { runStoreLoops } from '../../store/store-loops.ts';
import { VirtualClock } from '../../store/virtual-clock.ts';
import { decode, encode, gatewayRpcs, type Json, type JsonObject, mapLeaseIds } from '../../server/json-codec.ts';
import type { MessageName, Messages } from '../../store/message-schemas.ts';
import type { RpcStep, Trace, TraceStep, WatchEndStep, WatchStep } from './trace.ts';

/** A store to replay against, with whatever drives it in the background. */
export interface StoreUnderTest {
  api: EtcdApi;
  /** Stop the store's loops; called once after the last step. */
  stop(): void;
  /** One pass of the watch resync loop (etcd's syncWatchers), run after each watch step. */
  settleWatches?(): void;
}

export interface ReplayOptions {
  /** @defaultValue a new EtcdStore on `clock` with runStoreLoops (500 ms sweeps, 100 ms watch resync) */
  openStore?: (clock: VirtualClock) => StoreUnderTest;
}

/** One path where the recording and the store disagree; undefined = absent (the default). */
export interface Difference {
  path: string;
  wanted: Json | undefined;
  got: Json | undefined;
}

export interface StepResult {
  index: number;
  tMs: number;
  /** `kv/put`, `sleep`, `watch w`, `watchEnd w`. */
  label: string;
  ok: boolean;
  /** What the recording says, canonical proto3 JSON: `{ res }`, `{ err }` or `{ messages }`. */
  wanted?: Json;
  /** What came back, in the same shape (or `{ threw }` for an exception that is not an etcd error). */
  got?: Json;
  differences: Difference[];
  /** Why it failed when there is no diff to show. */
  note?: string;
}

export interface TraceResult {
  name: string;
  source: string;
  steps: StepResult[];
  passed: number;
  failed: number;
}

function defaultStore(clock: VirtualClock): StoreUnderTest {
  const store = new EtcdStore({ clock });
  return { api: store, stop: runStoreLoops(store, clock), settleWatches: () => store.syncWatchers() };
}

/** Replay `trace` against a fresh store; never throws for a misbehaving store. */
export function replayTrace(trace: Trace, options: ReplayOptions = {}): TraceResult {
  const clock = new VirtualClock(0);
  const results: StepResult[] = [];
  let store: StoreUnderTest | undefined;
  try {
    store = (options.openStore ?? defaultStore)(clock);
  } catch (error) {
    for (const step of trace.steps) {
      results.push({ ...stepHeading(step), ok: false, differences: [], note: `the store could not be created: ${describeError(error)}` });
    }
    return summarize(trace, results);
  }

  const replay = new Replay(store.api, store.settleWatches?.bind(store));
  for (const step of trace.steps) {
    let result: StepResult;
    try {
      clock.advanceTo(Math.max(clock.nowMs(), step.tMs));
      result = replay.step(step);
    } catch (error) {
      // The store broke while time moved (a sweep or resync threw) or while encoding its answer.
      result = { ...stepHeading(step), ok: false, got: { threw: describeError(error) }, differences: [], note: 'the store threw' };
    }
    results.push(result);
  }
  replay.closeAll();
  store.stop();
  return summarize(trace, results);
}

export function summarize(trace: Trace, steps: StepResult[]): TraceResult {
  const passed = steps.filter((step) => step.ok).length;
  return { name: trace.name, source: trace.source, steps, passed, failed: steps.length - passed };
}

export function stepHeading(step: TraceStep): Pick<StepResult, 'index' | 'tMs' | 'label'> {
  const label = step.kind === 'rpc' ? step.rpc : step.kind === 'sleep' ? 'sleep' : `${step.kind} ${step.watch}`;
  return { index: step.index, tMs: step.tMs, label };
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** A watch a replay opened: what it has delivered so far, and how to close it. */
export interface OpenWatch {
  close(): void;
  messages: Json[];
}

/**
 * What every replay shares, whatever it replays against: the steps by kind,
 * the recorded lease IDs learned so far (recorded ID → the server's), and
 * the open watches, each judged at its watchEnd. `Answer` is a step's
 * result: at once in the store, a promise from an endpoint.
 */
export abstract class TraceReplayer<Answer extends StepResult | Promise<StepResult>> {
  /** Recorded server-chosen lease ID → the one this server chose. */
  protected readonly leaseIds = new Map<LeaseId, LeaseId>();
  protected readonly watches = new Map<string, OpenWatch>();

  protected abstract rpc(step: RpcStep): Answer;
  protected abstract watch(step: WatchStep): Answer;

  step(step: TraceStep): Answer | StepResult {
    switch (step.kind) {
      case 'rpc':
        return this.rpc(step);
      case 'sleep':
        return { ...stepHeading(step), ok: true, differences: [] };
      case 'watch':
        return this.watch(step);
      case 'watchEnd':
        return this.#watchEnd(step);
    }
  }

  closeAll(): void {
    for (const watch of this.watches.values()) watch.close();
    this.watches.clear();
  }

  /** Decode recorded JSON with recorded lease IDs swapped for the server's. */
  protected decode<N extends MessageName>(name: N, json: JsonObject): Messages[N] {
    const message = decode(name, json);
    if (this.leaseIds.size === 0) return message;
    return mapLeaseIds(name, message, (id) => this.leaseIds.get(id) ?? id);
  }

  /** What the recording wants, canonical, with recorded lease IDs swapped for the server's. */
  protected wanted(step: RpcStep, response: MessageName): JsonObject {
    if (step.res === undefined) return { err: { code: step.err?.code ?? 0, message: step.err?.message ?? '' } };
    return { res: canonical(response, this.decode(response, step.res)) };
  }

  #watchEnd(step: WatchEndStep): StepResult {
    const heading = stepHeading(step);
    const watch = this.watches.get(step.watch);
    if (watch === undefined) return { ...heading, ok: false, differences: [], note: `watch ${step.watch} never opened` };
    this.watches.delete(step.watch);
    const wanted: JsonObject = { messages: step.messages.map((message) => canonical('WatchResponse', this.decode('WatchResponse', message))) };
    const got: JsonObject = { messages: [...watch.messages] };
    watch.close();
    const differences = diffJson(wanted, got);
    return { ...heading, ok: differences.length === 0, wanted, got, differences };
  }
}

/** Replays against a store, synchronously, through EtcdApi. */
class Replay extends TraceReplayer<StepResult> {
  readonly #api: EtcdApi;
  readonly #settleWatches: (() => void) | undefined;

  constructor(api: EtcdApi, settleWatches?: () => void) {
    super();
    this.#api = api;
    this.#settleWatches = settleWatches;
  }

  protected rpc(step: RpcStep): StepResult {
    const { request, response, method } = gatewayRpcs[step.rpc];
    const heading = stepHeading(step);
    const call = this.#api[method].bind(this.#api) as (request: unknown) => unknown;

    let got: JsonObject;
    try {
      got = { res: canonical(response, call(this.decode(request, step.req))) };
    } catch (error) {
      if (!isEtcdError(error))
        return { ...heading, ok: false, wanted: this.wanted(step, response), got: { threw: describeError(error) }, differences: [], note: 'the store threw' };
      got = { err: { code: error.code, message: error.message } };
    }
    return judgeRpcAnswer(step, this.wanted(step, response), got, this.leaseIds);
  }

  protected watch(step: WatchStep): StepResult {
    const heading = stepHeading(step);
    const messages: Json[] = [];
    try {
      const stream = this.#api.openWatchStream({
        send(response) {
          let message: Json;
          try {
            message = canonical('WatchResponse', response);
          } catch (error) {
            message = { threw: describeError(error) };
          }
          messages.push(message);
          return true;
        },
      });
      this.watches.set(step.watch, { close: () => stream.close(), messages });
      stream.request(this.decode('WatchRequest', step.req));
      this.#settleWatches?.();
    } catch (error) {
      return { ...heading, ok: false, got: { threw: describeError(error) }, differences: [], note: 'the store threw' };
    }
    return { ...heading, ok: true, differences: [] };
  }
}

/** A message as canonical proto3 JSON: defaults dropped, header IDs the recordings removed dropped too. */
/**
 * Judge one RPC step: what came back (`got`) against what the trace wanted.
 * Paths the trace marks `any` must be non-zero and are set aside; a lease ID
 * found at one is learned into `leaseIds` (trace's ID → this server's ID),
 * so later steps can name it. The rest is diffed.
 */
export function judgeRpcAnswer(step: RpcStep, wanted: JsonObject, got: JsonObject, leaseIds: Map<LeaseId, LeaseId>): StepResult {
  if (step.rpc.endsWith('timetolive')) {
    sortList(wanted, ['res', 'keys']);
    sortList(got, ['res', 'keys']);
  }
  const notes: string[] = [];
  for (const path of step.any) {
    const segments = parsePath(path);
    const wantedValue = getPath(wanted, segments);
    const gotValue = getPath(got, segments);
    if (got.res === undefined) continue; // the error itself is the difference
    if (gotValue === undefined) {
      notes.push(`${path} must be non-zero (any value)`);
      continue;
    }
    if (typeof wantedValue === 'string' && typeof gotValue === 'string' && /^-?\d+$/.test(wantedValue) && /^-?\d+$/.test(gotValue)) {
      leaseIds.set(BigInt(wantedValue), BigInt(gotValue));
    }
    deletePath(wanted, segments);
    deletePath(got, segments);
  }
  const differences = diffJson(wanted, got);
  const result: StepResult = { ...stepHeading(step), ok: differences.length === 0 && notes.length === 0, wanted, got, differences };
  if (notes.length > 0) result.note = notes.join('; ');
  return result;
}

export function canonical(name: MessageName, message: unknown): JsonObject {
  const json = encode(name, message as Messages[MessageName]);
  stripHeaderIds(json);
  return json;
}

function stripHeaderIds(json: Json): void {
  if (Array.isArray(json)) {
    json.forEach(stripHeaderIds);
    return;
  }
  if (typeof json !== 'object' || json === null) return;
  for (const [key, value] of Object.entries(json)) {
    if (key === 'header' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      delete value.cluster_id;
      delete value.member_id;
      delete value.raft_term;
    }
    stripHeaderIds(value);
  }
}

// ---------------------------------------------------------------- paths and diffs

type Segment = string | number;

/** `res.leases[0].ID` or `res.leases.0.ID` → ['res', 'leases', 0, 'ID']. */
export function parsePath(path: string): Segment[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

export function getPath(json: Json | undefined, segments: Segment[]): Json | undefined {
  let at: Json | undefined = json;
  for (const segment of segments) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = Array.isArray(at) ? (typeof segment === 'number' ? at[segment] : undefined) : at[String(segment)];
  }
  return at;
}

export function deletePath(json: Json, segments: Segment[]): void {
  const parent = getPath(json, segments.slice(0, -1));
  const last = segments[segments.length - 1];
  if (typeof parent === 'object' && parent !== null && !Array.isArray(parent) && last !== undefined) delete parent[String(last)];
}

export function sortList(json: Json, segments: Segment[]): void {
  const list = getPath(json, segments);
  if (Array.isArray(list)) list.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0));
}

function formatPath(segments: Segment[]): string {
  return segments.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i === 0 ? segment : `.${segment}`)).join('');
}

/** Every path where two JSON values differ, leaves first found first; absent is `undefined`. */
export function diffJson(wanted: Json | undefined, got: Json | undefined, at: Segment[] = []): Difference[] {
  const bothObjects = typeof wanted === 'object' && wanted !== null && typeof got === 'object' && got !== null && Array.isArray(wanted) === Array.isArray(got);
  if (bothObjects) {
    const differences: Difference[] = [];
    if (Array.isArray(wanted) && Array.isArray(got)) {
      for (let i = 0; i < Math.max(wanted.length, got.length); i++) differences.push(...diffJson(wanted[i], got[i], [...at, i]));
    } else {
      const w = wanted as JsonObject;
      const g = got as JsonObject;
      const keys = [...Object.keys(w), ...Object.keys(g).filter((key) => !Object.hasOwn(w, key))];
      for (const key of keys) differences.push(...diffJson(w[key], g[key], [...at, key]));
    }
    return differences;
  }
  if (JSON.stringify(wanted) === JSON.stringify(got)) return [];
  return [{ path: formatPath(at), wanted, got }];
}
