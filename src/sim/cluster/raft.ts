/**
 * One member's consensus: raft as etcd 3.4 runs it (raft/raft.go), with
 * CheckQuorum on and PreVote off, reduced to what a client can observe:
 *
 *   follower  --election timeout (randomized in [T, 2T) from the seed)-->  candidate: term+1, votes for itself
 *   candidate --votes from a majority-->  leader: appends an empty entry, heartbeats every H
 *   leader    --no answer from a majority for T (CheckQuorum)-->  follower with no leader
 *   anyone    --a message with a higher term-->  follower of that term
 *
 * The leader replicates its log to each follower (from what it knows the
 * follower has), commits an entry of its own term once a majority holds it,
 * and tells followers the commit index on the next append or heartbeat:
 * followers learn of commits later than the leader, so they apply later.
 *
 * A follower that heard from its leader within the election timeout ignores
 * vote requests (raft's leader lease, on with CheckQuorum), but a member
 * that comes back from a partition with a higher term still deposes the
 * leader when it answers the leader's heartbeat with that term.
 *
 * ReadIndex: the leader answers a read with its commit index once a
 * majority confirmed it still leads (a heartbeat round) and it has
 * committed an entry of its term.
 */
import { assert } from '../../store/assert.ts';
import type { RandomStream } from '../random.ts';
import type { ScheduledEvent, Scheduler } from '../scheduler.ts';
import { RaftLog } from './raft-log.ts';
import type { ClusterCommand, RaftMessage } from './raft-messages.ts';

export type RaftRole = 'follower' | 'candidate' | 'leader';

/** Entries per append message at most (etcd's MaxSizePerMsg, counted in entries). */
const entriesPerAppendMax = 64;

export interface RaftDeps {
  self: string;
  peers: readonly string[];
  scheduler: Scheduler;
  /** Draws this member's election timeouts. */
  random: RandomStream;
  heartbeatMs: number;
  electionMs: number;
  send(to: string, message: RaftMessage): void;
  /** The commit index moved on. */
  committed(): void;
  /** Role, term or leader changed. */
  changed(): void;
  /** A ReadIndex this member asked of itself (as leader) was confirmed at `index`. */
  readConfirmed(readId: number, index: number): void;
}

interface PendingRead {
  from: string;
  readId: number;
  index: number;
  round: number;
  acks: Set<string>;
}

export class Raft {
  readonly log = new RaftLog();
  role: RaftRole = 'follower';
  leader: string | undefined;
  commitIndex = 0;
  readonly #deps: RaftDeps;
  readonly #quorum: number;
  #electionTimer: ScheduledEvent | undefined;
  #heartbeatTimer: ScheduledEvent | undefined;
  #quorumTimer: ScheduledEvent | undefined;
  /** When this member last heard from a leader of its term (for the leader lease). */
  #heardFromLeaderAtMs = Number.NEGATIVE_INFINITY;
  #votes = new Set<string>();
  readonly #nextIndex = new Map<string, number>();
  readonly #matchIndex = new Map<string, number>();
  /** Peers heard from since the last CheckQuorum tick. */
  readonly #recentlyActive = new Set<string>();
  #readRound = 0;
  readonly #ackedRound = new Map<string, number>();
  #pendingReads: PendingRead[] = [];
  /** ReadIndex requests waiting for the first commit of this leader's term. */
  #readsBeforeFirstCommit: { from: string; readId: number }[] = [];
  #down = false;

  constructor(deps: RaftDeps) {
    this.#deps = deps;
    this.#quorum = Math.floor((deps.peers.length + 1) / 2) + 1;
  }

  get term(): number {
    return this.log.term;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** Has the leader committed an entry of its own term (so its commit index is current)? */
  get committedInTerm(): boolean {
    return this.commitIndex > 0 && this.log.termAt(this.commitIndex) === this.log.term;
  }

  start(): void {
    this.#down = false;
    this.#resetElectionTimer();
  }

  /** The member crashed: timers stop, volatile state goes; the log, term and vote stay (they are on disk). */
  stop(): void {
    this.#down = true;
    for (const timer of [this.#electionTimer, this.#heartbeatTimer, this.#quorumTimer]) if (timer !== undefined) this.#deps.scheduler.cancel(timer);
    this.#electionTimer = this.#heartbeatTimer = this.#quorumTimer = undefined;
    this.role = 'follower';
    this.leader = undefined;
    this.#pendingReads = [];
    this.#readsBeforeFirstCommit = [];
    this.#deps.changed();
  }

  /** The leader appends a command and sends it on. Returns false when this member does not lead. */
  propose(command: ClusterCommand): boolean {
    if (this.role !== 'leader') return false;
    this.log.append(this.log.term, command);
    this.#matchIndex.set(this.#deps.self, this.log.lastIndex);
    if (this.#deps.peers.length === 0) this.#advanceCommit();
    for (const peer of this.#deps.peers) this.#sendAppend(peer, false);
    return true;
  }

  /** Ask the leader (this member or another) for a read index; the answer comes to readConfirmed or as a message. */
  readIndex(readId: number): void {
    if (this.role === 'leader') this.#leaderReadIndex(this.#deps.self, readId);
    else if (this.leader !== undefined) this.#deps.send(this.leader, { type: 'raft-read-index', from: this.#deps.self, readId });
    // No leader: dropped, as raft drops it; the member retries.
  }

  receive(message: RaftMessage): void {
    if (this.#down) return;
    const term = this.log.term;
    if ('term' in message && message.term > term) {
      // Leader lease: a vote request while a leader is known and heard from recently is ignored outright.
      if (message.type === 'raft-vote' && this.leader !== undefined && this.#deps.scheduler.nowMs() - this.#heardFromLeaderAtMs < this.#deps.electionMs) return;
      this.#becomeFollower(message.term, message.type === 'raft-append' ? message.from : undefined);
    }
    switch (message.type) {
      case 'raft-vote':
        return this.#onVote(message);
      case 'raft-vote-reply':
        return this.#onVoteReply(message);
      case 'raft-append':
        return this.#onAppend(message);
      case 'raft-append-reply':
        return this.#onAppendReply(message);
      case 'raft-propose':
        // A forwarded proposal is taken by whoever leads now, whatever term the forwarder knew (raft forwards MsgProp untermed).
        this.propose(message.command);
        return;
      case 'raft-read-index':
        if (this.role === 'leader') this.#leaderReadIndex(message.from, message.readId);
        return;
      case 'raft-read-index-reply':
      case 'leader-query':
      case 'leader-query-reply':
        return; // the member's, not raft's
    }
  }

  // ------------------------------------------------------------ roles

  #becomeFollower(term: number, leader: string | undefined): void {
    const changed = this.role !== 'follower' || this.leader !== leader || this.log.term !== term;
    if (term > this.log.term) {
      this.log.term = term;
      this.log.votedFor = undefined;
    }
    this.role = 'follower';
    this.leader = leader;
    this.#stopLeaderTimers();
    this.#pendingReads = [];
    this.#readsBeforeFirstCommit = [];
    this.#resetElectionTimer();
    if (changed) this.#deps.changed();
  }

  #campaign(): void {
    this.log.term++;
    this.log.votedFor = this.#deps.self;
    this.role = 'candidate';
    this.leader = undefined;
    this.#votes = new Set([this.#deps.self]);
    this.#resetElectionTimer();
    this.#deps.changed();
    for (const peer of this.#deps.peers)
      this.#deps.send(peer, {
        type: 'raft-vote',
        from: this.#deps.self,
        term: this.log.term,
        lastLogIndex: this.log.lastIndex,
        lastLogTerm: this.log.lastTerm,
      });
  }

  #becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.#deps.self;
    this.#cancel(this.#electionTimer);
    this.#electionTimer = undefined;
    for (const peer of this.#deps.peers) {
      this.#nextIndex.set(peer, this.log.lastIndex + 1);
      this.#matchIndex.set(peer, 0);
      this.#ackedRound.set(peer, 0);
    }
    this.#recentlyActive.clear();
    this.log.append(this.log.term, { kind: 'noop' });
    this.#matchIndex.set(this.#deps.self, this.log.lastIndex);
    this.#deps.changed();
    this.#heartbeat();
    this.#quorumTimer = this.#deps.scheduler.after(this.#deps.electionMs, () => this.#checkQuorum(), { background: true, quiet: true });
  }

  #stopLeaderTimers(): void {
    this.#cancel(this.#heartbeatTimer);
    this.#cancel(this.#quorumTimer);
    this.#heartbeatTimer = this.#quorumTimer = undefined;
  }

  #heartbeat(): void {
    for (const peer of this.#deps.peers) this.#sendAppend(peer, true);
    this.#heartbeatTimer = this.#deps.scheduler.after(this.#deps.heartbeatMs, () => this.#heartbeat(), { background: true, quiet: true });
  }

  /** CheckQuorum: a leader that did not hear from a majority within an election timeout steps down. */
  #checkQuorum(): void {
    this.#quorumTimer = undefined;
    if (this.role !== 'leader') return;
    const active = this.#recentlyActive.size + 1;
    this.#recentlyActive.clear();
    if (active < this.#quorum) return this.#becomeFollower(this.log.term, undefined);
    this.#quorumTimer = this.#deps.scheduler.after(this.#deps.electionMs, () => this.#checkQuorum(), { background: true, quiet: true });
  }

  #resetElectionTimer(): void {
    this.#cancel(this.#electionTimer);
    // etcd's randomized election timeout: [T, 2T).
    const timeoutMs = this.#deps.electionMs + this.#deps.random.int(0, this.#deps.electionMs - 1);
    this.#electionTimer = this.#deps.scheduler.after(
      timeoutMs,
      () => {
        this.#electionTimer = undefined;
        if (this.role !== 'leader') this.#campaign();
      },
      { background: true, quiet: true },
    );
  }

  #cancel(timer: ScheduledEvent | undefined): void {
    if (timer !== undefined) this.#deps.scheduler.cancel(timer);
  }

  // ------------------------------------------------------------ messages

  #onVote(message: Extract<RaftMessage, { type: 'raft-vote' }>): void {
    const log = this.log;
    const granted =
      message.term === log.term &&
      (log.votedFor === undefined || log.votedFor === message.from) &&
      this.role !== 'leader' &&
      log.isUpToDate(message.lastLogIndex, message.lastLogTerm);
    if (granted) {
      log.votedFor = message.from;
      this.#resetElectionTimer();
    }
    this.#deps.send(message.from, { type: 'raft-vote-reply', from: this.#deps.self, term: log.term, granted });
  }

  #onVoteReply(message: Extract<RaftMessage, { type: 'raft-vote-reply' }>): void {
    if (this.role !== 'candidate' || message.term !== this.log.term || !message.granted) return;
    this.#votes.add(message.from);
    if (this.#votes.size >= this.#quorum) this.#becomeLeader();
  }

  #onAppend(message: Extract<RaftMessage, { type: 'raft-append' }>): void {
    const log = this.log;
    const self = this.#deps.self;
    if (message.term < log.term) {
      // Tell a stale leader our term: it steps down (etcd does this with CheckQuorum on).
      this.#deps.send(message.from, { type: 'raft-append-reply', from: self, term: log.term, success: false, matchIndex: log.lastIndex, readRound: 0 });
      return;
    }
    if (this.role !== 'follower' || this.leader !== message.from) this.#becomeFollower(message.term, message.from);
    else this.#resetElectionTimer();
    this.#heardFromLeaderAtMs = this.#deps.scheduler.nowMs();
    if (!log.matches(message.prevIndex, message.prevTerm)) {
      this.#deps.send(message.from, {
        type: 'raft-append-reply',
        from: self,
        term: log.term,
        success: false,
        matchIndex: Math.min(log.lastIndex, message.prevIndex - 1),
        readRound: message.readRound,
      });
      return;
    }
    log.appendFrom(message.prevIndex, message.entries, this.commitIndex);
    const matchIndex = message.prevIndex + message.entries.length;
    const commit = Math.min(message.commit, matchIndex);
    this.#deps.send(message.from, { type: 'raft-append-reply', from: self, term: log.term, success: true, matchIndex, readRound: message.readRound });
    if (commit > this.commitIndex) {
      this.commitIndex = commit;
      this.#deps.committed();
    }
  }

  #onAppendReply(message: Extract<RaftMessage, { type: 'raft-append-reply' }>): void {
    if (this.role !== 'leader' || message.term !== this.log.term) return;
    const peer = message.from;
    this.#recentlyActive.add(peer);
    if (!message.success) {
      const next = Math.max(1, Math.min((this.#nextIndex.get(peer) ?? 1) - 1, message.matchIndex + 1));
      this.#nextIndex.set(peer, next);
      this.#sendAppend(peer, false);
      return;
    }
    if (message.matchIndex > (this.#matchIndex.get(peer) ?? 0)) this.#matchIndex.set(peer, message.matchIndex);
    this.#nextIndex.set(peer, Math.max(this.#nextIndex.get(peer) ?? 1, message.matchIndex + 1));
    if (message.readRound > (this.#ackedRound.get(peer) ?? 0)) this.#ackedRound.set(peer, message.readRound);
    this.#advanceCommit();
    this.#confirmReads();
    if ((this.#nextIndex.get(peer) ?? 1) <= this.log.lastIndex) this.#sendAppend(peer, false);
  }

  #sendAppend(peer: string, heartbeat: boolean): void {
    const next = this.#nextIndex.get(peer) ?? this.log.lastIndex + 1;
    const prevIndex = next - 1;
    const entries = heartbeat && next > this.log.lastIndex ? [] : this.log.slice(next, entriesPerAppendMax);
    this.#deps.send(peer, {
      type: 'raft-append',
      from: this.#deps.self,
      term: this.log.term,
      prevIndex,
      prevTerm: this.log.termAt(prevIndex),
      entries,
      commit: this.commitIndex,
      readRound: this.#readRound,
    });
  }

  #advanceCommit(): void {
    const matches = [...this.#matchIndex.values()].sort((a, b) => b - a);
    const majorityIndex = matches[this.#quorum - 1] ?? 0;
    // Raft commits only entries of its own term by counting (earlier ones follow).
    if (majorityIndex > this.commitIndex && this.log.termAt(majorityIndex) === this.log.term) {
      const hadCommittedInTerm = this.committedInTerm;
      this.commitIndex = majorityIndex;
      this.#deps.committed();
      if (!hadCommittedInTerm && this.role === 'leader') {
        const waiting = this.#readsBeforeFirstCommit;
        this.#readsBeforeFirstCommit = [];
        for (const { from, readId } of waiting) this.#leaderReadIndex(from, readId);
      }
    }
  }

  // ------------------------------------------------------------ ReadIndex

  #leaderReadIndex(from: string, readId: number): void {
    assert(this.role === 'leader', 'only a leader serves ReadIndex');
    if (!this.committedInTerm) {
      this.#readsBeforeFirstCommit.push({ from, readId });
      return;
    }
    const round = ++this.#readRound;
    const read: PendingRead = { from, readId, index: this.commitIndex, round, acks: new Set([this.#deps.self]) };
    this.#pendingReads.push(read);
    if (this.#deps.peers.length === 0) return this.#confirmReads();
    for (const peer of this.#deps.peers) this.#sendAppend(peer, true);
  }

  #confirmReads(): void {
    if (this.#pendingReads.length === 0) return;
    const remaining: PendingRead[] = [];
    for (const read of this.#pendingReads) {
      for (const peer of this.#deps.peers) if ((this.#ackedRound.get(peer) ?? 0) >= read.round) read.acks.add(peer);
      if (read.acks.size < this.#quorum) {
        remaining.push(read);
        continue;
      }
      if (read.from === this.#deps.self) this.#deps.readConfirmed(read.readId, read.index);
      else this.#deps.send(read.from, { type: 'raft-read-index-reply', from: this.#deps.self, readId: read.readId, index: read.index });
    }
    this.#pendingReads = remaining;
  }
}
