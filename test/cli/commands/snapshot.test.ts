// `leaselab snapshot status|restore`: etcdctl's snapshot commands for leaselab's snapshot files.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSnapshot, snapshotDocumentOf } from '../../../src/server/persistence/snapshot-file.ts';
import { utf8 } from '../../../src/store/bytes.ts';
import { EtcdStore } from '../../../src/store/etcd-store.ts';
import { VirtualClock } from '../../../src/store/virtual-clock.ts';
import { cli } from '../in-process-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-snapshot-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A snapshot file (body + SHA-256, as Maintenance.Snapshot streams it) of a store holding `value` at /k. */
function snapshotFile(name: string, value: string): { path: string; size: number; revision: number; hash: number } {
  const store = new EtcdStore({ clock: new VirtualClock() });
  store.put({ key: utf8('/k'), value: utf8(value) });
  store.put({ key: utf8('/k'), value: utf8('again') });
  const document = snapshotDocumentOf({ store: store.snapshot(), raftIndex: 3, side: {} });
  const { body, sha256 } = encodeSnapshot(document);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([body, sha256]));
  return { path, size: body.length + sha256.length, revision: document.revision, hash: document.hash };
}

/** A snapshot file of exactly `size` bytes (512·k + 32: whole sectors and the digest), by the length of a value. */
function snapshotFileOfSize(size: number) {
  // the size grows with the value's length: the shortest value that reaches `size` gives exactly `size`
  let low = 0;
  let high = 2 * size;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (snapshotFile(`sized-${size}`, 'x'.repeat(mid)).size >= size) high = mid;
    else low = mid + 1;
  }
  const file = snapshotFile(`sized-${size}`, 'x'.repeat(low));
  if (file.size !== size) throw new Error(`no snapshot of ${size} bytes`);
  return file;
}

describe('leaselab snapshot status', () => {
  it('prints hash, revision, key revisions and size, as etcdctl snapshot status -w simple|json|table does', async () => {
    const file = snapshotFile('small', 'v');
    const hash = file.hash.toString(16).padStart(8, '0');
    const simple = await cli('snapshot', 'status', file.path);
    expect(simple.code).toBe(0);
    // two puts of /k: revisions 2 and 3, two key revisions
    expect(file.revision).toBe(3);
    const [, sizeText] = /^[0-9a-f]{8}, 3, 2, (.+)\n$/.exec(simple.stdout) ?? [];
    expect(simple.stdout.startsWith(`${hash}, 3, 2, `)).toBe(true);
    const json = await cli('snapshot', 'status', file.path, '-w', 'json');
    expect(JSON.parse(json.stdout)).toEqual({ hash: file.hash, revision: 3, totalKey: 2, totalSize: file.size });
    const table = await cli('snapshot', 'status', file.path, '--write-out', 'table');
    expect(table.stdout.split('\n')[1]).toBe('|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |');
    expect(table.stdout.split('\n')[3]).toBe(`| ${hash} |        3 |          2 | ${sizeText!.padStart(10)} |`);
  });

  // etcdctl prints sizes with go-humanize's Bytes (dustin/go-humanize bytes.go humanateBytes): the value is
  // first rounded to tenths (floor(x*10+0.5)/10), then printed with %.1f under 10 and %.0f from 10 on, and
  // Go's %.0f rounds an exact half to even. These sizes are snapshot sizes (512·k + 32) where that
  // differs from rounding the raw quotient; the expected texts are what go-humanize 1.0.0
  // (/usr/share/gocode/src/github.com/dustin/go-humanize) prints for them.
  it.each([
    [19488, '20 kB'], // 19.488 → 19.5 → half to even: 20
    [20512, '20 kB'], // 20.512 → 20.5 → half to even: 20
    [42528, '42 kB'], // 42.528 → 42.5 → 42
    [544, '544 B'], // under 1000: whole bytes
    [1056, '1.1 kB'],
    [9760, '9.8 kB'],
  ])('a %i-byte snapshot is %s, as etcdctl says', async (size, text) => {
    const file = snapshotFileOfSize(size);
    const { code, stdout } = await cli('snapshot', 'status', file.path);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split(', ')[3]).toBe(text);
  });

  it('names what is wrong with the file or the flags, and changes nothing', async () => {
    const missing = await cli('snapshot', 'status', join(dir, 'no-such.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^leaselab snapshot: ENOENT: no such file or directory.*no-such\.db/);
    const bolt = join(dir, 'bolt.db');
    const page = Buffer.alloc(4096);
    page.writeUInt32LE(0xed0cdaed, 16);
    writeFileSync(bolt, page);
    const notOurs = await cli('snapshot', 'status', bolt);
    expect(notOurs.code).toBe(1);
    expect(notOurs.stderr).toContain('is an etcd (bolt) snapshot: leaselab reads only its own snapshots');
    const file = snapshotFile('for-flags', 'v');
    const badFormat = await cli('snapshot', 'status', file.path, '-w', 'fields');
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain("--write-out must be simple, json or table, got 'fields'");
    const twoFiles = await cli('snapshot', 'status', file.path, file.path);
    expect(twoFiles.code).toBe(2);
    expect(twoFiles.stderr).toContain('snapshot status needs exactly one FILE');
  });
});

describe('leaselab snapshot restore', () => {
  it('makes a data dir from the snapshot, and refuses without --data-dir or with an unknown command', async () => {
    const file = snapshotFile('restore', 'v');
    const target = join(dir, 'restored');
    const restored = await cli('snapshot', 'restore', file.path, '--data-dir', target);
    expect(restored.code).toBe(0);
    expect(restored.stdout).toBe(
      `restored ${file.path} into data dir ${target}: revision 3, 2 key revisions, 0 leases\nserve it: leaselab serve --data-dir ${target}\n`,
    );
    expect(existsSync(target)).toBe(true);
    const noDir = await cli('snapshot', 'restore', file.path);
    expect(noDir.code).toBe(2);
    expect(noDir.stderr).toContain('snapshot restore needs --data-dir DIR');
    const unknown = await cli('snapshot', 'save', file.path);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown snapshot command 'save'");
    const bare = await cli('snapshot');
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('usage: leaselab snapshot restore FILE --data-dir DIR');
  });
});
