// WAL segments on disk: framed records (length, CRC-32, JSON) read back in order; a torn tail (a
// prefix of the last frame, as a killed process leaves) is cut, not an error; a bad frame with frames
// after it is damage and says so; file names sort by the number they carry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { WalRecord } from '../../../src/server/persistence/records.ts';
import {
  frame,
  numberedFiles,
  readSegment,
  segmentName,
  segmentPattern,
  snapshotName,
  snapshotPattern,
  truncateSegment,
} from '../../../src/server/persistence/wal-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-wal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const records: WalRecord[] = [
  { seq: 1, type: 'seed', seed: 42, rev: 1 },
  { seq: 2, type: 'grant', id: '7587869238400090122', ttl: 10, draws: 1, rev: 1 },
  { seq: 3, type: 'put', request: { key: 'YQ==', value: 'Yg==' }, rev: 2 },
  { seq: 4, type: 'compact', revision: 2, rev: 2 },
];
const frames = records.map(frame);

function segment(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('frame', () => {
  it('is the payload length and its CRC-32 (little-endian), then the record as JSON', () => {
    const bytes = frames[2]!;
    const payload = bytes.subarray(8);
    expect(bytes.readUInt32LE(0)).toBe(payload.length);
    expect(bytes.readUInt32LE(4)).toBe(crc32(payload));
    expect(JSON.parse(payload.toString('utf8'))).toEqual(records[2]);
  });
});

describe('readSegment', () => {
  it('reads every whole record back, in order', () => {
    const path = segment('whole.log', Buffer.concat(frames));
    const total = frames.reduce((sum, f) => sum + f.length, 0);
    expect(readSegment(path)).toEqual({ records, validBytes: total, totalBytes: total, corrupt: false });
  });

  it('a tail cut anywhere inside the last frame is torn: the records before it, not corrupt', () => {
    const before = Buffer.concat(frames.slice(0, 3));
    for (let cut = 1; cut < frames[3]!.length; cut++) {
      const path = segment('torn.log', Buffer.concat([before, frames[3]!.subarray(0, cut)]));
      const read = readSegment(path);
      expect([read.records.length, read.validBytes, read.corrupt], `cut at ${cut}`).toEqual([3, before.length, false]);
    }
  });

  it('a damaged last frame is a torn write; a damaged frame with frames after it is corruption', () => {
    const lastDamaged = Buffer.concat(frames);
    lastDamaged[lastDamaged.length - 2] = lastDamaged[lastDamaged.length - 2]! ^ 0xff;
    expect(readSegment(segment('last.log', lastDamaged))).toMatchObject({ records: records.slice(0, 3), corrupt: false });
    const middle = Buffer.concat(frames);
    middle[frames[0]!.length + 10] = middle[frames[0]!.length + 10]! ^ 0xff; // inside the second frame's payload
    expect(readSegment(segment('middle.log', middle))).toMatchObject({ records: records.slice(0, 1), validBytes: frames[0]!.length, corrupt: true });
  });

  it('a length past any record is a torn header, not a wait for 4 GiB', () => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0xffffffff, 0);
    expect(readSegment(segment('huge.log', Buffer.concat([frames[0]!, header, Buffer.alloc(100)])))).toMatchObject({
      records: records.slice(0, 1),
      validBytes: frames[0]!.length,
      corrupt: false,
    });
  });

  it('truncateSegment cuts the torn tail, so appending goes on from whole records', () => {
    const path = segment('cut.log', Buffer.concat([frames[0]!, frames[1]!.subarray(0, 5)]));
    truncateSegment(path, readSegment(path).validBytes);
    expect(readFileSync(path)).toEqual(frames[0]);
    writeFileSync(path, Buffer.concat([frames[0]!, frames[1]!]));
    expect(readSegment(path).records).toEqual(records.slice(0, 2));
  });
});

describe('file names', () => {
  it('carry their number as 16 hex digits and sort by it, others ignored', () => {
    const names = mkdtempSync(join(tmpdir(), 'leaselab-wal-names-'));
    try {
      for (const seq of [16, 9, 0, 2 ** 40]) writeFileSync(join(names, segmentName(seq)), '');
      writeFileSync(join(names, snapshotName(9)), '');
      writeFileSync(join(names, 'wal-9.log'), '');
      writeFileSync(join(names, 'notes.txt'), '');
      expect(segmentName(16)).toBe('wal-0000000000000010.log');
      expect(snapshotName(255)).toBe('snap-00000000000000ff.json');
      expect(numberedFiles(names, segmentPattern).map((f) => f.seq)).toEqual([0, 9, 16, 2 ** 40]);
      expect(numberedFiles(names, snapshotPattern)).toEqual([{ name: 'snap-0000000000000009.json', seq: 9 }]);
    } finally {
      rmSync(names, { recursive: true, force: true });
    }
  });
});
