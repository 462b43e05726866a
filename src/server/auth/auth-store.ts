/**
 * etcd 3.4's auth store (auth/store.go), in memory: users with passwords and
 * roles, roles with key-range permissions, the root user and role, auth
 * enable/disable, simple tokens, and the auth revision that every change
 * moves. A simple token stays good across auth changes: etcd's simple-token
 * provider answers every request with the store's current revision, so
 * "revision of auth store is old" (a JWT's fate) never reaches its users;
 * deleting a user or changing its password drops its tokens, as etcd's
 * invalidateUser does, and a token unused for 300 s (on the server's clock,
 * so fast-forward counts) is gone, as etcd's simple-token TTL keeper drops
 * it (clients authenticate again). Errors carry etcd's gRPC codes and exact
 * messages.
 *
 * Permissions: a role grants READ, WRITE or READWRITE on a key (range_end
 * empty), a range [key, range_end), or every key from `key` on (range_end
 * "\0"). A request is allowed when the union of the user's roles' ranges of
 * that type covers its whole range; the root role allows everything.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EtcdError, GrpcCode } from '../../store/errors.ts';

export const authErrors = {
  rootUserNotExist: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  rootRoleNotExist: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  userAlreadyExist: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  userEmpty: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  userNotFound: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  roleAlreadyExist: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  roleNotFound: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  roleEmpty: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  authFailed: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionDenied: () => new EtcdError(GrpcCode.PERMISSION_DENIED, 'etcdserver: permission denied'),
  roleNotGranted: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  authNotEnabled: () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: () => new EtcdError(GrpcCode.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  authOldRevision: () => new EtcdError(GrpcCode.INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),
};

export const rootName = 'root';

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  permType: PermissionType;
  key: Buffer;
  rangeEnd: Buffer;
}

interface User {
  name: string;
  passwordHash: string | undefined;
  salt: string;
  roles: string[];
}

interface Role {
  name: string;
  permissions: Permission[];
}

/**
 * What a data dir and a snapshot keep of the auth store (state-json.ts):
 * everything but the tokens, which, as etcd's simple tokens, die with the
 * process (clients authenticate again). Keys are base64.
 */
export interface AuthStoreJson {
  enabled: boolean;
  revision: number;
  users: { name: string; passwordHash: string | null; salt: string; roles: string[] }[];
  roles: { name: string; permissions: { permType: PermissionType; key: string; rangeEnd: string }[] }[];
}

const permissionTypes: readonly string[] = ['READ', 'WRITE', 'READWRITE'];

/** Who a token names, and the auth revision it was issued at. */
export interface AuthInfo {
  username: string;
  revision: number;
}

const tokenCharacters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** etcd's simple tokens: 16 letters, a dot, and a counter. */
const simpleTokenLetters = 16;
/** etcd's simpleTokenTTLDefault: a token unused this long is dropped (each use starts it again). */
export const simpleTokenIdleMs = 300_000;

function hashPassword(password: string, salt: string): string {
  return createHash('sha256').update(salt).update(password).digest('hex');
}

/** Compare byte ranges: "\0" as range end means "to the end of the key space". */
function endOf(key: Buffer, rangeEnd: Buffer): Buffer | 'infinity' {
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return 'infinity';
  if (rangeEnd.length === 0) return Buffer.concat([key, Buffer.from([0])]); // a single key: [key, key\0)
  return rangeEnd;
}

function lessOrEqual(a: Buffer | 'infinity', b: Buffer | 'infinity'): boolean {
  if (b === 'infinity') return true;
  if (a === 'infinity') return false;
  return Buffer.compare(a, b) <= 0;
}

/** Whether the union of `ranges` covers [key, end). */
function covers(ranges: { key: Buffer; end: Buffer | 'infinity' }[], key: Buffer, end: Buffer | 'infinity'): boolean {
  const sorted = [...ranges].sort((a, b) => Buffer.compare(a.key, b.key));
  let reached: Buffer | 'infinity' = key;
  for (const range of sorted) {
    if (reached === 'infinity') return true;
    if (Buffer.compare(range.key, reached) > 0) break;
    if (!lessOrEqual(range.end, reached)) reached = range.end;
    if (lessOrEqual(end, reached)) return true;
  }
  return lessOrEqual(end, reached);
}

export class AuthStore {
  #enabled = false;
  /** Moves with every change to users, roles or the enabled flag. */
  #revision = 1;
  readonly #users = new Map<string, User>();
  readonly #roles = new Map<string, Role>();
  readonly #tokens = new Map<string, AuthInfo & { idleDeadlineMs: number }>();
  /** The server's clock (virtual ms: fast-forward moves it). */
  readonly #nowMs: () => number;

  constructor(options: { nowMs: () => number }) {
    this.#nowMs = options.nowMs;
  }
  #tokenCount = 0;
  /** Called after every change to users, roles or the enabled flag (a data dir logs the new state). */
  onChange: (() => void) | undefined;

  get enabled(): boolean {
    return this.#enabled;
  }

  get revision(): number {
    return this.#revision;
  }

  #changed(): void {
    this.#revision++;
    this.onChange?.();
  }

  /** Everything but the tokens, in names' order. */
  toJson(): AuthStoreJson {
    return {
      enabled: this.#enabled,
      revision: this.#revision,
      users: [...this.#users.values()].map((u) => ({ name: u.name, passwordHash: u.passwordHash ?? null, salt: u.salt, roles: [...u.roles] })),
      roles: [...this.#roles.values()].map((r) => ({
        name: r.name,
        permissions: r.permissions.map((p) => ({ permType: p.permType, key: p.key.toString('base64'), rangeEnd: p.rangeEnd.toString('base64') })),
      })),
    };
  }

  /** Replace the whole state with a saved one (a restart, a restored snapshot); tokens issued before are gone. @throws Error when `json` is not an AuthStoreJson */
  loadJson(json: unknown): void {
    const state = json as AuthStoreJson;
    const bad = (what: string) => new Error(`saved auth state is malformed: ${what}`);
    if (typeof state !== 'object' || state === null || typeof state.enabled !== 'boolean' || !Number.isSafeInteger(state.revision))
      throw bad('enabled or revision');
    if (!Array.isArray(state.users) || !Array.isArray(state.roles)) throw bad('users or roles');
    const users = new Map<string, User>();
    for (const u of state.users) {
      if (
        typeof u.name !== 'string' ||
        typeof u.salt !== 'string' ||
        !Array.isArray(u.roles) ||
        !(u.passwordHash === null || typeof u.passwordHash === 'string')
      )
        throw bad(`user ${JSON.stringify(u.name)}`);
      users.set(u.name, { name: u.name, salt: u.salt, passwordHash: u.passwordHash ?? undefined, roles: u.roles.map(String) });
    }
    const roles = new Map<string, Role>();
    for (const r of state.roles) {
      if (typeof r.name !== 'string' || !Array.isArray(r.permissions)) throw bad(`role ${JSON.stringify(r.name)}`);
      const permissions = r.permissions.map((p) => {
        if (!permissionTypes.includes(p.permType) || typeof p.key !== 'string' || typeof p.rangeEnd !== 'string') throw bad(`a permission of role ${r.name}`);
        return { permType: p.permType, key: Buffer.from(p.key, 'base64'), rangeEnd: Buffer.from(p.rangeEnd, 'base64') };
      });
      roles.set(r.name, { name: r.name, permissions });
    }
    this.#enabled = state.enabled;
    this.#revision = state.revision;
    this.#users.clear();
    for (const [name, user] of users) this.#users.set(name, user);
    this.#roles.clear();
    for (const [name, role] of roles) this.#roles.set(name, role);
    this.#tokens.clear();
  }

  enable(): void {
    if (this.#enabled) return;
    const root = this.#users.get(rootName);
    if (root === undefined) throw authErrors.rootUserNotExist();
    if (!root.roles.includes(rootName)) throw authErrors.rootRoleNotExist();
    this.#enabled = true;
    this.#tokens.clear();
    this.#changed();
  }

  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#tokens.clear();
    this.#changed();
  }

  authenticate(name: string, password: string): string {
    if (!this.#enabled) throw authErrors.authNotEnabled();
    const user = this.#users.get(name);
    if (user === undefined || user.passwordHash === undefined || hashPassword(password, user.salt) !== user.passwordHash) throw authErrors.authFailed();
    let letters = '';
    for (const byte of randomBytes(simpleTokenLetters)) letters += tokenCharacters[byte % tokenCharacters.length];
    const token = `${letters}.${++this.#tokenCount}`;
    this.#tokens.set(token, { username: name, revision: this.#revision, idleDeadlineMs: this.#nowMs() + simpleTokenIdleMs });
    return token;
  }

  /** The user a request's token names, at the current auth revision (etcd tokenSimple.info); undefined without a token. @throws invalid auth token */
  infoOf(token: string | undefined): AuthInfo | undefined {
    if (token === undefined) return undefined;
    const info = this.#tokens.get(token);
    if (info === undefined) throw authErrors.invalidAuthToken();
    const nowMs = this.#nowMs();
    if (info.idleDeadlineMs <= nowMs) {
      this.#tokens.delete(token);
      throw authErrors.invalidAuthToken();
    }
    info.idleDeadlineMs = nowMs + simpleTokenIdleMs;
    return { username: info.username, revision: this.#revision };
  }

  /** etcd's invalidateUser: the user's tokens stop working (a deleted user, a new password). */
  #dropTokensOf(name: string): void {
    for (const [token, info] of [...this.#tokens]) if (info.username === name) this.#tokens.delete(token);
  }

  // ------------------------------------------------------------ users

  userAdd(name: string, password: string, noPassword: boolean): void {
    if (name === '') throw authErrors.userEmpty();
    if (this.#users.has(name)) throw authErrors.userAlreadyExist();
    const salt = randomBytes(8).toString('hex');
    this.#users.set(name, { name, salt, passwordHash: noPassword ? undefined : hashPassword(password, salt), roles: [] });
    this.#changed();
  }

  userDelete(name: string): void {
    if (this.#enabled && name === rootName) throw authErrors.invalidAuthMgmt();
    if (!this.#users.delete(name)) throw authErrors.userNotFound();
    this.#dropTokensOf(name);
    this.#changed();
  }

  userChangePassword(name: string, password: string): void {
    const user = this.#user(name);
    user.passwordHash = hashPassword(password, user.salt);
    this.#dropTokensOf(name);
    this.#changed();
  }

  userGrantRole(name: string, role: string): void {
    const user = this.#user(name);
    if (role !== rootName && !this.#roles.has(role)) throw authErrors.roleNotFound();
    if (user.roles.includes(role)) return;
    user.roles.push(role);
    user.roles.sort();
    this.#changed();
  }

  userRevokeRole(name: string, role: string): void {
    if (this.#enabled && name === rootName && role === rootName) throw authErrors.invalidAuthMgmt();
    const user = this.#user(name);
    const at = user.roles.indexOf(role);
    if (at === -1) throw authErrors.roleNotGranted();
    user.roles.splice(at, 1);
    this.#changed();
  }

  userGet(name: string): string[] {
    return [...this.#user(name).roles];
  }

  userList(): string[] {
    return [...this.#users.keys()].sort();
  }

  #user(name: string): User {
    const user = this.#users.get(name);
    if (user === undefined) throw authErrors.userNotFound();
    return user;
  }

  // ------------------------------------------------------------ roles

  roleAdd(name: string): void {
    if (name === '') throw authErrors.roleEmpty();
    if (this.#roles.has(name)) throw authErrors.roleAlreadyExist();
    this.#roles.set(name, { name, permissions: [] });
    this.#changed();
  }

  roleDelete(name: string): void {
    if (this.#enabled && name === rootName) throw authErrors.invalidAuthMgmt();
    if (!this.#roles.delete(name)) throw authErrors.roleNotFound();
    for (const user of this.#users.values()) user.roles = user.roles.filter((role) => role !== name);
    this.#changed();
  }

  roleGet(name: string): Permission[] {
    const role = this.#roles.get(name);
    if (role === undefined) throw authErrors.roleNotFound();
    return role.permissions.map((p) => ({ permType: p.permType, key: p.key, rangeEnd: p.rangeEnd }));
  }

  roleList(): string[] {
    return [...this.#roles.keys()].sort();
  }

  roleGrantPermission(name: string, permission: Permission): void {
    const role = this.#roles.get(name);
    if (role === undefined) throw authErrors.roleNotFound();
    const same = role.permissions.find((p) => p.key.equals(permission.key) && p.rangeEnd.equals(permission.rangeEnd));
    if (same !== undefined) same.permType = permission.permType;
    else {
      role.permissions.push({ permType: permission.permType, key: permission.key, rangeEnd: permission.rangeEnd });
      role.permissions.sort((a, b) => Buffer.compare(a.key, b.key));
    }
    this.#changed();
  }

  roleRevokePermission(name: string, key: Buffer, rangeEnd: Buffer): void {
    const role = this.#roles.get(name);
    if (role === undefined) throw authErrors.roleNotFound();
    const at = role.permissions.findIndex((p) => p.key.equals(key) && p.rangeEnd.equals(rangeEnd));
    if (at === -1) throw authErrors.permissionNotGranted();
    role.permissions.splice(at, 1);
    this.#changed();
  }

  // ------------------------------------------------------------ checks

  /** Check an operation on [key, rangeEnd) for the token's user (etcd isOpPermitted); nothing to check while auth is off. */
  checkKeys(info: AuthInfo | undefined, key: Buffer, rangeEnd: Buffer, read: boolean): void {
    if (!this.#enabled) return;
    const user = this.#userOf(info);
    if (user.roles.includes(rootName)) return;
    const ranges: { key: Buffer; end: Buffer | 'infinity' }[] = [];
    for (const roleName of user.roles) {
      for (const p of this.#roles.get(roleName)?.permissions ?? []) {
        if (p.permType === 'READWRITE' || p.permType === (read ? 'READ' : 'WRITE')) ranges.push({ key: p.key, end: endOf(p.key, p.rangeEnd) });
      }
    }
    if (!covers(ranges, key, endOf(key, rangeEnd))) throw authErrors.permissionDenied();
  }

  /** Root only (etcd IsAdminPermitted); nothing to check while auth is off. */
  checkAdmin(info: AuthInfo | undefined): void {
    if (!this.#enabled) return;
    if (!this.#userOf(info).roles.includes(rootName)) throw authErrors.permissionDenied();
  }

  /** A user may read itself and its own roles without being root. */
  checkUserOrAdmin(info: AuthInfo | undefined, userName: string | undefined, roleName: string | undefined): void {
    if (!this.#enabled) return;
    const user = this.#userOf(info);
    if (user.roles.includes(rootName)) return;
    if (userName !== undefined && user.name === userName) return;
    if (roleName !== undefined && user.roles.includes(roleName)) return;
    throw authErrors.permissionDenied();
  }

  #userOf(info: AuthInfo | undefined): User {
    if (info === undefined) throw authErrors.userEmpty();
    if (info.revision < this.#revision) throw authErrors.authOldRevision();
    const user = this.#users.get(info.username);
    if (user === undefined) throw authErrors.permissionDenied();
    return user;
  }
}
