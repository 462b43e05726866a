/**
 * KV requests the way clientv3 builds them (client/v3/op.go): a key and
 * options become a RangeRequest, PutRequest or DeleteRangeRequest, and a
 * small txn builder in clientv3's shape.
 *
 *   getRequest('/lock/', { prefix: true, sort: { target: 'CREATE', order: 'ASCEND' }, limit: 1 })
 *   → { key: '/lock/', range_end: '/lock0', sort_target: 'CREATE', sort_order: 'ASCEND', limit: 1 }
 *
 *   client.txn()
 *     .if(compare.createRevision('k', '=', 0))
 *     .then(op.put('k', 'v', { lease }))
 *     .else(op.get('k'))
 *     .commit()
 *
 * Keys and values are strings (taken as UTF-8) or bytes.
 */
import { prefixEnd, utf8 } from '../store/bytes.ts';
import type {
  Bytes,
  Compare,
  CompareResult,
  DeleteRangeRequest,
  LeaseId,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
} from '../store/messages.ts';
import { ClientUsageError } from './errors.ts';

/** A key or value: a string is its UTF-8 bytes. */
export type KeyLike = string | Uint8Array;

/** Options every unary call takes. */
export interface CallOptions {
  /**
   * The call's deadline, on the client runtime's clock.
   * @defaultValue the client's `callTimeoutMs` (5000)
   */
  timeoutMs?: number;
}

/** Which keys a range covers (clientv3 WithPrefix / WithFromKey / WithRange). At most one. */
export interface RangeOptions {
  /** Every key starting with `key` (an empty key: every key). */
  prefix?: boolean;
  /** Every key >= `key` (an empty key: every key). */
  fromKey?: boolean;
  /** [key, rangeEnd). */
  rangeEnd?: KeyLike;
}

/** Options of {@link Client.get}: range, revision, sort, limit, count-only, keys-only, and the call's deadline. */
export interface GetOptions extends RangeOptions, CallOptions {
  /** Read at this revision (0: latest). */
  revision?: number;
  /** At most this many keys (0: no limit). */
  limit?: number;
  sort?: { target: SortTarget; order: SortOrder };
  keysOnly?: boolean;
  countOnly?: boolean;
  serializable?: boolean;
  minModRevision?: number;
  maxModRevision?: number;
  minCreateRevision?: number;
  maxCreateRevision?: number;
}

/** Options of {@link Client.put}: a lease, `prevKv`, `ignoreValue`/`ignoreLease`, and the call's deadline. */
export interface PutOptions extends CallOptions {
  /** Attach the key to this lease (0 or absent: no lease, detaching any). */
  lease?: LeaseId;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

/** Options of {@link Client.delete}: a range or prefix, `prevKv`, and the call's deadline. */
export interface DeleteOptions extends RangeOptions, CallOptions {
  prevKv?: boolean;
}

export function toBytes(value: KeyLike): Bytes {
  return typeof value === 'string' ? utf8(value) : value;
}

const zeroByte = new Uint8Array([0]);

/** key and range_end from the range options (clientv3 op.go: WithPrefix, WithFromKey, WithRange): a fresh object, the start of a request. */
export function keyRange(key: KeyLike, options: RangeOptions): { key: Bytes; range_end?: Bytes } {
  const set = (options.prefix === true ? 1 : 0) + (options.fromKey === true ? 1 : 0) + (options.rangeEnd !== undefined ? 1 : 0);
  if (set > 1) throw new ClientUsageError('`WithPrefix`, `WithFromKey` and `WithRange` cannot be set at the same time, choose one');
  let keyBytes = toBytes(key);
  if (options.prefix === true) {
    if (keyBytes.length === 0) return { key: zeroByte, range_end: zeroByte };
    return { key: keyBytes, range_end: prefixEnd(keyBytes) };
  }
  if (options.fromKey === true) {
    if (keyBytes.length === 0) keyBytes = zeroByte;
    return { key: keyBytes, range_end: zeroByte };
  }
  if (options.rangeEnd !== undefined) return { key: keyBytes, range_end: toBytes(options.rangeEnd) };
  return { key: keyBytes };
}

export function getRequest(key: KeyLike, options: GetOptions = {}): RangeRequest {
  const request: RangeRequest = keyRange(key, options);
  if (options.revision !== undefined) request.revision = options.revision;
  if (options.limit !== undefined) request.limit = options.limit;
  if (options.sort !== undefined) {
    // op.go WithSort: ascending by key is the server's default order.
    const order = options.sort.target === 'KEY' && options.sort.order === 'ASCEND' ? 'NONE' : options.sort.order;
    request.sort_target = options.sort.target;
    request.sort_order = order;
  }
  if (options.keysOnly === true) request.keys_only = true;
  if (options.countOnly === true) request.count_only = true;
  if (options.serializable === true) request.serializable = true;
  if (options.minModRevision !== undefined) request.min_mod_revision = options.minModRevision;
  if (options.maxModRevision !== undefined) request.max_mod_revision = options.maxModRevision;
  if (options.minCreateRevision !== undefined) request.min_create_revision = options.minCreateRevision;
  if (options.maxCreateRevision !== undefined) request.max_create_revision = options.maxCreateRevision;
  return request;
}

export function putRequest(key: KeyLike, value: KeyLike, options: PutOptions = {}): PutRequest {
  const request: PutRequest = { key: toBytes(key), value: toBytes(value) };
  if (options.lease !== undefined && options.lease !== 0n) request.lease = options.lease;
  if (options.prevKv === true) request.prev_kv = true;
  if (options.ignoreValue === true) request.ignore_value = true;
  if (options.ignoreLease === true) request.ignore_lease = true;
  return request;
}

export function deleteRequest(key: KeyLike, options: DeleteOptions = {}): DeleteRangeRequest {
  const request: DeleteRangeRequest = keyRange(key, options);
  if (options.prevKv === true) request.prev_kv = true;
  return request;
}

/** Options that pick the oldest (or newest) key under a prefix: clientv3 WithFirstCreate / WithLastCreate. */
export const firstCreate: GetOptions = { prefix: true, sort: { target: 'CREATE', order: 'ASCEND' }, limit: 1 };
/** Get options for the newest-created key under a prefix (concurrency's lastCreate). */
export const lastCreate: GetOptions = { prefix: true, sort: { target: 'CREATE', order: 'DESCEND' }, limit: 1 };

// ---------------------------------------------------------------- txn

/** The operators `compare.*` takes. */
export type CompareOperator = '=' | '!=' | '<' | '>';

const compareResults: Record<CompareOperator, CompareResult> = { '=': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' };

function comparison(key: KeyLike, operator: CompareOperator, range: RangeOptions): Compare {
  const { key: keyBytes, range_end } = keyRange(key, range);
  const cmp: Compare = { key: keyBytes, result: compareResults[operator] };
  if (range_end !== undefined) cmp.range_end = range_end;
  return cmp;
}

/**
 * Compare builders (clientv3 `Compare(Version(k), "=", 1)`, …). A range
 * option compares every key in the range.
 */
export const compare = {
  version: (key: KeyLike, operator: CompareOperator, version: number, range: RangeOptions = {}): Compare =>
    Object.assign(comparison(key, operator, range), { target: 'VERSION' as const, version }),
  createRevision: (key: KeyLike, operator: CompareOperator, revision: number, range: RangeOptions = {}): Compare =>
    Object.assign(comparison(key, operator, range), { target: 'CREATE' as const, create_revision: revision }),
  modRevision: (key: KeyLike, operator: CompareOperator, revision: number, range: RangeOptions = {}): Compare =>
    Object.assign(comparison(key, operator, range), { target: 'MOD' as const, mod_revision: revision }),
  value: (key: KeyLike, operator: CompareOperator, value: KeyLike, range: RangeOptions = {}): Compare =>
    Object.assign(comparison(key, operator, range), { target: 'VALUE' as const, value: toBytes(value) }),
  lease: (key: KeyLike, operator: CompareOperator, lease: LeaseId, range: RangeOptions = {}): Compare =>
    Object.assign(comparison(key, operator, range), { target: 'LEASE' as const, lease }),
};

/** Txn operation builders (clientv3 OpGet, OpPut, OpDelete, OpTxn). Call options are ignored here. */
export const op = {
  get: (key: KeyLike, options: GetOptions = {}): RequestOp => ({ request_range: getRequest(key, options) }),
  put: (key: KeyLike, value: KeyLike, options: PutOptions = {}): RequestOp => ({ request_put: putRequest(key, value, options) }),
  delete: (key: KeyLike, options: DeleteOptions = {}): RequestOp => ({ request_delete_range: deleteRequest(key, options) }),
  txn: (compares: Compare[], success: RequestOp[], failure: RequestOp[]): RequestOp => ({
    request_txn: { compare: compares, success, failure },
  }),
};

/**
 * clientv3's Txn: `.if(...).then(...).else(...).commit()`, each part at most
 * once and in that order (otherwise ClientUsageError with clientv3's panic
 * message).
 */
export class TxnBuilder {
  readonly #commit: (request: TxnRequest, options: CallOptions) => Promise<TxnResponse>;
  readonly #request: { compare: Compare[]; success: RequestOp[]; failure: RequestOp[] } = { compare: [], success: [], failure: [] };
  #calledIf = false;
  #calledThen = false;
  #calledElse = false;

  constructor(commit: (request: TxnRequest, options: CallOptions) => Promise<TxnResponse>) {
    this.#commit = commit;
  }

  if(...compares: Compare[]): this {
    if (this.#calledIf) throw new ClientUsageError('cannot call If twice!');
    if (this.#calledThen) throw new ClientUsageError('cannot call If after Then!');
    if (this.#calledElse) throw new ClientUsageError('cannot call If after Else!');
    this.#calledIf = true;
    this.#request.compare.push(...compares);
    return this;
  }

  then(...ops: RequestOp[]): this {
    // A builder with a then() is a thenable: awaiting or returning it from an
    // async function calls then(resolve, reject). Refuse instead of hanging.
    if (ops.some((item) => typeof item === 'function')) throw new ClientUsageError('a txn builder is not a promise: call commit()');
    if (this.#calledThen) throw new ClientUsageError('cannot call Then twice!');
    if (this.#calledElse) throw new ClientUsageError('cannot call Then after Else!');
    this.#calledThen = true;
    this.#request.success.push(...ops);
    return this;
  }

  else(...ops: RequestOp[]): this {
    if (this.#calledElse) throw new ClientUsageError('cannot call Else twice!');
    this.#calledElse = true;
    this.#request.failure.push(...ops);
    return this;
  }

  /** The TxnRequest built so far. */
  request(): TxnRequest {
    return { compare: [...this.#request.compare], success: [...this.#request.success], failure: [...this.#request.failure] };
  }

  commit(options: CallOptions = {}): Promise<TxnResponse> {
    return this.#commit(this.request(), options);
  }
}
