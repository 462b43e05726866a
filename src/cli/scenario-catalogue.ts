/**
 * The scenarios as the CLI names them (`leaselab list`, `run --help`): name,
 * title, one line and knobs, without loading any scenario's code; `load()`
 * imports one scenario when it runs. Same order as `scenarios` in
 * src/scenarios/index.ts, which stays the library's list;
 * test/cli/scenario-catalogue.test.ts checks the two agree field by field.
 */
import type { KnobDeclaration, Scenario } from '../scenarios/scenario.ts';

export interface CatalogueEntry {
  name: string;
  title: string;
  summary: string;
  knobs?: readonly KnobDeclaration[];
  /** Whether `run <name> --predict` has a question to ask. */
  asksPrediction: boolean;
  /** The scenario itself, loaded on demand. */
  load(): Promise<Scenario>;
}

export const scenarioCatalogue: readonly CatalogueEntry[] = [
  {
    name: 'lease-expiry',
    title: 'A lease runs out',
    summary: 'grant a 5 s lease, attach a key, stop caring: the key goes at the first sweep after the deadline',
    knobs: [{ name: 'ttl', default: '5 s' }],
    asksPrediction: true,
    load: async () => (await import('../scenarios/lease-expiry.ts')).leaseExpiry,
  },
  {
    name: 'lease-keepalive',
    title: 'A lease kept alive',
    summary: 'the same 5 s lease and key, with keepalive: renewed every ~2 s, the key stays',
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/lease-keepalive.ts')).leaseKeepalive,
  },
  {
    name: 'watch-sees-expiry',
    title: 'A watcher sees an expiry',
    summary: 'a watcher sees the DELETE events of an expiry: one per key, all at one revision',
    asksPrediction: true,
    load: async () => (await import('../scenarios/watch-sees-expiry.ts')).watchSeesExpiry,
  },
  {
    name: 'late-keepalive',
    title: 'A keepalive after the deadline, before the sweep',
    summary: 'a keepalive that arrives after the deadline waits for the sweep to revoke the lease, then hears TTL 0: the key is already gone',
    knobs: [{ name: 'ttl', default: '2 s' }],
    asksPrediction: true,
    load: async () => (await import('../scenarios/late-keepalive.ts')).lateKeepalive,
  },
  {
    name: 'session-close-vs-orphan',
    title: 'Session close vs orphaned keys',
    summary: "a session's key goes when it closes; a key whose lease nobody revokes lingers a TTL; a key without a lease stays",
    knobs: [
      { name: 'ttl', default: '10 s' },
      { name: 'latency', default: '1–5 ms' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/session-close-vs-orphan.ts')).sessionCloseVsOrphan,
  },
  {
    name: 'lock-contention',
    title: 'Four clients, one etcd Mutex',
    summary: 'four clients queue on an etcd Mutex and get it one by one, in create-revision order',
    asksPrediction: true,
    load: async () => (await import('../scenarios/lock-contention.ts')).lockContention,
  },
  {
    name: 'crash-releases-lock',
    title: 'The holder crashes; the lease frees the lock',
    summary: 'the holder crashes without unlocking; the lock passes on within TTL + one sweep',
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/crash-releases-lock.ts')).crashReleasesLock,
  },
  {
    name: 'pause-breaks-lock',
    title: 'Check, pause, write: two holders and a lost update',
    summary: 'the holder checks it still holds the lock, pauses past its TTL before writing, and its stale write lands',
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'pauseAt', default: '3050 ms' },
      { name: 'pauseFor', default: '8000 ms' },
      { name: 'latency', default: '1–5 ms' },
      { name: 'fenced', default: 'unfenced' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/pause-breaks-lock.ts')).pauseBreaksLock,
  },
  {
    name: 'delayed-write',
    title: 'A write held in the network outlives the lease',
    summary: "the holder checks and writes at once, but the network holds the write past the lease; it lands after the next holder's",
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
      { name: 'fenced', default: 'unfenced' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/delayed-write.ts')).delayedWrite,
  },
  {
    name: 'fencing-saves-the-day',
    title: 'Fencing tokens: the stale write is rejected, and that is the safe outcome',
    summary: 'the same check, pause and write, but the storage checks fencing tokens and rejects the stale write: safe',
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'pauseAt', default: '3050 ms' },
      { name: 'pauseFor', default: '8000 ms' },
      { name: 'latency', default: '1–5 ms' },
      { name: 'fenced', default: 'fenced' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/fencing-saves-the-day.ts')).fencingSavesTheDay,
  },
  {
    name: 'partition-expires-lease',
    title: "Cut off from etcd: the lease expires behind the holder's back",
    summary: 'the holder is partitioned from the server; its lease expires, another acquires, it believes until its local deadline',
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
      { name: 'drift', default: '1' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/partition-expires-lease.ts')).partitionExpiresLease,
  },
  {
    name: 'one-way-partition',
    title: 'A one-way partition: each side believes something else',
    summary: "alice's answers are lost (her requests still land); carol's requests are lost",
    knobs: [
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/one-way-partition.ts')).oneWayPartition,
  },
  {
    name: 'client-clock-drift',
    title: "A slow clock: the client's lease deadline is wrong",
    summary: "alice's clock runs at half speed; cut off from etcd, she believes in her lease twice as long as etcd keeps it",
    knobs: [
      { name: 'drift', default: '0.5' },
      { name: 'ttl', default: '5 s' },
      { name: 'latency', default: '1–5 ms' },
    ],
    asksPrediction: true,
    load: async () => (await import('../scenarios/client-clock-drift.ts')).clientClockDrift,
  },
  {
    name: 'leader-change-extends-lease',
    title: 'A leader change hands every lease a fresh TTL',
    summary: 'the server restarts (a new leader): leases are promoted to full TTL + election timeout, so the key lives longer',
    asksPrediction: true,
    load: async () => (await import('../scenarios/leader-change-extends-lease.ts')).leaderChangeExtendsLease,
  },
  {
    name: 'election-failover',
    title: 'Leader election: the leader crashes, the follower takes over',
    summary: 'Election: the leader crashes, its lease expires, the follower takes over; an observer sees both',
    asksPrediction: true,
    load: async () => (await import('../scenarios/election-failover.ts')).electionFailover,
  },
  {
    name: 'stale-read-two-holders',
    title: 'A stale serializable read hands the lock to two clients',
    summary: 'a follower cut off from the cluster answers a serializable read with old data: bob sees the lock free while alice holds it',
    asksPrediction: true,
    load: async () => (await import('../scenarios/stale-read-two-holders.ts')).staleReadTwoHolders,
  },
  {
    name: 'leader-isolated',
    title: 'The leader cut off in a minority: its clients time out, a new leader is elected elsewhere',
    summary: 'the leader is partitioned from both followers: its clients time out while the majority elects a new leader and carries on',
    asksPrediction: true,
    load: async () => (await import('../scenarios/leader-isolated.ts')).leaderIsolated,
  },
  {
    name: 'leader-changes-keep-lease',
    title: 'Leader changes keep a forgotten lease alive forever',
    summary: 'a 10-minute lease nobody renews survives 30 minutes: every new leader hands it a full TTL again',
    asksPrediction: true,
    load: async () => (await import('../scenarios/leader-changes-and-leases.ts')).leaderChangesKeepLease,
  },
  {
    name: 'checkpoint-expires-lease',
    title: 'With lease checkpointing, leader changes no longer keep a lease alive',
    summary: 'the same forgotten 10-minute lease, checkpointed every 5 minutes: after a leader change it keeps only what was left, and expires',
    asksPrediction: true,
    load: async () => (await import('../scenarios/leader-changes-and-leases.ts')).checkpointExpiresLease,
  },
  {
    name: 'keepalive-cut-from-leader',
    title: "A keepalive lost because the client's member is cut off from the leader",
    summary: "alice keeps her lease alive through a follower; the follower is cut off from the leader, and the lease expires though alice's connection is fine",
    asksPrediction: true,
    load: async () => (await import('../scenarios/keepalive-cut-from-leader.ts')).keepaliveCutFromLeader,
  },
];

/** A catalogue entry by name, or undefined. */
export function findCatalogueEntry(name: string): CatalogueEntry | undefined {
  return scenarioCatalogue.find((entry) => entry.name === name);
}
