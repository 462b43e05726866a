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
  return {
    leases: snapshot.leases.map((l) => ({ id: String(l.id), ttlSeconds: l.ttlSeconds })),
    kv: {
      currentRevision: snapshot.kv.currentRevision,
      compactRevision: snapshot.kv.compactRevision,
      keys: snapshot.kv.keys.map((k) => ({
        key: k.key,
        revisions: k.revisions.map((r) => ({
          main: r.main,
          sub: r.sub,
          tombstone: r.tombstone,
          create: r.create,
          version: r.version,
          value: r.value,
          lease: String(r.lease),
        })),
      })),
      log: snapshot.kv.log,
    },
  };
}

export function storeSnapshotFromJson(json: unknown): EtcdStoreSnapshot {
  type Revision = Omit<EtcdStoreSnapshot['kv']['keys'][number]['revisions'][number], 'lease'> & { lease: string };
  const s = json as {
    leases: { id: string; ttlSeconds: number }[];
    kv: { currentRevision: number; compactRevision: number; keys: { key: string; revisions: Revision[] }[]; log: EtcdStoreSnapshot['kv']['log'] };
  };
  return {
    leases: s.leases.map((l) => ({ id: BigInt(l.id), ttlSeconds: l.ttlSeconds })),
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
          lease: BigInt(r.lease),
        })),
      })),
      log: s.kv.log,
    },
  };
}
