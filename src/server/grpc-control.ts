/**
 * A tiny HTTP control endpoint beside the gRPC server, for fast-forwarding
 * time and emptying the store from outside the process (a CI job, a shell,
 * a test in another language):
 *
 *   curl -X POST 'http://127.0.0.1:2381/advance?ms=5500'
 *     → {"nowMs":5731,"fastForwardMs":5500,"revision":3}
 *   curl http://127.0.0.1:2381/time
 *     → {"nowMs":5740,"fastForwardMs":5500,"revision":3}
 *   curl -X POST http://127.0.0.1:2381/reset
 *     → {"nowMs":5802,"fastForwardMs":5500,"revision":1}
 *
 * `POST /advance?ms=N` moves the store's clock N ms ahead of wall time
 * (cumulative) and answers once everything due by then has happened:
 * leases that live clients keep alive are carried across, the others are
 * revoked (RealTimeDriver.advance). `GET /time` reports virtual time
 * without moving it beyond wall time. `POST /reset` empties the store
 * (GrpcEtcdServer.reset). Errors are a JSON `{"error": …}`: 400 bad input,
 * 403 refused, 404 unknown path, 405 wrong method.
 *
 * Safety: it listens on loopback unless given another host, and refuses
 * (403) any request with an `Origin` header (a web page's fetch) or a Host
 * header that is not its own address (DNS rebinding): the Host must name
 * the port it listens on and either the address it is bound to, `localhost`
 * (when bound to loopback) or, when bound to every interface, an IP literal.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { GrpcEtcdServer } from './grpc-server.ts';

/** A running control endpoint: its `url` and `close()`. */
export interface ControlEndpoint {
  readonly port: number;
  /** http://host:port */
  readonly url: string;
  close(): Promise<void>;
}

/** Where the control endpoint listens. */
export interface ControlEndpointOptions {
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port: number;
}

const routes = 'POST /advance?ms=N, GET /time, POST /reset';

/** Serve `POST /advance?ms=N` and `GET /time` over HTTP for `server`, to fast-forward it from another process. */
export async function startControlEndpoint(server: GrpcEtcdServer, options: ControlEndpointOptions): Promise<ControlEndpoint> {
  const host = options.host ?? '127.0.0.1';
  let port = 0;
  const http: Server = createServer((request, response) => handle(server, { host, port }, request, response));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `http://${bracketed(host)}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Whether a Host header names this endpoint (see the file comment); undefined (no Host) does not. */
export function isOwnHost(hostHeader: string | undefined, bound: { host: string; port: number }): boolean {
  if (hostHeader === undefined) return false;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(hostHeader.trim().toLowerCase());
  if (match === null || Number(match[3]) !== bound.port) return false;
  const name = match[1] ?? match[2]!;
  const boundHost = bound.host.toLowerCase();
  if (name === boundHost) return true;
  if (name === 'localhost') return isLoopback(boundHost);
  return isWildcard(boundHost) && isIP(name) !== 0;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

function timeOf(server: GrpcEtcdServer): { nowMs: number; fastForwardMs: number; revision: number } {
  return { nowMs: server.nowMs(), fastForwardMs: server.driver.fastForwardMs, revision: server.store.currentRevision() };
}

function handle(server: GrpcEtcdServer, bound: { host: string; port: number }, request: IncomingMessage, response: ServerResponse): void {
  request.resume(); // no body is read
  const origin = request.headers.origin;
  if (origin !== undefined) return reply(response, 403, { error: `cross-origin requests are refused (Origin: ${origin})` });
  if (!isOwnHost(request.headers.host, bound)) {
    return reply(response, 403, {
      error: `refused: Host ${JSON.stringify(request.headers.host ?? null)} is not this endpoint (${bracketed(bound.host)}:${bound.port})`,
    });
  }
  const url = new URL(request.url ?? '/', 'http://control');
  if (url.pathname === '/time') {
    if (request.method !== 'GET') return reply(response, 405, { error: 'use GET /time' });
    return reply(response, 200, timeOf(server));
  }
  if (url.pathname === '/advance') {
    if (request.method !== 'POST') return reply(response, 405, { error: 'use POST /advance?ms=N' });
    const text = url.searchParams.get('ms');
    const ms = text === null || text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(ms) || ms < 0) return reply(response, 400, { error: `ms must be a non-negative number, got ${JSON.stringify(text)}` });
    try {
      server.advance(ms);
    } catch (error) {
      if (error instanceof RangeError) return reply(response, 400, { error: error.message });
      throw error;
    }
    return reply(response, 200, timeOf(server));
  }
  if (url.pathname === '/reset') {
    if (request.method !== 'POST') return reply(response, 405, { error: 'use POST /reset' });
    server.reset();
    return reply(response, 200, timeOf(server));
  }
  reply(response, 404, { error: `not found: ${routes}` });
}
