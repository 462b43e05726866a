/**
 * `leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--exact-expiry]
 *   [--data-dir DIR] [--seed N] [--auto-compaction-mode periodic|revision] [--auto-compaction-retention R]`:
 * serve etcd v3's gRPC API (KV, Lease, Watch; Maintenance.Status,
 * Cluster.MemberList) over a fresh in-memory store on real time, so etcd
 * clients (the etcd3 npm package, etcdctl) can use leaselab instead of etcd:
 *
 *   $ leaselab serve --control-port 2381
 *   leaselab serving etcd v3 gRPC on 127.0.0.1:2379
 *   fast-forward: curl -X POST 'http://127.0.0.1:2381/advance?ms=5500'
 *
 * With --control-port, an HTTP endpoint moves the store's clock ahead of
 * wall time (src/server/grpc-control.ts) so leases expire without waiting;
 * port 0 picks a free one. Ctrl-C (SIGINT) or SIGTERM stops the server; the
 * command then exits 0. Exit 2 for a usage error, 1 if the port is taken.
 */
import { parseArgs } from 'node:util';
import { type ControlEndpoint, startControlEndpoint } from '../../server/grpc-control.ts';
import { type GrpcEtcdServer, startGrpcServer } from '../../server/grpc-server.ts';
import { type AutoCompaction, parseAutoCompaction } from '../../server/auto-compactor.ts';
import { isLeaseIdSeed, leaseIdSeedMax } from '../../server/persistence/lease-id-stream.ts';

export interface ServeOutput {
  write(text: string): void;
}

const usage = `usage: leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--exact-expiry]
                      [--data-dir DIR [--snapshot-count N]] [--seed N] [--auto-compaction-mode M --auto-compaction-retention R]

  --port N           gRPC port (0: any free port)                  default 2379
  --host H           address to listen on                          default 127.0.0.1
  --control-port N   also serve HTTP POST /advance?ms=N and GET /time on this port,
                     to fast-forward leases without sleeping (0: any free port)
  --exact-expiry     expire a lease at its deadline instead of at etcd's next 500 ms sweep
  --data-dir DIR     keep the store in DIR (write-ahead log + snapshots): every change is
                     on disk before it is answered, and a restart (even after kill -9)
                     keeps it all; leases come back with their full TTL + 1 s, as on etcd.
                     Without it the store lives in memory only.
  --snapshot-count N with --data-dir: records between snapshots (older log is then deleted)
                                                                   default 10000
  --seed N           seed of the lease-ID stream (default: from the OS's entropy, printed);
                     a data dir that has one keeps its own, so IDs never repeat
  --auto-compaction-mode periodic|revision                          default periodic
  --auto-compaction-retention R
                     etcd's auto-compaction: periodic keeps R of history ("1h", "30m",
                     a bare number is hours), revision keeps the last R revisions
                     (checked every 5 minutes); 0 (the default) is off
`;

function parsePort(text: string | undefined, name: string, fallback: number | undefined): number | undefined {
  if (text === undefined) return fallback;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`${name} must be a port number (0-65535), got '${text}'`);
  return port;
}

export interface Serving {
  server: GrpcEtcdServer;
  control: ControlEndpoint | undefined;
  /** Stop both. */
  close(): Promise<void>;
}

/** Start the server (and control endpoint) from command-line args and print where they listen. */
export async function startServing(args: string[], output: ServeOutput = process.stdout): Promise<Serving> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'control-port': { type: 'string' },
      'exact-expiry': { type: 'boolean' },
      'data-dir': { type: 'string' },
      'snapshot-count': { type: 'string' },
      seed: { type: 'string' },
      'auto-compaction-mode': { type: 'string' },
      'auto-compaction-retention': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const port = parsePort(values.port, '--port', 2379)!;
  const controlPort = parsePort(values['control-port'], '--control-port', undefined);
  const host = values.host ?? '127.0.0.1';
  const seed = parseSeed(values.seed);
  const autoCompaction = parseCompactionFlags(values['auto-compaction-mode'], values['auto-compaction-retention']);
  const dataDir = values['data-dir'];
  if (dataDir === '') throw new UsageError('--data-dir needs a directory');
  const snapshotCount = values['snapshot-count'];
  if (snapshotCount !== undefined && (!/^\d+$/.test(snapshotCount) || Number(snapshotCount) < 1)) throw new UsageError(`--snapshot-count must be a positive integer, got '${snapshotCount}'`);
  if (snapshotCount !== undefined && dataDir === undefined) throw new UsageError('--snapshot-count needs --data-dir');
  const server = await startGrpcServer({
    host,
    port,
    store: { exactExpiry: values['exact-expiry'] === true },
    ...(seed === undefined ? {} : { leaseIdSeed: seed }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(snapshotCount === undefined ? {} : { snapshotEveryRecords: Number(snapshotCount) }),
    ...(autoCompaction === undefined ? {} : { autoCompaction }),
  });
  let control: ControlEndpoint | undefined;
  try {
    if (controlPort !== undefined) control = await startControlEndpoint(server, { host, port: controlPort });
  } catch (error) {
    await server.close();
    throw error;
  }
  output.write(`leaselab serving etcd v3 gRPC on ${server.address}\n`);
  output.write(`${storageLine(server, seed)}\n`);
  if (autoCompaction !== undefined && autoCompaction.retention > 0) {
    output.write(`auto-compaction: ${autoCompaction.mode}, keeping ${autoCompaction.mode === 'periodic' ? `${autoCompaction.retention / 1000} s of history` : `${autoCompaction.retention} revisions`}\n`);
  }
  if (control !== undefined) output.write(`fast-forward: curl -X POST '${control.url}/advance?ms=5500'   (time: curl ${control.url}/time)\n`);
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

class UsageError extends Error {}

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
  const seedNote = pinnedSeed !== undefined && pinnedSeed !== server.leaseIdSeed ? ` (the data dir's own; --seed ${pinnedSeed} applies to a new data dir only)` : pinnedSeed === undefined && dir?.recovered.existing !== true ? ' (from entropy; --seed pins it)' : '';
  const ids = `lease IDs: seed ${server.leaseIdSeed}${seedNote}`;
  if (dir === undefined) return `store: in memory only (gone when the process ends; --data-dir DIR keeps it); ${ids}`;
  const r = dir.recovered;
  if (!r.existing) return `store: data dir ${dir.dir} (new); ${ids}`;
  const torn = r.tornBytes > 0 ? `, cut a torn last record of ${r.tornBytes} bytes` : '';
  return `store: data dir ${dir.dir}, restored revision ${r.revision} and ${r.leases} leases (snapshot at record ${r.snapshotSeq} + ${r.records} records${torn}; leases promoted: full TTL + 1 s); ${ids}`;
}

export async function run(args: string[], output: ServeOutput = process.stdout): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    output.write(usage);
    return 0;
  }
  let serving: Serving;
  try {
    serving = await startServing(args, output);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`leaselab serve: ${message}\n`);
    const usageError = error instanceof TypeError || error instanceof UsageError || (error instanceof Error && /must be a port|Unknown option|argument/i.test(message));
    if (usageError) process.stderr.write(usage);
    return usageError ? 2 : 1;
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await serving.close();
  output.write('leaselab serve: stopped\n');
  return 0;
}
