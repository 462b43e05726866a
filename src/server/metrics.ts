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
 *
 * Counting is plain numbers in Maps; prom-client is loaded at the first
 * scrape (not at start-up: it costs `serve` ~40 ms), and its metrics read the
 * counts when collected, in the order the series were first seen.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Registry } from 'prom-client';

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

/** prom-client's content type for the Prometheus text format (checked against it by test/server/metrics-lazy.test.ts). */
export const prometheusContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** One labelled series of a counter: its labels and its count so far. */
interface CountedSeries {
  labels: Record<string, string>;
  count: number;
}

/** A gauge added after the built-in ones (the event-loop delay), read when scraped. */
interface ExtraGauge {
  name: string;
  help: string;
  read(): number;
}

/** A gRPC method's labels and its series key. */
export interface MethodLabels {
  type: string;
  service: string;
  name: string;
  key: string;
}

export class ServerMetrics {
  #healthSuccessCount = 0;
  #healthFailureCount = 0;
  /** By `type service method`, in first-seen order. */
  readonly #grpcStarted = new Map<string, CountedSeries>();
  /** By `type service method code`, in first-seen order. */
  readonly #grpcHandled = new Map<string, CountedSeries>();
  readonly #extraGauges: ExtraGauge[] = [];
  #registry: Promise<Registry> | undefined;
  #source: MetricsSource | undefined;

  /** Where the gauges read from; set once the server exists. */
  attach(source: MetricsSource): void {
    this.#source = source;
  }

  /** A gauge listed after the built-in metrics; `read` is called at each scrape. */
  addGauge(name: string, help: string, read: () => number): void {
    if (this.#registry !== undefined) throw new Error(`metrics: gauge ${name} added after the first scrape`);
    this.#extraGauges.push({ name, help, read });
  }

  healthChecked(healthy: boolean): void {
    if (healthy) this.#healthSuccessCount++;
    else this.#healthFailureCount++;
  }

  /** Count a call's start (the server's one interceptor calls this, then {@link callEnded} with the same labels). */
  callStarted(method: grpc.ServerMethodDefinition<unknown, unknown>): MethodLabels {
    const labels = this.#methodLabels(method);
    countSeries(this.#grpcStarted, labels.key, () => ({ grpc_type: labels.type, grpc_service: labels.service, grpc_method: labels.name }));
    return labels;
  }

  /** Count a call's final status. */
  callEnded(labels: MethodLabels, statusCode: number): void {
    const code = grpcCodeNames[statusCode] ?? String(statusCode);
    countSeries(this.#grpcHandled, `${labels.key} ${code}`, () => ({
      grpc_type: labels.type,
      grpc_service: labels.service,
      grpc_method: labels.name,
      grpc_code: code,
    }));
  }

  /** A method's labels and series key, worked out once per method path (the interceptor runs on every call). */
  readonly #labelsByPath = new Map<string, MethodLabels>();
  #methodLabels(method: grpc.ServerMethodDefinition<unknown, unknown>): MethodLabels {
    let labels = this.#labelsByPath.get(method.path);
    if (labels === undefined) {
      const [, service = '', name = ''] = /^\/([^/]*)\/(.*)$/.exec(method.path) ?? [];
      const type = grpcType(method);
      labels = { type, service, name, key: `${type} ${service} ${name}` };
      this.#labelsByPath.set(method.path, labels);
    }
    return labels;
  }

  /** Prometheus text exposition format. */
  async text(): Promise<string> {
    this.#registry ??= this.#buildRegistry();
    return (await this.#registry).metrics();
  }

  get contentType(): string {
    return prometheusContentType;
  }

  /** The prom-client registry, built once (at the first scrape) over the counts. */
  async #buildRegistry(): Promise<Registry> {
    const { Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    const registers = [registry];
    etcdGauges(Gauge, registers, () => this.#source);
    const count = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    count('etcd_server_health_success', 'The total number of successful health checks', () => this.#healthSuccessCount);
    count('etcd_server_health_failures', 'The total number of failed health checks', () => this.#healthFailureCount);
    const grpcLabels = ['grpc_type', 'grpc_service', 'grpc_method'];
    const countLabelled = (name: string, help: string, labelNames: string[], series: Map<string, CountedSeries>) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const { labels, count } of series.values()) this.inc(labels, count);
        },
      });
    countLabelled('grpc_server_started_total', 'Total number of RPCs started on the server.', grpcLabels, this.#grpcStarted);
    countLabelled(
      'grpc_server_handled_total',
      'Total number of RPCs completed on the server, regardless of success or failure.',
      [...grpcLabels, 'grpc_code'],
      this.#grpcHandled,
    );
    for (const extra of this.#extraGauges) {
      new Gauge({
        name: extra.name,
        help: extra.help,
        registers,
        collect() {
          this.set(extra.read());
        },
      });
    }
    return registry;
  }
}

/** etcd's gauges, read from `source` when scraped (registered first, in etcd's order). */
function etcdGauges(Gauge: typeof import('prom-client').Gauge, registers: Registry[], source: () => MetricsSource | undefined): void {
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
}

/** One more in the series at `key`, made with `labels()` the first time. */
function countSeries(series: Map<string, CountedSeries>, key: string, labels: () => Record<string, string>): void {
  const entry = series.get(key);
  if (entry !== undefined) entry.count++;
  else series.set(key, { labels: labels(), count: 1 });
}
