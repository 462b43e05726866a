/**
 * etcdserverpb.Maintenance and etcdserverpb.Cluster as a one-member etcd
 * 3.4.23 answers them (each answer checked against a real one):
 *
 * - Status: version 3.4.23; dbSize/dbSizeInUse a fresh etcd's (its empty bolt
 *   file: 20480 and 16384 bytes) plus the bytes the backend's key bucket
 *   would hold (kv-hash.ts); raftIndex/raftAppliedIndex move with
 *   every proposal (each write, lease, member or alarm call), raftTerm 2.
 * - HashKV: etcd's hash of the key bucket (kv-hash.ts); a compacted revision
 *   is "mvcc: required revision has been compacted", a future one
 *   "mvcc: required revision is a future revision" (etcd's gRPC errors).
 * - Hash: etcd hashes its bolt file (CRC-32C over every bucket), which
 *   leaselab does not have; it answers a CRC-32C of its own state instead
 *   (persistence/snapshot-file.ts stateHash): equal for equal states, moved by
 *   any change, never equal to etcd's number.
 * - Snapshot: the whole state in leaselab's snapshot format
 *   (persistence/snapshot-file.ts, not bolt), streamed as etcd streams its
 *   database: 32 KiB blobs with remaining_bytes counting down to 0, then one
 *   more message with the SHA-256 of the bytes sent.
 * - Defragment: nothing to compact in memory; answers the header.
 * - Alarm: GET lists raised alarms (none unless raised), ACTIVATE raises one
 *   for a member, DEACTIVATE clears it. Under NOSPACE (raised by a client, or
 *   by a write that would pass --quota-backend-bytes, measured in the
 *   key-bucket bytes Status reports) Put, LeaseGrant and writing txns answer
 *   "etcdserver: mvcc: database space exceeded", as in etcd.
 * - MoveLeader: to itself succeeds; any other target is "etcdserver: bad
 *   leader transferee".
 * - Members: a learner can be added, updated (losing its learner flag, as
 *   in 3.4.23) and removed; promoting it fails as it never catches up;
 *   removing a voting member that quorum needs fails as etcd's strict
 *   reconfiguration check does. A voting member can be added; etcd would
 *   then wait for it to start, leaselab goes on serving.
 */
import * as grpc from '@grpc/grpc-js';
import { createHash } from 'node:crypto';
import { GrpcCode } from '../store/errors.ts';
import { authChangingMethods, memberChangingMethods } from './changing-rpcs.ts';
import type { EtcdStore } from '../store/etcd-store.ts';
import type { KvStore } from '../store/kv-store.ts';
import type { GrpcObject } from './grpc-codec.ts';
import { hashKv, keyBucketBytes } from './kv-hash.ts';

/** What the services need of the server. */
export interface MaintenanceHost {
  readonly store: EtcdStore;
  readonly driver: { tick(): void };
  /** The header every answer carries, as gRPC fields. */
  grpcHeader(): GrpcObject;
  readonly memberId: bigint;
  readonly memberName: string;
  readonly peerUrls: readonly string[];
  clientUrls(): string[];
  readonly raftTerm: number;
  readonly serverVersion: string;
  /** etcd's --quota-backend-bytes (0 or absent: no quota of leaselab's own). */
  readonly quotaBackendBytes?: number | undefined;
  /** The whole state now, in leaselab's snapshot format (persistence/snapshot-file.ts). */
  snapshot(): { body: Buffer; sha256: Buffer };
  /** Maintenance.Hash's number for the state now (snapshot-file.ts stateHash). */
  stateHash(): number;
  /** undefined when every change is on disk (or there is no disk); else resolves once it is. */
  whenSynced(): Promise<void> | undefined;
}

/** What a data dir and a snapshot keep of the alarms. */
export type AlarmsJson = { memberID: string; alarm: string }[];
/** What a data dir and a snapshot keep of the members added through MemberAdd. */
export interface MembersJson {
  others: { id: string; name: string; peerUrls: string[]; clientUrls: string[]; isLearner: boolean }[];
  addedCount: number;
}

/** etcd's snapshotSendBufferSize: the blob size of each Snapshot message. */
const snapshotChunkBytes = 32 * 1024;

/** A freshly created etcd 3.4.23's bolt file, and the part of it in use (its Status on a new data dir). */
const emptyBackendBytes = 20_480;
const emptyBackendInUseBytes = 16_384;

const noSpaceMessage = 'etcdserver: mvcc: database space exceeded';

/** The bytes a write adds, as etcd's quota estimates them: keys and values, plus a little per key. */
function requestCostBytes(request: GrpcObject): number {
  const perKeyOverheadBytes = 256; // etcd's quota counts index and bucket overhead per key
  let bytes = 0;
  const add = (put: GrpcObject | undefined) => {
    if (put === undefined) return;
    bytes += ((put['key'] as Buffer | undefined)?.length ?? 0) + ((put['value'] as Buffer | undefined)?.length ?? 0) + perKeyOverheadBytes;
  };
  add(request['key'] === undefined ? undefined : request);
  for (const branch of ['success', 'failure'])
    for (const op of (request[branch] as GrpcObject[] | undefined) ?? []) add(op['request_put'] as GrpcObject | undefined);
  return bytes;
}

/** A txn with nothing but ranges in both branches (etcd's isTxnReadonly). */
function isReadOnlyTxn(request: GrpcObject): boolean {
  for (const branch of ['success', 'failure']) {
    for (const op of (request[branch] as GrpcObject[] | undefined) ?? []) {
      if (op['request_range'] === undefined || op['request_range'] === null) return false;
    }
  }
  return true;
}

/** A fresh etcd has applied this many raft entries by the time it first answers Status. */
const raftIndexAtStart = 4;

/** RPCs that go through raft in etcd (each one moves the raft index). */
const proposalMethods = new Set<string>([
  'Put',
  'DeleteRange',
  'Txn',
  'Compact',
  'LeaseGrant',
  'LeaseRevoke',
  'Alarm',
  ...memberChangingMethods,
  ...authChangingMethods,
  'Authenticate',
  // etcd 3.4 reads users and roles through raft too (v3_server.go UserGet, UserList, RoleGet, RoleList: raftRequest).
  'UserGet',
  'UserList',
  'RoleGet',
  'RoleList',
]);

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const errors = {
  compacted: () => new RpcError(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: () => new RpcError(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  badLeaderTransferee: () => new RpcError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
  memberNotFound: () => new RpcError(GrpcCode.NOT_FOUND, 'etcdserver: member not found'),
  peerUrlExists: () => new RpcError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  notEnoughStartedMembers: () => new RpcError(GrpcCode.UNKNOWN, 'etcdserver: re-configuration failed due to not enough started members'),
  learnerNotReady: () => new RpcError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  notLearner: () => new RpcError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  memberIdMissing: () => new RpcError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: member ID not given'),
};

interface Member {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export class MaintenanceServices {
  readonly #host: MaintenanceHost;
  #proposals = 0;
  /** Raised alarms: `${memberId}/${alarmType}`. */
  readonly #alarms: { memberID: string; alarm: string }[] = [];
  /** Members other than this one (added through MemberAdd). */
  readonly #others: Member[] = [];
  #addedCount = 0;
  /** Called after the alarms or the added members change (a data dir logs the new state). */
  onSideChange: ((part: 'alarms' | 'members') => void) | undefined;

  constructor(host: MaintenanceHost) {
    this.#host = host;
  }

  alarmsToJson(): AlarmsJson {
    return this.#alarms.map((a) => ({ memberID: a.memberID, alarm: a.alarm }));
  }

  /** @throws Error when `json` is not AlarmsJson */
  loadAlarmsJson(json: unknown): void {
    if (!Array.isArray(json) || !json.every((a: { memberID?: unknown; alarm?: unknown }) => typeof a?.memberID === 'string' && typeof a.alarm === 'string')) {
      throw new Error('saved alarms are malformed');
    }
    this.#alarms.splice(0, this.#alarms.length, ...(json as AlarmsJson).map((a) => ({ memberID: a.memberID, alarm: a.alarm })));
  }

  membersToJson(): MembersJson {
    return {
      others: this.#others.map((m) => ({
        id: m.id.toString(),
        name: m.name,
        peerUrls: [...m.peerUrls],
        clientUrls: [...m.clientUrls],
        isLearner: m.isLearner,
      })),
      addedCount: this.#addedCount,
    };
  }

  /** @throws Error when `json` is not MembersJson */
  loadMembersJson(json: unknown): void {
    const state = json as MembersJson;
    const valid =
      typeof state === 'object' &&
      state !== null &&
      Number.isSafeInteger(state.addedCount) &&
      Array.isArray(state.others) &&
      state.others.every(
        (m) =>
          /^\d+$/.test(String(m?.id)) &&
          typeof m.name === 'string' &&
          Array.isArray(m.peerUrls) &&
          Array.isArray(m.clientUrls) &&
          typeof m.isLearner === 'boolean',
      );
    if (!valid) throw new Error('saved members are malformed');
    this.#others.splice(
      0,
      this.#others.length,
      ...state.others.map((m) => ({
        id: BigInt(m.id),
        name: m.name,
        peerUrls: m.peerUrls.map(String),
        clientUrls: m.clientUrls.map(String),
        isLearner: m.isLearner,
      })),
    );
    this.#addedCount = state.addedCount;
  }

  /** Whether gRPC method `name` can run out of space (only these pass through {@link refusedForSpace}). */
  static spaceChecked(name: string): boolean {
    return name === 'Put' || name === 'Txn' || name === 'LeaseGrant';
  }

  /** Refuse `request` with NOSPACE on `call` when it would take the database past its quota (etcd's space quota). @returns whether it was refused */
  refusedForSpace(name: string, request: GrpcObject, call: grpc.ServerInterceptingCallInterface): boolean {
    if (!this.#outOfSpace(name, request)) return false;
    call.sendStatus({ code: grpc.status.RESOURCE_EXHAUSTED, details: noSpaceMessage, metadata: new grpc.Metadata() });
    return true;
  }

  /**
   * etcd's space quota: with the NOSPACE alarm raised, Put, LeaseGrant and any
   * Txn that writes are refused; a write that would take the database past
   * --quota-backend-bytes raises the alarm and is refused.
   */
  #outOfSpace(method: string, request: GrpcObject): boolean {
    if (method === 'Txn' && isReadOnlyTxn(request)) return false;
    if (this.#alarms.some((a) => a.alarm === 'NOSPACE')) return true;
    const quota = this.#host.quotaBackendBytes;
    if (quota === undefined || quota <= 0) return false;
    if (this.dbSizeBytes() + requestCostBytes(request) <= quota) return false;
    this.#alarms.push({ memberID: this.#host.memberId.toString(), alarm: 'NOSPACE' });
    this.onSideChange?.('alarms');
    return true;
  }

  /** Count a call to gRPC method `name` (a proposal moves the raft index); the HTTP gateway calls this too. */
  counted(name: string): void {
    if (proposalMethods.has(name)) this.#proposals++;
  }

  /** Raft index: what etcd had applied at start plus one entry per proposal since. */
  raftIndex(): number {
    return raftIndexAtStart + this.#proposals;
  }

  /** The database size Status reports: an empty etcd's bolt file plus the key bucket's bytes. */
  dbSizeBytes(): number {
    return emptyBackendBytes + this.#keyBucketBytes();
  }

  /** The part of it in use (an empty etcd uses 16384 of its 20480 bytes). */
  dbSizeInUseBytes(): number {
    return emptyBackendInUseBytes + this.#keyBucketBytes();
  }

  /** The key bucket's size at the store's revision (walks every key, so kept until a write or a compaction changes it). */
  #bucketBytes = { revision: -1, compacted: -1, kv: undefined as KvStore | undefined, bytes: 0 };
  #keyBucketBytes(): number {
    const kv = this.#host.store.kv;
    const cached = this.#bucketBytes;
    const revision = kv.currentRevision();
    const compacted = kv.compactRevision();
    if (cached.kv !== kv || cached.revision !== revision || cached.compacted !== compacted) {
      this.#bucketBytes = { revision, compacted, kv, bytes: keyBucketBytes(kv) };
    }
    return this.#bucketBytes.bytes;
  }

  /** Answers once every change is on disk (a member change or an alarm may have been logged). */
  #unary(serve: (request: GrpcObject) => GrpcObject): grpc.handleUnaryCall<GrpcObject, GrpcObject> {
    return (call, callback) => {
      let answer: () => void;
      try {
        this.#host.driver.tick();
        const response = serve(call.request);
        answer = () => callback(null, response);
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
        answer = () => callback({ code: error.code as number as grpc.status, details: error.message });
      }
      const synced = this.#host.whenSynced();
      if (synced === undefined) answer();
      else void synced.then(answer);
    };
  }

  /** etcd's Snapshot stream: 32 KiB blobs with the bytes still to come, then the SHA-256; waits for a full buffer to drain. */
  async #sendSnapshot(call: grpc.ServerWritableStream<GrpcObject, GrpcObject>): Promise<void> {
    this.#host.driver.tick();
    const { body, sha256 } = this.#host.snapshot();
    await this.#host.whenSynced();
    let gone = false;
    for (const event of ['cancelled', 'error', 'close']) call.on(event, () => (gone = true));
    const roomOrGone = () =>
      new Promise<void>((resolve) => {
        const done = () => {
          call.off('drain', done);
          call.off('cancelled', done);
          call.off('close', done);
          resolve();
        };
        call.on('drain', done);
        call.on('cancelled', done);
        call.on('close', done);
      });
    for (let sent = 0; sent < body.length && !gone; ) {
      const blob = body.subarray(sent, sent + snapshotChunkBytes);
      sent += blob.length;
      if (!call.write({ remaining_bytes: String(body.length - sent), blob })) await roomOrGone();
    }
    if (gone) return;
    call.write({ remaining_bytes: '0', blob: sha256 });
    call.end();
  }

  maintenanceHandlers(): grpc.UntypedServiceImplementation {
    const host = this.#host;
    return {
      Status: this.#unary(() => {
        const size = String(this.dbSizeBytes());
        const inUse = String(this.dbSizeInUseBytes());
        const index = String(this.raftIndex());
        return {
          header: host.grpcHeader(),
          version: host.serverVersion,
          dbSize: size,
          leader: host.memberId.toString(),
          raftIndex: index,
          raftTerm: String(host.raftTerm),
          raftAppliedIndex: index,
          // As etcd: each raised alarm, in protobuf's text form.
          errors: this.#alarms.map((a) => `memberID:${a.memberID} alarm:${a.alarm} `),
          dbSizeInUse: inUse,
        };
      }),
      HashKV: this.#unary((request) => {
        const revision = Number(request['revision'] ?? 0);
        const dump = host.store.kv.dumpHistory();
        if (revision > 0 && revision <= dump.compactRevision) throw errors.compacted();
        if (revision > 0 && revision > dump.currentRevision) throw errors.futureRevision();
        return { header: host.grpcHeader(), hash: hashKv(dump, revision), compact_revision: String(dump.compactRevision) };
      }),
      Hash: this.#unary(() => ({ header: host.grpcHeader(), hash: this.#host.stateHash() })),
      Snapshot: (call: grpc.ServerWritableStream<GrpcObject, GrpcObject>) => void this.#sendSnapshot(call),
      // etcd answers Defragment, Alarm and MoveLeader without a header.
      Defragment: this.#unary(() => ({})),
      Alarm: this.#unary((request) => this.#alarm(request)),
      MoveLeader: this.#unary((request) => {
        if (BigInt(String(request['targetID'] ?? '0')) !== host.memberId) throw errors.badLeaderTransferee();
        return {};
      }),
    };
  }

  #alarm(request: GrpcObject): GrpcObject {
    const action = String(request['action'] ?? 'GET');
    const memberID = String(request['memberID'] ?? '0');
    const alarm = String(request['alarm'] ?? 'NONE');
    const at = this.#alarms.findIndex((a) => a.memberID === memberID && a.alarm === alarm);
    if (action === 'GET') return { alarms: alarm === 'NONE' ? [...this.#alarms] : this.#alarms.filter((a) => a.alarm === alarm) };
    if (action === 'ACTIVATE') {
      if (alarm !== 'NONE' && at === -1) {
        this.#alarms.push({ memberID, alarm });
        this.onSideChange?.('alarms');
      }
      return { alarms: alarm === 'NONE' ? [] : [{ memberID, alarm }] };
    }
    // DEACTIVATE: answers the alarm it cleared (none when it was not raised).
    if (at === -1) return { alarms: [] };
    const [cleared] = this.#alarms.splice(at, 1);
    this.onSideChange?.('alarms');
    return { alarms: [cleared!] };
  }

  /** Status's `errors` and the alarms etcdctl shows come from here. */
  alarms(): readonly { memberID: string; alarm: string }[] {
    return this.#alarms;
  }

  // ------------------------------------------------------------------ cluster

  #self(): Member {
    const host = this.#host;
    return { id: host.memberId, name: host.memberName, peerUrls: [...host.peerUrls], clientUrls: host.clientUrls(), isLearner: false };
  }

  #members(): GrpcObject[] {
    // Default values stay off the wire, as etcd (gogo protobuf) leaves them: isLearner only when true.
    // In ID order, as etcd lists them (RaftCluster.Members sorts by ID).
    const members = [this.#self(), ...this.#others].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return members.map((m) => ({
      ID: m.id.toString(),
      name: m.name,
      peerURLs: m.peerUrls,
      clientURLs: m.clientUrls,
      ...(m.isLearner ? { isLearner: true } : {}),
    }));
  }

  #newMemberId(peerUrls: string[]): bigint {
    // etcd derives it from the peer URLs, the cluster and the time; here from the URLs and a count, so a run repeats.
    const digest = createHash('sha1')
      .update(`${peerUrls.join(',')}#${++this.#addedCount}`)
      .digest();
    return digest.readBigUInt64BE(0) || 1n;
  }

  /** etcd's cluster answers carry no revision in their header. */
  #clusterHeader(): GrpcObject {
    return Object.assign(this.#host.grpcHeader(), { revision: '0' });
  }

  clusterHandlers(): grpc.UntypedServiceImplementation {
    const host = this.#host;
    return {
      MemberList: this.#unary(() => ({ header: this.#clusterHeader(), members: this.#members() })),
      MemberAdd: this.#unary((request) => {
        const peerUrls = (request['peerURLs'] as string[] | undefined) ?? [];
        const taken = new Set([...host.peerUrls, ...this.#others.flatMap((m) => m.peerUrls)]);
        if (peerUrls.some((url) => taken.has(url))) throw errors.peerUrlExists();
        const member: Member = { id: this.#newMemberId(peerUrls), name: '', peerUrls: [...peerUrls], clientUrls: [], isLearner: request['isLearner'] === true };
        this.#others.push(member);
        this.onSideChange?.('members');
        return {
          header: this.#clusterHeader(),
          member: { ID: member.id.toString(), name: '', peerURLs: member.peerUrls, clientURLs: [], ...(member.isLearner ? { isLearner: true } : {}) },
          members: this.#members(),
        };
      }),
      MemberRemove: this.#unary((request) => {
        const id = BigInt(String(request['ID'] ?? '0'));
        const at = this.#others.findIndex((m) => m.id === id);
        const voters = 1 + this.#others.filter((m) => !m.isLearner).length;
        // Strict reconfiguration: only this member is started, so it cannot go, nor can anyone while it is the only voter.
        const learner = at !== -1 && this.#others[at]!.isLearner;
        if (!learner && (id === host.memberId || voters === 1)) throw errors.notEnoughStartedMembers();
        if (at === -1) throw errors.memberNotFound();
        this.#others.splice(at, 1);
        this.onSideChange?.('members');
        return { header: this.#clusterHeader(), members: this.#members() };
      }),
      MemberUpdate: this.#unary((request) => {
        const id = BigInt(String(request['ID'] ?? '0'));
        const peerUrls = (request['peerURLs'] as string[] | undefined) ?? [];
        if (id === host.memberId) return { header: this.#clusterHeader(), members: this.#members() };
        const member = this.#others.find((m) => m.id === id);
        if (member === undefined) throw errors.memberNotFound();
        member.peerUrls = [...peerUrls];
        member.isLearner = false; // etcd 3.4.23 drops the flag on update
        this.onSideChange?.('members');
        return { header: this.#clusterHeader(), members: this.#members() };
      }),
      MemberPromote: this.#unary((request) => {
        const id = BigInt(String(request['ID'] ?? '0'));
        if (id === host.memberId) throw errors.notLearner();
        const member = this.#others.find((m) => m.id === id);
        if (member === undefined) throw errors.memberNotFound();
        throw member.isLearner ? errors.learnerNotReady() : errors.notLearner();
      }),
    };
  }
}
