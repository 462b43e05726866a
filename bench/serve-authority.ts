/**
 * What the client port's HTTP/2 `:authority` handling (src/server/http2-authority.ts)
 * costs a gRPC client. Two measures, each as a ratio in the same process:
 *
 * - the rewriter alone: a recorded connection (a grpc-js client's sequential
 *   Puts) replayed through it, with a plain `:authority` (passed through
 *   after the first header block) and with `http://…` (every block decoded
 *   and re-encoded), per request;
 * - end to end: sequential Puts over loopback into one grpc-js server,
 *   through a socket handed over as it is, through the rewriter with a
 *   plain authority, and with a scheme. Alternating trials, medians.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { AuthorityRewritingStream } from '../src/server/http2-authority.ts';
import { median, type BenchOptions, type BenchTable } from './table.ts';

type PutClient = grpc.Client & { Put(request: { key: Buffer; value: Buffer }, callback: (error: grpc.ServiceError | null) => void): void };

const kvService = (() => {
  const definition = protoLoader.loadSync(fileURLToPath(new URL('../src/server/proto/rpc.proto', import.meta.url)), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return (grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject)['KV'] as grpc.ServiceClientConstructor;
})();

const put = (client: PutClient, i: number) =>
  new Promise<void>((resolve, reject) =>
    client.Put({ key: Buffer.from(`k${i % 10}`), value: Buffer.alloc(100, 'v') }, (error) => (error === null ? resolve() : reject(error))),
  );

/** A grpc-js server answering Put, fed by listeners that wrap (or not) each socket. */
function putServer(): { listen(wrap: (socket: Socket) => Duplex): Promise<{ address: string; listener: Server }>; close(): void } {
  const server = new grpc.Server();
  server.addService(kvService.service, {
    Put: (_call: unknown, callback: (error: null, response: object) => void) => callback(null, { header: { revision: '2' } }),
  });
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listeners: Server[] = [];
  return {
    listen: async (wrap) => {
      const listener = createServer((socket) => injector.injectConnection(wrap(socket)));
      listeners.push(listener);
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', () => resolve()));
      return { address: `127.0.0.1:${(listener.address() as { port: number }).port}`, listener };
    },
    close: () => {
      for (const listener of listeners) listener.close();
      injector.destroy();
      server.forceShutdown();
    },
  };
}

/** The bytes a client sends for `requests` sequential Puts, as the server's socket reads them. */
async function recordConnection(requests: number, authority: string | undefined): Promise<Buffer[]> {
  const server = putServer();
  const chunks: Buffer[] = [];
  const { address } = await server.listen((socket) => {
    socket.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    return new AuthorityRewritingStream(socket);
  });
  const client = new kvService(
    address,
    grpc.credentials.createInsecure(),
    authority === undefined ? {} : { 'grpc.default_authority': authority.replace('ADDRESS', address) },
  ) as unknown as PutClient;
  for (let i = 0; i < requests; i++) await put(client, i);
  client.close();
  server.close();
  return chunks;
}

/** Nanoseconds the rewriter spends on a recorded connection (a fake socket: no I/O). */
function replayNs(chunks: Buffer[]): number {
  const socket = Object.assign(new EventEmitter(), { setNoDelay() {}, pause() {}, resume() {}, write() {}, end() {}, destroy() {} }) as unknown as Socket;
  const stream = new AuthorityRewritingStream(socket);
  stream.on('data', () => {});
  const start = process.hrtime.bigint();
  for (const chunk of chunks) socket.emit('data', chunk);
  const ns = Number(process.hrtime.bigint() - start);
  stream.destroy();
  return ns;
}

async function putsPerSecond(client: PutClient, ms: number): Promise<number> {
  let puts = 0;
  const start = performance.now();
  while (performance.now() - start < ms) await put(client, puts++);
  return (puts * 1000) / (performance.now() - start);
}

export async function runBench(options: BenchOptions): Promise<BenchTable[]> {
  const requests = options.quick ? 500 : 2000;
  const plain = await recordConnection(requests, undefined);
  const scheme = await recordConnection(requests, 'http://ADDRESS');
  const replays = options.quick ? 5 : 15;
  const plainNs: number[] = [];
  const schemeNs: number[] = [];
  for (let i = 0; i < replays; i++) {
    plainNs.push(replayNs(plain));
    schemeNs.push(replayNs(scheme));
  }
  const perRequestUs = (ns: number[]) => median(ns) / requests / 1000;

  const server = putServer();
  const raw = await server.listen((socket) => {
    socket.setNoDelay(true);
    return socket;
  });
  const wrapped = await server.listen((socket) => new AuthorityRewritingStream(socket));
  const clients: [string, PutClient][] = [
    ['socket handed over as it is', new kvService(raw.address, grpc.credentials.createInsecure()) as unknown as PutClient],
    ['rewriter, plain :authority', new kvService(wrapped.address, grpc.credentials.createInsecure()) as unknown as PutClient],
    [
      'rewriter, http:// :authority',
      new kvService(wrapped.address, grpc.credentials.createInsecure(), { 'grpc.default_authority': `http://${wrapped.address}` }) as unknown as PutClient,
    ],
  ];
  const trialMs = options.quick ? 300 : 1000;
  const trials = options.quick ? 3 : 7;
  const rates = clients.map((): number[] => []);
  try {
    for (const [, client] of clients) await putsPerSecond(client, 200);
    for (let trial = 0; trial < trials; trial++) for (const [i, [, client]] of clients.entries()) rates[i]!.push(await putsPerSecond(client, trialMs));
  } finally {
    for (const [, client] of clients) client.close();
    server.close();
  }
  const base = median(rates[0]!);
  return [
    {
      title: 'client port: the HTTP/2 :authority rewriter on its own (a recorded connection replayed)',
      columns: ['connection', 'µs per request', 'ratio to plain'],
      rows: [
        ['plain :authority (passed through after the first block)', perRequestUs(plainNs), 1],
        ['http:// :authority (every block re-encoded)', perRequestUs(schemeNs), perRequestUs(schemeNs) / perRequestUs(plainNs)],
      ],
      notes: [`${requests} sequential Puts by a grpc-js client, replayed ${replays} times each; medians.`],
    },
    {
      title: 'client port: sequential Puts through the :authority rewriter, end to end',
      columns: ['path', 'puts/s', 'ratio to the bare socket'],
      rows: clients.map(([label], i) => [label, median(rates[i]!), median(rates[i]!) / base]),
      notes: [`${trials} alternating trials of ${trialMs} ms, medians; one grpc-js server answering Put at once, loopback.`],
    },
  ];
}
