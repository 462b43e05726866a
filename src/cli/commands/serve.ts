/**
 * `leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--control-host H] [--ready-json] [--exact-expiry]
 *  [--experimental-watch-progress-notify-interval 10m] [--data-dir DIR] [--seed N]
 *  [--auto-compaction-mode periodic|revision] [--auto-compaction-retention R]`:
 * serve etcd v3's gRPC API (KV, Lease, Watch; Maintenance.Status,
 * Cluster.MemberList) over a fresh in-memory store on real time, so etcd
 * clients (the etcd3 npm package, etcdctl, clientv3) can use leaselab instead of etcd:
 *
 *   $ leaselab serve --control-port 2381
 *   leaselab serving etcd v3 gRPC on 127.0.0.1:2379
 *   fast-forward: curl -X POST 'http://127.0.0.1:2381/advance?ms=5500'
 *
 * With --control-port, an HTTP endpoint (on loopback unless --control-host)
 * moves the store's clock ahead of wall time and empties the store
 * (src/server/grpc-control.ts); port 0 picks a free one. With --ready-json
 * the first stdout line is JSON naming both addresses, so a harness in any
 * language can start it on --port 0:
 *
 *   {"grpc":"127.0.0.1:40113","control":"http://127.0.0.1:40115","seed":8190541187,"pid":4242}
 *
 * The command is the server process itself (no child). Ctrl-C (SIGINT) or
 * SIGTERM closes every stream and stops the server; the command then exits
 * 0. So does the death of its parent process (a killed `npx` or shell
 * wrapper), so that nothing is left running unowned. Exit 2 for a usage
 * error, 1 if a port is taken.
 */
import { parseArgs } from 'node:util';
// Types only: gRPC and the server load when serving starts (below), so --help and usage errors answer at once.
import type { ControlEndpoint } from '../../server/grpc-control.ts';
import type { GrpcEtcdServer } from '../../server/grpc-server.ts';
import { parseGoDurationMs } from '../../server/go-duration.ts';
import { type AutoCompaction, parseAutoCompaction } from '../../server/auto-compactor.ts';
import { isLeaseIdSeed, leaseIdSeedMax } from '../../server/persistence/lease-id-stream.ts';
import { EtcdFlagError, extractEtcdFlags } from '../etcd-flags.ts';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

export interface ServeOutput {
  write(text: string): void;
}

const usage = `usage: leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--control-host 127.0.0.1]
                      [--ready-json] [--exact-expiry] [--experimental-watch-progress-notify-interval 10m]
                      [--data-dir DIR [--snapshot-count N]] [--seed N] [--auto-compaction-mode M --auto-compaction-retention R]
                      [etcd's flags: --name, --listen-client-urls, --advertise-client-urls, --cert-file, …]

  --port N           gRPC port (0: any free port)                  default 2379
  --host H           address to listen on                          default 127.0.0.1
  --control-port N   also serve HTTP POST /advance?ms=N, GET /time and POST /reset on this
                     port, to fast-forward leases without sleeping (0: any free port)
  --control-host H   address of the control endpoint               default 127.0.0.1
                     (it refuses requests with an Origin header or another Host)
  --ready-json       first stdout line: {"grpc":host:port,"control":url|null,"seed":…,"pid":…}
  --exact-expiry     expire a lease at its deadline instead of at etcd's next 500 ms sweep
  --experimental-watch-progress-notify-interval D
                     progress notifications every D (Go duration, as etcd:   default 10m
                     10m, 5s, 500ms; under 100ms means 100ms, 0 the default)
  --data-dir DIR     keep the store in DIR (write-ahead log + snapshots): every change is
                     on disk before it is answered, and a restart (even after kill -9)
                     keeps it all (auth, alarms and added members too); leases come back
                     with their full TTL + 1 s, as on etcd. Without it the store lives in
                     memory only. \`leaselab snapshot restore FILE --data-dir DIR\` makes a DIR
                     from what \`etcdctl snapshot save\` took of a leaselab server.
  --snapshot-count N with --data-dir: records between snapshots (older log is then deleted); ignored without it
                                                                   default 10000
  --seed N           seed of the lease-ID stream (default: from the OS's entropy, printed);
                     a data dir that has one keeps its own, so IDs never repeat
  --auto-compaction-mode periodic|revision                          default periodic
  --auto-compaction-retention R
                     etcd's auto-compaction: periodic keeps R of history ("1h", "30m",
                     a bare number is hours), revision keeps the last R revisions
                     (checked every 5 minutes); 0 (the default) is off

  etcd's own flags are taken too, so \`leaselab serve <etcd's arguments>\` starts where etcd would:
  --listen-client-urls URL   instead of --host/--port (https:// serves TLS)
  --cert-file F --key-file F [--trusted-ca-file F --client-cert-auth]   TLS, as etcd
  --name, --advertise-client-urls, --initial-advertise-peer-urls        the member MemberList shows
  --max-request-bytes, --quota-backend-bytes, --heartbeat-interval, --election-timeout
  peer and cluster-formation flags are accepted; other etcd flags are ignored with a warning
`;

/** Minimum progress-notify interval (etcd v3rpc minWatchProgressInterval); shorter ones are raised to it. */
const progressNotifyIntervalMsMin = 100;

function parseProgressNotifyIntervalMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDurationMs(text);
  } catch (error) {
    throw new UsageError(`--experimental-watch-progress-notify-interval: ${(error as Error).message} (Go's syntax: 10m, 5s, 1m30s, 500ms)`);
  }
  // As etcd: zero or negative keeps the default, anything shorter than the minimum is raised to it.
  if (!(ms > 0)) return undefined;
  return Math.max(ms, progressNotifyIntervalMsMin);
}

/** What etcd's flags ask of the server: TLS files read now (a missing file is a start-up error, as in etcd), the member, the request size. */
function etcdServerOptions(values: ReturnType<typeof extractEtcdFlags>['values']): Partial<import('../../server/grpc-server.ts').GrpcServerOptions> {
  const options: Partial<import('../../server/grpc-server.ts').GrpcServerOptions> = {};
  if (values.tls !== undefined && values.listen?.tls === true) {
    const read = (file: string, flag: string) => {
      try {
        return readFileSync(file);
      } catch (error) {
        throw new UsageError(`${flag}: cannot read ${file}: ${(error as Error).message}`);
      }
    };
    options.tls = {
      cert: read(values.tls.certFile, '--cert-file'),
      key: read(values.tls.keyFile, '--key-file'),
      requestClientCert: values.tls.clientCertAuth,
      ...(values.tls.trustedCaFile === undefined ? {} : { ca: read(values.tls.trustedCaFile, '--trusted-ca-file') }),
    };
  }
  const member: { name?: string; peerUrls?: string[]; clientUrls?: string[]; clusterToken?: string } = {};
  if (values.name !== undefined) member.name = values.name;
  if (values.peerUrls !== undefined) member.peerUrls = values.peerUrls;
  if (values.advertiseClientUrls !== undefined) member.clientUrls = values.advertiseClientUrls;
  if (values.clusterToken !== undefined) member.clusterToken = values.clusterToken;
  if (Object.keys(member).length > 0) options.member = member;
  if (values.maxRequestBytes !== undefined) options.maxRequestBytes = values.maxRequestBytes;
  if (values.quotaBackendBytes !== undefined) options.quotaBackendBytes = values.quotaBackendBytes;
  return options;
}

/** How often serve checks that the process that started it is still there. */
const orphanCheckIntervalMs = 250;

function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
}

/** A bad command line: exit 2 with the usage. */
class UsageError extends Error {}

function parsePort(text: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${name} must be a port number (0-65535), got '${text}'`);
  return port;
}

export interface Serving {
  server: GrpcEtcdServer;
  control: ControlEndpoint | undefined;
  /** Stop both. */
  close(): Promise<void>;
}

/** What --ready-json prints as the first stdout line. */
export interface ReadyJson {
  /** host:port of the gRPC server, as etcd clients take it. */
  grpc: string;
  /** The control endpoint's base URL, or null without --control-port. */
  control: string | null;
  /** The seed of the server's lease-ID stream (pinned with --seed, otherwise drawn from entropy). */
  seed: number;
  /** The server's process ID (the command is the server: no child). */
  pid: number;
}

/** Start the server (and control endpoint) from command-line args and print where they listen. */
export async function startServing(args: string[], output: ServeOutput = process.stdout): Promise<Serving> {
  // etcd's own flags (src/cli/etcd-flags.ts) first; what is left is serve's.
  let etcd: ReturnType<typeof extractEtcdFlags>;
  try {
    etcd = extractEtcdFlags(args);
  } catch (error) {
    if (error instanceof EtcdFlagError) throw new UsageError(error.message);
    throw error;
  }
  for (const warning of etcd.warnings) process.stderr.write(`leaselab serve: ${warning}\n`);
  let values;
  try {
    ({ values } = parseArgs({
      args: etcd.rest,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'control-port': { type: 'string' },
        'control-host': { type: 'string' },
        'ready-json': { type: 'boolean' },
        'exact-expiry': { type: 'boolean' },
        'experimental-watch-progress-notify-interval': { type: 'string' },
        'data-dir': { type: 'string' },
        'snapshot-count': { type: 'string' },
        seed: { type: 'string' },
        'auto-compaction-mode': { type: 'string' },
        'auto-compaction-retention': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (etcd.values.listen !== undefined && (values.port !== undefined || values.host !== undefined))
    throw new UsageError('give --listen-client-urls or --host/--port, not both');
  const port = etcd.values.listen?.port ?? parsePort(values.port, '--port', 2379)!;
  const controlPort = parsePort(values['control-port'], '--control-port', undefined);
  const progressNotifyIntervalMs = parseProgressNotifyIntervalMs(values['experimental-watch-progress-notify-interval']);
  const host = etcd.values.listen?.host ?? values.host ?? '127.0.0.1';
  const controlHost = values['control-host'] ?? '127.0.0.1';
  if (values['control-host'] !== undefined && controlPort === undefined) throw new UsageError('--control-host needs --control-port');
  const seed = parseSeed(values.seed);
  const autoCompaction = parseCompactionFlags(values['auto-compaction-mode'], values['auto-compaction-retention']);
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('--data-dir needs a directory');
  const snapshotCount = values['snapshot-count'];
  if (snapshotCount !== undefined && !/^\d+$/.test(snapshotCount)) throw new UsageError(`--snapshot-count must be a whole number, got '${snapshotCount}'`);
  // Without --data-dir nothing is written, so there is nothing to snapshot: etcd's command lines still start.
  const { startGrpcServer } = await import('../../server/grpc-server.ts');
  const server = await startGrpcServer({
    host,
    port,
    store: {
      exactExpiry: values['exact-expiry'] === true,
      ...(etcd.values.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: etcd.values.heartbeatIntervalMs }),
      ...(etcd.values.electionTimeoutMs === undefined ? {} : { electionTimeoutMs: etcd.values.electionTimeoutMs }),
    },
    ...etcdServerOptions(etcd.values),
    driver: progressNotifyIntervalMs === undefined ? {} : { loops: { progressNotifyIntervalMs } },
    ...(seed === undefined ? {} : { leaseIdSeed: seed }),
    ...(dataDir === undefined ? {} : { dataDir }),
    // etcd takes 0 as its default (etcdserver: "updating snapshot-count to default").
    ...(snapshotCount === undefined || Number(snapshotCount) === 0 || dataDir === undefined ? {} : { snapshotEveryRecords: Number(snapshotCount) }),
    ...(autoCompaction === undefined ? {} : { autoCompaction }),
  });
  // leaselab_event_loop_delay_* on /metrics: the load bench reads the worst stall from it (bench/load.ts).
  (await import('../../server/event-loop-delay.ts')).registerEventLoopDelay(server.metrics);
  let control: ControlEndpoint | undefined;
  try {
    if (controlPort !== undefined)
      control = await (await import('../../server/grpc-control.ts')).startControlEndpoint(server, { host: controlHost, port: controlPort });
  } catch (error) {
    await server.close();
    throw error;
  }
  if (values['ready-json'] === true) {
    const ready: ReadyJson = { grpc: server.address, control: control?.url ?? null, seed: server.leaseIdSeed, pid: process.pid };
    output.write(`${JSON.stringify(ready)}\n`);
  }
  output.write(`leaselab serving etcd v3 gRPC on ${server.address}\n`);
  output.write(`${storageLine(server, seed)}\n`);
  if (autoCompaction !== undefined && autoCompaction.retention > 0) {
    output.write(
      `auto-compaction: ${autoCompaction.mode}, keeping ${autoCompaction.mode === 'periodic' ? `${autoCompaction.retention / 1000} s of history` : `${autoCompaction.retention} revisions`}\n`,
    );
  }
  if (control !== undefined) output.write(`fast-forward: curl -X POST '${control.url}/advance?ms=5500'   (time: curl ${control.url}/time)\n`);
  if (control !== undefined)
    output.write(
      `fast-forward: curl -X POST '${control.url}/advance?ms=5500'   (time: curl ${control.url}/time; empty the store: curl -X POST ${control.url}/reset)\n`,
    );
  output.write('Ctrl-C to stop\n');
  return {
    server,
    control,
    close: async () => {
      await control?.close();
      await server.close();
    },
  };
}

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !isLeaseIdSeed(seed)) throw new UsageError(`--seed must be an integer in [0, ${leaseIdSeedMax}], got '${text}'`);
  return seed;
}

function parseCompactionFlags(mode: string | undefined, retention: string | undefined): AutoCompaction | undefined {
  if (mode === undefined && retention === undefined) return undefined;
  try {
    return parseAutoCompaction(mode ?? 'periodic', retention ?? '0');
  } catch (error) {
    throw new UsageError(`--auto-compaction-*: ${(error as Error).message}`);
  }
}

/** Where the store lives and where lease IDs come from, in one line. */
function storageLine(server: GrpcEtcdServer, pinnedSeed: number | undefined): string {
  const dir = server.dataDir;
  const seedNote =
    pinnedSeed !== undefined && pinnedSeed !== server.leaseIdSeed
      ? ` (the data dir's own; --seed ${pinnedSeed} applies to a new data dir only)`
      : pinnedSeed === undefined && dir?.recovered.existing !== true
        ? ' (from entropy; --seed pins it)'
        : '';
  const ids = `lease IDs: seed ${server.leaseIdSeed}${seedNote}`;
  if (dir === undefined) return `store: in memory only (gone when the process ends; --data-dir DIR keeps it); ${ids}`;
  const r = dir.recovered;
  if (!r.existing) return `store: data dir ${dir.dir} (new); ${ids}`;
  const torn = r.tornBytes > 0 ? `, cut a torn last record of ${r.tornBytes} bytes` : '';
  return `store: data dir ${dir.dir}, restored revision ${r.revision} and ${r.leases} leases (snapshot at record ${r.snapshotSeq} + ${r.records} records${torn}; leases promoted: full TTL + 1 s); ${ids}`;
}

/** Heap in use past which its growth is bounded (see boundHeapGrowth). */
const boundedHeapFromBytes = 64 * 1024 * 1024;
const heapCheckIntervalMs = 1000;

/**
 * Once the heap holds more than boundedHeapFromBytes, let V8 grow it to at
 * most twice what survived the last full collection, as Go's default GC
 * target (GOGC=100) lets etcd's. Under a write load V8 would otherwise grow
 * it up to 4×, most of it garbage: ~190 MB of RSS per 100k new keys against
 * ~70 MB. Not from the start: with a small heap the bound makes full
 * collections so frequent that a put costs ~1.4× the CPU.
 */
function boundHeapGrowth(): () => void {
  const check = setInterval(() => {
    if (process.memoryUsage().heapUsed < boundedHeapFromBytes) return;
    setFlagsFromString('--heap-growing-percent=100');
    clearInterval(check);
  }, heapCheckIntervalMs);
  check.unref();
  return () => clearInterval(check);
}

export async function run(args: string[], output: ServeOutput = process.stdout): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    output.write(usage);
    return 0;
  }
  // A harness may read the ready line and close its end of the pipe: later lines are then lost, not fatal.
  if (output === process.stdout) process.stdout.on('error', ignoreClosedPipe);
  const stopHeapCheck = boundHeapGrowth();
  // Listen for signals before anything is printed: a harness may send SIGTERM as soon as it reads the ready line.
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const onSignal = () => stopRequested();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const removeSignalHandlers = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  let serving: Serving;
  try {
    serving = await startServing(args, output);
  } catch (error) {
    removeSignalHandlers();
    stopHeapCheck();
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`leaselab serve: ${message}\n`);
    const usageError =
      error instanceof TypeError || error instanceof UsageError || (error instanceof Error && /must be a port|Unknown option|argument/i.test(message));
    if (usageError) process.stderr.write(usage);
    return usageError ? 2 : 1;
  }
  // A wrapper that starts us (npx runs `sh -c leaselab …`) may be killed without passing the signal on:
  // once our parent is gone (we were re-parented), stop as on SIGTERM rather than run on unowned.
  const parentPid = process.ppid;
  const orphanCheck = setInterval(() => {
    if (process.ppid === parentPid) return;
    process.stderr.write(`leaselab serve: parent process ${parentPid} is gone; stopping\n`);
    stopRequested();
  }, orphanCheckIntervalMs);
  orphanCheck.unref();
  await stopped;
  clearInterval(orphanCheck);
  stopHeapCheck();
  removeSignalHandlers();
  await serving.close();
  output.write('leaselab serve: stopped\n');
  return 0;
}
