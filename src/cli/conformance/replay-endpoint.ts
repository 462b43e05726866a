/**
 * Replay a conformance trace against a running etcd (or `leaselab serve`)
 * over gRPC, on real time, and compare every answer with the recording as
 * the in-process replay does (replay.ts):
 *
 *   const result = await replayTraceAgainst(trace, new GrpcTransport('127.0.0.1:2379'));
 *
 * The endpoint is not fresh, so before each trace the replayer clears it
 * (deletes every key, revokes every lease) and counts revisions from where
 * it then stands: a recorded revision r > 0 is r + offset on the endpoint,
 * in requests and back in answers (offset = the endpoint's revision - 1,
 * since every trace starts at revision 1). Each step waits until its `t_ms`
 * since the trace started, so lease answers meet the same clock. The
 * endpoint must be otherwise idle: the replay writes to all of it.
 */
import { GrpcTransport } from '../../server/grpc-transport.ts';
import type { UnaryMethod } from '../../client/transport.ts';
import { isEtcdError } from '../../store/errors.ts';
import type { LeaseKeepAliveResponse, WatchResponse } from '../../store/messages.ts';
import { gatewayRpcs, type Json, type JsonObject } from '../../server/json-codec.ts';
import type { MessageName, Messages } from '../../store/message-schemas.ts';
import { canonical, describeError, judgeRpcAnswer, type StepResult, stepHeading, summarize, TraceReplayer, type TraceResult } from './replay.ts';
import type { RpcStep, Trace, WatchStep } from './trace.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** int64 fields that hold revisions (shifted by the offset when > 0). */
const revisionFields = new Set([
  'revision',
  'min_mod_revision',
  'max_mod_revision',
  'min_create_revision',
  'max_create_revision',
  'start_revision',
  'mod_revision',
  'create_revision',
  'compact_revision',
]);

/** A copy of a decoded message with every positive revision moved by `delta`. */
function shiftRevisions<T>(value: T, delta: number): T {
  if (Array.isArray(value)) return value.map((item) => shiftRevisions(item, delta)) as T;
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = revisionFields.has(key) && typeof field === 'number' && field > 0 ? field + delta : shiftRevisions(field, delta);
  }
  return out as T;
}

/** Gateway rpc → the transport's method. */
const methodOf: Record<string, UnaryMethod | 'keepAlive'> = {
  range: 'range',
  put: 'put',
  deleteRange: 'deleteRange',
  txn: 'txn',
  compact: 'compact',
  leaseGrant: 'leaseGrant',
  leaseRevoke: 'leaseRevoke',
  leaseTimeToLive: 'leaseTimeToLive',
  leaseLeases: 'leaseLeases',
  leaseKeepAlive: 'keepAlive',
};

/** Delete every key and revoke every lease; returns the offset to add to recorded revisions. */
async function clear(transport: GrpcTransport): Promise<number> {
  await transport.call('deleteRange', { key: new Uint8Array([0]), range_end: new Uint8Array([0]) });
  const { leases } = await transport.call('leaseLeases', {});
  for (const lease of leases) {
    try {
      await transport.call('leaseRevoke', { ID: lease.ID });
    } catch (error) {
      if (!isEtcdError(error)) throw error; // gone meanwhile: fine
    }
  }
  const { header } = await transport.call('range', { key: new Uint8Array([0]) });
  return header.revision - 1;
}

/** Replay `trace` against the endpoint behind `transport`; never throws for a misbehaving server. */
export async function replayTraceAgainst(trace: Trace, transport: GrpcTransport): Promise<TraceResult> {
  const results: StepResult[] = [];
  let offset: number;
  try {
    offset = await clear(transport);
  } catch (error) {
    for (const step of trace.steps)
      results.push({ ...stepHeading(step), ok: false, differences: [], note: `could not clear the endpoint: ${describeError(error)}` });
    return summarize(trace, results);
  }
  const replay = new EndpointReplay(transport, offset);
  const start = Date.now();
  let previous: { tMs: number; endedAt: number } | undefined;
  for (const step of trace.steps) {
    let waitMs = step.tMs - (Date.now() - start);
    // A watchEnd also waits the recorded gap since the step before (the recorder's wait for late
    // messages), even when the replay runs behind the recorded times (it settles every watch).
    if (step.kind === 'watchEnd' && previous !== undefined) waitMs = Math.max(waitMs, step.tMs - previous.tMs - (Date.now() - previous.endedAt));
    if (waitMs > 0) await sleep(waitMs);
    let result: StepResult;
    try {
      result = await replay.step(step);
    } catch (error) {
      result = { ...stepHeading(step), ok: false, got: { threw: describeError(error) }, differences: [], note: 'the replay threw' };
    }
    results.push(result);
    previous = { tMs: step.tMs, endedAt: Date.now() };
  }
  replay.closeAll();
  return summarize(trace, results);
}

class EndpointReplay extends TraceReplayer<Promise<StepResult>> {
  readonly #transport: GrpcTransport;
  readonly #offset: number;

  constructor(transport: GrpcTransport, offset: number) {
    super();
    this.#transport = transport;
    this.#offset = offset;
  }

  /** Recorded JSON as a message for the endpoint: lease IDs mapped, revisions shifted. */
  #request<N extends MessageName>(name: N, json: JsonObject): Messages[N] {
    return shiftRevisions(this.decode(name, json), this.#offset);
  }

  /** An answer as the recording would show it: revisions shifted back. */
  #answer(name: MessageName, message: unknown): JsonObject {
    return canonical(name, shiftRevisions(message, -this.#offset));
  }

  protected async rpc(step: RpcStep): Promise<StepResult> {
    const { request, response, method } = gatewayRpcs[step.rpc];
    const heading = stepHeading(step);
    const decoded = this.#request(request, step.req);
    const how = methodOf[method]!;
    let got: JsonObject;
    try {
      const answer =
        how === 'keepAlive' ? await this.#keepAliveOnce(decoded as Messages['LeaseKeepAliveRequest']) : await this.#transport.call(how, decoded as never);
      got = { res: this.#answer(response, answer) };
    } catch (error) {
      if (!isEtcdError(error))
        return { ...heading, ok: false, wanted: this.wanted(step, response), got: { threw: describeError(error) }, differences: [], note: 'the call failed' };
      got = { err: { code: error.code, message: error.message } };
    }
    return judgeRpcAnswer(step, this.wanted(step, response), got, this.leaseIds);
  }

  /** One keepalive round trip on a stream of its own, as the gateway's `lease/keepalive` does. */
  #keepAliveOnce(request: Messages['LeaseKeepAliveRequest']): Promise<LeaseKeepAliveResponse> {
    return new Promise((resolve, reject) => {
      const stream = this.#transport.openKeepAlive({
        message: (response) => {
          stream.close();
          resolve(response);
        },
        end: (error) => reject(error ?? new Error('keepalive stream ended without an answer')),
      });
      stream.send(request);
    });
  }

  protected async watch(step: WatchStep): Promise<StepResult> {
    const heading = stepHeading(step);
    const messages: Json[] = [];
    const stream = this.#transport.openWatch({
      message: (response: WatchResponse) => {
        let message: Json;
        try {
          message = this.#answer('WatchResponse', response);
        } catch (error) {
          message = { threw: describeError(error) };
        }
        messages.push(message);
      },
      end: () => {},
    });
    this.watches.set(step.watch, { close: () => stream.close(), messages });
    stream.send(this.#request('WatchRequest', step.req));
    // As the recorder did: wait for the created message, then for the history (etcd's 100 ms resync).
    const deadline = Date.now() + 5000;
    while (messages.length === 0 && Date.now() < deadline) await sleep(5);
    await sleep(150);
    return { ...heading, ok: true, differences: [] };
  }
}
