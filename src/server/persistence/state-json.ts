/**
 * A server's whole state as JSON, for the data dir's snapshots and for the
 * Maintenance.Snapshot stream (snapshot-file.ts): the store (KV history
 * since the last compaction, leases with their TTLs), where the lease-ID
 * stream stands, and the state kept beside the store (`side`: auth, alarms,
 * members), each part in the form its owner writes and reads
 * (AuthStore.toJson, MaintenanceServices.alarmsToJson / membersToJson).
 */
import type { EtcdStoreSnapshot } from '../../store/etcd-store.ts';

/** The parts of a server's state kept outside the store, by name; each owner reads and checks its own. */
export type SideState = Partial<Record<SidePart, unknown>>;
export const sideParts = ['auth', 'alarms', 'members'] as const;
export type SidePart = (typeof sideParts)[number];

export function isSidePart(name: string): name is SidePart {
  return (sideParts as readonly string[]).includes(name);
}

/** Keys and values are binary strings (one char per byte) and stay so in JSON; lease IDs become decimal strings. */
export function storeSnapshotToJson(snapshot: EtcdStoreSnapshot): unknown {
  return withLeaseIds(snapshot, String);
}

export function storeSnapshotFromJson(json: unknown): EtcdStoreSnapshot {
  return withLeaseIds(json as SnapshotWithLeaseIds<string>, BigInt);
}

type KeyRevision = EtcdStoreSnapshot['kv']['keys'][number]['revisions'][number];

/** A store snapshot whose lease IDs are of type Id: bigint in the store, string in JSON (which has no bigint). */
interface SnapshotWithLeaseIds<Id> {
  leases: { id: Id; ttlSeconds: number }[];
  kv: Omit<EtcdStoreSnapshot['kv'], 'keys'> & { keys: { key: string; revisions: (Omit<KeyRevision, 'lease'> & { lease: Id })[] }[] };
}

/** The same snapshot, field by field (nothing else is carried over), with every lease ID converted. */
function withLeaseIds<From, To>(s: SnapshotWithLeaseIds<From>, convert: (id: From) => To): SnapshotWithLeaseIds<To> {
  return {
    leases: s.leases.map((l) => ({ id: convert(l.id), ttlSeconds: l.ttlSeconds })),
    kv: {
      currentRevision: s.kv.currentRevision,
      compactRevision: s.kv.compactRevision,
      keys: s.kv.keys.map((k) => ({
        key: k.key,
        revisions: k.revisions.map((r) => ({
          main: r.main,
          sub: r.sub,
          tombstone: r.tombstone,
          create: r.create,
          version: r.version,
          value: r.value,
          lease: convert(r.lease),
        })),
      })),
      log: s.kv.log,
    },
  };
}
