/**
 * Who owned the lock on the server, and when: ownership epochs derived from
 * the server's own record of the lock keys (each revision that put or deleted
 * one, and which client's request or which lease expiry did it), and the
 * resource's writes judged by them.
 *
 * The lock keys are the lock's name and the keys under `name/` (a queue lock's
 * keys), plus any key a holder reported. The owner is the live lock key with
 * the oldest create revision (a queue's head; the only key of a put-if-absent
 * lock); the owning process is the one whose request last put that key. An
 * epoch is one stretch of one (key, put) owning, in server order:
 *
 *   rev 5  put "/lock" ← alice     epoch 1: alice, from rev 5
 *   rev 9  delete "/lock" ← expiry  epoch 1 ends (lease expired)
 *   rev 10 put "/lock" ← bob       epoch 2: bob, from rev 10
 *
 * Every put of a lock key by a process is a claim; a write's place in server
 * order is the revision of its writer's latest claim (the key it acquired
 * with). A write the resource accepted is stale when a write placed later
 * was accepted before it, whatever the tokens say:
 *
 *   accepted bob (claim rev 10, token 1) @14.0, accepted alice (claim rev 5, token 1) @14.2
 *   → stale: alice's write from rev 5 after bob's from rev 10; tokens 1 and 1 (the token does not grow)
 *
 * A fenced resource that rejects a write placed at or after every accepted
 * one, from the process that owns the lock then, rejected a rightful holder
 * (`rejected-owner`). A write from a process that never claimed the lock is
 * `unowned`. With no claim at all, ownership cannot be established.
 */
import type { ProcessName } from './history.ts';

/** One lock key the server changed at one revision. */
export interface LockKeyChange {
  timeMs: number;
  revision: number;
  type: 'put' | 'delete';
  key: string;
  /** put: the key's create revision. */
  createRevision?: number;
  /** put: its lease (0n or undefined: none). */
  lease?: bigint;
  /** The process whose request applied it; undefined when the server did it (lease expiry). */
  process?: ProcessName;
  cause: 'request' | 'lease-expiry';
  /** lease-expiry: the lease that expired. */
  expiredLease?: bigint;
}

/** A put of a lock key by a process. */
export interface LockClaim {
  process: ProcessName;
  key: string;
  revision: number;
  timeMs: number;
  createRevision: number;
  lease: bigint | undefined;
  /** How the key (as this claim put it) went, if it did. */
  end?: KeyEnd;
}

/** How a claimed key stopped being that claim's. */
export interface KeyEnd {
  revision: number;
  timeMs: number;
  how: 'deleted' | 'expired' | 'overwritten';
  /** Who deleted or overwrote it (undefined for an expiry). */
  by?: ProcessName;
}

/** One stretch of one claim owning the lock. */
export interface OwnershipEpoch {
  index: number;
  claim: LockClaim;
  fromRevision: number;
  fromMs: number;
  toRevision?: number;
  toMs?: number;
}

export interface LockOwnership {
  claims: LockClaim[];
  epochs: OwnershipEpoch[];
}

/** Is `key` one of the lock's keys? */
export function isLockKey(key: string, lockName: string, reportedKeys: ReadonlySet<string> = new Set()): boolean {
  return key === lockName || key.startsWith(`${lockName}/`) || reportedKeys.has(key);
}

/** Claims and epochs from the lock keys' changes, in revision order. */
export function lockOwnership(changes: readonly LockKeyChange[]): LockOwnership {
  const claims: LockClaim[] = [];
  const epochs: OwnershipEpoch[] = [];
  /** Live lock keys: their create revision and current claim (undefined: put by nobody we know). */
  const live = new Map<string, { createRevision: number; claim: LockClaim | undefined }>();
  let owner: LockClaim | undefined;
  let ownerKey: string | undefined;
  const ordered = changes.map((change, index) => ({ change, index })).sort((a, b) => a.change.revision - b.change.revision || a.index - b.index);
  for (let i = 0; i < ordered.length; i++) {
    const change = ordered[i]!.change;
    const previous = live.get(change.key)?.claim;
    const end = (how: KeyEnd['how']): KeyEnd => ({
      revision: change.revision,
      timeMs: change.timeMs,
      how,
      ...(change.process !== undefined ? { by: change.process } : {}),
    });
    if (change.type === 'delete') {
      if (previous !== undefined && previous.end === undefined) previous.end = end(change.cause === 'lease-expiry' ? 'expired' : 'deleted');
      live.delete(change.key);
    } else {
      let claim: LockClaim | undefined;
      if (change.process !== undefined) {
        claim = {
          process: change.process,
          key: change.key,
          revision: change.revision,
          timeMs: change.timeMs,
          createRevision: change.createRevision ?? change.revision,
          lease: change.lease !== undefined && change.lease !== 0n ? change.lease : undefined,
        };
        claims.push(claim);
      }
      if (previous !== undefined && previous.end === undefined) previous.end = end('overwritten');
      live.set(change.key, { createRevision: change.createRevision ?? change.revision, claim });
    }
    // The owner after this revision (once every change of the revision is in).
    const next = ordered[i + 1]?.change;
    if (next !== undefined && next.revision === change.revision) continue;
    let headKey: string | undefined;
    let headCreate = Infinity;
    for (const [key, entry] of live) {
      if (entry.createRevision < headCreate || (entry.createRevision === headCreate && headKey !== undefined && key < headKey)) {
        headKey = key;
        headCreate = entry.createRevision;
      }
    }
    const head = headKey === undefined ? undefined : live.get(headKey)!.claim;
    if (head === owner && headKey === ownerKey) continue;
    const last = epochs[epochs.length - 1];
    if (last !== undefined && last.toRevision === undefined) {
      last.toRevision = change.revision;
      last.toMs = change.timeMs;
    }
    owner = head;
    ownerKey = headKey;
    if (head !== undefined) epochs.push({ index: epochs.length, claim: head, fromRevision: change.revision, fromMs: change.timeMs });
  }
  return { claims, epochs };
}

/** The epoch current at `timeMs` (the last to start at or before it, if not yet over). */
export function epochAt(ownership: LockOwnership, timeMs: number): OwnershipEpoch | undefined {
  let found: OwnershipEpoch | undefined;
  for (const epoch of ownership.epochs) {
    if (epoch.fromMs > timeMs) break;
    found = epoch;
  }
  return found !== undefined && (found.toMs === undefined || found.toMs > timeMs) ? found : undefined;
}

/** `process`'s latest claim applied at or before `timeMs`. */
export function latestClaim(ownership: LockOwnership, process: ProcessName, timeMs: number): LockClaim | undefined {
  let found: LockClaim | undefined;
  for (const claim of ownership.claims) {
    if (claim.timeMs > timeMs) break;
    if (claim.process === process) found = claim;
  }
  return found;
}

/** A resource write as the ownership check reads it. */
export interface OwnedWrite {
  timeMs: number;
  /** When the writer acquired the lock it wrote under (a write can arrive long after it was sent); defaults to timeMs. */
  acquiredMs?: number;
  process: ProcessName;
  fencingToken: number | undefined;
  accepted: boolean;
}

export type OwnershipViolation =
  | {
      /** An accepted write placed before one accepted earlier. */
      kind: 'stale-write';
      write: OwnedWrite;
      claim: LockClaim;
      /** The earlier accepted write from a later claim. */
      overtaken: OwnedWrite;
      overtakenClaim: LockClaim;
    }
  | {
      /** An accepted write from a process that never claimed the lock on the server. */
      kind: 'unowned-write';
      write: OwnedWrite;
    }
  | {
      /** The fence rejected the owner's write, placed at or after every accepted write. */
      kind: 'rejected-owner';
      write: OwnedWrite;
      claim: LockClaim;
      /** The accepted write whose token turned it away. */
      highest: OwnedWrite | undefined;
    };

export interface OwnershipVerdict {
  /** `unknown`: writes were accepted but no lock key was ever claimed on the server. */
  result: 'ok' | 'violated' | 'unknown';
  violations: OwnershipViolation[];
  reason?: string;
}

/** Judge the resource's writes (in time order) by the server's ownership. */
export function checkWritesByOwnership(
  ownership: LockOwnership,
  writes: readonly OwnedWrite[],
  options: { fenced: boolean; violationsMax?: number },
): OwnershipVerdict {
  const violationsMax = options.violationsMax ?? 100;
  if (ownership.claims.length === 0) {
    if (!writes.some((write) => write.accepted)) return { result: 'ok', violations: [] };
    return { result: 'unknown', violations: [], reason: 'no request ever put a lock key on the server, so who owned the lock cannot be established' };
  }
  const violations: OwnershipViolation[] = [];
  let latest: { write: OwnedWrite; claim: LockClaim } | undefined;
  let highestToken: OwnedWrite | undefined;
  for (const write of writes) {
    if (violations.length >= violationsMax) break;
    const claim = latestClaim(ownership, write.process, write.acquiredMs ?? write.timeMs);
    if (!write.accepted) {
      if (!options.fenced || claim === undefined) continue;
      const owner = epochAt(ownership, write.timeMs);
      const placedLast = latest === undefined || claim.revision >= latest.claim.revision;
      if (placedLast && owner !== undefined && owner.claim === claim) violations.push({ kind: 'rejected-owner', write, claim, highest: highestToken });
      continue;
    }
    if (write.fencingToken !== undefined && (highestToken?.fencingToken === undefined || write.fencingToken >= highestToken.fencingToken)) highestToken = write;
    if (claim === undefined) {
      violations.push({ kind: 'unowned-write', write });
      continue;
    }
    if (latest !== undefined && claim.revision < latest.claim.revision && latest.write.process !== write.process) {
      violations.push({ kind: 'stale-write', write, claim, overtaken: latest.write, overtakenClaim: latest.claim });
      continue;
    }
    if (latest === undefined || claim.revision >= latest.claim.revision) latest = { write, claim };
  }
  return { result: violations.length > 0 ? 'violated' : 'ok', violations };
}
