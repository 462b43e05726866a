/**
 * etcd's --auto-compaction-mode / --auto-compaction-retention: parsing as
 * etcd parses them, and both modes compacting a running server's history.
 */
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { parseAutoCompaction } from '../../src/server/auto-compactor.ts';
import { parseGoDurationMs } from '../../src/server/go-duration.ts';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { startServing } from '../../src/cli/commands/serve.ts';
import { cleanupsAfter } from './cleanups.ts';
import { until } from './until.ts';

const cleanups = cleanupsAfter('each');

describe('auto-compaction flags', () => {
  it('parse as etcd 3.4 parses them (embed parseCompactionRetention)', () => {
    expect(parseAutoCompaction('periodic', '1')).toEqual({ mode: 'periodic', retention: 3_600_000 }); // a bare number is hours
    expect(parseAutoCompaction('periodic', '30m')).toEqual({ mode: 'periodic', retention: 1_800_000 });
    expect(parseAutoCompaction('periodic', '1h30m')).toEqual({ mode: 'periodic', retention: 5_400_000 });
    expect(parseAutoCompaction('revision', '1000')).toEqual({ mode: 'revision', retention: 1000 });
    expect(parseAutoCompaction('revision', '1ms')).toEqual({ mode: 'revision', retention: 1_000_000 }); // etcd's quirk: a duration's nanoseconds
    expect(parseAutoCompaction('periodic', '0')).toEqual({ mode: 'periodic', retention: 0 });
    expect(() => parseAutoCompaction('daily', '1')).toThrow('unknown auto-compaction-mode "daily"');
    expect(() => parseAutoCompaction('periodic', 'soon')).toThrow('error parsing CompactionRetention: time: invalid duration "soon"');
    expect(parseGoDurationMs('1.5s')).toBe(1500);
    expect(parseGoDurationMs('2h45m30.5s')).toBe(9_930_500);
  });

  it('a bad value is a usage error that starts nothing', async () => {
    await expect(startServing(['--port', '0', '--auto-compaction-mode', 'daily', '--auto-compaction-retention', '1'], { write: () => {} })).rejects.toThrow(
      'unknown auto-compaction-mode',
    );
    await expect(startServing(['--port', '0', '--seed', '1.5'], { write: () => {} })).rejects.toThrow('--seed must be an integer');
  });
});

describe('auto-compaction', () => {
  async function serve(
    autoCompaction: Parameters<typeof startGrpcServer>[0] extends infer O ? (O extends { autoCompaction?: infer A } ? A : never) : never,
  ): Promise<{ server: GrpcEtcdServer; client: Etcd3 }> {
    const server = await startGrpcServer({ port: 0, autoCompaction });
    const client = new Etcd3({ hosts: server.address });
    cleanups.push(async () => {
      client.close();
      await server.close();
    });
    return { server, client };
  }

  it('periodic: compacts to the revision noted about one retention period ago, once a period has passed', async () => {
    const compacted: number[] = [];
    const started = Date.now();
    const { server, client } = await serve({ mode: 'periodic', retention: 600, onCompacted: (revision) => compacted.push(revision) });
    for (let i = 0; i < 5; i++) await client.put('k').value(`${i}`).exec(); // revisions 2-6, noted at once
    await until(() => compacted.length > 0, 'the first periodic compaction');
    expect(Date.now() - started).toBeGreaterThanOrEqual(550); // not before a full period
    // Then, every tenth of the period, to what was current a period before: the writes at 2-6 are compacted by ~1.3 s.
    await until(() => server.store.kv.compactRevision() === 6, 'compaction of the writes a period later');
    expect(compacted).toEqual([...compacted].sort((a, b) => a - b));
    await expect(client.get('k').revision(5).exec()).rejects.toThrow('required revision has been compacted');
    expect(await client.get('k').string()).toBe('4');
  });

  it('revision: every interval, compacts to current revision - retention', async () => {
    const compacted: number[] = [];
    const { server, client } = await serve({ mode: 'revision', retention: 3, revisionIntervalMs: 100, onCompacted: (revision) => compacted.push(revision) });
    for (let i = 0; i < 10; i++) await client.put('k').value(`${i}`).exec(); // revision 11
    await until(() => server.store.kv.compactRevision() === 8, 'compaction at 11 - 3');
    expect(compacted.at(-1)).toBe(8);
    expect(await client.get('k').revision(8).string()).toBe('6');
    await expect(client.get('k').revision(7).exec()).rejects.toThrow('required revision has been compacted');
  });

  it('with a data dir, an auto-compaction is logged and survives a restart', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'leaselab-compaction-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await startGrpcServer({ port: 0, dataDir: dir, autoCompaction: { mode: 'revision', retention: 1, revisionIntervalMs: 50 } });
    const client = new Etcd3({ hosts: first.address });
    for (let i = 0; i < 4; i++) await client.put('k').value(`${i}`).exec(); // revision 5
    await until(() => first.store.kv.compactRevision() === 4, 'compaction at 5 - 1');
    client.close();
    await first.close();
    const second = await startGrpcServer({ port: 0, dataDir: dir });
    cleanups.push(() => second.close());
    expect(second.store.kv.compactRevision()).toBe(4);
  });
});
