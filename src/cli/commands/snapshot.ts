/**
 * `leaselab snapshot restore FILE --data-dir DIR` and `leaselab snapshot status FILE`:
 * etcdctl's snapshot commands for leaselab's snapshot format
 * (src/server/persistence/snapshot-file.ts), which is what `etcdctl snapshot
 * save` writes when pointed at `leaselab serve`. etcdctl's own `snapshot
 * status` and `snapshot restore` read bolt files only and call these
 * "invalid database".
 *
 *   $ etcdctl --endpoints 127.0.0.1:2379 snapshot save backup.db     # against leaselab serve
 *   $ leaselab snapshot restore backup.db --data-dir restored
 *   $ leaselab serve --data-dir restored                              # same keys, revisions, leases, auth
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { restoreDataDir } from '../../server/persistence/data-dir.ts';
import { entropySeed } from '../../server/persistence/lease-id-stream.ts';
import { decodeSnapshot, type SnapshotDocument, SnapshotFileError } from '../../server/persistence/snapshot-file.ts';

const usage = `usage: leaselab snapshot restore FILE --data-dir DIR
       leaselab snapshot status FILE [--write-out simple|json|table]

  restore   check FILE's SHA-256 and make a new data dir DIR from it (DIR must not exist);
            then \`leaselab serve --data-dir DIR\` serves its keys, revisions, leases (full TTL
            again, as a restored etcd), users, roles and alarms, with a lease-ID stream of its
            own. Members added to the old cluster are left behind, as etcdctl snapshot
            restore leaves them.
  status    hash, revision, key revisions and size of a snapshot, as etcdctl prints them
            (the hash is leaselab's Maintenance.Hash, not etcd's)

  FILE is what \`etcdctl snapshot save\` wrote from \`leaselab serve\` (leaselab's own format:
  see the README's "Snapshots"); etcd's bolt snapshots cannot be read.
`;

class UsageError extends Error {}

function readSnapshot(file: string): SnapshotDocument {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new SnapshotFileError(`cannot read ${file}: ${(error as Error).message}`);
  }
  return decodeSnapshot(bytes, file);
}

/**
 * etcd's humanize.Bytes: SI units, as etcdctl prints sizes ("25 kB"). Like go-humanize, the value is
 * rounded to tenths first, then printed with one decimal under 10 and none from 10 on, where Go's
 * %.0f rounds an exact half to even (19.5 → "20", 20.5 → "20"; toFixed would round both up).
 */
function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  const exponent = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), units.length - 1);
  const tenths = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5);
  if (tenths < 100) return `${(tenths / 10).toFixed(1)} ${units[exponent]}`;
  const whole = Math.floor(tenths / 10);
  const roundsUp = tenths % 10 > 5 || (tenths % 10 === 5 && whole % 2 === 1);
  return `${roundsUp ? whole + 1 : whole} ${units[exponent]}`;
}

function restore(args: string[]): number {
  const { values, positionals } = parseArgs({ args, options: { 'data-dir': { type: 'string' } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('snapshot restore needs exactly one FILE');
  const dir = values['data-dir'];
  if (dir === undefined || dir === '') throw new UsageError('snapshot restore needs --data-dir DIR');
  const file = positionals[0]!;
  const document = readSnapshot(file);
  restoreDataDir(dir, document, entropySeed());
  process.stdout.write(
    `restored ${file} into data dir ${dir}: revision ${document.revision}, ${document.keyRevisions} key revisions, ${document.leases} leases\n`,
  );
  process.stdout.write(`serve it: leaselab serve --data-dir ${dir}\n`);
  return 0;
}

function status(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    options: { 'write-out': { type: 'string', short: 'w', default: 'simple' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('snapshot status needs exactly one FILE');
  const file = positionals[0]!;
  const size = readFileSync(file).length;
  const document = readSnapshot(file);
  const hashHex = document.hash.toString(16).padStart(8, '0');
  switch (values['write-out']) {
    case 'simple':
      process.stdout.write(`${hashHex}, ${document.revision}, ${document.keyRevisions}, ${humanBytes(size)}\n`);
      return 0;
    case 'json':
      process.stdout.write(`${JSON.stringify({ hash: document.hash, revision: document.revision, totalKey: document.keyRevisions, totalSize: size })}\n`);
      return 0;
    case 'table': {
      const row = [hashHex, String(document.revision), String(document.keyRevisions), humanBytes(size)];
      const head = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
      const widths = head.map((h, i) => Math.max(h.length, row[i]!.length));
      const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
      const cells = (values: string[], center: boolean) =>
        `|${values.map((v, i) => ` ${center ? v.padStart(Math.floor((widths[i]! + v.length) / 2)).padEnd(widths[i]!) : v.padStart(widths[i]!)} `).join('|')}|\n`;
      process.stdout.write(line + cells(head, true) + line + cells(row, false) + line);
      return 0;
    }
    default:
      throw new UsageError(`--write-out must be simple, json or table, got '${values['write-out']}'`);
  }
}

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(usage);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub === 'restore') return restore(rest);
    if (sub === 'status') return status(rest);
    throw new UsageError(`unknown snapshot command '${sub}'`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`leaselab snapshot: ${message}\n`);
    if (error instanceof UsageError || (error instanceof TypeError && /option|argument/i.test(message))) {
      process.stderr.write(usage);
      return 2;
    }
    return 1;
  }
}
