/**
 * How the client port hands an HTTP/2 connection to grpc-js
 * (src/server/http2-handover.ts): the socket itself when the first request's
 * `:authority` is plain, the `:authority` rewriter when it carries a scheme
 * or when the client sends something other than a request first; calls
 * answer on every path, whether the client waited for the server's SETTINGS
 * (grpc-js) or not (node:http2).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { connect as connectHttp2, constants as http2Constants } from 'node:http2';
import { type AddressInfo, createServer, type Server, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHealthService } from '../../src/server/health-service.ts';
import { AuthorityRewritingStream } from '../../src/server/http2-authority.ts';
import { handOverHttp2 } from '../../src/server/http2-handover.ts';

type HandedOver = 'socket' | 'rewriter' | 'other';

describe('handing HTTP/2 connections to grpc-js', () => {
  const grpcServer = new grpc.Server();
  addHealthService(grpcServer);
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  let handedOver: HandedOver[] = [];
  let listener: Server;
  let address = '';
  beforeAll(async () => {
    listener = createServer((socket) =>
      handOverHttp2(socket, (connection) => {
        handedOver.push(connection instanceof AuthorityRewritingStream ? 'rewriter' : connection instanceof Socket ? 'socket' : 'other');
        injector.injectConnection(connection);
      }),
    );
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    injector.destroy();
    listener.close();
    grpcServer.forceShutdown();
  });

  const definition = protoLoader.loadSync(fileURLToPath(new URL('../../src/server/proto/health.proto', import.meta.url)), { keepCase: true, enums: String });
  const Health = (((grpc.loadPackageDefinition(definition)['grpc'] as grpc.GrpcObject)['health'] as grpc.GrpcObject)['v1'] as grpc.GrpcObject)[
    'Health'
  ] as grpc.ServiceClientConstructor;

  /** Three Health.Check calls on one grpc-js connection. */
  const grpcChecks = async (authority: string | undefined) => {
    const client = new Health(address, grpc.credentials.createInsecure(), authority === undefined ? {} : { 'grpc.default_authority': authority });
    try {
      const answers: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        answers.push(
          await new Promise((resolve, reject) =>
            client['Check']!({ service: '' }, (error: grpc.ServiceError | null, response: unknown) => (error === null ? resolve(response) : reject(error))),
          ),
        );
      }
      return answers;
    } finally {
      client.close();
    }
  };

  /** One Health.Check over node:http2 (which sends its request without waiting for the server's SETTINGS), optionally after a PING. */
  const http2Check = async (pingFirst: boolean) => {
    const session = connectHttp2(`http://${address}`);
    try {
      if (pingFirst) {
        // (A ping before the session is connected is cancelled.)
        await new Promise((resolve) => session.once('connect', resolve));
        await new Promise<void>((resolve, reject) => session.ping((error) => (error === null ? resolve() : reject(error))));
      }
      // The message: no compression, 0 bytes (service '').
      const request = session.request({
        [http2Constants.HTTP2_HEADER_METHOD]: 'POST',
        [http2Constants.HTTP2_HEADER_PATH]: '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
      });
      request.end(Buffer.from([0, 0, 0, 0, 0]));
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      const trailers = await new Promise<Record<string, unknown>>((resolve) => request.on('trailers', resolve));
      await new Promise((resolve) => request.on('close', resolve));
      return { grpcStatus: trailers['grpc-status'], body: Buffer.concat(chunks).toString('hex') };
    } finally {
      session.close();
    }
  };

  it('hands over the socket itself when the first request has a plain :authority (grpc-js)', async () => {
    handedOver = [];
    expect(await grpcChecks(undefined)).toEqual([{ status: 'SERVING' }, { status: 'SERVING' }, { status: 'SERVING' }]);
    expect(handedOver).toEqual(['socket']);
  });

  it('hands over the rewriter when :authority carries a scheme (grpc-js)', async () => {
    handedOver = [];
    expect(await grpcChecks(`http://${address}`)).toEqual([{ status: 'SERVING' }, { status: 'SERVING' }, { status: 'SERVING' }]);
    expect(handedOver).toEqual(['rewriter']);
  });

  it('serves a client that does not wait for the server SETTINGS, natively; and the rewriter when a PING comes first', async () => {
    handedOver = [];
    // SERVING is 1: field 1, varint 1 → 08 01, in a 2-byte uncompressed gRPC message.
    expect(await http2Check(false)).toEqual({ grpcStatus: '0', body: '00000000020801' });
    expect(handedOver).toEqual(['socket']);
    handedOver = [];
    expect(await http2Check(true)).toEqual({ grpcStatus: '0', body: '00000000020801' });
    expect(handedOver).toEqual(['rewriter']);
  });
});
