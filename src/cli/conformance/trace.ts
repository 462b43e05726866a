/**
 * The conformance trace format (conformance/README.md): parse a file and
 * check every step before anything runs, so a malformed trace is reported
 * with its name and step index and the other traces still run.
 *
 *   { "name": "kv-put-get", "steps": [
 *       { "rpc": "kv/put", "t_ms": 15, "req": { "key": "YQ==" }, "res": { "header": { "revision": "2" } } },
 *       { "sleep": 1000, "t_ms": 1015 },
 *       { "watch": "w", "t_ms": 1015, "req": { "create_request": { "key": "YQ==" } } },
 *       { "watchEnd": "w", "t_ms": 1400, "messages": [ { "header": { "revision": "2" }, "created": true } ] } ] }
 *
 * Step indexes are 0-based positions in `steps`, printed as `steps[3]`.
 * Requests, responses and watch messages must decode with the JSON codec.
 */
import { basename } from 'node:path';
import { GrpcCode, isEtcdError } from '../../store/errors.ts';
import { decode, type GatewayRpc, isGatewayRpc, type JsonObject, gatewayRpcs } from '../../server/json-codec.ts';
import type { MessageName } from '../../store/message-schemas.ts';

export interface RpcStep {
  kind: 'rpc';
  index: number;
  tMs: number;
  rpc: GatewayRpc;
  req: JsonObject;
  /** Exactly one of res and err. */
  res?: JsonObject;
  err?: { code: number; message: string };
  /** Paths like `res.ID` that may hold any non-zero value (a server-chosen lease ID). */
  any: string[];
}

export interface SleepStep {
  kind: 'sleep';
  index: number;
  tMs: number;
  sleepMs: number;
}

export interface WatchStep {
  kind: 'watch';
  index: number;
  tMs: number;
  watch: string;
  req: JsonObject;
}

export interface WatchEndStep {
  kind: 'watchEnd';
  index: number;
  tMs: number;
  watch: string;
  messages: JsonObject[];
}

export type TraceStep = RpcStep | SleepStep | WatchStep | WatchEndStep;

export interface Trace {
  name: string;
  /** Where it was read from, for messages. */
  source: string;
  doc?: string;
  etcd?: string;
  steps: TraceStep[];
}

export interface TraceProblem {
  /** The trace's name, or the file's name when the name could not be read. */
  trace: string;
  source: string;
  /** Undefined for a problem with the file as a whole. */
  stepIndex?: number;
  message: string;
}

export type ParsedTrace = { ok: true; trace: Trace } | { ok: false; trace: string; source: string; problems: TraceProblem[] };

const stepKinds = ['rpc', 'sleep', 'watch', 'watchEnd'] as const;
const allowedKeys: Record<(typeof stepKinds)[number], readonly string[]> = {
  rpc: ['rpc', 't_ms', 'req', 'res', 'err', 'any', 'doc'],
  sleep: ['sleep', 't_ms', 'doc'],
  watch: ['watch', 't_ms', 'req', 'doc'],
  watchEnd: ['watchEnd', 't_ms', 'messages', 'doc'],
};

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Check that `json` decodes as message `name`; returns the problem or undefined. */
function decodeProblem(name: MessageName, json: unknown, what: string): string | undefined {
  try {
    decode(name, json);
    return undefined;
  } catch (error) {
    if (isEtcdError(error)) return `${what} is not a valid ${name}: ${error.message}`;
    throw error;
  }
}

/** Parse and check a trace file's text. `source` is the file path, used when the trace has no name. */
export function parseTrace(text: string, source: string): ParsedTrace {
  const fallbackName = basename(source).replace(/\.json$/, '');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = `not valid JSON: ${(error as Error).message}`;
    return { ok: false, trace: fallbackName, source, problems: [{ trace: fallbackName, source, message }] };
  }
  return checkTrace(json, source);
}

/** Check an already parsed trace. */
export function checkTrace(json: unknown, source: string): ParsedTrace {
  let name = basename(source).replace(/\.json$/, '');
  const problems: TraceProblem[] = [];
  const fail = (message: string, stepIndex?: number): void => {
    problems.push(stepIndex === undefined ? { trace: name, source, message } : { trace: name, source, stepIndex, message });
  };
  if (!isObject(json)) {
    fail('a trace must be a JSON object with "name" and "steps"');
    return { ok: false, trace: name, source, problems };
  }
  if (typeof json.name === 'string' && json.name !== '') name = json.name;
  else fail('"name" must be a non-empty string');
  if (json.doc !== undefined && typeof json.doc !== 'string') fail('"doc" must be a string');
  if (json.etcd !== undefined && typeof json.etcd !== 'string') fail('"etcd" must be a string');
  if (!Array.isArray(json.steps)) {
    fail('"steps" must be an array');
    return { ok: false, trace: name, source, problems };
  }

  const steps: TraceStep[] = [];
  const openWatches = new Set<string>();
  let previousTMs = 0;
  json.steps.forEach((raw, index) => {
    const before = problems.length;
    const problem = (message: string): undefined => {
      fail(message, index);
      return undefined;
    };
    if (!isObject(raw)) return problem('a step must be a JSON object');
    const kinds = stepKinds.filter((kind) => raw[kind] !== undefined);
    if (kinds.length !== 1) return problem(`a step must have exactly one of ${stepKinds.map((k) => `"${k}"`).join(', ')}`);
    const kind = kinds[0]!;
    for (const key of Object.keys(raw)) {
      if (!allowedKeys[kind].includes(key)) problem(`unknown field "${key}" in a ${kind} step`);
    }
    const tMs = raw.t_ms;
    if (typeof tMs !== 'number' || !Number.isFinite(tMs) || tMs < 0) return problem('"t_ms" must be a non-negative number');
    if (tMs < previousTMs) problem(`"t_ms" goes back in time (${tMs} after ${previousTMs})`);
    previousTMs = Math.max(previousTMs, tMs);
    const at: StepPlace = { index, tMs, problem };
    const step =
      kind === 'rpc'
        ? rpcStep(raw, at)
        : kind === 'sleep'
          ? sleepStep(raw, at)
          : kind === 'watch'
            ? watchStep(raw, at, openWatches)
            : watchEndStep(raw, at, openWatches);
    // A step with any problem (here or in its header) is reported, not kept.
    if (step !== undefined && problems.length === before) steps.push(step);
    return undefined;
  });

  if (problems.length > 0) return { ok: false, trace: name, source, problems };
  const trace: Trace = { name, source, steps };
  if (typeof json.doc === 'string') trace.doc = json.doc;
  if (typeof json.etcd === 'string') trace.etcd = json.etcd;
  return { ok: true, trace };
}

/** Where a step is, and how to report a problem with it (returns undefined: `return at.problem(…)` gives up on the step). */
interface StepPlace {
  index: number;
  tMs: number;
  problem: (message: string) => undefined;
}

/** An rpc step: a known gateway RPC, a request and exactly one of a response and an error, each decoding. */
function rpcStep(raw: JsonObject, at: StepPlace): RpcStep | undefined {
  const { index, tMs, problem } = at;
  const rpc = raw.rpc;
  if (typeof rpc !== 'string' || !isGatewayRpc(rpc)) {
    return problem(`unknown rpc ${JSON.stringify(rpc)} (known: ${Object.keys(gatewayRpcs).join(', ')})`);
  }
  const messages = gatewayRpcs[rpc];
  if (!isObject(raw.req)) return problem('"req" must be a JSON object');
  const reqProblem = decodeProblem(messages.request, raw.req, 'req');
  if (reqProblem !== undefined) problem(reqProblem);
  const any: string[] = [];
  if (raw.any !== undefined) {
    if (!Array.isArray(raw.any) || !raw.any.every((path) => typeof path === 'string' && /^res\.[\w.[\]]+$/.test(path))) {
      problem('"any" must be a list of paths into the response, like "res.ID"');
    } else {
      any.push(...(raw.any as string[]));
    }
  }
  if ((raw.res === undefined) === (raw.err === undefined)) return problem('an rpc step must have exactly one of "res" and "err"');
  if (raw.res !== undefined) {
    if (!isObject(raw.res)) return problem('"res" must be a JSON object');
    const resProblem = decodeProblem(messages.response, raw.res, 'res');
    if (resProblem !== undefined) problem(resProblem);
    return { kind: 'rpc', index, tMs, rpc, req: raw.req, res: raw.res, any };
  }
  const err = raw.err;
  if (!isObject(err)) return problem('"err" must be a JSON object with "code" and "message"');
  const codes: number[] = Object.values(GrpcCode);
  if (typeof err.code !== 'number' || !codes.includes(err.code) || err.code === GrpcCode.OK) {
    problem('"err.code" must be a gRPC status code from 1 to 16');
  }
  if (typeof err.message !== 'string') problem('"err.message" must be a string');
  if (any.length > 0) problem('"any" makes no sense on a step that expects an error');
  return { kind: 'rpc', index, tMs, rpc, req: raw.req, err: { code: err.code as number, message: err.message as string }, any };
}

function sleepStep(raw: JsonObject, { index, tMs, problem }: StepPlace): SleepStep | undefined {
  const sleepMs = raw.sleep;
  if (typeof sleepMs !== 'number' || !Number.isFinite(sleepMs) || sleepMs < 0) return problem('"sleep" must be a non-negative number of ms');
  return { kind: 'sleep', index, tMs, sleepMs };
}

/** A watch step opens a named stream (one per name) with a create_request. */
function watchStep(raw: JsonObject, { index, tMs, problem }: StepPlace, openWatches: Set<string>): WatchStep | undefined {
  const watch = raw.watch;
  if (typeof watch !== 'string' || watch === '') return problem('"watch" must be a non-empty name');
  if (openWatches.has(watch)) problem(`watch "${watch}" is already open (one stream per watch name)`);
  openWatches.add(watch);
  if (!isObject(raw.req)) return problem('"req" must be a JSON object');
  const reqProblem = decodeProblem('WatchRequest', raw.req, 'req');
  if (reqProblem !== undefined) problem(reqProblem);
  else if (!isObject(raw.req.create_request ?? raw.req.createRequest)) problem('a watch step\'s "req" must hold a create_request');
  return { kind: 'watch', index, tMs, watch, req: raw.req };
}

/** A watchEnd step closes an open watch with the messages it must have received. */
function watchEndStep(raw: JsonObject, { index, tMs, problem }: StepPlace, openWatches: Set<string>): WatchEndStep | undefined {
  const watch = raw.watchEnd;
  if (typeof watch !== 'string' || !openWatches.has(watch)) return problem(`"watchEnd" must name an open watch, got ${JSON.stringify(watch)}`);
  openWatches.delete(watch);
  if (!Array.isArray(raw.messages)) return problem('"messages" must be a list of WatchResponse');
  raw.messages.forEach((message, i) => {
    const messageProblem = decodeProblem('WatchResponse', message, `messages[${i}]`);
    if (messageProblem !== undefined) problem(messageProblem);
  });
  return { kind: 'watchEnd', index, tMs, watch, messages: raw.messages as JsonObject[] };
}
