/**
 * A tiny HTTP control endpoint beside the gRPC server, for fast-forwarding
 * time from outside the process (a CI job, a shell, a test in another
 * language):
 *
 *   curl -X POST 'http://127.0.0.1:2381/advance?ms=5500'
 *     → {"nowMs":5731,"fastForwardMs":5500,"revision":3}
 *   curl http://127.0.0.1:2381/time
 *     → {"nowMs":5740,"fastForwardMs":5500,"revision":3}
 *
 * `POST /advance?ms=N` moves the store's clock N ms ahead of wall time
 * (cumulative) and answers once every lease due by then is revoked.
 * `GET /time` reports virtual time without moving it beyond wall time.
 * Anything else: 404 (or 405 for the wrong method), a JSON `{"error": …}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

/** Serve `POST /advance?ms=N` and `GET /time` over HTTP for `server`, to fast-forward it from another process. */
export async function startControlEndpoint(server: GrpcEtcdServer, options: ControlEndpointOptions): Promise<ControlEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const http: Server = createServer((request, response) => handle(server, request, response));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}

function timeOf(server: GrpcEtcdServer): { nowMs: number; fastForwardMs: number; revision: number } {
  return { nowMs: server.nowMs(), fastForwardMs: server.driver.fastForwardMs, revision: server.store.currentRevision() };
}

function handle(server: GrpcEtcdServer, request: IncomingMessage, response: ServerResponse): void {
  request.resume(); // no body is read
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
    server.advance(ms);
    return reply(response, 200, timeOf(server));
  }
  reply(response, 404, { error: 'not found: POST /advance?ms=N or GET /time' });
}
