/**
 * `leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--exact-expiry]`:
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

export interface ServeOutput {
  write(text: string): void;
}

const usage = `usage: leaselab serve [--port 2379] [--host 127.0.0.1] [--control-port N] [--exact-expiry]

  --port N           gRPC port (0: any free port)                  default 2379
  --host H           address to listen on                          default 127.0.0.1
  --control-port N   also serve HTTP POST /advance?ms=N and GET /time on this port,
                     to fast-forward leases without sleeping (0: any free port)
  --exact-expiry     expire a lease at its deadline instead of at etcd's next 500 ms sweep
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
    },
    strict: true,
    allowPositionals: false,
  });
  const port = parsePort(values.port, '--port', 2379)!;
  const controlPort = parsePort(values['control-port'], '--control-port', undefined);
  const host = values.host ?? '127.0.0.1';
  const server = await startGrpcServer({ host, port, store: { exactExpiry: values['exact-expiry'] === true } });
  let control: ControlEndpoint | undefined;
  try {
    if (controlPort !== undefined) control = await startControlEndpoint(server, { host, port: controlPort });
  } catch (error) {
    await server.close();
    throw error;
  }
  output.write(`leaselab serving etcd v3 gRPC on ${server.address}\n`);
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
    const usageError = error instanceof TypeError || (error instanceof Error && /must be a port|Unknown option|argument/i.test(message));
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
