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
 * (auth/auth-service.ts), grpc.health.v1 (health-service.ts); Maintenance
 * Snapshot streams leaselab's own snapshot format (persistence/snapshot-file.ts),
 * which `leaselab snapshot restore` turns into a data dir. The same port serves HTTP/1.1:
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
 * Every stream (watch, keepalive) also stops being read while its buffer is
 * full (src/server/stream-outbox.ts), so a client that never reads costs a
 * bounded buffer.
 *
 * With `dataDir` (src/server/persistence/data-dir.ts) every change is logged
 * and fsynced before any answer, watch event or keepalive reply that could
 * reflect it leaves the server; so are changes to auth, alarms and members
 * (logged whole after each change, brought back on restart).
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import type { WatchSink, WatchStream } from '../store/etcd-api.ts';
import { EtcdStore, type EtcdStoreOptions } from '../store/etcd-store.ts';
import { GrpcCode, isEtcdError, TooManyOpsError } from '../store/errors.ts';
import type { ResponseHeader } from '../store/messages.ts';
import { raftRequestIdBytes } from '../store/limits.ts';
import { VirtualClock } from '../store/virtual-clock.ts';
import { fromGrpc, type GrpcObject, toGrpc } from './grpc-codec.ts';
import { limitReceivedMessages } from './grpc-message-limit.ts';
import type { MessageName, Messages } from '../store/message-schemas.ts';
import { RealTimeDriver, type RealTimeDriverOptions } from './real-time-driver.ts';
import { type AutoCompaction, type AutoCompactorOptions, startAutoCompactor } from './auto-compactor.ts';
import { protobufNestingMax, watchResponsesAwaitingSyncMax } from './limits.ts';
import { DataDir, type StoreWrites } from './persistence/data-dir.ts';
import { entropySeed, LeaseIdStream } from './persistence/lease-id-stream.ts';
import { encodeSnapshot, type SnapshotDocument, snapshotDocumentOf, stateHash } from './persistence/snapshot-file.ts';
import { DataDirCorruptError } from './persistence/records.ts';
import { type SideState, storeSnapshotToJson } from './persistence/state-json.ts';
import { encodeInSlices } from './sliced-encoding.ts';
import { type OutgoingMessage, StreamOutbox } from './stream-outbox.ts';
import { WatchFanOut } from './watch-fan-out.ts';
import { WatchResponseEncoder } from './watch-encoder.ts';
import { type ClientPort, type ClientPortTls, listenClientPort } from './client-port.ts';
import { createClientHttpHandler } from './client-http.ts';
import { addHealthService } from './health-service.ts';
import { MaintenanceServices } from './maintenance-service.ts';
import { AuthServices } from './auth/auth-service.ts';
import { ServerMetrics } from './metrics.ts';
import { loadProtoRoot, protoServices } from './proto-services.ts';
import { type ResponseHeaderFields, responseEncoder } from './grpc-encoder.ts';
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

/** Options of {@link startGrpcServer}. */
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
  /** Seed of the lease-ID stream (grant with ID 0). @defaultValue drawn from the OS's entropy: no two processes hand out the same IDs */
  leaseIdSeed?: number;
  /**
   * Keep the store in this directory (write-ahead log + snapshots,
   * src/server/persistence/data-dir.ts): every change is on disk before any
   * client hears of it, and a restart (kill -9 too) picks up where it stood.
   * @defaultValue in memory only
   */
  dataDir?: string;
  /** Records between snapshots of the data dir. @defaultValue snapshotEveryRecordsDefault (10,000) */
  snapshotEveryRecords?: number;
  /** etcd's --auto-compaction-mode / --auto-compaction-retention. @defaultValue off */
  autoCompaction?: AutoCompaction & AutoCompactorOptions;
}

const protoPath = fileURLToPath(new URL('./proto/rpc.proto', import.meta.url));

let protoCache: { root: protobuf.Root; services: Map<string, grpc.ServiceDefinition> } | undefined;
function proto(): { root: protobuf.Root; services: Map<string, grpc.ServiceDefinition> } {
  if (protoCache === undefined) {
    // Built from the .proto without proto-loader (src/server/proto-services.ts: a faster start).
    const root = loadProtoRoot(protoPath);
    protoCache = { root, services: protoServices(root, { longs: String, enums: String, defaults: true, oneofs: true }) };
    // Deep txns must decode and their answers encode (protobufjs' default limit is 100 messages).
    protobuf.util.recursionLimit = Math.max(protobuf.util.recursionLimit, protobufNestingMax);
    protobuf.Reader.recursionLimit = Math.max(protobuf.Reader.recursionLimit, protobufNestingMax);
  }
  return protoCache;
}

function serviceOf(name: string): grpc.ServiceDefinition {
  return proto().services.get(`etcdserverpb.${name}`)!;
}

type ResponseEncoder = ReturnType<typeof responseEncoder>;
const encoderCache = new Map<MessageName, ResponseEncoder>();
/** The direct encoder of response type `name` (grpc-encoder.ts), built on first use. */
function encoderOf(name: MessageName): ResponseEncoder {
  let encoder = encoderCache.get(name);
  if (encoder === undefined) {
    encoder = responseEncoder(proto().root.lookupType(`etcdserverpb.${name}`));
    encoderCache.set(name, encoder);
  }
  return encoder;
}

/** What a Txn request nested past what protobufjs decodes (protobufNestingMax) decodes to. */
const txnTooDeep = Symbol('txn nested too deep to decode');

/**
 * KV with a Txn decoder that turns "nested too deep" into a request the
 * handler refuses as etcd does: any txn that deep is over the ops budget.
 */
function kvService(): grpc.ServiceDefinition {
  const service = serviceOf('KV');
  const txn = service['Txn']!;
  const decode = txn.requestDeserialize;
  return {
    // tidy: allow spread (built once, at start-up)
    ...service,
    Txn: {
      // tidy: allow spread (built once, at start-up)
      ...txn,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch (error) {
          if (error instanceof Error && /nesting depth|max depth/.test(error.message)) return { [txnTooDeep]: true };
          throw error;
        }
      },
    },
  };
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

/** A running gRPC server: its `address`, `store`, `advance(ms)` to fast-forward, and `close()`. */
export class GrpcEtcdServer {
  readonly store: EtcdStore;
  readonly clock: VirtualClock;
  readonly driver: RealTimeDriver;
  readonly host: string;
  /** The seed of this server's lease-ID stream (a data dir's own seed when it had one). */
  readonly leaseIdSeed: number;
  /** With `dataDir`: where the store is kept and what was found there on start. */
  readonly dataDir: DataDir | undefined;
  /** The writes requests make: logged first with a data dir. */
  readonly #writes: StoreWrites;
  #stopAutoCompactor: () => void = () => {};
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
  /** Every watch stream's responses, written in slices between turns of the event loop. */
  readonly #watchFanOut = new WatchFanOut();

  /** Watch responses waiting for a later slice of the fan-out (src/server/watch-fan-out.ts). */
  get watchResponsesWaiting(): number {
    return this.#watchFanOut.queued;
  }
  /** Open watch streams: closes one, ending its call with `status` when given. */
  readonly #watchStreams = new Set<(status?: Partial<grpc.StatusObject>) => void>();
  #closed = false;
  /** Keepalives waiting for a revoke (#revokeOf): how to stop each wait, and how to end it. */
  readonly #revokeWaits = new Map<() => void, () => void>();
  /** The largest request accepted (etcd's --max-request-bytes plus its gRPC allowance). */
  readonly #maxReceiveBytes: number;

  constructor(options: GrpcServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.#tls = options.tls;
    const custom = options.member?.peerUrls !== undefined || options.member?.clusterToken !== undefined;
    this.memberId = custom ? memberIdOf(options.member?.peerUrls ?? ['http://localhost:2380'], options.member?.clusterToken) : memberId;
    this.clusterId = custom ? clusterIdOf([this.memberId]) : clusterId;
    this.clock = new VirtualClock();
    const ids = new LeaseIdStream(options.leaseIdSeed ?? entropySeed());
    this.store = new EtcdStore({
      random: ids,
      requestBytesMax: options.maxRequestBytes,
      raftRequestIdBytes: raftRequestIdBytes(this.memberId),
      ...options.store,
      clock: this.clock,
    });
    if (options.dataDir !== undefined) {
      const dataDir = new DataDir(this.store, ids, { dir: options.dataDir, leaseIdSeed: ids.seed, snapshotEveryRecords: options.snapshotEveryRecords });
      // A restarted member promotes its leases: full TTL + election timeout from now.
      if (dataDir.recovered.existing) this.store.promoteLeases();
      this.dataDir = dataDir;
      this.#writes = dataDir;
    } else {
      this.dataDir = undefined;
      this.#writes = this.store;
    }
    this.leaseIdSeed = ids.seed;
    this.driver = new RealTimeDriver(this.store, this.clock, options.driver);
    if (options.autoCompaction !== undefined)
      this.#stopAutoCompactor = startAutoCompactor(options.autoCompaction, () => this.store.currentRevision(), this.#writes, options.autoCompaction);
    this.#onInternalError =
      options.onInternalError ??
      ((error) => process.stderr.write(`leaselab serve: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
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
      snapshot: () => encodeSnapshot(this.snapshotDocument()),
      stateHash: () => stateHash(storeSnapshotToJson(this.store.snapshot()), this.#sideState()),
      whenSynced: () => this.dataDir?.whenSynced(),
    });
    this.authServices = new AuthServices({
      store: this.store,
      driver: this.driver,
      grpcHeader: () => this.#grpcHeader(),
      whenSynced: () => this.dataDir?.whenSynced(),
    });
    if (this.dataDir !== undefined) this.#keepSideState(this.dataDir);
    this.metrics.attach({
      serverVersion: etcdVersion,
      clusterVersion: etcdClusterVersion.split('.').slice(0, 2).join('.'),
      memberIdHex: this.memberId.toString(16),
      currentRevision: () => this.store.currentRevision(),
      compactRevision: () => this.store.kv.compactRevision(),
      liveKeyCount: () => this.#liveKeyCount(),
      dbSizeBytes: () => this.maintenance.dbSizeBytes(),
      watchStreamCount: () => this.#watchStreams.size,
    });
    this.#maxReceiveBytes = options.maxRequestBytes === undefined ? maxReceiveMessageBytes : options.maxRequestBytes + grpcOverheadBytes;
    // grpc-message-limit enforces #maxReceiveBytes with grpc-go's error text, so grpc-js itself takes any size.
    this.#server = new grpc.Server({
      'grpc.max_receive_message_length': -1,
      interceptors: [this.#interceptor],
    });
    this.#addServices();
  }

  /** The live keys at the store's revision (counting walks every key: kept until a write, a compaction or a reset changes it). */
  #liveKeys = { revision: -1, compacted: -1, kv: undefined as EtcdStore['kv'] | undefined, count: 0 };
  #liveKeyCount(): number {
    const kv = this.store.kv;
    const revision = kv.currentRevision();
    const compacted = kv.compactRevision();
    const cached = this.#liveKeys;
    if (cached.kv !== kv || cached.revision !== revision || cached.compacted !== compacted) {
      const count = this.store.range({ key: new Uint8Array([0]), range_end: new Uint8Array([0]), count_only: true } as never).count;
      this.#liveKeys = { revision, compacted, kv, count };
    }
    return this.#liveKeys.count;
  }

  /**
   * Every call's one intercepting layer (each layer costs grpc-js a set of
   * closures and hops per call, measured ~10 µs a put for three): counts the
   * call for /metrics and the raft index; for Put, Txn and LeaseGrant refuses
   * a request past the space quota; then checks auth (the token from the
   * metadata, each message before its handler sees it). A refusal is answered
   * through this layer, so /metrics counts its status.
   */
  readonly #interceptor: grpc.ServerInterceptor = (method, call) => {
    const name = method.path.slice(method.path.lastIndexOf('/') + 1);
    const labels = this.metrics.callStarted(method);
    this.maintenance.counted(name);
    const spaceChecked = MaintenanceServices.spaceChecked(name);
    const authChecked = AuthServices.checks(method.path);
    let token: string | undefined;
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            token = AuthServices.tokenOf(metadata);
            nextMetadata(metadata);
          },
          onReceiveMessage: (message: GrpcObject, nextMessage) => {
            if (spaceChecked && this.maintenance.refusedForSpace(name, message, intercepting)) return;
            if (authChecked && !this.authServices.admits(name, token, message, intercepting)) return;
            nextMessage(message);
          },
        });
      },
      sendStatus: (status, next) => {
        this.metrics.callEnded(labels, status.code);
        next(status);
      },
    });
    return intercepting;
  };

  /** Auth, alarms and members as a data dir and a snapshot keep them. */
  #sideState(): SideState {
    return { auth: this.authServices.auth.toJson(), alarms: this.maintenance.alarmsToJson(), members: this.maintenance.membersToJson() };
  }

  /** Bring back what the data dir kept of auth, alarms and members, then log every change to them. */
  #keepSideState(dataDir: DataDir): void {
    const side = dataDir.recovered.side;
    const auth = this.authServices.auth;
    try {
      if (side.auth !== undefined) auth.loadJson(side.auth);
      if (side.alarms !== undefined) this.maintenance.loadAlarmsJson(side.alarms);
      if (side.members !== undefined) this.maintenance.loadMembersJson(side.members);
    } catch (error) {
      void dataDir.close();
      throw new DataDirCorruptError((error as Error).message);
    }
    auth.onChange = () => dataDir.logSide('auth', auth.toJson());
    this.maintenance.onSideChange = (part) => dataDir.logSide(part, part === 'alarms' ? this.maintenance.alarmsToJson() : this.maintenance.membersToJson());
  }

  /** The whole state now, as Maintenance.Snapshot streams it (persistence/snapshot-file.ts). */
  snapshotDocument(): SnapshotDocument {
    return snapshotDocumentOf({ store: this.store.snapshot(), raftIndex: this.maintenance.raftIndex(), side: this.#sideState() });
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
    this.#clientPort = await listenClientPort(this.#server, {
      host: this.host,
      port,
      http: createClientHttpHandler(this.#httpHost()),
      ...(this.#tls === undefined ? {} : { tls: this.#tls }),
    });
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
      ['maintenance/alarm', maintenance, 'Alarm'],
      ['maintenance/status', maintenance, 'Status'],
      ['maintenance/defragment', maintenance, 'Defragment'],
      ['maintenance/transfer-leadership', maintenance, 'MoveLeader'],
      ['maintenance/hash', maintenance, 'Hash'],
      ['cluster/member/add', cluster, 'MemberAdd'],
      ['cluster/member/remove', cluster, 'MemberRemove'],
      ['cluster/member/update', cluster, 'MemberUpdate'],
      ['cluster/member/list', cluster, 'MemberList'],
      ['cluster/member/promote', cluster, 'MemberPromote'],
      ['auth/enable', auth, 'AuthEnable'],
      ['auth/disable', auth, 'AuthDisable'],
      ['auth/user/add', auth, 'UserAdd'],
      ['auth/user/get', auth, 'UserGet'],
      ['auth/user/list', auth, 'UserList'],
      ['auth/user/delete', auth, 'UserDelete'],
      ['auth/user/changepw', auth, 'UserChangePassword'],
      ['auth/user/grant', auth, 'UserGrantRole'],
      ['auth/user/revoke', auth, 'UserRevokeRole'],
      ['auth/role/add', auth, 'RoleAdd'],
      ['auth/role/get', auth, 'RoleGet'],
      ['auth/role/list', auth, 'RoleList'],
      ['auth/role/delete', auth, 'RoleDelete'],
      ['auth/role/grant', auth, 'RoleGrantPermission'],
      ['auth/role/revoke', auth, 'RoleRevokePermission'],
    ];
    this.#routes = new Map(
      paths.map(([path, handlers, method]) => [path, { method, handler: handlers[method] as unknown as import('./client-http.ts').GrpcUnaryHandler }]),
    );
    return this.#routes;
  }

  /** What the HTTP side of the client port uses of this server. */
  #httpHost(): import('./client-http.ts').ClientHttpHost {
    return {
      store: this.store,
      writes: this.#writes,
      whenSynced: () => this.dataDir?.whenSynced(),
      snapshot: () => encodeSnapshot(this.snapshotDocument()),
      driver: this.driver,
      memberHeader: (header) => this.#header({ header }).header,
      serverVersion: etcdVersion,
      clusterVersion: etcdClusterVersion,
      maxReceiveBytes: this.#maxReceiveBytes,
      metricsText: async () => ({ contentType: this.metrics.contentType, text: await this.metrics.text() }),
      healthChecked: (healthy) => this.metrics.healthChecked(healthy),
      alarmNames: () => this.maintenance.alarms().map((a) => a.alarm),
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
    // With a data dir the reset is logged, or a restart would bring the old state back.
    if (this.dataDir !== undefined) this.dataDir.reset();
    else this.store.reset();
    this.driver.restartLoops();
  }

  /** Stop serving: open streams are cut, the clock stops. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.driver.stop();
    this.#stopAutoCompactor();
    for (const close of [...this.#watchStreams]) close();
    for (const [stopWaiting, end] of [...this.#revokeWaits]) {
      stopWaiting();
      end();
    }
    this.#revokeWaits.clear();
    this.#clientPort?.close();
    this.#server.forceShutdown();
    await this.dataDir?.close();
  }

  // ---------------------------------------------------------------- services

  /** A copy of a response with its top-level header filled as a member of a cluster fills it (nested txn headers stay bare, as in etcd). */
  #header<T extends WithHeader>(response: T): T {
    // Clones, then assigned: `{ ...response, header }` takes V8's slow path (microseconds per response).
    const header = { ...response.header };
    header.cluster_id = this.clusterId;
    header.member_id = this.memberId;
    header.raft_term = raftTerm;
    const copy = { ...response };
    copy.header = header;
    return copy;
  }

  /** What a response header says of this member (encoded with each response's own revision). */
  get #memberHeader(): ResponseHeaderFields {
    return (this.#memberHeaderFields ??= { cluster_id: this.clusterId, member_id: this.memberId, raft_term: raftTerm });
  }
  #memberHeaderFields: ResponseHeaderFields | undefined;
  #watchEncoder: WatchResponseEncoder | undefined;

  /**
   * A unary call: `serve` answers, the answer is encoded with the member's
   * header. With `longList` (a field of the answer that can be very long,
   * LeaseLeases' leases) it is encoded in slices, the event loop free between
   * them (src/server/sliced-encoding.ts).
   */
  #unary<Req extends MessageName, Res extends MessageName>(
    requestName: Req,
    responseName: Res,
    serve: (request: Messages[Req]) => Messages[Res] & WithHeader,
    longList?: string,
  ): grpc.handleUnaryCall<GrpcObject, GrpcObject | Buffer> {
    const encode = encoderOf(responseName);
    return (call, callback) => {
      let bytes: Buffer;
      try {
        this.driver.tick();
        if ((call.request as { [txnTooDeep]?: boolean })[txnTooDeep] === true) throw new TooManyOpsError();
        const response = serve(fromGrpc(requestName, call.request));
        if (longList !== undefined) {
          encodeInSlices(encode, response, longList, this.#memberHeader).then(
            (sliced) => this.#whenSynced(() => callback(null, sliced)),
            (error: unknown) => this.#fail(error, callback),
          );
          return;
        }
        bytes = encode(response, this.#memberHeader);
      } catch (error) {
        this.#fail(error, callback);
        return;
      }
      this.#whenSynced(() => callback(null, bytes));
    };
  }

  /** Answer a unary call with `error`'s gRPC status. */
  #fail(error: unknown, callback: grpc.sendUnaryData<GrpcObject | Buffer>): void {
    const status = statusOf(error, this.#onInternalError);
    this.#whenSynced(() => callback(status));
  }

  /** Run `answer` once every change applied so far is on disk (at once without a data dir). */
  #whenSynced(answer: () => void): void {
    const synced = this.dataDir?.whenSynced();
    if (synced === undefined) answer();
    else void synced.then(answer);
  }

  #addService(service: string | grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.#server.addService(...limitReceivedMessages(typeof service === 'string' ? serviceOf(service) : service, implementation, this.#maxReceiveBytes));
  }

  #addServices(): void {
    const store = this.store;
    const writes = this.#writes;
    this.#addService(kvService(), {
      Range: this.#unary('RangeRequest', 'RangeResponse', (r) => store.range(r)),
      Put: this.#unary('PutRequest', 'PutResponse', (r) => writes.put(r)),
      DeleteRange: this.#unary('DeleteRangeRequest', 'DeleteRangeResponse', (r) => writes.deleteRange(r)),
      Txn: this.#unary('TxnRequest', 'TxnResponse', (r) => writes.txn(r)),
      Compact: this.#unary('CompactionRequest', 'CompactionResponse', (r) => writes.compact(r)),
    });
    this.#addService('Lease', {
      LeaseGrant: this.#unary('LeaseGrantRequest', 'LeaseGrantResponse', (r) => writes.leaseGrant(r)),
      LeaseRevoke: this.#unary('LeaseRevokeRequest', 'LeaseRevokeResponse', (r) => writes.leaseRevoke(r)),
      LeaseTimeToLive: this.#unary('LeaseTimeToLiveRequest', 'LeaseTimeToLiveResponse', (r) => store.leaseTimeToLive(r)),
      LeaseLeases: this.#unary('LeaseLeasesRequest', 'LeaseLeasesResponse', (r) => store.leaseLeases(r), 'leases'),
      LeaseKeepAlive: (call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>) => this.#leaseKeepAlive(call),
    });
    this.#addService('Watch', {
      Watch: (call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>) => this.#watch(call),
    });
    this.#addService('Maintenance', this.maintenance.maintenanceHandlers());
    this.#addService('Cluster', this.maintenance.clusterHandlers());
    this.#addService('Auth', this.authServices.handlers());
    addHealthService(this.#server);
  }

  #grpcHeader(): GrpcObject {
    return toGrpc('ResponseHeader', this.#header({ header: { revision: this.store.currentRevision() } }).header);
  }

  /**
   * One response per request, in order; a request for an unknown or revoked
   * lease answers TTL 0 (no error), as etcd does. For a lease past its
   * deadline but not yet revoked, etcd's Renew waits for the revoke (the
   * lessor's next sweep: the lessor's whenRevoked hook, no polling), then
   * answers TTL 0 with the header taken before the wait; later requests on
   * the stream wait behind it. A reset of the store ends the wait (the
   * lease is gone with the old lessor).
   * Each renewal is reported to the driver's keepers: while the stream is open and renewing, fast-forward carries its leases across.
   */
  #leaseKeepAlive(call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>): void {
    let done = false;
    let queue = Promise.resolve();
    const encodeKeepAlive = encoderOf('LeaseKeepAliveResponse');
    const keeper = this.driver.keepers.openStream();
    const gone = () => this.driver.keepers.closeStream(keeper);
    // Stops reading this stream's requests while its answers are not read (src/server/stream-outbox.ts).
    const outbox = new StreamOutbox(call, { durability: this.dataDir });
    const serve = async (request: GrpcObject) => {
      if (done) return;
      try {
        this.driver.tick();
        const decoded = fromGrpc('LeaseKeepAliveRequest', request);
        const id = decoded.ID ?? 0n;
        const deadlineMs = this.store.lessor.deadlineMs(id);
        const response = this.store.leaseKeepAlive(decoded);
        if (response.TTL === 0 && deadlineMs !== undefined && deadlineMs <= this.clock.nowMs()) await this.#revokeOf(id);
        if (response.TTL > 0) this.driver.keepers.renewed(keeper, response.ID, response.TTL);
        if (!done) outbox.write(encodeKeepAlive(response, this.#memberHeader));
      } catch (error) {
        done = true;
        gone();
        call.emit('error', statusOf(error, this.#onInternalError));
      }
    };
    call.on('data', (request: GrpcObject) => {
      if (!done) queue = queue.then(() => serve(request));
    });
    call.on('end', () => {
      gone();
      void queue.then(() => {
        if (done) return;
        done = true;
        outbox.end();
      });
    });
    call.on('error', () => {
      done = true;
      gone();
    });
    call.on('cancelled', () => {
      done = true;
      gone();
    });
    call.on('close', gone);
  }

  /**
   * Resolves when the lessor revokes lease `id` (its sweep, a LeaseRevoke, or
   * a reset of the store, which drops every lease), or when the server
   * closes; at once for a lease already gone.
   */
  #revokeOf(id: bigint): Promise<void> {
    return new Promise((resolve) => {
      const stopWaiting = this.store.lessor.whenRevoked(id, () => {
        this.#revokeWaits.delete(stopWaiting!);
        resolve();
      });
      if (stopWaiting === undefined || this.#closed) return resolve();
      this.#revokeWaits.set(stopWaiting, resolve);
    });
  }

  #watch(call: grpc.ServerDuplexStream<GrpcObject, OutgoingMessage>): void {
    let open = true;
    // Full (the client is not reading, or the disk is behind): refuse, and read no more requests
    // meanwhile; the store keeps the watchers behind and catches them up on room (onRoom).
    const outbox = new StreamOutbox(call, {
      durability: this.dataDir,
      heldMax: watchResponsesAwaitingSyncMax,
      onRoom: () => {
        if (!open) return;
        this.driver.tick();
        this.store.syncWatchers();
      },
    });
    // One encoder for every stream: a fan-out's responses share its header and events bytes (watch-encoder.ts).
    const encoder = (this.#watchEncoder ??= new WatchResponseEncoder(encoderOf('WatchResponse'), this.#memberHeader));
    // Sent in slices across streams (src/server/watch-fan-out.ts), in order within this one.
    const lane = this.#watchFanOut.lane({
      get full() {
        return outbox.full;
      },
      write: (response) => {
        if (!open || call.cancelled || call.writableEnded) return;
        const bufferFullBefore = outbox.bufferFullCount;
        outbox.write(encoder.encode(response));
        if (outbox.bufferFullCount !== bufferFullBefore) this.stats.watchBufferFull++;
      },
      onRoom: () => {
        if (!open) return;
        this.driver.tick();
        this.store.syncWatchers();
      },
    });
    const sink: WatchSink = {
      send: (response) => {
        if (!open || call.cancelled || call.writableEnded) return true; // nobody to tell: drop
        return lane.offer(response);
      },
    };
    const stream: WatchStream = this.store.openWatchStream(sink);
    const close = (status?: Partial<grpc.StatusObject>) => {
      if (!open) return;
      open = false;
      lane.close();
      this.#watchStreams.delete(close);
      stream.close();
      if (status !== undefined && !call.writableEnded) call.emit('error', status);
    };
    this.#watchStreams.add(close);
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
