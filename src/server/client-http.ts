/**
 * HTTP/1.1 on the client port, as etcd 3.4.23 serves it beside gRPC:
 *
 *   GET  /health            → {"health":"true"}
 *   GET  /version           → {"etcdserver":"3.4.23","etcdcluster":"3.4.0"}
 *   GET  /metrics           → Prometheus text (src/server/metrics.ts)
 *   POST /v3/kv/range|put|deleterange|txn|compaction,
 *        /v3/lease/grant|revoke|timetolive|leases (and etcd's /v3/kv/lease/… aliases),
 *                          → the JSON gateway: one proto3-JSON request
 *                              body, one response (src/server/json-codec.ts)
 *   POST /v3/lease/keepalive → a stream: each LeaseKeepAliveRequest in the body
 *                              answered by a `{"result":…}` line; ends with the body
 *   POST /v3/maintenance/…, /v3/cluster/member/…, /v3/auth/… → the server's
 *                              own Maintenance, Cluster and Auth handlers, JSON in and out
 *   POST /v3/watch          → a watch stream: WatchRequests as JSON in the
 *                              body, each WatchResponse as `{"result":…}` on its own line
 *   POST /v3/maintenance/snapshot → Maintenance.Snapshot's messages as `{"result":…}` lines
 *
 * As etcd's gateway: a body is read as Go's json.Decoder and jsonpb read it
 * (src/server/go-jsonpb.ts: its first value only, unknown fields ignored, a
 * value that does not fit refused in Go's words), errors are
 * `{"error":m,"message":m,"code":grpcCode}` with grpc-gateway's HTTP status,
 * a wrong method is 405 and an unknown path 404 in Go's plain-text words,
 * and every answer carries etcd's CORS headers.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { GrpcCode, isEtcdError } from '../store/errors.ts';
import { encodedSize } from '../store/validate.ts';
import type { WatchSink, WatchStream } from '../store/etcd-api.ts';
import type { ResponseHeader } from '../store/messages.ts';
import { watchRefusalReason } from './auth/auth-service.ts';
import type { MessageName } from '../store/message-schemas.ts';
import { GoJsonStream, goJson, goJsonString, type StreamItem } from './go-json.ts';
import { readProtoBody, readRequestBody } from './go-jsonpb.ts';
import { loadProtoRoot } from './proto-services.ts';
import { decode, encode, gatewayRpcs, isGatewayRpc, type JsonObject } from './json-codec.ts';

/** What the HTTP side needs of the server it stands beside. */
export interface ClientHttpHost {
  readonly store: import('../store/etcd-store.ts').EtcdStore;
  /** The writes requests make (a data dir's, which log them first, or the store's own). */
  readonly writes: import('./persistence/data-dir.ts').StoreWrites;
  /** undefined when every change is on disk (or there is no disk); else resolves once it is: answers wait for it, as gRPC's do. */
  whenSynced(): Promise<void> | undefined;
  /** The whole state now, in leaselab's snapshot format (persistence/snapshot-file.ts). */
  snapshot(): { body: Buffer; sha256: Buffer };
  readonly driver: { tick(): void };
  /** Fills cluster_id, member_id and raft_term as the gRPC answers have them. */
  memberHeader(header: ResponseHeader): ResponseHeader;
  readonly serverVersion: string;
  readonly clusterVersion: string;
  /** The gRPC receive limit (--max-request-bytes + 512 KiB): etcd's gateway sends each request over gRPC, so a bigger one is refused there. */
  readonly maxReceiveBytes?: number;
  metricsText(): Promise<{ contentType: string; text: string }>;
  healthChecked(healthy: boolean): void;
  /** The raised alarms' names (NOSPACE, CORRUPT): any not excluded makes /health false, as in etcd. */
  alarmNames(): string[];
  /** Auth's check of a request to gRPC method `method` with the `Authorization` header's token (etcd's gateway forwards it). @throws etcd's error */
  authorize(method: string, token: string | undefined, request: unknown): void;
  /**
   * The gRPC unary handler etcd's gateway maps `/v3/<path>` to, for the
   * maintenance, cluster and auth calls (`maintenance/status`,
   * `cluster/member/list`, `auth/user/add`, …); undefined for other paths.
   */
  grpcRoute(path: string): { method: string; handler: GrpcUnaryHandler } | undefined;
  /** Auth's Authenticate: a simple token. @throws etcd's error */
  authenticate(name: string, password: string): string;
  /** Registers a watch stream so that closing or resetting the server ends it. */
  trackWatch(close: () => void): () => void;
  onInternalError(error: unknown): void;
}

/** A grpc-js unary handler (the server's own), called here with a request in gRPC shape. */
export type GrpcUnaryHandler = (
  call: { request: Record<string, unknown>; metadata?: unknown },
  callback: (error: { code?: number; details?: string } | null, response?: Record<string, unknown>) => void,
) => void;

/** Fields that are bytes in the maintenance, cluster and auth messages (base64 in JSON). */
const bytesFields = new Set(['key', 'range_end']);
/** Enum values that are their enum's default, left out of JSON as protobuf leaves them out. */
const defaultEnumValues = new Set(['READ', 'NONE', 'GET']);

/** Proto3 JSON (base64 bytes) → the gRPC object shape the handlers take. */
function toGrpcShape(json: unknown, field = ''): unknown {
  if (Array.isArray(json)) return json.map((item) => toGrpcShape(item, field));
  if (json !== null && typeof json === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(json as Record<string, unknown>)) out[key] = toGrpcShape(value, key);
    return out;
  }
  if (bytesFields.has(field) && typeof json === 'string') return Buffer.from(json, 'base64');
  return json;
}

/** A handler's gRPC-shaped answer → proto3 JSON: bytes base64, defaults left out. */
function fromGrpcShape(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map((item) => fromGrpcShape(item) ?? {});
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const converted = fromGrpcShape(item);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  if (value === null || value === false || value === '' || value === '0' || value === 0 || (typeof value === 'string' && defaultEnumValues.has(value)))
    return undefined;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

const corsHeaders = {
  'Access-Control-Allow-Headers': 'accept, content-type, authorization',
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS, PUT, DELETE',
  'Access-Control-Allow-Origin': '*',
};

/** grpc-gateway's HTTPStatusFromCode, by gRPC code. */
const httpStatusByGrpcCode = [200, 408, 500, 400, 504, 404, 409, 403, 429, 412, 409, 400, 501, 500, 503, 500, 401];

/**
 * Request bodies larger than this are refused (the connection reset). etcd's
 * gateway reads any size (whitespace, unknown fields and trailing text cost
 * nothing there); this only bounds what one request may make leaselab hold.
 */
const requestBodyBytesMax = 64 * 1024 * 1024;

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, Object.assign({}, corsHeaders, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }));
  response.end(body);
}

/** Go's http.Error: plain text, nosniff, a trailing newline. */
function goHttpError(response: ServerResponse, status: number, text: string): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  send(response, status, 'text/plain; charset=utf-8', `${text}\n`);
}

/** grpc-gateway's error body, its strings as Go's json.Marshal writes them (`<` as \u003c). */
function errorBody(code: number, message: string): string {
  const text = goJsonString(message);
  return `{"error":${text},"message":${text},"code":${code}}`;
}

function sendError(response: ServerResponse, code: number, message: string): void {
  send(response, httpStatusByGrpcCode[code] ?? 500, 'application/json', errorBody(code, message));
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > requestBodyBytesMax) {
        reject(new Error(`request body over ${requestBodyBytesMax} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** What a gateway stream does with the requests in its body (readStreamRequests). */
interface StreamRequestHandlers {
  /** The first request decoded, or the body ended with none: etcd's gateway sends its headers then. */
  opened(): void;
  /** One request, as proto3 JSON for json-codec's decode. */
  request(json: JsonObject): void;
  /** The first value did not decode: that error is the call's answer (no header has gone out). */
  refused(message: string): void;
  /** No more requests: the body ended, or a later value did not decode (the gateway then just stops sending). */
  ended(): void;
}

/**
 * The request side of a gateway stream, as grpc-gateway runs it: json.Decoder
 * over the body, each value read by jsonpb as message `name`
 * (src/server/go-jsonpb.ts). A first value that does not decode fails the
 * call; a later one closes the stream for sending, the answers due still come.
 */
function readStreamRequests(request: IncomingMessage, name: MessageName, handlers: StreamRequestHandlers): void {
  const decoder = new GoJsonStream();
  let opened = false;
  let done = false;
  const open = () => {
    if (opened) return;
    opened = true;
    handlers.opened();
  };
  const take = (items: StreamItem[]) => {
    for (const item of items) {
      if (done) return;
      const read = item.kind === 'value' ? readRequestBody(name, item.value) : { ok: false as const, message: item.message };
      if (!read.ok) {
        done = true;
        if (opened) handlers.ended();
        else handlers.refused(read.message);
        return;
      }
      open();
      handlers.request(read.json);
    }
  };
  request.on('data', (chunk: Buffer) => take(decoder.push(chunk)));
  request.on('end', () => {
    take(decoder.end());
    if (done) return;
    done = true;
    open();
    handlers.ended();
  });
}

/** The headers of a gateway stream's answer. */
function startStream(response: ServerResponse): void {
  response.writeHead(200, Object.assign({}, corsHeaders, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc' }));
}

export function createClientHttpHandler(host: ClientHttpHost): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handle(host, request, response).catch((error: unknown) => {
      host.onInternalError(error);
      if (!response.headersSent) sendError(response, GrpcCode.INTERNAL, error instanceof Error ? error.message : String(error));
      else response.destroy();
    });
  };
}

async function handle(host: ClientHttpHost, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://client').pathname;
  const method = request.method ?? 'GET';
  if (path === '/health') {
    request.resume();
    if (method !== 'GET') return goHttpError(response, 405, 'Method Not Allowed');
    host.driver.tick();
    // As etcd's checkHealth: a raised alarm not named in ?exclude= makes the member unhealthy (503, Go's http.Error).
    const excluded = new URL(request.url ?? '/', 'http://client').searchParams.getAll('exclude');
    const healthy = host.alarmNames().every((name) => excluded.includes(name));
    host.healthChecked(healthy);
    if (!healthy) return goHttpError(response, 503, JSON.stringify({ health: 'false' }));
    return send(response, 200, 'text/plain; charset=utf-8', JSON.stringify({ health: 'true' }));
  }
  if (path === '/version') {
    request.resume();
    if (method !== 'GET') return goHttpError(response, 405, 'Method Not Allowed');
    return send(response, 200, 'application/json', JSON.stringify({ etcdserver: host.serverVersion, etcdcluster: host.clusterVersion }));
  }
  if (path === '/metrics') {
    request.resume();
    const { contentType, text } = await host.metricsText();
    return send(response, 200, contentType, text);
  }
  if (path.startsWith('/v3/')) {
    const rpc = path.slice('/v3/'.length);
    if (rpc === 'auth/authenticate') {
      if (method !== 'POST') {
        request.resume();
        return goHttpError(response, 405, 'Method Not Allowed');
      }
      return authenticate(host, request, response);
    }
    if (rpc === 'maintenance/snapshot') {
      if (method !== 'POST') {
        request.resume();
        return goHttpError(response, 405, 'Method Not Allowed');
      }
      return snapshot(host, request, response);
    }
    const route = host.grpcRoute(rpc);
    if (route !== undefined) {
      if (method !== 'POST') {
        request.resume();
        return goHttpError(response, 405, 'Method Not Allowed');
      }
      return grpcUnary(host, route, request, response);
    }
    if (rpc === 'watch' || isGatewayRpc(rpc)) {
      if (method !== 'POST') {
        request.resume();
        return goHttpError(response, 405, 'Method Not Allowed');
      }
      if (rpc === 'watch') return watch(host, request, response);
      if (rpc === 'lease/keepalive') return keepAlive(host, request, response);
      return unary(host, rpc, request, response);
    }
    // grpc-gateway's own 404 under /v3/, not Go's mux's.
    request.resume();
    return goHttpError(response, 404, 'Not Found');
  }
  request.resume();
  goHttpError(response, 404, '404 page not found');
}

/** etcd's snapshotSendBufferSize: each streamed blob holds this much. */
const snapshotChunkBytes = 32 * 1024;

/**
 * Maintenance.Snapshot through the gateway, as etcd's streams it: a
 * `{"result":{"remaining_bytes":"N","blob":…}}` line per 32 KiB (remaining
 * left out once 0), then the SHA-256's line. Refused as a stream is refused
 * before its first message: grpc-gateway's nested error object (an auth
 * error as etcd's maintenance wrapper passes it on, UNKNOWN "auth: …": AuthServices.authorize).
 */
async function snapshot(host: ClientHttpHost, request: IncomingMessage, response: ServerResponse): Promise<void> {
  await readBody(request);
  host.driver.tick();
  try {
    host.authorize('Snapshot', request.headers.authorization, {});
  } catch (error) {
    if (!isEtcdError(error)) throw error;
    const status = httpStatusByGrpcCode[error.code] ?? 500;
    const body = { error: { grpc_code: error.code, http_code: status, message: error.message, http_status: STATUS_CODES[status] } };
    return send(response, status, 'application/json', goJson(body));
  }
  const { body, sha256 } = host.snapshot();
  await host.whenSynced();
  response.writeHead(200, Object.assign({}, corsHeaders, { 'Content-Type': 'application/json', 'Grpc-Metadata-Content-Type': 'application/grpc' }));
  const line = (remaining: number, blob: Buffer) =>
    `${JSON.stringify({ result: remaining === 0 ? { blob: blob.toString('base64') } : { remaining_bytes: String(remaining), blob: blob.toString('base64') } })}\n`;
  for (let sent = 0; sent < body.length && !response.destroyed; ) {
    const blob = body.subarray(sent, sent + snapshotChunkBytes);
    sent += blob.length;
    if (!response.write(line(body.length - sent, blob))) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
  }
  if (!response.destroyed) response.end(line(0, sha256));
}

const writeMethods: ReadonlySet<string> = new Set([
  'put',
  'deleteRange',
  'txn',
  'compact',
  'leaseGrant',
  'leaseRevoke',
] satisfies (keyof import('./persistence/data-dir.ts').StoreWrites)[]);

function isWrite(method: string): boolean {
  return writeMethods.has(method);
}

async function unary(host: ClientHttpHost, rpc: keyof typeof gatewayRpcs, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { request: requestName, response: responseName, method } = gatewayRpcs[rpc];
  const read = readRequestBody(requestName, await readBody(request));
  if (!read.ok) return sendError(response, GrpcCode.INVALID_ARGUMENT, read.message);
  let body: string;
  try {
    host.driver.tick();
    const decoded = decode(requestName, read.json);
    const limit = host.maxReceiveBytes;
    const bytes = limit === undefined ? 0 : encodedSize(requestName, decoded);
    if (limit !== undefined && bytes > limit) {
      return sendError(response, GrpcCode.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${bytes} vs. ${limit})`);
    }
    host.authorize(method.charAt(0).toUpperCase() + method.slice(1), request.headers.authorization, decoded);
    // Writes go through the data dir's log, like gRPC's; reads straight to the store.
    const target = isWrite(method) ? host.writes : host.store;
    const serve = (target as unknown as Record<string, (request: unknown) => { header: ResponseHeader }>)[method]!;
    const answer = serve.call(target, decoded);
    body = goJson(encode(responseName, Object.assign({}, answer, { header: host.memberHeader(answer.header) }) as never));
  } catch (error) {
    if (!isEtcdError(error)) throw error;
    await host.whenSynced();
    return sendError(response, error.code, error.message);
  }
  await host.whenSynced();
  response.setHeader('Grpc-Metadata-Content-Type', 'application/grpc');
  send(response, 200, 'application/json', body);
}

function watch(host: ClientHttpHost, request: IncomingMessage, response: ServerResponse): void {
  let open = true;
  // With a data dir, a line goes out only once the changes before it are on disk, and in order (as gRPC's StreamOutbox).
  let held = 0;
  let chain: Promise<void> = Promise.resolve();
  const writeLine = (text: string) => {
    const synced = host.whenSynced();
    if (synced === undefined && held === 0) {
      if (!response.writableEnded) response.write(text);
      return;
    }
    held++;
    chain = chain.then(async () => {
      await synced;
      held--;
      if (!response.writableEnded) response.write(text);
    });
  };
  const sink: WatchSink = {
    send: (message) => {
      if (!open || response.writableEnded) return true;
      const line: JsonObject = { result: encode('WatchResponse', Object.assign({}, message, { header: host.memberHeader(message.header) })) };
      writeLine(`${goJson(line)}\n`);
      return true;
    },
  };
  host.driver.tick();
  const stream: WatchStream = host.store.openWatchStream(sink);
  const close = () => {
    if (!open) return;
    open = false;
    untrack();
    stream.close();
    // Lines held for the disk go out first.
    void chain.then(() => {
      if (!response.writableEnded) response.end();
    });
  };
  const untrack = host.trackWatch(close);
  readStreamRequests(request, 'WatchRequest', {
    opened: () => startStream(response),
    refused: (message) => {
      sendError(response, GrpcCode.UNKNOWN, message);
      close();
    },
    // As etcd: a client that finishes its body (or sends one that stops decoding) still gets events until it goes away.
    ended: () => {},
    request: (json) => {
      if (!open) return;
      try {
        host.driver.tick();
        const watchRequest = decode('WatchRequest', json);
        try {
          host.authorize('Watch', request.headers.authorization, watchRequest);
        } catch (error) {
          if (!isEtcdError(error)) throw error;
          // Refused as etcd refuses a watch: created and canceled at once, the reason given; the stream stays open.
          const refusal = {
            header: host.memberHeader({ revision: host.store.currentRevision() }),
            watch_id: -1,
            created: true,
            canceled: true,
            compact_revision: 0,
            cancel_reason: watchRefusalReason(error),
            events: [],
            fragment: false,
          };
          writeLine(`${goJson({ result: encode('WatchResponse', refusal as never) })}\n`);
          return;
        }
        stream.request(watchRequest);
      } catch (error) {
        const code = isEtcdError(error) ? error.code : GrpcCode.INVALID_ARGUMENT;
        writeLine(`{"error":${errorBody(code, (error as Error).message)}}\n`);
        close();
      }
    },
  });
  response.on('close', close);
}

/** LeaseKeepAlive as etcd's gateway streams it: one `{"result":…}` line per request in the body. */
function keepAlive(host: ClientHttpHost, request: IncomingMessage, response: ServerResponse): void {
  let failed = false;
  // One answer at a time, in order: an answer waiting for a revoke holds the ones behind it (as the gRPC stream does).
  let queue = Promise.resolve();
  const serve = async (json: JsonObject) => {
    if (failed || response.writableEnded) return;
    try {
      host.driver.tick();
      const keepAliveRequest = decode('LeaseKeepAliveRequest', json);
      host.authorize('LeaseKeepAlive', request.headers.authorization, keepAliveRequest);
      const id = keepAliveRequest.ID ?? 0n;
      const deadlineMs = host.store.lessor.deadlineMs(id);
      const answer = host.store.leaseKeepAlive(keepAliveRequest);
      // etcd's Renew of a lease past its deadline waits until the lease is revoked, then answers TTL 0.
      if (answer.TTL === 0 && deadlineMs !== undefined && deadlineMs <= host.store.clock.nowMs()) {
        await new Promise<void>((resolve) => {
          if (host.store.lessor.whenRevoked(id, resolve) === undefined) resolve();
          response.once('close', resolve);
        });
      }
      if (!response.writableEnded)
        response.write(`${goJson({ result: encode('LeaseKeepAliveResponse', Object.assign({}, answer, { header: host.memberHeader(answer.header) })) })}\n`);
    } catch (error) {
      failed = true;
      const code = isEtcdError(error) ? error.code : GrpcCode.UNKNOWN;
      response.end(errorBody(code, (error as Error).message));
    }
  };
  readStreamRequests(request, 'LeaseKeepAliveRequest', {
    opened: () => startStream(response),
    refused: (message) => sendError(response, GrpcCode.UNKNOWN, message),
    request: (json) => {
      queue = queue.then(() => serve(json));
    },
    ended: () => {
      void queue.then(() => {
        if (!response.writableEnded) response.end();
      });
    },
  });
}

/** rpc.proto, loaded the first time a maintenance, cluster or auth call comes through the gateway. */
let protoRoot: protobuf.Root | undefined;

/** The request message of etcd's gRPC method `method` (`Alarm`, `MemberAdd`, `UserGet`, `Authenticate`, …). */
function requestTypeOf(method: string): protobuf.Type {
  protoRoot ??= loadProtoRoot(fileURLToPath(new URL('./proto/rpc.proto', import.meta.url)));
  for (const service of ['etcdserverpb.Maintenance', 'etcdserverpb.Cluster', 'etcdserverpb.Auth']) {
    const found = protoRoot.lookupService(service).methods[method];
    if (found !== undefined) return found.resolvedRequestType!;
  }
  throw new Error(`no gRPC method ${method} in etcd's Maintenance, Cluster or Auth services`);
}

/** POST /v3/auth/authenticate {"name","password"} → {"header","token"}; the token then goes in `Authorization`. */
async function authenticate(host: ClientHttpHost, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const read = readProtoBody(requestTypeOf('Authenticate'), await readBody(request));
  if (!read.ok) return sendError(response, GrpcCode.INVALID_ARGUMENT, read.message);
  const body = read.json as { name?: string; password?: string };
  let token: string;
  try {
    host.driver.tick();
    token = host.authenticate(String(body.name ?? ''), String(body.password ?? ''));
  } catch (error) {
    if (!isEtcdError(error)) throw error;
    return sendError(response, error.code, error.message);
  }
  const header = encode('ResponseHeader', host.memberHeader({ revision: host.store.currentRevision() }));
  response.setHeader('Grpc-Metadata-Content-Type', 'application/grpc');
  send(response, 200, 'application/json', goJson({ header, token }));
}

/** A maintenance, cluster or auth call through the gateway: the server's own gRPC handler, JSON in and out. */
async function grpcUnary(
  host: ClientHttpHost,
  route: { method: string; handler: GrpcUnaryHandler },
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const read = readProtoBody(requestTypeOf(route.method), await readBody(request));
  if (!read.ok) return sendError(response, GrpcCode.INVALID_ARGUMENT, read.message);
  const grpcRequest = toGrpcShape(read.json) as Record<string, unknown>;
  try {
    host.driver.tick();
    host.authorize(route.method, request.headers.authorization, grpcRequest);
  } catch (error) {
    if (!isEtcdError(error)) throw error;
    return sendError(response, error.code, error.message);
  }
  const answer = await new Promise<{ error: { code?: number; details?: string } | null; value?: Record<string, unknown> }>((resolve) => {
    route.handler({ request: grpcRequest }, (error, value) => resolve(value === undefined ? { error } : { error, value }));
  });
  if (answer.error !== null) return sendError(response, answer.error.code ?? GrpcCode.UNKNOWN, answer.error.details ?? '');
  response.setHeader('Grpc-Metadata-Content-Type', 'application/grpc');
  send(response, 200, 'application/json', goJson(fromGrpcShape(answer.value ?? {}) ?? {}));
}
