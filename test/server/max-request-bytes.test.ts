// --max-request-bytes, asked of the installed etcd 3.4.23 and of leaselab side by side: etcd
// refuses a write whose raft request (the request plus its InternalRaftRequest header) is over
// the limit with "etcdserver: request is too large", whatever the gRPC receive limit lets in.
// Both servers get the same sweep of sizes around the limit and must draw the line at the
// same byte: plain puts, and txns whose compare has a range_end (proto field 64: a two-byte tag).
// The raft request's ID is 9 or 10 varint bytes depending on bit 15 of the member ID, so
// leaselab is given the same peer URL as the etcd and so the same member ID.
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdMissing, type EtcdProcess, freePort, startEtcd } from './etcd-process.ts';
import { type Outcome, type RawClient, rawClient } from './raw-grpc.ts';

const limit = 1024;
const sizes = Array.from({ length: 50 }, (_, i) => 955 + i);

const outcomeOf = (answer: Outcome) => ('res' in answer ? 'ok' : answer.err.message);

async function sweep(client: RawClient, request: (valueBytes: number) => Record<string, unknown>, method: 'Put' | 'Txn'): Promise<string[]> {
  const outcomes: string[] = [];
  for (const size of sizes) outcomes.push(`${size}: ${outcomeOf(await client.unary('KV', method, request(size)))}`);
  return outcomes;
}

const put = (size: number) => ({ key: Buffer.from('sized'), value: Buffer.alloc(size, 'v') });
const txnWithRangeCompare = (size: number) => ({
  compare: [{ key: Buffer.from('a'), range_end: Buffer.from('b'), target: 'VERSION', result: 'GREATER', version: '-1' }],
  success: [{ request_put: put(size) }],
});

const missing = etcdMissing();
describe.skipIf(missing !== undefined)(
  `--max-request-bytes ${limit} against the installed etcd${missing === undefined ? '' : ` (skipped: ${missing})`}`,
  () => {
    let etcd: EtcdProcess;
    let server: GrpcEtcdServer;
    let clients: RawClient[];
    beforeAll(async () => {
      const peerPort = await freePort();
      [etcd, server] = await Promise.all([
        startEtcd(['--max-request-bytes', String(limit)], tmpdir(), { peerPort }),
        startGrpcServer({ port: 0, maxRequestBytes: limit, member: { peerUrls: [`http://127.0.0.1:${peerPort}`] } }),
      ]);
      clients = [rawClient(etcd.address), rawClient(server.address)];
    }, 30_000);
    afterAll(async () => {
      for (const client of clients ?? []) client.close();
      await Promise.all([etcd?.stop(), server?.close()]);
    });

    it('both are the same member (so their raft request IDs are as long)', async () => {
      const [onEtcd, onLeaselab] = await Promise.all(clients.map((client) => client.unary('KV', 'Range', { key: Buffer.from('x') })));
      const memberOf = (answer: Outcome | undefined) =>
        answer !== undefined && 'res' in answer ? (answer.res.header as { member_id: string }).member_id : answer;
      expect(memberOf(onLeaselab)).toBe(memberOf(onEtcd));
    });

    for (const [name, request, method] of [
      ['a put', put, 'Put'],
      ['a txn whose compare has a range_end', txnWithRangeCompare, 'Txn'],
    ] as const) {
      it(`${name}: accepted and refused at the same sizes`, async () => {
        const [onEtcd, onLeaselab] = [await sweep(clients[0]!, request, method), await sweep(clients[1]!, request, method)];
        // The sweep straddles the limit: some sizes pass, some are refused with etcd's message.
        expect(onEtcd.some((line) => line.endsWith(': ok'))).toBe(true);
        expect(onEtcd.some((line) => line.endsWith(': etcdserver: request is too large'))).toBe(true);
        expect(onLeaselab).toEqual(onEtcd);
      });
    }
  },
);
