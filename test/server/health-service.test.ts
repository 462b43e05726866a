// The gRPC health service as etcd 3.4 registers it (grpc-go's health server with "" SERVING): Check
// and Watch over a real grpc-js server and client.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHealthService } from '../../src/server/health-service.ts';
import { loadProtoServices } from '../../src/server/proto-services.ts';

const healthProto = fileURLToPath(new URL('../../src/server/proto/health.proto', import.meta.url));
type Health = grpc.Client & {
  Check(request: { service: string }, callback: (error: grpc.ServiceError | null, response: { status: string }) => void): void;
  Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
};

let server: grpc.Server;
let client: Health;

beforeAll(async () => {
  server = new grpc.Server();
  addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const definition = loadProtoServices(healthProto, { enums: String, defaults: true }).get('grpc.health.v1.Health')!;
  const Client = grpc.makeGenericClientConstructor(definition as grpc.ServiceDefinition<grpc.UntypedServiceImplementation>, 'Health');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as Health;
});
afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

const check = (service: string) =>
  new Promise<{ status?: string; error?: grpc.ServiceError }>((resolve) =>
    client.Check({ service }, (error, response) => resolve(error ? { error } : { status: response.status })),
  );

describe('health service', () => {
  it('Check: the server ("") is SERVING; any other service is NOT_FOUND "unknown service"', async () => {
    expect(await check('')).toEqual({ status: 'SERVING' });
    const { error } = await check('etcdserverpb.KV');
    expect([error?.code, error?.details]).toEqual([grpc.status.NOT_FOUND, 'unknown service']);
  });

  it('Watch: SERVING for the server, SERVICE_UNKNOWN for another, as the first message', async () => {
    const first = (service: string) =>
      new Promise<string>((resolve, reject) => {
        const stream = client.Watch({ service });
        stream.on('data', (message: { status: string }) => {
          resolve(message.status);
          stream.cancel();
        });
        stream.on('error', (error: grpc.ServiceError) => {
          if (error.code !== grpc.status.CANCELLED) reject(error);
        });
      });
    expect(await first('')).toBe('SERVING');
    expect(await first('nope')).toBe('SERVICE_UNKNOWN');
  });

  const goHealth = '/usr/share/gocode/src/google.golang.org/grpc/health/server.go';
  const etcdGrpc = '/usr/share/gocode/src/go.etcd.io/etcd/etcdserver/api/v3rpc/grpc.go';
  it.skipIf(!existsSync(goHealth) || !existsSync(etcdGrpc))('is what etcd registers: grpc-go health with "" SERVING', () => {
    expect(readFileSync(etcdGrpc, 'utf8')).toContain('hsrv.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)');
    const source = readFileSync(goHealth, 'utf8');
    expect(source).toContain('return nil, status.Error(codes.NotFound, "unknown service")');
    expect(source).toContain('update <- healthpb.HealthCheckResponse_SERVICE_UNKNOWN');
  });
});
