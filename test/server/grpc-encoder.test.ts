/**
 * The direct response encoder (src/server/grpc-encoder.ts) against the path
 * it replaces on the hot calls: toGrpc with the member's header, then
 * protobufjs' fromObject + encode. Byte for byte, over the responses a store
 * gives to a mixed run of calls (puts with leases, deletes, nested txns,
 * ranges, compactions, lease calls, watches with prev_kv, cancels and
 * progress), and over values at the edges (negative and 64-bit integers,
 * unknown enum numbers, empty and oneof fields).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { WatchResponse } from '../../src/store/messages.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { toGrpc } from '../../src/server/grpc-codec.ts';
import { responseEncoder } from '../../src/server/grpc-encoder.ts';
import type { MessageName, Messages } from '../../src/store/message-schemas.ts';
import { loadProtoRoot } from '../../src/server/proto-services.ts';

const root = loadProtoRoot(fileURLToPath(new URL('../../src/server/proto/rpc.proto', import.meta.url)));
const member = { cluster_id: 14841639068965178418n, member_id: 10276657743932975437n, raft_term: 2 };

/** The old path: the header filled in, toGrpc, fromObject, encode. */
function viaObjects<N extends MessageName>(name: N, response: Messages[N]): Buffer {
  const type = root.lookupType(`etcdserverpb.${name}`);
  const withHeader = response as unknown as { header?: { revision: number } };
  const filled = withHeader.header === undefined ? response : Object.assign({}, response, { header: Object.assign({}, withHeader.header, member) });
  return Buffer.from(type.encode(type.fromObject(toGrpc(name, filled as Messages[N]))).finish());
}

function expectSameBytes<N extends MessageName>(name: N, response: Messages[N]): void {
  const direct = responseEncoder(root.lookupType(`etcdserverpb.${name}`))(response, member);
  expect(direct.toString('hex'), `${name} ${JSON.stringify(response, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).toBe(
    viaObjects(name, response).toString('hex'),
  );
}

describe('the direct response encoder', () => {
  it('writes what toGrpc + protobufjs write, over a mixed run of store calls', () => {
    const store = new EtcdStore({ clock: new VirtualClock() });
    const watched: WatchResponse[] = [];
    const stream = store.openWatchStream({ send: (response) => (watched.push(response), true) });
    stream.request({ create_request: { key: utf8('k'), range_end: utf8('l'), prev_kv: true } });
    stream.request({ create_request: { key: utf8('k/1'), watch_id: 2 ** 60 } });
    stream.request({ create_request: { key: utf8('k/2'), filters: ['NOPUT'], progress_notify: true } });
    const lease = store.leaseGrant({ TTL: 60, ID: 0n });
    expectSameBytes('LeaseGrantResponse', lease);
    expectSameBytes('LeaseGrantResponse', store.leaseGrant({ TTL: 30, ID: -5n }));
    for (let i = 0; i < 40; i++) {
      const key = utf8(`k/${i % 7}`);
      expectSameBytes('PutResponse', store.put({ key, value: utf8(`v${i}`.repeat(i)), lease: i % 3 === 0 ? lease.ID : 0n, prev_kv: i % 2 === 0 }));
      if (i % 5 === 4) expectSameBytes('DeleteRangeResponse', store.deleteRange({ key: utf8('k/'), range_end: utf8('k/4'), prev_kv: i % 10 === 4 }));
      if (i % 6 === 5)
        expectSameBytes(
          'TxnResponse',
          store.txn({
            compare: [{ key, target: 'VERSION', result: 'GREATER', version: 0 }],
            success: [
              { request_range: { key: utf8('k/'), range_end: utf8('k0') } },
              { request_put: { key: utf8('t'), value: utf8(String(i)), prev_kv: true } },
              { request_txn: { compare: [], success: [{ request_delete_range: { key: utf8('u'), prev_kv: true } }], failure: [] } },
            ],
            failure: [{ request_range: { key, count_only: true } }],
          }),
        );
      expectSameBytes(
        'RangeResponse',
        store.range({ key: utf8('k/'), range_end: utf8('k0'), limit: i % 4, sort_order: i % 2 === 0 ? 'DESCEND' : 'NONE', keys_only: i % 3 === 0 }),
      );
    }
    expectSameBytes('RangeResponse', store.range({ key: utf8('nothing') }));
    expectSameBytes('CompactionResponse', store.compact({ revision: 10 }));
    expectSameBytes('LeaseKeepAliveResponse', store.leaseKeepAlive({ ID: lease.ID }));
    expectSameBytes('LeaseKeepAliveResponse', store.leaseKeepAlive({ ID: 12345n }));
    expectSameBytes('LeaseTimeToLiveResponse', store.leaseTimeToLive({ ID: lease.ID, keys: true }));
    expectSameBytes('LeaseTimeToLiveResponse', store.leaseTimeToLive({ ID: 999n, keys: true }));
    expectSameBytes('LeaseLeasesResponse', store.leaseLeases({}));
    expectSameBytes('LeaseRevokeResponse', store.leaseRevoke({ ID: lease.ID }));
    stream.request({ progress_request: {} });
    stream.request({ cancel_request: { watch_id: 0 } });
    stream.request({ create_request: { key: utf8('k'), start_revision: 2 } }); // compacted
    expect(watched.length).toBeGreaterThan(40);
    for (const response of watched) expectSameBytes('WatchResponse', response);
  });

  it('writes edge values as protobufjs does: negative and 64-bit integers, unknown enum numbers, defaults', () => {
    const header = { revision: 0 };
    expectSameBytes('WatchResponse', {
      header,
      watch_id: -1,
      created: true,
      canceled: true,
      compact_revision: 0,
      cancel_reason: 'etcdserver: permission denied',
      fragment: false,
      events: [],
    });
    expectSameBytes('WatchResponse', {
      header: { revision: 2 ** 53 - 1 },
      watch_id: 2n ** 63n - 1n,
      created: false,
      canceled: false,
      compact_revision: 7,
      cancel_reason: '',
      fragment: true,
      events: [
        { type: 'DELETE', kv: { key: utf8('a'), create_revision: 0, mod_revision: 9, version: 0, value: new Uint8Array(), lease: 0n } },
        {
          type: 'PUT',
          kv: { key: utf8('b'), create_revision: 3, mod_revision: 9, version: 2, value: utf8('x'), lease: -(2n ** 63n) },
          prev_kv: { key: utf8('b'), create_revision: 3, mod_revision: 4, version: 1, value: utf8(''), lease: 2n ** 63n - 1n },
        },
      ],
    } as Messages['WatchResponse']);
    expectSameBytes('LeaseGrantResponse', { header, ID: 0n, TTL: -1, error: '' });
  });
});
