/**
 * What a data dir's write-ahead log holds: one record per change to the
 * store, in the order the changes were applied, each numbered (seq, from 1)
 * and carrying the store revision after it (checked on replay). Replaying
 * them through a fresh store, in order, rebuilds the same state:
 *
 *   {"seq":1,"type":"seed","seed":81985529216486,"rev":1}    the lease-ID stream's seed (a fresh dir's first record)
 *   {"seq":2,"type":"grant","id":"694…","ttl":5,"draws":2,"rev":1}   a lease (its ID as chosen; draws: where the ID stream stands)
 *   {"seq":3,"type":"put","request":{"key":"YQ==","value":"MQ==","lease":"694…"},"rev":2}
 *   {"seq":4,"type":"txn","request":{…},"rev":3}             only txns that changed something
 *   {"seq":5,"type":"delete","request":{…},"rev":4}          only deletes that deleted something
 *   {"seq":6,"type":"compact","revision":3,"rev":4}
 *   {"seq":7,"type":"revoke","id":"694…","rev":5}            LeaseRevoke asked by a client
 *   {"seq":8,"type":"expire","id":"694…","rev":6}            revoked by the expiry sweep
 *   {"seq":9,"type":"reset","rev":1}                         the store emptied (the control endpoint's POST /reset)
 *   {"seq":10,"type":"side","part":"auth","value":{…},"rev":1}  the whole new state of a part kept beside the
 *                                                            store (auth, alarms, members: state-json.ts) after a change
 *
 * Requests are in etcd's JSON mapping (src/server/json-codec.ts: bytes in
 * base64, int64 lease IDs as decimal strings). Keepalives are not logged: a
 * restart promotes every lease to its full TTL, as etcd does.
 */
import type { EtcdStore } from '../../store/etcd-store.ts';
import type { LeaseId } from '../../store/messages.ts';
import { decode, type JsonObject } from '../json-codec.ts';
import { isSidePart, type SidePart, type SideState } from './state-json.ts';

export type WalRecord =
  | { seq: number; type: 'seed'; seed: number; rev: number }
  | { seq: number; type: 'grant'; id: string; ttl: number; draws: number; rev: number }
  | { seq: number; type: 'put' | 'txn' | 'delete'; request: JsonObject; rev: number }
  | { seq: number; type: 'compact'; revision: number; rev: number }
  | { seq: number; type: 'revoke' | 'expire'; id: string; rev: number }
  | { seq: number; type: 'reset'; rev: number }
  | { seq: number; type: 'side'; part: SidePart; value: unknown; rev: number };

export type WalRecordBody = WalRecord extends infer R ? (R extends WalRecord ? Omit<R, 'seq' | 'rev'> : never) : never;

export class DataDirCorruptError extends Error {
  constructor(message: string) {
    super(`data dir corrupt: ${message}`);
    this.name = 'DataDirCorruptError';
  }
}

/** What replaying records tells about the lease-ID stream. */
export interface LeaseIdState {
  seed: number | undefined;
  draws: number;
}

/**
 * Apply one record to `store` (nothing is logged while replaying). The store
 * must end at the revision the record names: anything else means the log and
 * the store disagree, and serving on would lose or invent writes.
 */
export function replayRecord(store: EtcdStore, record: WalRecord, ids: LeaseIdState, side: SideState): void {
  switch (record.type) {
    case 'seed':
      ids.seed = record.seed;
      ids.draws = 0;
      break;
    case 'grant':
      store.leaseGrant({ ID: leaseIdOf(record.id), TTL: record.ttl });
      ids.draws = record.draws;
      break;
    case 'put':
      store.put(decode('PutRequest', record.request));
      break;
    case 'txn':
      store.txn(decode('TxnRequest', record.request));
      break;
    case 'delete':
      store.deleteRange(decode('DeleteRangeRequest', record.request));
      break;
    case 'compact':
      store.compact({ revision: record.revision, physical: false });
      break;
    case 'revoke':
    case 'expire':
      store.leaseRevoke({ ID: leaseIdOf(record.id) });
      break;
    case 'reset':
      // The lease-ID stream goes on across a reset, so `ids` is left as it is.
      store.reset();
      break;
    case 'side':
      if (!isSidePart(record.part)) throw new DataDirCorruptError(`record ${record.seq} names an unknown part ${JSON.stringify(record.part)}`);
      side[record.part] = record.value;
      break;
    default:
      throw new DataDirCorruptError(`unknown record type in ${JSON.stringify(record)}`);
  }
  if (store.currentRevision() !== record.rev) {
    throw new DataDirCorruptError(
      `record ${record.seq} (${record.type}) should leave the store at revision ${record.rev}, replay left it at ${store.currentRevision()}`,
    );
  }
}

function leaseIdOf(text: string): LeaseId {
  if (!/^-?\d+$/.test(text)) throw new DataDirCorruptError(`lease ID ${JSON.stringify(text)} is not an integer`);
  return BigInt(text);
}
