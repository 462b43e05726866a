/**
 * A Transport to any etcd v3 endpoint over gRPC (a real etcd, a cluster
 * member, or `leaselab serve`), so the same client code — Session, Mutex,
 * Election, the lock algorithms, scenario scripts — runs on real time
 * against a real server:
 *
 *   const transport = new GrpcTransport('127.0.0.1:2379');
 *   const client = new Client({ transport, runtime: realRuntime });
 *   const session = await Session.create(client, { ttlSeconds: 5 });
 *   ...
 *   transport.close();
 *
 * Messages go through the server's codec (src/server/grpc-codec.ts), so the
 * client sees the store's message types. A gRPC status carrying one of
 * etcd's errors rejects with that EtcdError class (etcd refused, nothing
 * changed); any other failure (connection refused, reset, deadline) is a
 * plain Error, which the client counts as `unknown` (it may have been
 * applied). The transport sets no deadlines: the client does.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import * as etcdErrors from '../store/errors.ts';
import { EtcdError, type GrpcCode } from '../store/errors.ts';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, WatchRequest, WatchResponse } from '../store/messages.ts';
import { fromGrpc, type GrpcObject, toGrpc } from './grpc-codec.ts';
import type { MessageName } from '../store/message-schemas.ts';
import type { BidiStream, KeepAliveStreamOptions, StreamHandlers, Transport, UnaryMethod, UnaryRequests, UnaryResponses } from '../client/transport.ts';

/**
 * The metadata clientv3's WithRequireLeader sends (rpctypes.MetadataRequireLeaderKey
 * and MetadataHasLeader): etcd's stream interceptor then refuses the stream when the
 * member has no leader, and its leader monitor cancels it once the member has been
 * without one for three election timeouts, both with "etcdserver: no leader".
 */
const requireLeaderKey = 'hasleader';
const requireLeaderValue = 'true';

const protoPath = fileURLToPath(new URL('./proto/rpc.proto', import.meta.url));

/** Each unary method: service, gRPC method, request and response message names. */
const unaryMethods: { readonly [M in UnaryMethod]: readonly [service: string, rpc: string, request: MessageName, response: MessageName] } = {
  range: ['KV', 'Range', 'RangeRequest', 'RangeResponse'],
  put: ['KV', 'Put', 'PutRequest', 'PutResponse'],
  deleteRange: ['KV', 'DeleteRange', 'DeleteRangeRequest', 'DeleteRangeResponse'],
  txn: ['KV', 'Txn', 'TxnRequest', 'TxnResponse'],
  compact: ['KV', 'Compact', 'CompactionRequest', 'CompactionResponse'],
  leaseGrant: ['Lease', 'LeaseGrant', 'LeaseGrantRequest', 'LeaseGrantResponse'],
  leaseRevoke: ['Lease', 'LeaseRevoke', 'LeaseRevokeRequest', 'LeaseRevokeResponse'],
  leaseTimeToLive: ['Lease', 'LeaseTimeToLive', 'LeaseTimeToLiveRequest', 'LeaseTimeToLiveResponse'],
  leaseLeases: ['Lease', 'LeaseLeases', 'LeaseLeasesRequest', 'LeaseLeasesResponse'],
};

let packageCache: grpc.GrpcObject | undefined;
function etcdserverpb(): grpc.GrpcObject {
  if (packageCache === undefined) {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    packageCache = grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject;
  }
  return packageCache;
}

/** etcd's error classes by their exact message. */
let errorsByText: Map<string, new () => EtcdError> | undefined;

/** A failed call's status as the EtcdError etcd meant, or a plain Error when it is not one of etcd's. */
export function errorOfStatus(code: number, details: string): Error {
  if (errorsByText === undefined) {
    errorsByText = new Map();
    for (const value of Object.values(etcdErrors)) {
      const text = (value as { text?: unknown }).text;
      if (typeof value === 'function' && typeof text === 'string') errorsByText.set(text, value as new () => EtcdError);
    }
  }
  const known = errorsByText.get(details);
  if (known !== undefined) return new known();
  if (details.startsWith('etcdserver:')) return new EtcdError(code as GrpcCode, details);
  const error = new Error(`gRPC ${grpc.status[code] ?? code}: ${details}`);
  (error as Error & { code?: number }).code = code;
  return error;
}

export interface GrpcTransportOptions {
  /** Extra channel options (e.g. 'grpc.max_receive_message_length'). */
  channelOptions?: grpc.ChannelOptions;
}

export class GrpcTransport implements Transport {
  readonly address: string;
  readonly #clients = new Map<string, grpc.Client>();
  readonly #channelOptions: grpc.ChannelOptions;
  #closed = false;

  /** `address`: host:port, or a URL such as http://127.0.0.1:2379. */
  constructor(address: string, options: GrpcTransportOptions = {}) {
    this.address = address.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
    this.#channelOptions = { 'grpc.max_receive_message_length': 64 * 1024 * 1024, ...options.channelOptions };
  }

  #client(service: string): grpc.Client {
    let client = this.#clients.get(service);
    if (client === undefined) {
      const Ctor = etcdserverpb()[service] as grpc.ServiceClientConstructor;
      client = new Ctor(this.address, grpc.credentials.createInsecure(), this.#channelOptions);
      this.#clients.set(service, client);
    }
    return client;
  }

  call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    const [service, rpc, requestName, responseName] = unaryMethods[method];
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(new Error('gRPC transport closed'));
        return;
      }
      const client = this.#client(service) as unknown as Record<
        string,
        (request: GrpcObject, callback: (error: grpc.ServiceError | null, response: GrpcObject) => void) => void
      >;
      client[rpc]!.call(client, toGrpc(requestName, request as never), (error, response) => {
        if (error !== null) reject(errorOfStatus(error.code, error.details));
        else resolve(fromGrpc(responseName, response) as UnaryResponses[M]);
      });
    });
  }

  openWatch(handlers: StreamHandlers<WatchResponse>): BidiStream<WatchRequest> {
    return this.#stream('Watch', 'Watch', 'WatchRequest', 'WatchResponse', handlers);
  }

  openKeepAlive(handlers: StreamHandlers<LeaseKeepAliveResponse>, options?: KeepAliveStreamOptions): BidiStream<LeaseKeepAliveRequest> {
    return this.#stream('Lease', 'LeaseKeepAlive', 'LeaseKeepAliveRequest', 'LeaseKeepAliveResponse', handlers, options?.requireLeader === true);
  }

  #stream<Req, Res>(
    service: string,
    rpc: string,
    requestName: MessageName,
    responseName: MessageName,
    handlers: StreamHandlers<Res>,
    requireLeader = false,
  ): BidiStream<Req> {
    const client = this.#client(service) as unknown as Record<string, (metadata?: grpc.Metadata) => grpc.ClientDuplexStream<GrpcObject, GrpcObject>>;
    let metadata: grpc.Metadata | undefined;
    if (requireLeader) {
      metadata = new grpc.Metadata();
      metadata.set(requireLeaderKey, requireLeaderValue);
    }
    const call = metadata === undefined ? client[rpc]!.call(client) : client[rpc]!.call(client, metadata);
    let ended = false;
    const end = (error?: Error) => {
      if (ended) return;
      ended = true;
      handlers.end(error);
    };
    call.on('data', (message: GrpcObject) => {
      if (!ended) handlers.message(fromGrpc(responseName, message) as Res);
    });
    call.on('error', (error: grpc.ServiceError) => end(error.code === grpc.status.CANCELLED && closing ? undefined : errorOfStatus(error.code, error.details)));
    call.on('end', () => end());
    let closing = false;
    return {
      send: (request) => {
        if (!ended && !closing) call.write(toGrpc(requestName, request as never));
      },
      close: () => {
        if (closing) return;
        closing = true;
        call.cancel();
        // Cancelling reports CANCELLED; the stream's user asked for it, so it ends without an error.
        setImmediate(() => end());
      },
    };
  }

  /** Close every channel; calls in flight fail. */
  close(): void {
    this.#closed = true;
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}
