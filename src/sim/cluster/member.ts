/**
 * One member of a simulated etcd cluster: a server node (connections,
 * streams, watches on its own store), raft (src/sim/cluster/raft.ts), and
 * the state machine: its own EtcdStore, to which it applies committed
 * entries in log order. What a client sees, as etcd 3.4 does it
 * (etcdserver/v3_server.go):
 *
 *   put, delete, txn with writes, compact, lease grant and revoke
 *        → proposed (a follower forwards to its leader); answered when this
 *          member applies the entry. No answer within the request timeout
 *          (7 s): "etcdserver: request timed out"; no leader for all of it:
 *          "context deadline exceeded" (raft takes no proposal without one).
 *   range, read-only txn
 *        → linearizable: ReadIndex through the leader, then served from this
 *          member's store once it has applied that far;
 *          serializable: served from this member's store at once (may be stale).
 *   keepalive, lease time-to-live
 *        → answered by the leader's lessor (a follower forwards): no leader
 *          for the request timeout: "etcdserver: no leader".
 *
 * Leases: only the leader's lessor counts time. At each of etcd's lessor
 * ticks (src/store/etcd-loops.ts, run by this member's node) it proposes a
 * revoke for each lease it finds expired, and the due checkpoints
 * (src/store/proposing-lessor-tick.ts); a new leader, once it has applied its first
 * entry, promotes every lease to its full TTL + the election timeout (or,
 * with lease checkpointing, to the remaining TTL last checkpointed + the
 * election timeout). Followers keep their copies of the deadlines but never
 * sweep them (etcd demotes them to "forever").
 *
 * A crash keeps the log, term and vote (etcd's WAL) and the store (etcd's
 * backend, with its applied index); a restarted member rejoins as a follower
 * and applies what it missed once it hears the commit index.
 */
import type { UnaryMethod } from '../../client/transport.ts';
import { assert } from '../../store/assert.ts';
import { type EtcdError, isEtcdError, NoLeaderError, RequestTimedOutError } from '../../store/errors.ts';
import { every } from '../../store/etcd-loops.ts';
import type { EtcdStore } from '../../store/etcd-store.ts';
import { ProposingLessorTick } from '../../store/proposing-lessor-tick.ts';
import type {
  LeaseGrantRequest,
  LeaseId,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveRequest,
  RangeRequest,
  ResponseHeader,
  TxnRequest,
} from '../../store/messages.ts';
import type { RandomStream } from '../random.ts';
import { type ScheduledEvent, type Scheduler, upkeepTimers } from '../scheduler.ts';
import { ServerNode, type RoutedCall, type ServerStore } from '../server-node.ts';
import type { Trace } from '../trace.ts';
import type { FromServer, ToServer } from '../wire.ts';
import type { DropReason } from '../trace.ts';
import { LeaderChangedError, ProposalDeadlineExceededError } from './cluster-errors.ts';
import { noLeaderElectionsBeforeStreamsEnd, readIndexRetryMs, requestTimeoutMs } from './cluster-limits.ts';
import { Raft } from './raft.ts';
import { type ClusterCommand, isRaftMessage, type LeaderQuery, type LogEntry, type RaftMessage } from './raft-messages.ts';
import { isTxnReadOnly, isTxnSerializable } from './txn-kind.ts';

/** What a member needs of its cluster. */
export interface MemberDeps {
  name: string;
  peers: readonly string[];
  scheduler: Scheduler;
  trace: Trace;
  store: ServerStore;
  /** Draws election timeouts. */
  electionRandom: RandomStream;
  /** Draws the IDs of leases granted through this member. */
  leaseIdRandom: RandomStream;
  heartbeatMs: number;
  electionMs: number;
  /** Lease checkpointing (etcd's --experimental-enable-lease-checkpoint) and its interval. */
  leaseCheckpointIntervalMs: number | undefined;
  /** To a process, over the network. */
  sendToProcess(to: string, message: FromServer): void;
  /** To another member, over the network. */
  sendToMember(to: string, message: RaftMessage): void;
  dropped(message: ToServer, reason: DropReason): void;
  /** Is this member the first to apply log entry `index`? (Only the first traces what it changed.) */
  firstToApply(index: number): boolean;
  /** Role, term or leader changed. */
  changed(member: Member): void;
}

interface PendingProposal {
  command: ClusterCommand;
  answer: (response: unknown) => void;
  fail: (error: EtcdError) => void;
  sent: boolean;
  timer: ScheduledEvent;
}

interface PendingRead {
  call: RoutedCall<unknown>;
  serve: () => unknown;
  /** Confirmed read index, once the leader answered. */
  index: number | undefined;
  leaderAtStart: string | undefined;
  timer: ScheduledEvent;
  retry: ScheduledEvent | undefined;
}

interface PendingQuery {
  query: LeaderQuery;
  answer: (response: unknown) => void;
  fail: (error: EtcdError) => void;
  /** The leader it was last sent to. */
  sentTo: string | undefined;
  everSent: boolean;
  timer: ScheduledEvent;
}

export class Member {
  readonly name: string;
  readonly node: ServerNode;
  readonly raft: Raft;
  readonly store: ServerStore;
  /** The last log entry applied to the store (kept across a crash, as etcd's consistent index). */
  appliedIndex = 0;
  readonly #deps: MemberDeps;
  readonly #lessor: EtcdStore['lessor'];
  readonly #requestTimeoutMs: number;
  #up = true;
  #nextId = 0;
  readonly #proposals = new Map<number, PendingProposal>();
  readonly #reads = new Map<number, PendingRead>();
  readonly #queries = new Map<number, PendingQuery>();
  /** Renewals of a lease past its deadline, waiting for its revoke (lessor.go Renew waits on revokec). */
  readonly #renewalsAwaitingRevoke = new Map<LeaseId, (() => void)[]>();
  /** A leader whose lessor was promoted (etcd's primary lessor). */
  #primary = false;
  /** The leader lessor's tick: its revokes and checkpoints, proposed through raft. */
  readonly #lessorTick: ProposingLessorTick;
  /** Remaining TTLs checkpointed through the log (seconds; absent: none). */
  readonly #checkpointedSeconds = new Map<LeaseId, number>();
  #noLeaderElections = 0;
  #applyDelayMs = 0;
  #applyScheduled = false;
  #lastLeader: string | undefined;

  constructor(deps: MemberDeps) {
    this.name = deps.name;
    this.#deps = deps;
    this.store = deps.store;
    const lessor = (deps.store as Partial<EtcdStore>).lessor;
    assert(lessor !== undefined && typeof lessor.renew === 'function', 'a cluster member needs an EtcdStore (its lessor)');
    this.#lessor = lessor;
    this.#requestTimeoutMs = requestTimeoutMs(deps.electionMs);
    this.raft = new Raft({
      self: deps.name,
      peers: deps.peers,
      scheduler: deps.scheduler,
      random: deps.electionRandom,
      heartbeatMs: deps.heartbeatMs,
      electionMs: deps.electionMs,
      send: (to, message) => deps.sendToMember(to, message),
      committed: () => this.#committed(),
      changed: () => this.#raftChanged(),
      readConfirmed: (readId, index) => this.#readConfirmed(readId, index),
    });
    this.#lessorTick = new ProposingLessorTick({
      clock: deps.scheduler,
      leases: {
        leases: () => lessor.leases(),
        nextDeadlineMs: () => lessor.nextDeadlineMs(),
        deadlineMs: (id) => lessor.deadlineMs(id),
        grantedTtlSeconds: (id) => this.store.leaseTimeToLive({ ID: id }).grantedTTL,
      },
      propose: {
        revoke: (leaseId) => this.#proposeInternal({ kind: 'lease-expire', leaseId }),
        checkpoint: (leaseId, remainingSeconds) => this.#proposeInternal({ kind: 'lease-checkpoint', leaseId, remainingSeconds }),
      },
      // Only the promoted leader's lessor counts time (etcd demotes the others).
      counting: () => this.#up && this.raft.isLeader && this.#primary,
      checkpointIntervalMs: deps.leaseCheckpointIntervalMs,
    });
    this.node = new ServerNode({
      scheduler: deps.scheduler,
      trace: deps.trace,
      store: deps.store,
      send: deps.sendToProcess,
      dropped: deps.dropped,
      routing: {
        unary: (call, method, request) => this.#unary(call, method, request),
        keepAlive: (call, request) => this.#keepAlive(call, request),
        lessor: this.#lessorTick,
        up: () => this.#comeUp(),
        // clientv3 opens every keepalive stream with WithRequireLeader: a member without a leader refuses it.
        refuseKeepAliveStream: () => (this.raft.leader === undefined ? new NoLeaderError() : undefined),
      },
    });
  }

  get up(): boolean {
    return this.#up;
  }

  start(): void {
    this.node.start();
    this.raft.start();
    every(upkeepTimers(this.#deps.scheduler), this.#deps.electionMs, () => {
      if (!this.#up) return;
      this.#noLeaderElections = this.raft.leader === undefined ? this.#noLeaderElections + 1 : 0;
      // v3rpc monitorLeader: require-leader streams (every clientv3 keepalive) end after three election timeouts without a leader.
      if (this.#noLeaderElections >= noLeaderElectionsBeforeStreamsEnd) this.node.endKeepAliveStreams(new NoLeaderError());
    });
  }

  /** Crash: connections dropped, raft's volatile state and every waiting request lost; log and store kept. */
  crash(): void {
    if (!this.#up) return;
    this.#up = false;
    this.node.goDown();
    this.raft.stop();
    for (const pending of this.#proposals.values()) this.#deps.scheduler.cancel(pending.timer);
    for (const read of this.#reads.values()) this.#cancelRead(read);
    for (const query of this.#queries.values()) this.#deps.scheduler.cancel(query.timer);
    this.#proposals.clear();
    this.#reads.clear();
    this.#queries.clear();
    this.#renewalsAwaitingRevoke.clear();
    this.#loseLeadership();
    this.#noLeaderElections = 0;
  }

  /** Restart after a crash: back as a follower with its log. */
  restart(): void {
    if (this.#up) return;
    this.node.comeUp();
  }

  /** Apply committed entries this long after learning of them (0: at once). */
  setApplyDelay(delayMs: number): void {
    this.#applyDelayMs = Math.max(0, delayMs);
  }

  /** The network hands this member a message from a process or a peer. */
  deliver(message: ToServer | RaftMessage): void {
    if (isRaftMessage(message)) {
      if (!this.#up) return;
      return this.#peerMessage(message);
    }
    this.node.deliver(message);
  }

  #comeUp(): void {
    this.#up = true;
    this.raft.start();
    this.#deps.changed(this);
  }

  // ------------------------------------------------------------ client calls

  #unary(call: RoutedCall<unknown>, method: UnaryMethod, request: unknown): void {
    switch (method) {
      case 'range': {
        const range = request as RangeRequest;
        const serve = () => this.store.range(range);
        return range.serializable === true ? this.#serveNow(call, serve) : this.#linearizableRead(call, serve);
      }
      case 'txn': {
        const txn = request as TxnRequest;
        if (!isTxnReadOnly(txn)) return this.#proposeFor(call, method, request);
        const serve = () => this.store.txn(txn);
        return isTxnSerializable(txn) ? this.#serveNow(call, serve) : this.#linearizableRead(call, serve);
      }
      case 'leaseGrant': {
        const grant = request as LeaseGrantRequest;
        // The member that takes the grant picks the ID, so every member grants the same lease.
        const withId: LeaseGrantRequest = { TTL: grant.TTL ?? 0, ID: grant.ID !== undefined && grant.ID !== 0n ? grant.ID : this.#newLeaseId() };
        return this.#proposeFor(call, method, withId);
      }
      case 'put':
      case 'deleteRange':
      case 'compact':
      case 'leaseRevoke':
        return this.#proposeFor(call, method, request);
      case 'leaseTimeToLive':
        return this.#leaderQuery(
          { kind: 'time-to-live', leaseId: (request as LeaseTimeToLiveRequest).ID ?? 0n, keys: (request as LeaseTimeToLiveRequest).keys === true },
          (response) => call.answer(response),
          (error) => call.fail(error),
        );
      case 'leaseLeases':
        return this.#serveNow(call, () => this.store.leaseLeases({}));
    }
  }

  #keepAlive(call: RoutedCall<LeaseKeepAliveResponse>, request: LeaseKeepAliveRequest): void {
    this.#leaderQuery(
      { kind: 'renew', leaseId: request.ID ?? 0n },
      (response) => call.answer(response as LeaseKeepAliveResponse),
      (error) => call.fail(error),
    );
  }

  #serveNow(call: RoutedCall<unknown>, serve: () => unknown): void {
    this.#serveNowTo(
      serve,
      (response) => call.answer(response),
      (error) => call.fail(error),
    );
  }

  /** etcd fills raft_term into every header. */
  #stamp(response: unknown): unknown {
    const header = (response as { header?: ResponseHeader } | undefined)?.header;
    if (header !== undefined) header.raft_term = this.raft.term;
    return response;
  }

  #newLeaseId(): LeaseId {
    const random = this.#deps.leaseIdRandom;
    for (;;) {
      const id = ((BigInt(random.int32() >>> 0) << 32n) | BigInt(random.int32() >>> 0)) & ((1n << 63n) - 1n);
      if (id !== 0n) return id;
    }
  }

  // ------------------------------------------------------------ proposals

  #proposeFor(call: RoutedCall<unknown>, method: UnaryMethod, request: unknown): void {
    const requestId = ++this.#nextId;
    const command: ClusterCommand = {
      kind: 'request',
      method,
      request,
      origin: { member: this.name, requestId, process: call.process, incarnation: call.incarnation, callId: call.callId },
    };
    this.#propose(
      requestId,
      command,
      (response) => call.answer(this.#stamp(response)),
      (error) => call.fail(error),
    );
  }

  #propose(requestId: number, command: ClusterCommand, answer: (response: unknown) => void, fail: (error: EtcdError) => void): void {
    const pending: PendingProposal = {
      command,
      answer,
      fail,
      sent: false,
      // Raft never took it (no leader all along): the client gets its context's error; otherwise etcd's timeout.
      timer: this.#giveUpAfterRequestTimeout(this.#proposals, requestId, () =>
        fail(pending.sent ? new RequestTimedOutError() : new ProposalDeadlineExceededError()),
      ),
    };
    this.#proposals.set(requestId, pending);
    this.#send(pending);
  }

  #send(pending: PendingProposal): void {
    if (pending.sent) return;
    if (this.raft.isLeader) pending.sent = this.raft.propose(pending.command);
    else if (this.raft.leader !== undefined) {
      this.#deps.sendToMember(this.raft.leader, { type: 'raft-propose', from: this.name, term: this.raft.term, command: pending.command });
      pending.sent = true;
    }
  }

  /** A request still waiting after the request timeout is forgotten (`id` leaves `waiting`), then `giveUp` fails it. */
  #giveUpAfterRequestTimeout(waiting: Map<number, unknown>, id: number, giveUp: () => void): ScheduledEvent {
    return this.#deps.scheduler.after(
      this.#requestTimeoutMs,
      () => {
        waiting.delete(id);
        giveUp();
      },
      { quiet: true },
    );
  }

  /** The leader's own proposals (lease revokes and checkpoints) have no client waiting. */
  #proposeInternal(command: ClusterCommand): void {
    this.raft.propose(command);
  }

  // ------------------------------------------------------------ reads

  #linearizableRead(call: RoutedCall<unknown>, serve: () => unknown): void {
    const readId = ++this.#nextId;
    const read: PendingRead = {
      call,
      serve,
      index: undefined,
      leaderAtStart: this.raft.leader,
      timer: this.#giveUpAfterRequestTimeout(this.#reads, readId, () => {
        this.#cancelRead(read);
        call.fail(new RequestTimedOutError());
      }),
      retry: undefined,
    };
    this.#reads.set(readId, read);
    this.#askReadIndex(readId, read);
  }

  #askReadIndex(readId: number, read: PendingRead): void {
    this.raft.readIndex(readId);
    read.retry = this.#deps.scheduler.after(
      readIndexRetryMs,
      () => {
        read.retry = undefined;
        if (read.index === undefined && this.#reads.get(readId) === read) this.#askReadIndex(readId, read);
      },
      { quiet: true },
    );
  }

  #cancelRead(read: PendingRead): void {
    this.#deps.scheduler.cancel(read.timer);
    if (read.retry !== undefined) this.#deps.scheduler.cancel(read.retry);
  }

  #readConfirmed(readId: number, index: number): void {
    const read = this.#reads.get(readId);
    if (read === undefined || read.index !== undefined) return;
    read.index = index;
    this.#serveReads();
  }

  #serveReads(): void {
    for (const [readId, read] of [...this.#reads]) {
      if (read.index === undefined || read.index > this.appliedIndex) continue;
      this.#cancelRead(read);
      this.#reads.delete(readId);
      this.#serveNow(read.call, read.serve);
    }
  }

  // ------------------------------------------------------------ lease calls the leader answers

  #leaderQuery(query: LeaderQuery, answer: (response: unknown) => void, fail: (error: EtcdError) => void): void {
    if (this.raft.isLeader && this.#primary) return this.#answerQuery(query, answer, fail);
    const queryId = ++this.#nextId;
    const pending: PendingQuery = {
      query,
      answer,
      fail,
      sentTo: undefined,
      everSent: false,
      // waitLeader gives up with "no leader"; a leader that never answered, with etcd's timeout.
      timer: this.#giveUpAfterRequestTimeout(this.#queries, queryId, () => fail(pending.everSent ? new RequestTimedOutError() : new NoLeaderError())),
    };
    this.#queries.set(queryId, pending);
    this.#sendQuery(queryId, pending);
  }

  #sendQuery(queryId: number, pending: PendingQuery): void {
    const leader = this.raft.leader;
    if (leader === undefined || leader === pending.sentTo) return;
    if (leader === this.name) {
      if (!this.#primary) return; // answered once the lessor is promoted
      this.#queries.delete(queryId);
      this.#deps.scheduler.cancel(pending.timer);
      return this.#answerQuery(pending.query, pending.answer, pending.fail);
    }
    pending.sentTo = leader;
    pending.everSent = true;
    this.#deps.sendToMember(leader, { type: 'leader-query', from: this.name, queryId, query: pending.query });
  }

  #retryQueries(): void {
    for (const [queryId, pending] of [...this.#queries]) this.#sendQuery(queryId, pending);
  }

  /** As the leader's lessor: renew, or say how long a lease has left. */
  #answerQuery(query: LeaderQuery, answer: (response: unknown) => void, fail: (error: EtcdError) => void): void {
    if (query.kind === 'time-to-live') return this.#serveNowTo(() => this.store.leaseTimeToLive({ ID: query.leaseId, keys: query.keys }), answer, fail);
    const deadlineMs = this.#lessor.deadlineMs(query.leaseId);
    if (deadlineMs !== undefined && deadlineMs <= this.#deps.scheduler.nowMs()) {
      // Expired but not yet revoked: the answer (TTL 0) waits for the revoke to apply.
      const waiting = this.#renewalsAwaitingRevoke.get(query.leaseId) ?? [];
      waiting.push(() => answer(this.#stamp({ header: { revision: this.store.currentRevision() }, ID: query.leaseId, TTL: 0 })));
      this.#renewalsAwaitingRevoke.set(query.leaseId, waiting);
      return;
    }
    const response = this.store.leaseKeepAlive({ ID: query.leaseId });
    if (response.TTL > 0 && (this.#checkpointedSeconds.get(query.leaseId) ?? 0) > 0) {
      // A renewal clears the checkpointed remaining TTL, through the log (lessor.go Renew).
      this.#proposeInternal({ kind: 'lease-checkpoint', leaseId: query.leaseId, remainingSeconds: 0 });
    }
    answer(this.#stamp(response));
  }

  #serveNowTo(serve: () => unknown, answer: (response: unknown) => void, fail: (error: EtcdError) => void): void {
    let response: unknown;
    try {
      response = serve();
    } catch (error) {
      if (!isEtcdError(error)) throw error;
      return fail(error);
    }
    answer(this.#stamp(response));
  }

  // ------------------------------------------------------------ peers

  #peerMessage(message: RaftMessage): void {
    switch (message.type) {
      case 'raft-read-index-reply':
        return this.#readConfirmed(message.readId, message.index);
      case 'leader-query': {
        // Only a promoted leader answers (lessor.go ErrNotPrimary otherwise): the asker tries again shortly.
        if (!this.raft.isLeader || !this.#primary)
          return this.#deps.sendToMember(message.from, { type: 'leader-query-reply', from: this.name, queryId: message.queryId, notPrimary: true });
        const reply = (response: unknown, error: EtcdError | undefined) =>
          this.#deps.sendToMember(
            message.from,
            error === undefined
              ? { type: 'leader-query-reply', from: this.name, queryId: message.queryId, response }
              : { type: 'leader-query-reply', from: this.name, queryId: message.queryId, error },
          );
        return this.#answerQuery(
          message.query,
          (response) => reply(response, undefined),
          (error) => reply(undefined, error),
        );
      }
      case 'leader-query-reply': {
        const pending = this.#queries.get(message.queryId);
        if (pending === undefined) return;
        if (message.notPrimary === true) {
          // etcd's forwarding loop asks again; here after a heartbeat interval (the leader may be promoted by then).
          pending.sentTo = undefined;
          const queryId = message.queryId;
          this.#deps.scheduler.after(
            this.#deps.heartbeatMs,
            () => {
              if (this.#queries.get(queryId) === pending) this.#sendQuery(queryId, pending);
            },
            { quiet: true },
          );
          return;
        }
        this.#queries.delete(message.queryId);
        this.#deps.scheduler.cancel(pending.timer);
        if (message.error !== undefined) pending.fail(message.error);
        else pending.answer(this.#stamp(message.response));
        return;
      }
      default:
        return this.raft.receive(message);
    }
  }

  #raftChanged(): void {
    const leader = this.raft.leader;
    if (!this.raft.isLeader) this.#loseLeadership();
    if (leader !== this.#lastLeader) {
      // A new leader cuts short every ReadIndex not yet confirmed (etcd: "leader changed").
      if (leader !== undefined && this.#lastLeader !== undefined)
        for (const [readId, read] of [...this.#reads]) {
          if (read.index !== undefined || read.leaderAtStart === leader) continue;
          this.#cancelRead(read);
          this.#reads.delete(readId);
          read.call.fail(new LeaderChangedError());
        }
      this.#lastLeader = leader;
    }
    if (leader !== undefined) {
      for (const pending of this.#proposals.values()) this.#send(pending);
      this.#retryQueries();
      for (const [readId, read] of this.#reads) if (read.index === undefined && read.retry === undefined) this.#askReadIndex(readId, read);
    }
    this.#deps.changed(this);
  }

  #loseLeadership(): void {
    if (!this.#primary && !this.#lessorTick.checkpointsScheduled) return;
    // etcd's Demote: this lessor stops counting time; renewals waiting here go to the next leader.
    this.#primary = false;
    this.#lessorTick.demote();
    this.#renewalsAwaitingRevoke.clear();
  }

  // ------------------------------------------------------------ apply

  #committed(): void {
    if (this.#applyDelayMs === 0) return this.#applyCommitted();
    if (this.#applyScheduled) return;
    this.#applyScheduled = true;
    this.#deps.scheduler.after(
      this.#applyDelayMs,
      () => {
        this.#applyScheduled = false;
        if (this.#up) this.#applyCommitted();
      },
      { quiet: true },
    );
  }

  #applyCommitted(): void {
    while (this.appliedIndex < this.raft.commitIndex) {
      const entry = this.raft.log.entry(this.appliedIndex + 1);
      this.appliedIndex = entry.index;
      this.#apply(entry);
    }
    this.#serveReads();
  }

  #apply(entry: LogEntry): void {
    const traced = this.#deps.firstToApply(entry.index);
    const command = entry.command;
    const nowMs = this.#deps.scheduler.nowMs();
    switch (command.kind) {
      case 'noop':
        // A leader promotes its lessor once it has applied everything of earlier terms (server.go applyEntryNormal).
        if (this.raft.isLeader && entry.term === this.raft.term) this.#promote();
        return;
      case 'request': {
        let response: unknown;
        let error: EtcdError | undefined;
        try {
          response = (this.store[command.method] as (request: unknown) => unknown).call(this.store, command.request);
        } catch (thrown) {
          if (!isEtcdError(thrown)) throw thrown;
          error = thrown;
        }
        const { origin } = command;
        this.node.recordApplied(
          traced ? { kind: 'request', process: origin.process, incarnation: origin.incarnation, callId: origin.callId, method: command.method } : undefined,
        );
        if (command.method === 'leaseGrant' && error === undefined) {
          const granted = response as { ID: LeaseId; TTL: number };
          if (traced)
            this.#deps.trace.record({
              kind: 'lease-granted',
              atMs: nowMs,
              leaseId: granted.ID,
              ttlSeconds: granted.TTL,
              process: origin.process,
              incarnation: origin.incarnation,
            });
          if (this.#primary) this.#lessorTick.scheduleCheckpoint(granted.ID, this.#checkpointedSeconds.get(granted.ID));
        }
        if (command.method === 'leaseRevoke' && error === undefined) this.#leaseGone((command.request as { ID?: LeaseId }).ID ?? 0n);
        if (origin.member !== this.name) return;
        const pending = this.#proposals.get(origin.requestId);
        if (pending === undefined) return;
        this.#proposals.delete(origin.requestId);
        this.#deps.scheduler.cancel(pending.timer);
        if (error !== undefined) pending.fail(error);
        else pending.answer(response);
        return;
      }
      case 'lease-expire': {
        const { leaseId } = command;
        if (!this.#lessor.exists(leaseId)) return this.node.recordApplied(undefined);
        this.store.leaseRevoke({ ID: leaseId });
        if (traced) this.#deps.trace.record({ kind: 'lease-expired', atMs: nowMs, leaseId, revision: this.store.currentRevision() });
        this.node.recordApplied(traced ? { kind: 'lease-expiry', leaseId } : undefined);
        this.#leaseGone(leaseId);
        return;
      }
      case 'lease-checkpoint':
        if (!this.#lessor.exists(command.leaseId)) return;
        if (command.remainingSeconds > 0) this.#checkpointedSeconds.set(command.leaseId, command.remainingSeconds);
        else this.#checkpointedSeconds.delete(command.leaseId);
        if (this.#primary) this.#lessorTick.scheduleCheckpoint(command.leaseId, this.#checkpointedSeconds.get(command.leaseId));
        return;
    }
  }

  #leaseGone(leaseId: LeaseId): void {
    this.#checkpointedSeconds.delete(leaseId);
    this.#lessorTick.leaseGone(leaseId);
    const waiting = this.#renewalsAwaitingRevoke.get(leaseId);
    if (waiting === undefined) return;
    this.#renewalsAwaitingRevoke.delete(leaseId);
    for (const answer of waiting) answer();
  }

  // ------------------------------------------------------------ the leader's lessor

  #promote(): void {
    this.store.promoteLeases();
    const extendMs = this.#deps.electionMs;
    if (this.#deps.leaseCheckpointIntervalMs !== undefined)
      for (const [leaseId, remainingSeconds] of this.#checkpointedSeconds) this.#lessor.refreshFromCheckpoint(leaseId, remainingSeconds, extendMs);
    this.#primary = true;
    for (const leaseId of this.#lessor.leases()) this.#lessorTick.scheduleCheckpoint(leaseId, this.#checkpointedSeconds.get(leaseId));
    this.#retryQueries();
  }
}
