// A LeaseLeases answer over many leases is encoded a slice at a time (src/server/sliced-encoding.ts):
// the same bytes as one pass, with the event loop free between slices.
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { responseEncoder } from '../../src/server/grpc-encoder.ts';
import { loadProtoRoot } from '../../src/server/proto-services.ts';
import { encodeInSlices, listEntriesPerSliceMax } from '../../src/server/sliced-encoding.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';

const root = loadProtoRoot(fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url)));
const encode = responseEncoder(root.lookupType('etcdserverpb.LeaseLeasesResponse'));
const memberHeader = { cluster_id: 14841639068965178418n, member_id: 10276657743932975437n, raft_term: 2 };

function storeWithLeases(count: number): EtcdStore {
  const store = new EtcdStore({ clock: new VirtualClock() });
  for (let i = 0; i < count; i++) store.leaseGrant({ TTL: 60, ID: i % 7 === 0 ? BigInt(i) * 1_000_003n + 1n : 0n });
  return store;
}

it('gives the bytes of one pass, for lists shorter, equal to and longer than a slice', async () => {
  for (const count of [0, 1, listEntriesPerSliceMax, listEntriesPerSliceMax + 1, 3 * listEntriesPerSliceMax + 17]) {
    const response = storeWithLeases(count).leaseLeases({});
    expect(response.leases).toHaveLength(count);
    expect((await encodeInSlices(encode, response, 'leases', memberHeader)).equals(encode(response, memberHeader))).toBe(true);
  }
});

it('lets the event loop run between slices', async () => {
  const response = storeWithLeases(4 * listEntriesPerSliceMax).leaseLeases({});
  let immediateRan = false;
  let ranBeforeLastSlice = false;
  setImmediate(() => (immediateRan = true));
  const slices: number[] = [];
  const counting = (value: object, header: typeof memberHeader) => {
    const leases = (value as { leases: unknown[] }).leases;
    if (leases.length > 0) {
      slices.push(leases.length);
      if (slices.length === 4) ranBeforeLastSlice = immediateRan;
    }
    return encode(value, header);
  };
  await encodeInSlices(counting, response, 'leases', memberHeader);
  expect(slices).toEqual([listEntriesPerSliceMax, listEntriesPerSliceMax, listEntriesPerSliceMax, listEntriesPerSliceMax]);
  expect(ranBeforeLastSlice).toBe(true);
});

it('answers LeaseLeases over more leases than a slice through gRPC, every lease once, in the store order', async () => {
  const server = await startGrpcServer({ port: 0 });
  const client = new Etcd3({ hosts: server.address });
  try {
    for (let i = 0; i < 2 * listEntriesPerSliceMax + 3; i++) server.store.leaseGrant({ TTL: 60, ID: 0n });
    const expected = server.store.leaseLeases({}).leases.map((lease) => String(lease.ID));
    const answer = await client.leaseClient.leaseLeases({});
    expect(answer.leases.map((lease) => lease.ID)).toEqual(expected);
    expect(answer.header.revision).toBe(String(server.store.currentRevision()));
  } finally {
    client.close();
    await server.close();
  }
});
