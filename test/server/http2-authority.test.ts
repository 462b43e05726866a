/**
 * The client port's `:authority` handling over whole connections: a client
 * whose `:authority` carries a scheme (as etcdctl `endpoint status --cluster`
 * sends it) has every header block of its connection rewritten, one with a
 * plain authority has its bytes passed through after the first block. Many
 * calls per connection, each with its own metadata, so that HPACK's dynamic
 * table (entries added, reused, evicted) must stay in step on both paths.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';

type Callback = (error: grpc.ServiceError | null, response: { header: { revision: string }; kvs?: { value: Buffer }[] }) => void;
type KvClient = grpc.Client & {
  Put(request: object, metadata: grpc.Metadata, callback: Callback): void;
  Range(request: object, metadata: grpc.Metadata, callback: Callback): void;
};

function kvClient(address: string, authority: string | undefined): KvClient {
  const definition = protoLoader.loadSync(fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url)), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const KV = (grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject)['KV'] as grpc.ServiceClientConstructor;
  return new KV(address, grpc.credentials.createInsecure(), authority === undefined ? {} : { 'grpc.default_authority': authority }) as unknown as KvClient;
}

const call = (client: KvClient, method: 'Put' | 'Range', request: object, metadata: grpc.Metadata) =>
  new Promise<Parameters<Callback>[1]>((resolve, reject) =>
    client[method](request, metadata, (error, response) => (error === null ? resolve(response) : reject(error))),
  );

describe(':authority on whole connections', () => {
  let server: GrpcEtcdServer;
  beforeAll(async () => {
    server = await startGrpcServer({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  for (const [label, authority] of [
    ['a scheme in :authority (every block rewritten)', (address: string) => `http://${address}`],
    ['a plain :authority (passed through after the first block)', () => undefined],
  ] as const) {
    it(`serves 300 calls with changing metadata on one connection with ${label}`, async () => {
      const client = kvClient(server.address, authority(server.address));
      try {
        for (let i = 0; i < 150; i++) {
          const metadata = new grpc.Metadata();
          // New names and values now and then (dynamic-table entries added, reused and, past 4 KiB, evicted).
          metadata.set(`x-call-${i % 40}`, `value-${i}-${'z'.repeat(i % 7 === 0 ? 200 : 3)}`);
          const key = Buffer.from(`${label.slice(0, 8)}/${i}`);
          await call(client, 'Put', { key, value: Buffer.from(String(i)) }, metadata);
          const got = await call(client, 'Range', { key }, metadata);
          expect(got.kvs?.[0]?.value.toString()).toBe(String(i));
        }
      } finally {
        client.close();
      }
    });
  }
});
