/**
 * What members of a simulated etcd cluster say to each other over the
 * simulated network: raft's messages (votes, appends and their answers, a
 * follower's forwarded proposal, ReadIndex), and the lease calls a follower
 * forwards to the leader (etcd does those over its peer HTTP API).
 */
import type { UnaryMethod } from '../../client/transport.ts';
import type { EtcdError } from '../../store/errors.ts';
import type { LeaseId } from '../../store/messages.ts';

/** Who asked for an entry: a client's call (traced as the cause of what it changed). */
export interface CommandOrigin {
  /** The member whose client is waiting for the apply. */
  member: string;
  /** That member's own number for the waiting request. */
  requestId: number;
  process: string;
  incarnation: number;
  callId: number;
}

/** What one log entry asks every member to apply to its store. */
export type ClusterCommand =
  /** A new leader's first entry (raft appends an empty one). */
  | { kind: 'noop' }
  /** A client's write (put, delete, txn, compact, lease grant or revoke). */
  | { kind: 'request'; method: UnaryMethod; request: unknown; origin: CommandOrigin }
  /** The leader's lessor found the lease expired: revoke it (etcd sends a LeaseRevoke through raft). */
  | { kind: 'lease-expire'; leaseId: LeaseId }
  /** Lease checkpointing: the remaining TTL the leader saw (0: the full TTL again, after a renew). */
  | { kind: 'lease-checkpoint'; leaseId: LeaseId; remainingSeconds: number };

export interface LogEntry {
  term: number;
  index: number;
  command: ClusterCommand;
}

/** A lease call a follower forwards to the leader (etcd's leasehttp). */
export type LeaderQuery = { kind: 'renew'; leaseId: LeaseId } | { kind: 'time-to-live'; leaseId: LeaseId; keys: boolean };

export type RaftMessage =
  | { type: 'raft-vote'; from: string; term: number; lastLogIndex: number; lastLogTerm: number }
  | { type: 'raft-vote-reply'; from: string; term: number; granted: boolean }
  /** Entries after prevIndex (none: a heartbeat); `readRound` asks the follower to confirm leadership for ReadIndex. */
  | { type: 'raft-append'; from: string; term: number; prevIndex: number; prevTerm: number; entries: LogEntry[]; commit: number; readRound: number }
  /** success: the log now matches through matchIndex; otherwise matchIndex is the follower's last index (a hint). */
  | { type: 'raft-append-reply'; from: string; term: number; success: boolean; matchIndex: number; readRound: number }
  | { type: 'raft-propose'; from: string; term: number; command: ClusterCommand }
  | { type: 'raft-read-index'; from: string; readId: number }
  | { type: 'raft-read-index-reply'; from: string; readId: number; index: number }
  | { type: 'leader-query'; from: string; queryId: number; query: LeaderQuery }
  /** `notPrimary`: the receiver does not lead with a promoted lessor (yet, or any more): ask again. */
  | { type: 'leader-query-reply'; from: string; queryId: number; response?: unknown; error?: EtcdError; notPrimary?: true };

/** Every raft message's type (a record, so that the compiler asks for each new one). */
const raftMessageTypes: Record<RaftMessage['type'], true> = {
  'raft-vote': true,
  'raft-vote-reply': true,
  'raft-append': true,
  'raft-append-reply': true,
  'raft-propose': true,
  'raft-read-index': true,
  'raft-read-index-reply': true,
  'leader-query': true,
  'leader-query-reply': true,
};
const raftMessageTypeSet: ReadonlySet<string> = new Set(Object.keys(raftMessageTypes));

/** Is this one of the members' own messages (not a client's or a resource's)? */
export function isRaftMessage<M extends { type: string }>(message: M | RaftMessage): message is RaftMessage {
  return raftMessageTypeSet.has(message.type);
}

/** A short name for the trace: `append 3 entries`, `vote term 4`. */
export function describeRaftMessage(message: RaftMessage): string {
  switch (message.type) {
    case 'raft-vote':
      return `vote request term ${message.term}`;
    case 'raft-vote-reply':
      return `vote ${message.granted ? 'granted' : 'refused'} term ${message.term}`;
    case 'raft-append':
      return message.entries.length === 0 ? `heartbeat term ${message.term}` : `append ${message.entries.length} entries term ${message.term}`;
    case 'raft-append-reply':
      return `append ${message.success ? 'ok' : 'rejected'} term ${message.term}`;
    case 'raft-propose':
      return `forwarded proposal`;
    case 'raft-read-index':
      return `read index #${message.readId}`;
    case 'raft-read-index-reply':
      return `read index #${message.readId} reply`;
    case 'leader-query':
      return `lease ${message.query.kind} #${message.queryId}`;
    case 'leader-query-reply':
      return `lease query #${message.queryId} reply`;
  }
}
