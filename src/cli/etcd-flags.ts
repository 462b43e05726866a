/**
 * etcd 3.4's own command-line flags on `leaselab serve`, so that a script
 * or compose file that starts `etcd <flags>` can start `leaselab serve
 * <flags>` instead. Go's flag syntax is taken (`--name x`, `--name=x`,
 * `-name x`; booleans bare or `=true|false`).
 *
 * Served: --listen-client-urls (the first URL's host and port; https:// serves
 * TLS), --advertise-client-urls (the member's client URLs),
 * --name, --initial-advertise-peer-urls, --initial-cluster-token (the member
 * as MemberList shows it, with the IDs etcd derives from them),
 * --cert-file, --key-file, --trusted-ca-file, --client-cert-auth (TLS on
 * the client port), --max-request-bytes, --quota-backend-bytes (NOSPACE), --heartbeat-interval and
 * --election-timeout (they set the minimum lease TTL, as in etcd).
 * Accepted without effect on what a client sees: --listen-peer-urls,
 * --initial-cluster*, logging flags. Left to the caller: --data-dir,
 * --snapshot-count, --auto-compaction-*, --experimental-watch-progress-notify-interval.
 * Any other etcd flag is dropped with a warning naming it; a flag etcd does
 * not know either stays in the arguments (the caller reports it).
 */

/** etcd 3.4.23's boolean flags (`etcd --help`). */
const booleanFlags = new Set([
  'initial-election-tick-advance',
  'strict-reconfig-check',
  'pre-vote',
  'enable-v2',
  'client-cert-auth',
  'auto-tls',
  'peer-client-cert-auth',
  'peer-auto-tls',
  'enable-pprof',
  'experimental-initial-corrupt-check',
  'experimental-enable-lease-checkpoint',
  'experimental-peer-skip-client-san-verification',
  'force-new-cluster',
  'debug',
  'enable-grpc-gateway',
  'experimental-enable-lease-checkpoint-persist',
  'unsafe-no-fsync',
  // taken and ignored with a warning (etcdmain/config.go `ignored`: a pkg/flags.IgnoredFlag is a boolean)
  'cluster-active-size',
  'cluster-remove-delay',
  'cluster-sync-interval',
  'config',
  'force',
  'max-result-buffer',
  'max-retry-attempts',
  'peer-heartbeat-interval',
  'peer-election-timeout',
  'retry-interval',
  'snapshot',
  'v',
  'vv',
]);

/** etcd 3.4.23's flags that take a value (`etcd --help`). */
const valueFlags = new Set([
  'name',
  'data-dir',
  'wal-dir',
  'snapshot-count',
  'heartbeat-interval',
  'election-timeout',
  'listen-peer-urls',
  'listen-client-urls',
  'max-snapshots',
  'max-wals',
  'quota-backend-bytes',
  'backend-batch-interval',
  'backend-batch-limit',
  'max-txn-ops',
  'max-request-bytes',
  'max-concurrent-streams',
  'grpc-keepalive-min-time',
  'grpc-keepalive-interval',
  'grpc-keepalive-timeout',
  'initial-advertise-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'initial-cluster-token',
  'advertise-client-urls',
  'discovery',
  'discovery-fallback',
  'discovery-proxy',
  'discovery-srv',
  'discovery-srv-name',
  'auto-compaction-retention',
  'auto-compaction-mode',
  'cert-file',
  'key-file',
  'client-crl-file',
  'client-cert-allowed-hostname',
  'trusted-ca-file',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
  'peer-cert-allowed-cn',
  'peer-cert-allowed-hostname',
  'peer-crl-file',
  'cipher-suites',
  'cors',
  'host-whitelist',
  'auth-token',
  'bcrypt-cost',
  'auth-token-ttl',
  'metrics',
  'listen-metrics-urls',
  'logger',
  'log-output',
  'log-outputs',
  'log-level',
  'proxy',
  'proxy-failure-wait',
  'proxy-refresh-interval',
  'proxy-dial-timeout',
  'proxy-write-timeout',
  'proxy-read-timeout',
  'experimental-corrupt-check-time',
  'experimental-enable-v2v3',
  'experimental-backend-bbolt-freelist-type',
  'experimental-compaction-batch-limit',
  'experimental-watch-progress-notify-interval',
  'experimental-warning-apply-duration',
  'log-package-levels',
]);

/** Flags this module leaves in the arguments for `serve` itself. */
const leftToCaller = new Set([
  'data-dir',
  'snapshot-count',
  'auto-compaction-retention',
  'auto-compaction-mode',
  'experimental-watch-progress-notify-interval',
]);

/** Flags that change nothing a client of a single in-memory member can see. */
const acceptedSilently = new Set([
  'listen-peer-urls',
  'initial-cluster',
  'initial-cluster-state',
  'logger',
  'log-output',
  'log-outputs',
  'log-level',
  'debug',
  'log-package-levels',
  'max-snapshots',
  'max-wals',
  'wal-dir',
  'enable-pprof',
  'initial-election-tick-advance',
  'pre-vote',
  'strict-reconfig-check',
  'backend-batch-interval',
  'backend-batch-limit',
]);

export interface EtcdTlsFiles {
  certFile: string;
  keyFile: string;
  trustedCaFile: string | undefined;
  clientCertAuth: boolean;
}

export interface EtcdFlagValues {
  /** From --listen-client-urls: where to listen, and whether over TLS. */
  listen?: { host: string; port: number; tls: boolean };
  name?: string;
  advertiseClientUrls?: string[];
  peerUrls?: string[];
  clusterToken?: string;
  tls?: EtcdTlsFiles;
  maxRequestBytes?: number;
  quotaBackendBytes?: number;
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
}

export class EtcdFlagError extends Error {}

function urls(text: string, flag: string): URL[] {
  return text.split(',').map((part) => {
    try {
      return new URL(part.trim());
    } catch {
      throw new EtcdFlagError(`--${flag}: '${part}' is not a URL`);
    }
  });
}

/** The flags whose value is a whole number, and the field each sets. */
const integerFlags = {
  'quota-backend-bytes': 'quotaBackendBytes',
  'max-request-bytes': 'maxRequestBytes',
  'heartbeat-interval': 'heartbeatIntervalMs',
  'election-timeout': 'electionTimeoutMs',
} as const satisfies Record<string, keyof EtcdFlagValues>;

function integer(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new EtcdFlagError(`--${flag} must be a whole number, got '${text}'`);
  return Number(text);
}

/** Split etcd's flags out of `args`: what they ask for, what is left for serve's own parser, and warnings to print. */
export function extractEtcdFlags(args: readonly string[]): { values: EtcdFlagValues; rest: string[]; warnings: string[] } {
  const found = new Map<string, string>();
  const rest: string[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--?([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    const flag = match?.[1];
    if (match === null || flag === undefined || leftToCaller.has(flag) || (!booleanFlags.has(flag) && !valueFlags.has(flag))) {
      rest.push(arg);
      continue;
    }
    let value = match[2];
    if (booleanFlags.has(flag)) {
      value ??= 'true';
      if (value !== 'true' && value !== 'false') throw new EtcdFlagError(`--${flag} is true or false, got '${value}'`);
    } else if (value === undefined) {
      value = args[++i];
      if (value === undefined) throw new EtcdFlagError(`--${flag} needs a value`);
    }
    found.set(flag, value);
  }

  const values: EtcdFlagValues = {};
  for (const [flag, value] of found) {
    if (Object.hasOwn(integerFlags, flag)) {
      values[integerFlags[flag as keyof typeof integerFlags]] = integer(value, flag);
      continue;
    }
    switch (flag) {
      case 'listen-client-urls': {
        const [first, ...others] = urls(value, flag);
        if (first!.protocol !== 'http:' && first!.protocol !== 'https:')
          throw new EtcdFlagError(`--${flag}: ${first!.protocol}// is not served (use http:// or https://)`);
        const host = first!.hostname.replace(/^\[(.*)\]$/, '$1');
        values.listen = {
          host: host === 'localhost' ? '127.0.0.1' : host,
          port: first!.port === '' ? 2379 : Number(first!.port),
          tls: first!.protocol === 'https:',
        };
        if (others.length > 0)
          warnings.push(`--listen-client-urls: serving on ${first!.href} only (leaselab listens on one address), not ${others.map((u) => u.href).join(', ')}`);
        break;
      }
      case 'advertise-client-urls':
        values.advertiseClientUrls = urls(value, flag).map((u) => u.href.replace(/\/$/, ''));
        break;
      case 'initial-advertise-peer-urls':
        values.peerUrls = urls(value, flag).map((u) => u.href.replace(/\/$/, ''));
        break;
      case 'initial-cluster-token':
        values.clusterToken = value;
        break;
      case 'name':
        values.name = value;
        break;
      case 'cert-file':
      case 'key-file':
      case 'trusted-ca-file':
      case 'client-cert-auth':
        break; // below, together
      default:
        if (!acceptedSilently.has(flag)) warnings.push(`ignoring etcd flag --${flag}: leaselab does not serve it`);
    }
  }
  const certFile = found.get('cert-file');
  const keyFile = found.get('key-file');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new EtcdFlagError('--cert-file and --key-file go together');
  if (certFile !== undefined && keyFile !== undefined) {
    values.tls = { certFile, keyFile, trustedCaFile: found.get('trusted-ca-file'), clientCertAuth: found.get('client-cert-auth') === 'true' };
  } else if (found.get('client-cert-auth') === 'true' || found.has('trusted-ca-file')) {
    throw new EtcdFlagError('--client-cert-auth and --trusted-ca-file need --cert-file and --key-file');
  }
  if (values.listen?.tls === true && values.tls === undefined)
    throw new EtcdFlagError('--listen-client-urls has https:// but no --cert-file and --key-file are given');
  if (values.tls !== undefined && values.listen?.tls !== true)
    warnings.push('--cert-file given but --listen-client-urls is not https://: serving plain HTTP, as etcd does');
  return { values, rest, warnings };
}
