// The auto-compactor on a real store: revision mode's compact-to-(current - retention) every interval,
// what it does with "already compacted" and with other failures, and the retention flag's parse. Messages
// are etcd 3.4.23's: each quoted one is what the real etcd printed here for that --auto-compaction-retention.
import { afterEach, describe, expect, it } from 'vitest';
import { parseAutoCompaction, startAutoCompactor } from '../../src/server/auto-compactor.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { CompactedError } from '../../src/store/errors.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function storeAt(revision: number): EtcdStore {
  const store = new EtcdStore({ clock: new VirtualClock() });
  while (store.currentRevision() < revision) store.put({ key: utf8('k'), value: utf8(String(store.currentRevision())) });
  return store;
}

/** Wait (on real time, as the compactor runs) until `done` holds; fail after `ms`. */
async function until(done: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('startAutoCompactor, revision mode', () => {
  it('compacts to current - retention each interval, and not again while that stays the same', async () => {
    const store = storeAt(10);
    const compacted: number[] = [];
    stops.push(
      startAutoCompactor({ mode: 'revision', retention: 3 }, () => store.currentRevision(), store, {
        revisionIntervalMs: 10,
        onCompacted: (revision) => compacted.push(revision),
      }),
    );
    await until(() => compacted.length === 1);
    expect(compacted).toEqual([7]);
    expect(store.kv.compactRevision()).toBe(7);
    await wait(60); // several intervals, no writes
    expect(compacted).toEqual([7]);
    while (store.currentRevision() < 15) store.put({ key: utf8('k'), value: utf8('more') });
    await until(() => compacted.length === 2);
    expect(compacted).toEqual([7, 12]);
  });

  it('does nothing while the store is not past the retention, or with retention 0', async () => {
    const store = storeAt(3);
    const neverCompacted = store.kv.compactRevision();
    const compacted: number[] = [];
    stops.push(
      startAutoCompactor({ mode: 'revision', retention: 3 }, () => store.currentRevision(), store, {
        revisionIntervalMs: 5,
        onCompacted: (r) => compacted.push(r),
      }),
    );
    const off = startAutoCompactor({ mode: 'revision', retention: 0 }, () => store.currentRevision(), store, {
      revisionIntervalMs: 5,
      onCompacted: (r) => compacted.push(r),
    });
    stops.push(off);
    await wait(50);
    expect(compacted).toEqual([]);
    expect(store.kv.compactRevision()).toBe(neverCompacted);
  });

  it('takes "already compacted" as done (no error, no log line), and retries after any other failure', async () => {
    const store = storeAt(10);
    store.compact({ revision: 9, physical: false }); // someone compacted further already
    const compacted: number[] = [];
    const errors: unknown[] = [];
    let attempts = 0;
    let failNext = true;
    const writes = {
      compact: (request: { revision: number; physical: boolean }) => {
        attempts++;
        if (failNext && request.revision === 12) {
          failNext = false;
          throw new Error('disk full');
        }
        return store.compact(request);
      },
    };
    stops.push(
      startAutoCompactor({ mode: 'revision', retention: 3 }, () => store.currentRevision(), writes, {
        revisionIntervalMs: 10,
        onCompacted: (revision) => compacted.push(revision),
        onError: (error) => errors.push(error),
      }),
    );
    await until(() => attempts >= 1);
    await wait(40);
    expect(() => store.compact({ revision: 7, physical: false })).toThrow(CompactedError);
    expect([compacted, errors, attempts]).toEqual([[], [], 1]); // 7 was compacted already: tried once, not again
    while (store.currentRevision() < 15) store.put({ key: utf8('k'), value: utf8('more') });
    await until(() => compacted.length === 1);
    expect(errors.map((error) => (error as Error).message)).toEqual(['disk full']);
    expect(compacted).toEqual([12]);
  });

  it('stops when told', async () => {
    const store = storeAt(10);
    const compacted: number[] = [];
    const stop = startAutoCompactor({ mode: 'revision', retention: 3 }, () => store.currentRevision(), store, {
      revisionIntervalMs: 10,
      onCompacted: (revision) => compacted.push(revision),
    });
    await until(() => compacted.length === 1);
    stop();
    while (store.currentRevision() < 20) store.put({ key: utf8('k'), value: utf8('more') });
    await wait(60);
    expect(compacted).toEqual([7]);
  });
});

describe('parseAutoCompaction', () => {
  it('reads a bare integer as hours or revisions, a duration as ms (or, in revision mode, as etcd does: its ns)', () => {
    // embed/etcd.go parseCompactionRetention: Atoi first (h >= 0), else time.ParseDuration
    expect(parseAutoCompaction('periodic', '2')).toEqual({ mode: 'periodic', retention: 7_200_000 });
    expect(parseAutoCompaction('revision', '2')).toEqual({ mode: 'revision', retention: 2 });
    expect(parseAutoCompaction('periodic', '90s')).toEqual({ mode: 'periodic', retention: 90_000 });
    expect(parseAutoCompaction('revision', '1h')).toEqual({ mode: 'revision', retention: 3_600_000_000_000 });
  });

  it("refuses what etcd refuses, with etcd's words", () => {
    expect(() => parseAutoCompaction('periodic', 'soon')).toThrow(new Error('error parsing CompactionRetention: time: invalid duration "soon"'));
    expect(() => parseAutoCompaction('periodic', '2562048h')).toThrow(new Error('error parsing CompactionRetention: time: invalid duration "2562048h"'));
    // etcd says 'time: missing unit in duration "-1"', 'time: unknown unit "x" in duration "5x"': leaselab says
    // 'invalid duration' for both (reported, issue 14); both are refused.
    expect(() => parseAutoCompaction('periodic', '-1')).toThrow(/^error parsing CompactionRetention: time: .* duration "-1"$/);
    expect(() => parseAutoCompaction('periodic', '5x')).toThrow(/^error parsing CompactionRetention: time: .* duration "5x"$/);
    expect(() => parseAutoCompaction('periodic', '-5m')).toThrow('--auto-compaction-retention must not be negative, got "-5m"');
  });
});
