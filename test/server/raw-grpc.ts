/**
 * A raw gRPC client for etcd's API (the repo's rpc.proto through
 * @grpc/grpc-js), for tests that talk to a real etcd and to leaselab's
 * server the same way: requests are proto-loader objects (int64 as decimal
 * strings, enums by name or number), answers come back with defaults left
 * out, so two servers' answers compare as plain JSON.
 *
 *   const client = rawClient('127.0.0.1:2379');
 *   await client.unary('KV', 'Put', { key: Buffer.from('a'), value: Buffer.from('1') })
 *     → { res: { header: { revision: '2', … } } }  or  { err: { code: 9, message: '…' } }
 *   const watch = client.watch();  watch.send({ create_request: { key: … } });  watch.messages
 *   client.close();
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const protoPath = fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url));

type Plain = { [field: string]: unknown };
export type Outcome = { res: Plain } | { err: { code: number; message: string } };

let cache: grpc.GrpcObject | undefined;
function etcdserverpb(): grpc.GrpcObject {
  if (cache === undefined) {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: false, oneofs: false, bytes: String });
    cache = grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject;
  }
  return cache;
}

export interface RawWatch {
  /** Every message received, in order (proto-loader objects, bytes as base64). */
  messages: Plain[];
  /** The status the stream ended with, if it ended. */
  ended: { code: number; message: string } | undefined;
  send(request: Plain): void;
  close(): void;
}

export interface RawKeepAlive {
  /** Send one request and wait for its answer. */
  once(request: Plain, timeoutMs?: number): Promise<Outcome>;
  close(): void;
}

export interface RawClient {
  unary(
    service: 'KV' | 'Lease' | 'Maintenance' | 'Cluster',
    method: string,
    request: Plain,
    timeoutMs?: number,
    metadata?: Record<string, string>,
  ): Promise<Outcome>;
  /** A server-streaming call (Maintenance.Snapshot): every message, then how it ended. */
  serverStream(
    service: 'Maintenance',
    method: string,
    request: Plain,
    timeoutMs?: number,
  ): Promise<{ messages: Plain[]; status: { code: number; message: string } }>;
  watch(): RawWatch;
  keepAlive(): RawKeepAlive;
  close(): void;
}

export function rawClient(address: string): RawClient {
  const pkg = etcdserverpb();
  const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 };
  const clients = new Map<string, grpc.Client>();
  const clientOf = (service: string): grpc.Client => {
    let client = clients.get(service);
    if (client === undefined) {
      const Ctor = pkg[service] as grpc.ServiceClientConstructor;
      client = new Ctor(address, grpc.credentials.createInsecure(), options);
      clients.set(service, client);
    }
    return client;
  };
  const asError = (error: grpc.ServiceError) => ({ err: { code: error.code, message: error.details } });
  return {
    unary(service, method, request, timeoutMs = 10_000, metadata = {}) {
      const client = clientOf(service) as unknown as Record<
        string,
        (req: Plain, meta: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Plain) => void) => void
      >;
      const meta = new grpc.Metadata();
      for (const [name, value] of Object.entries(metadata)) meta.set(name, value);
      return new Promise((resolve) => {
        client[method]!.call(client, request, meta, { deadline: Date.now() + timeoutMs }, (error, response) => {
          resolve(error !== null ? asError(error) : { res: response });
        });
      });
    },
    serverStream(service, method, request, timeoutMs = 20_000) {
      const client = clientOf(service) as unknown as Record<
        string,
        (req: Plain, meta: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<Plain>
      >;
      const call = client[method]!.call(client, request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs });
      const messages: Plain[] = [];
      return new Promise((resolve) => {
        call.on('data', (message: Plain) => messages.push(message));
        call.on('error', (error: grpc.ServiceError) => resolve({ messages, status: { code: error.code, message: error.details } }));
        call.on('end', () => resolve({ messages, status: { code: 0, message: '' } }));
      });
    },
    watch() {
      const client = clientOf('Watch') as unknown as { Watch(): grpc.ClientDuplexStream<Plain, Plain> };
      const call = client.Watch();
      const watch: RawWatch = {
        messages: [],
        ended: undefined,
        send: (request) => void call.write(request),
        close: () => call.cancel(),
      };
      call.on('data', (message: Plain) => watch.messages.push(message));
      call.on('error', (error: grpc.ServiceError) => void (watch.ended = { code: error.code, message: error.details }));
      call.on('end', () => void (watch.ended ??= { code: 0, message: '' }));
      return watch;
    },
    keepAlive() {
      const client = clientOf('Lease') as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<Plain, Plain> };
      const call = client.LeaseKeepAlive();
      const waiting: ((outcome: Outcome) => void)[] = [];
      call.on('data', (message: Plain) => waiting.shift()?.({ res: message }));
      call.on('error', (error: grpc.ServiceError) => {
        for (const resolve of waiting.splice(0)) resolve(asError(error));
      });
      return {
        once(request, timeoutMs = 10_000) {
          return new Promise<Outcome>((resolve) => {
            const timer = setTimeout(() => {
              const i = waiting.indexOf(done);
              if (i >= 0) waiting.splice(i, 1);
              resolve({ err: { code: grpc.status.DEADLINE_EXCEEDED, message: `no keepalive answer in ${timeoutMs} ms` } });
            }, timeoutMs);
            const done = (outcome: Outcome) => {
              clearTimeout(timer);
              resolve(outcome);
            };
            waiting.push(done);
            call.write(request);
          });
        },
        close: () => call.cancel(),
      };
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
