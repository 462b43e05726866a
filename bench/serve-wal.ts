/**
 * What `serve --data-dir` costs a writer: Put throughput over gRPC (a raw
 * grpc-js client, loopback) with the store in memory and with every write
 * fsynced to the write-ahead log first. One writer waits for each fsync; many
 * concurrent writers share them (group commit). Trials alternate between the
 * two servers; each figure is the median.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GrpcEtcdServer, startGrpcServer } from '../src/server/grpc-server.ts';
import { median, type BenchOptions, type BenchTable } from './table.ts';

type KvClient = grpc.Client & { Put(request: { key: Buffer; value: Buffer }, callback: (error: grpc.ServiceError | null) => void): void };

function kvClient(address: string): KvClient {
  const protoPath = fileURLToPath(new URL('../src/server/proto/rpc.proto', import.meta.url));
  const definition = protoLoader.loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const KV = (grpc.loadPackageDefinition(definition)['etcdserverpb'] as grpc.GrpcObject)['KV'] as grpc.ServiceClientConstructor;
  return new KV(address, grpc.credentials.createInsecure()) as unknown as KvClient;
}

/** Puts per second by `writers` concurrent writers for about `ms`. */
async function putsPerSecond(client: KvClient, writers: number, ms: number): Promise<number> {
  const value = Buffer.alloc(100, 'v');
  let puts = 0;
  const start = performance.now();
  const writer = async (w: number) => {
    const key = Buffer.from(`/bench/wal/${w}`);
    while (performance.now() - start < ms) {
      await new Promise<void>((resolve, reject) => client.Put({ key, value }, (error) => (error === null ? resolve() : reject(error))));
      puts++;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  return (puts * 1000) / (performance.now() - start);
}

export async function runBench(options: BenchOptions): Promise<BenchTable[]> {
  const dir = mkdtempSync(join(tmpdir(), 'leaselab-bench-wal-'));
  const memory: GrpcEtcdServer = await startGrpcServer({ port: 0 });
  const disk: GrpcEtcdServer = await startGrpcServer({ port: 0, dataDir: dir });
  const memoryClient = kvClient(memory.address);
  const diskClient = kvClient(disk.address);
  const trialMs = options.quick ? 300 : 1000;
  const trials = options.quick ? 3 : 5;
  const rows: (string | number)[][] = [];
  try {
    for (const writers of [1, 16, 128]) {
      await putsPerSecond(memoryClient, writers, 200);
      await putsPerSecond(diskClient, writers, 200);
      const inMemory: number[] = [];
      const onDisk: number[] = [];
      const syncsBefore = disk.dataDir!.stats.syncs;
      const recordsBefore = disk.dataDir!.stats.records;
      for (let trial = 0; trial < trials; trial++) {
        inMemory.push(await putsPerSecond(memoryClient, writers, trialMs));
        onDisk.push(await putsPerSecond(diskClient, writers, trialMs));
      }
      const perSync = (disk.dataDir!.stats.records - recordsBefore) / Math.max(1, disk.dataDir!.stats.syncs - syncsBefore);
      rows.push([`${writers}`, median(inMemory), median(onDisk), median(onDisk) / median(inMemory), perSync]);
    }
  } finally {
    memoryClient.close();
    diskClient.close();
    await memory.close();
    await disk.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      title: 'serve --data-dir: Put throughput with the write-ahead log (fsync before answer)',
      columns: ['writers', 'in memory puts/s', 'data dir puts/s', 'ratio', 'records per fdatasync'],
      rows,
      notes: [`${trials} alternating trials of ${trialMs} ms, medians; raw grpc-js client on loopback, 100-byte values; fdatasync on ${tmpdir()}.`],
    },
  ];
}
