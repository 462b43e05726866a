/**
 * `GET /metrics` on the client port: Prometheus text (prom-client) under
 * etcd's own metric names, for what leaselab can report truthfully:
 *
 * - etcd_server_version, etcd_cluster_version, etcd_server_id,
 *   etcd_server_has_leader, etcd_server_is_leader (a single member that leads);
 * - etcd_debugging_mvcc_current_revision, etcd_debugging_mvcc_compact_revision,
 *   etcd_debugging_mvcc_keys_total (live keys), etcd_mvcc_db_total_size_in_bytes
 *   (the size Status reports), etcd_debugging_mvcc_watch_stream_total;
 * - etcd_server_health_success / etcd_server_health_failures (GET /health);
 * - grpc_server_started_total / grpc_server_handled_total per method and
 *   code, counted by a grpc-js server interceptor, with the labels of etcd's
 *   go-grpc-prometheus.
 *
 * Nothing is invented: metrics leaselab has no honest value for (disk, WAL,
 * raft proposals, backend commits) are not listed.
 */
import * as grpc from '@grpc/grpc-js';
import { Counter, Gauge, Registry } from 'prom-client';

/** What the gauges read when scraped. */
export interface MetricsSource {
  serverVersion: string;
  clusterVersion: string;
  memberIdHex: string;
  currentRevision(): number;
  compactRevision(): number;
  liveKeyCount(): number;
  dbSizeBytes(): number;
  /** Open watch streams (gRPC and HTTP). */
  watchStreamCount(): number;
}

/** gRPC status codes by number, as go-grpc-prometheus labels them. */
const grpcCodeNames = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

function grpcType(method: grpc.ServerMethodDefinition<unknown, unknown>): string {
  if (method.requestStream && method.responseStream) return 'bidi_stream';
  if (method.requestStream) return 'client_stream';
  if (method.responseStream) return 'server_stream';
  return 'unary';
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #healthSuccess: Counter;
  readonly #healthFailures: Counter;
  readonly #grpcStarted: Counter;
  readonly #grpcHandled: Counter;
  #source: MetricsSource | undefined;

  constructor() {
    const registers = [this.registry];
    const source = () => this.#source;
    const labelled = (name: string, help: string, label: string, value: () => string | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: [label],
        registers,
        collect() {
          const text = value();
          if (text !== undefined) this.set({ [label]: text }, 1);
        },
      });
    const gauge = (name: string, help: string, value: (source: MetricsSource) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const from = source();
          if (from !== undefined) this.set(value(from));
        },
      });
    labelled(
      'etcd_server_version',
      "Which version is running. 1 for 'server_version' label with current version.",
      'server_version',
      () => source()?.serverVersion,
    );
    labelled(
      'etcd_cluster_version',
      "Which version is running. 1 for 'cluster_version' label with current cluster version",
      'cluster_version',
      () => source()?.clusterVersion,
    );
    labelled('etcd_server_id', "Server or member ID in hexadecimal format. 1 for 'server_id' label with current ID.", 'server_id', () => source()?.memberIdHex);
    gauge('etcd_server_has_leader', 'Whether or not a leader exists. 1 is existence, 0 is not.', () => 1);
    gauge('etcd_server_is_leader', 'Whether or not this member is a leader. 1 if is, 0 otherwise.', () => 1);
    gauge('etcd_debugging_mvcc_current_revision', 'The current revision of store.', (s) => s.currentRevision());
    gauge('etcd_debugging_mvcc_compact_revision', 'The revision of the last compaction in store.', (s) => s.compactRevision());
    gauge('etcd_debugging_mvcc_keys_total', 'Total number of keys.', (s) => s.liveKeyCount());
    gauge('etcd_debugging_mvcc_watch_stream_total', 'Total number of watch streams.', (s) => s.watchStreamCount());
    gauge('etcd_mvcc_db_total_size_in_bytes', 'Total size of the underlying database physically allocated in bytes.', (s) => s.dbSizeBytes());
    this.#healthSuccess = new Counter({ name: 'etcd_server_health_success', help: 'The total number of successful health checks', registers });
    this.#healthFailures = new Counter({ name: 'etcd_server_health_failures', help: 'The total number of failed health checks', registers });
    const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'];
    this.#grpcStarted = new Counter({
      name: 'grpc_server_started_total',
      help: 'Total number of RPCs started on the server.',
      labelNames: grpcLabels,
      registers,
    });
    this.#grpcHandled = new Counter({
      name: 'grpc_server_handled_total',
      help: 'Total number of RPCs completed on the server, regardless of success or failure.',
      labelNames: [...grpcLabels, 'grpc_code'],
      registers,
    });
  }

  /** Where the gauges read from; set once the server exists. */
  attach(source: MetricsSource): void {
    this.#source = source;
  }

  healthChecked(healthy: boolean): void {
    (healthy ? this.#healthSuccess : this.#healthFailures).inc();
  }

  /** A grpc-js server interceptor counting every call's start and final status. */
  readonly interceptor: grpc.ServerInterceptor = (method, call) => {
    const [, service = '', name = ''] = /^\/([^/]*)\/(.*)$/.exec(method.path) ?? [];
    const labels = { grpc_type: grpcType(method), grpc_service: service, grpc_method: name };
    this.#grpcStarted.inc(labels);
    return new grpc.ServerInterceptingCall(call, {
      sendStatus: (status, next) => {
        this.#grpcHandled.inc({
          grpc_type: labels.grpc_type,
          grpc_service: service,
          grpc_method: name,
          grpc_code: grpcCodeNames[status.code] ?? String(status.code),
        });
        next(status);
      },
    });
  };

  /** Prometheus text exposition format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
