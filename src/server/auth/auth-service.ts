/**
 * etcdserverpb.Auth over the AuthStore, and the checks etcd 3.4 makes on
 * every call once auth is enabled, as a grpc-js server interceptor (so the
 * KV, Lease and Watch handlers stay as they are):
 *
 * - the `token` metadata names the user (a token that is not known: "invalid
 *   auth token"; none: "user name is empty"; a simple token stays good
 *   across auth changes until its user is deleted or its password changed);
 * - Range needs READ on its range; Put and DeleteRange WRITE (and READ with
 *   prev_kv); Txn READ on every compare and each op's own need, in both
 *   branches; LeaseRevoke WRITE on every key attached to the lease; a watch
 *   READ on its range (refused as etcd does: created and canceled, watch ID
 *   -1, the reason in cancel_reason);
 * - auth management, member changes, Defragment, Hash, HashKV and Snapshot
 *   need root (a user may get itself and its own roles);
 * - LeaseKeepAlive, LeaseTimeToLive, LeaseLeases, Status, MoveLeader and
 *   MemberList never look at the token, as in etcd 3.4.
 * While auth is disabled nothing is checked and tokens are ignored, and
 * Authenticate answers "authentication is not enabled", which clientv3
 * takes as "go on without a token".
 */
import * as grpc from '@grpc/grpc-js';
import { EtcdError, GrpcCode, isEtcdError } from '../../store/errors.ts';
import type { EtcdStore } from '../../store/etcd-store.ts';
import { authChangingMethods, memberChangingMethods } from '../changing-rpcs.ts';
import type { GrpcObject } from '../grpc-codec.ts';
import { type AuthInfo, AuthStore, type PermissionType } from './auth-store.ts';

export interface AuthHost {
  readonly store: EtcdStore;
  readonly driver: { tick(): void; nowMs(): number };
  grpcHeader(): GrpcObject;
  /** undefined when every change is on disk (or there is no disk); else resolves once it is: a change is answered only then. */
  whenSynced(): Promise<void> | undefined;
}

const emptyBytes = Buffer.alloc(0);
const bytesOf = (value: unknown): Buffer =>
  Buffer.isBuffer(value) ? value : value instanceof Uint8Array ? Buffer.from(value) : typeof value === 'string' ? Buffer.from(value) : emptyBytes;

/** Methods only root may call (etcd needAdminPermission and the maintenance auth wrapper). */
const adminMethods = new Set<string>([
  ...authChangingMethods,
  'UserList',
  'RoleList',
  'Defragment',
  'Hash',
  'HashKV',
  'Snapshot',
  // etcd's checkMembershipOperationPermission
  ...memberChangingMethods,
]);

/** Calls etcd 3.4 serves without reading the token at all (no AuthInfoFromCtx): a bad or stale token does not matter to them. */
const tokenUnreadMethods = new Set(['LeaseKeepAlive', 'LeaseTimeToLive', 'LeaseLeases', 'Status', 'MoveLeader', 'MemberList']);

/** Go's names of the gRPC codes auth errors carry: a refused watch's cancel_reason is the Go error's text. */
const goCodeNames: Record<number, string> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 9: 'FailedPrecondition', 16: 'Unauthenticated' };

/** A refused watch's cancel_reason, as etcd writes it (the Go error's text). */
export function watchRefusalReason(error: { code: number; message: string }): string {
  return `rpc error: code = ${goCodeNames[error.code] ?? error.code} desc = ${error.message}`;
}

/** Maintenance calls whose auth errors etcd passes on unmapped (UNKNOWN "auth: …"): its auth wrapper's, and Alarm (no togRPCError). */
const maintenanceMethods = new Set(['Defragment', 'Hash', 'HashKV', 'Snapshot', 'Alarm']);

export class AuthServices {
  readonly auth: AuthStore;
  readonly #host: AuthHost;

  constructor(host: AuthHost) {
    this.#host = host;
    this.auth = new AuthStore({ nowMs: () => host.driver.nowMs() });
  }

  // ------------------------------------------------------------ checks

  #checkTxn(info: AuthInfo | undefined, txn: GrpcObject): void {
    for (const compare of (txn['compare'] as GrpcObject[] | undefined) ?? [])
      this.auth.checkKeys(info, bytesOf(compare['key']), bytesOf(compare['range_end']), true);
    for (const branch of ['success', 'failure']) {
      for (const op of (txn[branch] as GrpcObject[] | undefined) ?? []) this.#checkOp(info, op);
    }
  }

  #checkOp(info: AuthInfo | undefined, op: GrpcObject): void {
    const range = op['request_range'] as GrpcObject | undefined;
    const put = op['request_put'] as GrpcObject | undefined;
    const del = op['request_delete_range'] as GrpcObject | undefined;
    const txn = op['request_txn'] as GrpcObject | undefined;
    if (range) this.auth.checkKeys(info, bytesOf(range['key']), bytesOf(range['range_end']), true);
    if (put) this.#checkWrite(info, put);
    if (del) this.#checkWrite(info, del);
    if (txn) this.#checkTxn(info, txn);
  }

  #checkWrite(info: AuthInfo | undefined, request: GrpcObject): void {
    const key = bytesOf(request['key']);
    const rangeEnd = bytesOf(request['range_end']);
    this.auth.checkKeys(info, key, rangeEnd, false);
    if (request['prev_kv'] === true) this.auth.checkKeys(info, key, rangeEnd, true);
  }

  /** Throws the error etcd answers `method` with, for this user and request. */
  check(method: string, info: AuthInfo | undefined, request: GrpcObject): void {
    if (adminMethods.has(method)) return this.auth.checkAdmin(info);
    switch (method) {
      case 'Range':
        return this.auth.checkKeys(info, bytesOf(request['key']), bytesOf(request['range_end']), true);
      case 'Put':
      case 'DeleteRange':
        return this.#checkWrite(info, request);
      case 'Txn':
        return this.#checkTxn(info, request);
      case 'LeaseRevoke': {
        const found = this.#host.store.lessor.timeToLive(BigInt(String(request['ID'] ?? '0')), true);
        for (const key of found?.keys ?? []) this.auth.checkKeys(info, Buffer.from(key, 'latin1'), emptyBytes, false);
        return;
      }
      case 'UserGet':
        return this.auth.checkUserOrAdmin(info, String(request['name'] ?? ''), undefined);
      case 'RoleGet':
        return this.auth.checkUserOrAdmin(info, undefined, String(request['role'] ?? ''));
    }
  }

  /** Check one request of gRPC method `method` carrying `token`; nothing while auth is off. @throws etcd's error */
  authorize(method: string, token: string | undefined, request: GrpcObject): void {
    if (!this.auth.enabled || tokenUnreadMethods.has(method)) return;
    if (maintenanceMethods.has(method)) {
      try {
        this.check(method, this.auth.infoOf(token), request);
      } catch (error) {
        // etcd's maintenance wrapper (and Alarm) return the auth package's own error, which gRPC sends as UNKNOWN "auth: …".
        if (isEtcdError(error)) throw new EtcdError(GrpcCode.UNKNOWN, error.message.replace(/^etcdserver: /, 'auth: '));
        throw error;
      }
      return;
    }
    if (method === 'Watch') {
      // Only a watch's creation is checked (etcd isWatchPermitted); cancels and progress requests are not.
      const create = request['create_request'] as GrpcObject | undefined;
      if (create !== undefined) this.auth.checkKeys(this.auth.infoOf(token), bytesOf(create['key']), bytesOf(create['range_end']), true);
      return;
    }
    this.check(method, this.auth.infoOf(token), request);
  }

  /** Whether calls to the method at gRPC `path` are checked (every etcd call but Authenticate). */
  static checks(path: string): boolean {
    const method = path.slice(path.lastIndexOf('/') + 1);
    const service = path.split('/')[1] ?? '';
    return service.startsWith('etcdserverpb.') && method !== 'Authenticate';
  }

  /** The token a call's metadata carries: etcd reads `token`, or `authorization` as its HTTP gateway forwards it. */
  static tokenOf(metadata: grpc.Metadata): string | undefined {
    const value = metadata.get('token')[0] ?? metadata.get('authorization')[0];
    return value === undefined ? undefined : String(value);
  }

  /**
   * Check a request message of a checked method (see {@link checks}) before
   * its handler sees it; a refusal is answered on `call`: a watch is created
   * and canceled with the reason, any other call ends with the error's status.
   * @returns whether the message may go on to the handler
   */
  admits(method: string, token: string | undefined, message: GrpcObject, call: grpc.ServerInterceptingCallInterface): boolean {
    if (!this.auth.enabled) return true;
    try {
      this.#host.driver.tick();
      this.authorize(method, token, message);
      return true;
    } catch (error) {
      if (!isEtcdError(error)) throw error;
      if (method === 'Watch') {
        call.sendMessage(
          {
            header: this.#host.grpcHeader(),
            watch_id: '-1',
            created: true,
            canceled: true,
            cancel_reason: watchRefusalReason(error),
            compact_revision: '0',
            events: [],
            fragment: false,
          },
          () => {},
        );
        call.startRead();
        return false;
      }
      call.sendStatus({ code: error.code as number as grpc.status, details: error.message, metadata: new grpc.Metadata() });
      return false;
    }
  }

  // ------------------------------------------------------------ the Auth service

  #unary(serve: (request: GrpcObject) => GrpcObject): grpc.handleUnaryCall<GrpcObject, GrpcObject> {
    return (call, callback) => {
      let answer: () => void;
      try {
        this.#host.driver.tick();
        const response = { header: this.#host.grpcHeader(), ...serve(call.request) };
        answer = () => callback(null, response);
      } catch (error) {
        if (!isEtcdError(error)) throw error;
        answer = () => callback({ code: error.code as number as grpc.status, details: error.message });
      }
      const synced = this.#host.whenSynced();
      if (synced === undefined) answer();
      else void synced.then(answer);
    };
  }

  handlers(): grpc.UntypedServiceImplementation {
    const auth = this.auth;
    const name = (r: GrpcObject, field = 'name') => String(r[field] ?? '');
    return {
      AuthEnable: this.#unary(() => (auth.enable(), {})),
      AuthDisable: this.#unary(() => (auth.disable(), {})),
      Authenticate: this.#unary((r) => ({ token: auth.authenticate(name(r), String(r['password'] ?? '')) })),
      UserAdd: this.#unary((r) => (auth.userAdd(name(r), String(r['password'] ?? ''), (r['options'] as GrpcObject | null)?.['no_password'] === true), {})),
      UserGet: this.#unary((r) => ({ roles: auth.userGet(name(r)) })),
      UserList: this.#unary(() => ({ users: auth.userList() })),
      UserDelete: this.#unary((r) => (auth.userDelete(name(r)), {})),
      UserChangePassword: this.#unary((r) => (auth.userChangePassword(name(r), String(r['password'] ?? '')), {})),
      UserGrantRole: this.#unary((r) => (auth.userGrantRole(name(r, 'user'), name(r, 'role')), {})),
      UserRevokeRole: this.#unary((r) => (auth.userRevokeRole(name(r), name(r, 'role')), {})),
      RoleAdd: this.#unary((r) => (auth.roleAdd(name(r)), {})),
      RoleGet: this.#unary((r) => ({ perm: auth.roleGet(name(r, 'role')).map((p) => ({ permType: p.permType, key: p.key, range_end: p.rangeEnd })) })),
      RoleList: this.#unary(() => ({ roles: auth.roleList() })),
      RoleDelete: this.#unary((r) => (auth.roleDelete(name(r, 'role')), {})),
      RoleGrantPermission: this.#unary((r) => {
        const perm = (r['perm'] as GrpcObject | null) ?? {};
        auth.roleGrantPermission(name(r), {
          permType: String(perm['permType'] ?? 'READ') as PermissionType,
          key: bytesOf(perm['key']),
          rangeEnd: bytesOf(perm['range_end']),
        });
        return {};
      }),
      RoleRevokePermission: this.#unary((r) => (auth.roleRevokePermission(name(r, 'role'), bytesOf(r['key']), bytesOf(r['range_end'])), {})),
    };
  }
}
