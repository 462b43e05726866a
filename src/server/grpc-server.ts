/**
 * etcd v3's gRPC services over an EtcdStore, so that real etcd clients (the
 * `etcd3` npm package, etcdctl, any gRPC etcd client) can use leaselab:
 *
 *   const server = await startGrpcServer({ port: 0 });      // 127.0.0.1, ephemeral port
 *   const client = new Etcd3({ hosts: server.address });
 *   const lease = client.lease(5, { autoKeepAlive: false });
 *   await lease.put('k').value('v');
 *   server.advance(5_500);                                  // no sleeping: the lease expires now
 *   await client.get('k').string();                         // null
 *   client.close(); await server.close();
 *
 * Services: KV (Range, Put, DeleteRange, Txn, Compact), Lease (LeaseGrant,
 * LeaseRevoke, LeaseKeepAlive stream, LeaseTimeToLive, LeaseLeases), Watch
 * (stream), Maintenance and Cluster as a one-member etcd answers them
 * (maintenance-service.ts), Auth with its checks on every call
 * (auth/auth-service.ts), grpc.health.v1 (health-service.ts). Maintenance
 * Hash and Snapshot answer UNIMPLEMENTED. The same port serves HTTP/1.1:
 * /health, /version, /metrics and the v3 JSON gateway (client-port.ts,
 * client-http.ts), over TLS when given certificates.
 *
 * Time: the store's VirtualClock follows the wall clock (RealTimeDriver,
 * caught up every 10 ms and before each request), with etcd's loops on it;
 * `advance(ms)` fast-forwards it, carrying across the leases that live
 * clients keep alive on their keepalive streams (see RealTimeDriver). A store error is sent as a gRPC status
 * with its code and etcd's exact message, which clients map to their own
 * errors (etcd3: "etcdserver: requested lease not found" → EtcdLeaseInvalidError).
 *
 * Watch backpressure: a watch response is written to the gRPC stream unless
 * the stream's buffer is already full; once `write()` reports it full the
 * sink refuses (returns false), the store queues or un-syncs the stream's
 * watchers, and on 'drain' the server asks the store to catch them up.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type { WatchSink, WatchStream } from '../store/etcd-api.ts';
import { EtcdStore, type EtcdStoreOptions } from '../store/etcd-store.ts';
import { GrpcCode, isEtcdError } from '../store/errors.ts';
import type { ResponseHeader } from '../store/messages.ts';
import { VirtualClock } from '../store/virtual-clock.ts';
import { fromGrpc, type GrpcObject, toGrpc } from './grpc-codec.ts';
import type { MessageName, Messages } from './json-codec.ts';
import { RealTimeDriver, type RealTimeDriverOptions } from './real-time-driver.ts';
import { type ClientPort, type ClientPortTls, listenClientPort } from './client-port.ts';
import { createClientHttpHandler } from './client-http.ts';
import { addHealthService } from './health-service.ts';
import { MaintenanceServices } from './maintenance-service.ts';
import { AuthServices } from './auth/auth-service.ts';
import { ServerMetrics } from './metrics.ts';
import { clusterIdOf, memberIdOf } from './member-id.ts';

/** A fresh single-member etcd's IDs (name `default`, peer URL http://localhost:2380) and the term it leads in; other peer URLs give other IDs (member-id.ts). */
export const clusterId = 14841639068965178418n;
export const memberId = 10276657743932975437n;
export const raftTerm = 2;
/** What Maintenance.Status and GET /version report as the server version. */
export const etcdVersion = '3.4.23';
/** The cluster version GET /version reports (etcd reports major.minor.0). */
export const etcdClusterVersion = '3.4.0';

/** etcd's allowance for gRPC framing on top of --max-request-bytes. */
const grpcOverheadBytes = 512 * 1024;
/** etcd's --max-request-bytes (1.5 MiB) plus its gRPC overhead allowance (512 KiB). */
const maxReceiveMessageBytes = 1.5 * 1024 * 1024 + grpcOverheadBytes;

export interface GrpcServerOptions {
  /** Loopback by default; leaselab is a test server. @defaultValue '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @defaultValue 2379 */
  port?: number;
  /** Options for the EtcdStore the server creates (its clock is the server's). */
  store?: Omit<EtcdStoreOptions, 'clock'>;
  /** Options for the real-time driver (tick interval, loop intervals). */
  driver?: RealTimeDriverOptions;
  /** Serve the client port over TLS (etcd's --cert-file, --key-file, --trusted-ca-file, --client-cert-auth). */
  tls?: ClientPortTls;
  /** This member as MemberList shows it (etcd's --name, --initial-advertise-peer-urls, --advertise-client-urls, --initial-cluster-token); its peer URLs and token set its IDs as in etcd. */
  member?: { name?: string; peerUrls?: string[]; clientUrls?: string[]; clusterToken?: string };
  /** etcd's --max-request-bytes: the largest request accepted (plus etcd's 512 KiB gRPC allowance). @defaultValue 1.5 MiB */
  maxRequestBytes?: number;
  /** etcd's --quota-backend-bytes: writes that would pass it raise NOSPACE (sizes as Status reports them). */
  quotaBackendBytes?: number;
  /** Called with any error that is not an EtcdError (a bug); the client sees INTERNAL. @defaultValue writes it to stderr */
  onInternalError?: (error: unknown) => void;
}

const protoPath = fileURLToPath(new URL('./proto/rpc.proto', import.meta.url));

let packageCache: grpc.GrpcObject | undefined;
function etcdserverpb(): grpc.GrpcObject {
  if (packageCache === undefined) {
    const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    packageCache = grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject;
  }
  return packageCache;
}

function serviceOf(name: string): grpc.ServiceDefinition {
  return (etcdserverpb()[name] as grpc.ServiceClientConstructor).service;
}

/** A status for an error thrown while serving: EtcdErrors keep their code and message. */
function statusOf(error: unknown, onInternalError: (error: unknown) => void): Partial<grpc.StatusObject> {
  if (isEtcdError(error)) return { code: error.code as number as grpc.status, details: error.message };
  onInternalError(error);
  return { code: GrpcCode.INTERNAL as number as grpc.status, details: error instanceof Error ? error.message : String(error) };
}

type WithHeader = { header: ResponseHeader };

/** How a watch stream ends when the store is emptied under it: clients retry UNAVAILABLE. */
const resetStatus: Partial<grpc.StatusObject> = { code: GrpcCode.UNAVAILABLE as number as grpc.status, details: 'leaselab: the store was reset' };

export class GrpcEtcdServer {
  readonly store: EtcdStore;
  readonly clock: VirtualClock;
  readonly driver: RealTimeDriver;
  readonly host: string;
  /** How often a watch stream's gRPC write buffer filled up (the sink then refused responses until 'drain'). */
  readonly stats = { watchBufferFull: 0 };
  /** Prometheus metrics served on GET /metrics. */
  readonly metrics = new ServerMetrics();
  /** Maintenance and Cluster services (Status, HashKV, Alarm, members, …). */
  readonly maintenance: MaintenanceServices;
  /** Users, roles, tokens and the checks on every call (auth/auth-service.ts). */
  readonly authServices: AuthServices;
  /** This member's and its cluster's IDs (etcd's derivation from the peer URLs and cluster token). */
  readonly memberId: bigint;
  readonly clusterId: bigint;
  #clientPort: ClientPort | undefined;
  readonly #tls: ClientPortTls | undefined;
  #port = 0;
  readonly #server: grpc.Server;
  readonly #onInternalError: (error: unknown) => void;
  /** Open watch streams: closes one, ending its call with `status` when given. */
  readonly #watchStreams = new Set<(status?: Partial<grpc.StatusObject>) => void>();
  #closed = false;

  constructor(options: GrpcServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.#tls = options.tls;
    const custom = options.member?.peerUrls !== undefined || options.member?.clusterToken !== undefined;
    this.memberId = custom ? memberIdOf(options.member?.peerUrls ?? ['http://localhost:2380'], options.member?.clusterToken) : memberId;
    this.clusterId = custom ? clusterIdOf([this.memberId]) : clusterId;
    this.clock = new VirtualClock();
    this.store = new EtcdStore({ ...options.store, clock: this.clock });
    this.driver = new RealTimeDriver(this.store, this.clock, options.driver);
    this.#onInternalError = options.onInternalError ?? ((error) => process.stderr.write(`leaselab serve: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
    this.maintenance = new MaintenanceServices({
      store: this.store,
      driver: this.driver,
      grpcHeader: () => this.#grpcHeader(),
      memberId: this.memberId,
      memberName: options.member?.name ?? 'default',
      peerUrls: options.member?.peerUrls ?? ['http://localhost:2380'],
      clientUrls: () => options.member?.clientUrls ?? [`${this.#tls === undefined ? 'http' : 'https'}://${this.address}`],
      raftTerm,
      serverVersion: etcdVersion,
      quotaBackendBytes: options.quotaBackendBytes,
    });
    this.authServices = new AuthServices({ store: this.store, driver: this.driver, grpcHeader: () => this.#grpcHeader() });
    this.metrics.attach({
      serverVersion: etcdVersion,
      clusterVersion: etcdClusterVersion.split('.').slice(0, 2).join('.'),
      memberIdHex: this.memberId.toString(16),
      currentRevision: () => this.store.currentRevision(),
      compactRevision: () => this.store.kv.compactRevision(),
      liveKeyCount: () => this.store.range({ key: new Uint8Array([0]), range_end: new Uint8Array([0]), count_only: true } as never).count,
      dbSizeBytes: () => this.maintenance.dbSizeBytes(),
      watchStreamCount: () => this.#watchStreams.size,
    });
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': options.maxRequestBytes === undefined ? maxReceiveMessageBytes : options.maxRequestBytes + grpcOverheadBytes,
      interceptors: [this.metrics.interceptor, this.maintenance.interceptor, this.authServices.interceptor],
    });
    this.#addServices();
  }

  /** The bound port (after listen). */
  get port(): number {
    return this.#port;
  }

  /** host:port, as etcd clients take it (`--endpoints`, `hosts`). */
  get address(): string {
    return `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.#port}`;
  }

  /** Bind and start serving gRPC and HTTP/1.1 (client-port.ts) on one port; resolves with the bound port. */
  async listen(port: number): Promise<number> {
    this.#clientPort = await listenClientPort(this.#server, { host: this.host, port, http: createClientHttpHandler(this.#httpHost()), ...(this.#tls === undefined ? {} : { tls: this.#tls }) });
    this.#port = this.#clientPort.port;
    return this.#port;
  }

  #routes: Map<string, { method: string; handler: import('./client-http.ts').GrpcUnaryHandler }> | undefined;

  /** etcd's gateway paths for the maintenance, cluster and auth calls, to this server's own handlers. */
  #gatewayRoutes(): Map<string, { method: string; handler: import('./client-http.ts').GrpcUnaryHandler }> {
    if (this.#routes !== undefined) return this.#routes;
    const maintenance = this.maintenance.maintenanceHandlers();
    const cluster = this.maintenance.clusterHandlers();
    const auth = this.authServices.handlers();
    const paths: [string, grpc.UntypedServiceImplementation, string][] = [
      ['maintenance/alarm', maintenance, 'Alarm'], ['maintenance/status', maintenance, 'Status'], ['maintenance/defragment', maintenance, 'Defragment'],
      ['maintenance/transfer-leadership', maintenance, 'MoveLeader'],
      ['cluster/member/add', cluster, 'MemberAdd'], ['cluster/member/remove', cluster, 'MemberRemove'], ['cluster/member/update', cluster, 'MemberUpdate'],
      ['cluster/member/list', cluster, 'MemberList'], ['cluster/member/promote', cluster, 'MemberPromote'],
      ['auth/enable', auth, 'AuthEnable'], ['auth/disable', auth, 'AuthDisable'],
      ['auth/user/add', auth, 'UserAdd'], ['auth/user/get', auth, 'UserGet'], ['auth/user/list', auth, 'UserList'], ['auth/user/delete', auth, 'UserDelete'],
      ['auth/user/changepw', auth, 'UserChangePassword'], ['auth/user/grant', auth, 'UserGrantRole'], ['auth/user/revoke', auth, 'UserRevokeRole'],
      ['auth/role/add', auth, 'RoleAdd'], ['auth/role/get', auth, 'RoleGet'], ['auth/role/list', auth, 'RoleList'], ['auth/role/delete', auth, 'RoleDelete'],
      ['auth/role/grant', auth, 'RoleGrantPermission'], ['auth/role/revoke', auth, 'RoleRevokePermission'],
    ];
    this.#routes = new Map(paths.map(([path, handlers, method]) => [path, { method, handler: handlers[method] as unknown as import('./client-http.ts').GrpcUnaryHandler }]));
    return this.#routes;
  }

  /** What the HTTP side of the client port uses of this server. */
  #httpHost(): import('./client-http.ts').ClientHttpHost {
    return {
      store: this.store,
      driver: this.driver,
      memberHeader: (header) => this.#header({ header }).header,
      serverVersion: etcdVersion,
      clusterVersion: etcdClusterVersion,
      metricsText: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.text() }),
      healthChecked: (healthy) => this.metrics.healthChecked(healthy),
      authorize: (method, token, request) => {
        this.authServices.authorize(method, token, request as GrpcObject);
        this.maintenance.counted(method);
      },
      authenticate: (name, password) => this.authServices.auth.authenticate(name, password),
      grpcRoute: (path) => this.#gatewayRoutes().get(path),
      trackWatch: (close) => {
        this.#watchStreams.add(close);
        return () => this.#watchStreams.delete(close);
      },
      onInternalError: this.#onInternalError,
    };
  }

  /** Fast-forward: move the store's clock `ms` ahead of wall time (cumulative); leases with a live keeper are carried across, the others due by then are revoked before this returns. */
  advance(ms: number): void {
    this.driver.advance(ms);
  }

  /** Virtual ms now: wall ms since start plus every fast-forward. */
  nowMs(): number {
    return this.driver.nowMs();
  }

  /**
   * Empty the store (POST /reset): every watch stream ends with UNAVAILABLE
   * (clients reconnect and watch again, as after a restart), then the store
   * is as new (revision 1, no keys, no leases) on the same clock; lease IDs
   * handed out before are never handed out again.
   */
  reset(): void {
    this.driver.tick();
    for (const cut of [...this.#watchStreams]) cut(resetStatus);
    this.store.reset();
    this.driver.restartLoops();
  }

  /** Stop serving: open streams are cut, the clock stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.driver.stop();
    for (const close of [...this.#watchStreams]) close();
    this.#clientPort?.close();
    this.#server.forceShutdown();
  }

  // ---------------------------------------------------------------- services

  /** A copy of a response with its top-level header filled as a member of a cluster fills it (nested txn headers stay bare, as in etcd). */
  #header<T extends WithHeader>(response: T): T {
    return { ...response, header: { ...response.header, cluster_id: this.clusterId, member_id: this.memberId, raft_term: raftTerm } };
  }

  #unary<Req extends MessageName, Res extends MessageName>(
    requestName: Req,
    responseName: Res,
    serve: (request: Messages[Req]) => Messages[Res] & WithHeader,
  ): grpc.handleUnaryCall<GrpcObject, GrpcObject> {
    return (call, callback) => {
      let response: GrpcObject;
      try {
        this.driver.tick();
        response = toGrpc(responseName, this.#header(serve(fromGrpc(requestName, call.request))));
      } catch (error) {
        callback(statusOf(error, this.#onInternalError));
        return;
      }
      callback(null, response);
    };
  }

  #addServices(): void {
    const store = this.store;
    this.#server.addService(serviceOf('KV'), {
      Range: this.#unary('RangeRequest', 'RangeResponse', (r) => store.range(r)),
      Put: this.#unary('PutRequest', 'PutResponse', (r) => store.put(r)),
      DeleteRange: this.#unary('DeleteRangeRequest', 'DeleteRangeResponse', (r) => store.deleteRange(r)),
      Txn: this.#unary('TxnRequest', 'TxnResponse', (r) => store.txn(r)),
      Compact: this.#unary('CompactionRequest', 'CompactionResponse', (r) => store.compact(r)),
    });
    this.#server.addService(serviceOf('Lease'), {
      LeaseGrant: this.#unary('LeaseGrantRequest', 'LeaseGrantResponse', (r) => store.leaseGrant(r)),
      LeaseRevoke: this.#unary('LeaseRevokeRequest', 'LeaseRevokeResponse', (r) => store.leaseRevoke(r)),
      LeaseTimeToLive: this.#unary('LeaseTimeToLiveRequest', 'LeaseTimeToLiveResponse', (r) => store.leaseTimeToLive(r)),
      LeaseLeases: this.#unary('LeaseLeasesRequest', 'LeaseLeasesResponse', (r) => store.leaseLeases(r)),
      LeaseKeepAlive: (call: grpc.ServerDuplexStream<GrpcObject, GrpcObject>) => this.#leaseKeepAlive(call),
    });
    this.#server.addService(serviceOf('Watch'), {
      Watch: (call: grpc.ServerDuplexStream<GrpcObject, GrpcObject>) => this.#watch(call),
    });
    this.#server.addService(serviceOf('Maintenance'), this.maintenance.maintenanceHandlers());
    this.#server.addService(serviceOf('Cluster'), this.maintenance.clusterHandlers());
    this.#server.addService(serviceOf('Auth'), this.authServices.handlers());
    addHealthService(this.#server);
  }

  #grpcHeader(): GrpcObject {
    return toGrpc('ResponseHeader', this.#header({ header: { revision: this.store.currentRevision() } }).header);
  }

  /**
   * One response per request, in order; a request for an unknown or expired lease answers TTL 0 (no error), as etcd does.
   * Each renewal is reported to the driver's keepers: while the stream is open and renewing, fast-forward carries its leases across.
   */
  #leaseKeepAlive(call: grpc.ServerDuplexStream<GrpcObject, GrpcObject>): void {
    let done = false;
    const keeper = this.driver.keepers.openStream();
    const gone = () => this.driver.keepers.closeStream(keeper);
    call.on('data', (request: GrpcObject) => {
      if (done) return;
      try {
        this.driver.tick();
        const response = this.store.leaseKeepAlive(fromGrpc('LeaseKeepAliveRequest', request));
        if (response.TTL > 0) this.driver.keepers.renewed(keeper, response.ID, response.TTL);
        call.write(toGrpc('LeaseKeepAliveResponse', this.#header(response)));
      } catch (error) {
        done = true;
        gone();
        call.emit('error', statusOf(error, this.#onInternalError));
      }
    });
    call.on('end', () => {
      gone();
      if (done) return;
      done = true;
      call.end();
    });
    call.on('error', () => {
      done = true;
      gone();
    });
    call.on('cancelled', gone);
    call.on('close', gone);
  }

  #watch(call: grpc.ServerDuplexStream<GrpcObject, GrpcObject>): void {
    let open = true;
    let full = false;
    const sink: WatchSink = {
      send: (response) => {
        if (!open || call.cancelled || call.writableEnded) return true; // nobody to tell: drop
        if (full) return false;
        if (!call.write(toGrpc('WatchResponse', this.#header(response)))) {
          full = true; // written, but the buffer is full now
          this.stats.watchBufferFull++;
        }
        return true;
      },
    };
    const stream: WatchStream = this.store.openWatchStream(sink);
    const close = (status?: Partial<grpc.StatusObject>) => {
      if (!open) return;
      open = false;
      this.#watchStreams.delete(close);
      stream.close();
      if (status !== undefined && !call.writableEnded) call.emit('error', status);
    };
    this.#watchStreams.add(close);
    call.on('drain', () => {
      full = false;
      if (!open) return;
      this.driver.tick();
      this.store.syncWatchers();
    });
    call.on('data', (request: GrpcObject) => {
      if (!open) return;
      try {
        this.driver.tick();
        stream.request(fromGrpc('WatchRequest', request));
      } catch (error) {
        close();
        call.emit('error', statusOf(error, this.#onInternalError));
      }
    });
    // As etcd: a client that half-closes still gets events until it cancels.
    call.on('cancelled', () => close());
    call.on('error', () => close());
    call.on('close', () => close());
  }
}

/** Create a server over a fresh store and start serving. */
export async function startGrpcServer(options: GrpcServerOptions = {}): Promise<GrpcEtcdServer> {
  const server = new GrpcEtcdServer(options);
  try {
    await server.listen(options.port ?? 2379);
  } catch (error) {
    await server.close();
    throw error;
  }
  return server;
}
