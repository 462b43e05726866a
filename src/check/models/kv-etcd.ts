/**
 * The model of etcd's KV as clients see it, with exact revisions: the KV API
 * in full (ranges over several keys with sort, limit, filters, count_only /
 * keys_only, reads at past revisions, serializable reads; puts with leases,
 * ignore_value / ignore_lease and prev_kv; deletes over ranges; txns with
 * value / version / create / mod / lease compares, over ranges, and nested
 * txns), plus the lease calls that touch the KV: revokes and the server's
 * lease expiries delete the lease's keys, grants are reads of the revision.
 *
 *   leaseGrant                                  → rev 1
 *   txn(if create(/l/a) = 0 then put(/l/a, '', lease 7) ; get(/l/, first by create)) → rev 2, succeeded, [put, [/l/a c2]]
 *   leaseExpire(7)  (the server's sweep, at its instant)  → rev 3: /l/a deleted
 *   get(/l/, all)                               → rev 3, []
 *
 * Every write in the store must be in the history (src/explore/history.ts
 * adds the server's lease expiries as ops), so the model knows the revision
 * exactly and the history is one partition: the store's revision is global,
 * so splitting by key or prefix would hide writes from a partition. Given
 * that, every step is etcd's own: a response is checked field for field
 * against what etcd would answer in the linearized state, and an
 * unknown-outcome op (maybe applied) simply applies, at the revision it
 * would have had. Unknown-outcome reads are left out.
 *
 * Past revisions: the state keeps an undo log of writes only when some op of
 * the history reads the past (a range at `revision > 0`, or a serializable
 * range, read at its own header revision ≤ the current one — what a lagging
 * member may serve); otherwise states that agree on the present are equal.
 * Not modelled: lease liveness (a put with a revoked lease is an error, and
 * error ops are not in a history), compaction (reads of compacted revisions
 * fail, ditto).
 */
import { goSort } from '../../store/go-sort.ts';
import { inRange, rangeEndOf } from '../../store/key-range.ts';
import { emptyBytes, toBinary } from '../../store/bytes.ts';
import { type CompareOperand, compareHolds, compareOperand } from '../../store/txn-compare.ts';
/** etcd's request and response messages, as the store takes and gives them. */
import type * as etcd from '../../store/messages.ts';
import type { Operation } from '../history.ts';
import type { Model } from '../linearizability.ts';

// ---------------------------------------------------------------- ops

export type EtcdSortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
export type EtcdSortOrder = 'NONE' | 'ASCEND' | 'DESCEND';

/** A range: `end` undefined is one key, '' every key from `key` on, else [key, end). 0 means "not set" for the numbers. */
export interface EtcdKvRange {
  kind: 'range';
  key: string;
  end: string | undefined;
  /** Read at this revision (0: the current one). */
  revision: number;
  serializable: boolean;
  limit: number;
  sortOrder: EtcdSortOrder;
  sortTarget: EtcdSortTarget;
  minModRevision: number;
  maxModRevision: number;
  minCreateRevision: number;
  maxCreateRevision: number;
  keysOnly: boolean;
  countOnly: boolean;
}

export interface EtcdKvPut {
  kind: 'put';
  key: string;
  value: string;
  /** 0n: no lease. */
  lease: bigint;
  prevKv: boolean;
  ignoreValue: boolean;
  ignoreLease: boolean;
}

export interface EtcdKvDelete {
  kind: 'delete';
  key: string;
  end: string | undefined;
  prevKv: boolean;
}

/** A txn compare in the model's form. */
export interface EtcdKvCompare {
  key: string;
  end: string | undefined;
  target: etcd.CompareTarget;
  result: etcd.CompareResult;
  /** A binary string for VALUE, a bigint for LEASE, a number otherwise. */
  operand: CompareOperand;
}

export interface EtcdKvTxn {
  kind: 'txn';
  compare: readonly EtcdKvCompare[];
  success: readonly EtcdKvTxnRequest[];
  failure: readonly EtcdKvTxnRequest[];
}

/** A request inside a txn branch. */
export type EtcdKvTxnRequest = EtcdKvRange | EtcdKvPut | EtcdKvDelete | EtcdKvTxn;

/**
 * A request: a KV call, a lease grant (reads the revision), a lease revoke by
 * a client or a lease expiry by the server (both delete the lease's keys).
 */
export type EtcdKvRequest = EtcdKvTxnRequest | { kind: 'leaseGrant' } | { kind: 'leaseRevoke'; lease: bigint; expiry: boolean };

/** A key-value as responses show it. */
export interface EtcdKv {
  key: string;
  value: string;
  version: number;
  createRevision: number;
  modRevision: number;
  lease: bigint;
}

/** A response inside a txn (no header: the txn's applies). */
export type EtcdKvTxnResponse =
  | { kind: 'range'; kvs: readonly EtcdKv[]; count: number; more: boolean }
  | { kind: 'put'; prevKv: EtcdKv | undefined }
  | { kind: 'delete'; deleted: number; prevKvs: readonly EtcdKv[] }
  | { kind: 'txn'; succeeded: boolean; responses: readonly EtcdKvTxnResponse[] };

/** A response with its header revision. Lease calls answer `{ kind: 'lease' }`. */
export type EtcdKvResponse = { revision: number; response: EtcdKvTxnResponse | { kind: 'lease' } };

/** One call of an etcd KV history, for checkLinearizability with {@link etcdKvModel}. */
export type EtcdKvOperation = Operation<EtcdKvRequest, EtcdKvResponse>;

// ---------------------------------------------------------------- state

/** A live key. */
interface Entry {
  value: string;
  version: number;
  createRevision: number;
  modRevision: number;
  lease: bigint;
}

/** Undo log: `key` was `before` (undefined: absent) until the write at `revision`. */
interface LogEntry {
  revision: number;
  key: string;
  before: Entry | undefined;
  previous: LogEntry | undefined;
}

/** {@link etcdKvModel}'s state: the whole store at one revision. */
export interface EtcdKvState {
  revision: number;
  keys: ReadonlyMap<string, Entry>;
  log: LogEntry | undefined;
  /** Canonical text of revision and keys, and a hash of it and of the log. */
  id: string;
  hash: number;
}

function entryText(key: string, e: Entry): string {
  return `${JSON.stringify(key)}=${JSON.stringify(e.value)},${e.version},${e.createRevision},${e.modRevision},${e.lease}`;
}

function makeState(revision: number, keys: ReadonlyMap<string, Entry>, log: LogEntry | undefined, logHash: number): EtcdKvState {
  let id = String(revision);
  for (const key of [...keys.keys()].sort()) id += `|${entryText(key, keys.get(key)!)}`;
  let hash = 0x811c9dc5 ^ logHash;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return { revision, keys, log, id, hash: hash >>> 0 };
}

function copyOf(state: EtcdKvState): EtcdKvState {
  return { ...state };
}

const logHashes = new WeakMap<LogEntry, number>();

function logHashOf(log: LogEntry | undefined): number {
  return log === undefined ? 0 : (logHashes.get(log) ?? 0);
}

function sameLog(a: LogEntry | undefined, b: LogEntry | undefined): boolean {
  while (a !== b) {
    if (a === undefined || b === undefined || a.revision !== b.revision || a.key !== b.key) return false;
    if (a.before !== b.before && (a.before === undefined || b.before === undefined || entryText(a.key, a.before) !== entryText(b.key, b.before))) return false;
    a = a.previous;
    b = b.previous;
  }
  return true;
}

/** The keys as of `revision` (≤ the state's). */
function keysAt(state: EtcdKvState, revision: number): ReadonlyMap<string, Entry> {
  if (revision >= state.revision) return state.keys;
  const keys = new Map(state.keys);
  for (let at = state.log; at !== undefined && at.revision > revision; at = at.previous) {
    if (at.before === undefined) keys.delete(at.key);
    else keys.set(at.key, at.before);
  }
  return keys;
}

// ---------------------------------------------------------------- semantics

function sortedKeysIn(keys: ReadonlyMap<string, Entry>, key: string, end: string | undefined): string[] {
  if (end === undefined) return keys.has(key) ? [key] : [];
  const found: string[] = [];
  for (const k of keys.keys()) if (inRange(k, key, end)) found.push(k);
  return found.sort();
}

function kvOf(key: string, e: Entry, keysOnly = false): EtcdKv {
  return { key, value: keysOnly ? '' : e.value, version: e.version, createRevision: e.createRevision, modRevision: e.modRevision, lease: e.lease };
}

const cmp = <T extends number | string | bigint>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** etcd's Range on `keys` (v3rpc apply.go + mvcc): filters, then sort, then limit; count is before the filters. */
function range(keys: ReadonlyMap<string, Entry>, r: EtcdKvRange): EtcdKvTxnResponse {
  const names = sortedKeysIn(keys, r.key, r.end);
  const count = names.length;
  if (r.countOnly) return { kind: 'range', kvs: [], count, more: false };
  let kvs = names.map((k) => kvOf(k, keys.get(k)!));
  kvs = kvs.filter(
    (kv) =>
      !(r.maxModRevision !== 0 && kv.modRevision > r.maxModRevision) &&
      !(r.minModRevision !== 0 && kv.modRevision < r.minModRevision) &&
      !(r.maxCreateRevision !== 0 && kv.createRevision > r.maxCreateRevision) &&
      !(r.minCreateRevision !== 0 && kv.createRevision < r.minCreateRevision),
  );
  const order = r.sortTarget !== 'KEY' && r.sortOrder === 'NONE' ? 'ASCEND' : r.sortOrder;
  if (order !== 'NONE') {
    const sign = order === 'DESCEND' ? -1 : 1;
    // Go's sort.Sort as etcd 3.4.23 runs it: ties end in its (unstable) order.
    const sorted = kvs;
    goSort(
      sorted.length,
      (i, j) => sign * cmp(fieldOf(sorted[i]!.key, sorted[i]!, r.sortTarget), fieldOf(sorted[j]!.key, sorted[j]!, r.sortTarget)) < 0,
      (i, j) => {
        const t = sorted[i]!;
        sorted[i] = sorted[j]!;
        sorted[j] = t;
      },
    );
  }
  let more = false;
  if (r.limit > 0 && kvs.length > r.limit) {
    kvs = kvs.slice(0, r.limit);
    more = true;
  }
  if (r.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: '' }));
  return { kind: 'range', kvs, count, more };
}

/** A key's field by etcd's name for it, as ranges sort by it and compares read it. */
function fieldOf(key: string, e: Entry, target: EtcdSortTarget | 'LEASE'): CompareOperand {
  switch (target) {
    case 'KEY':
      return key;
    case 'VALUE':
      return e.value;
    case 'VERSION':
      return e.version;
    case 'CREATE':
      return e.createRevision;
    case 'MOD':
      return e.modRevision;
    case 'LEASE':
      return e.lease;
  }
}

const zeroEntry: Entry = { value: '', version: 0, createRevision: 0, modRevision: 0, lease: 0n };

/** etcd's applyCompare: every key in range must pass; none present compares a zero key-value (VALUE: false). */
function compareHoldsIn(keys: ReadonlyMap<string, Entry>, c: EtcdKvCompare): boolean {
  const names = sortedKeysIn(keys, c.key, c.end);
  if (names.length === 0) return c.target === 'VALUE' ? false : compareHolds(c.result, fieldOf(c.key, zeroEntry, c.target), c.operand);
  return names.every((k) => compareHolds(c.result, fieldOf(k, keys.get(k)!, c.target), c.operand));
}

/** A write in progress: copy-on-write keys, the revision it writes at. */
interface Applying {
  before: EtcdKvState;
  keys: Map<string, Entry> | undefined;
  /** Writes in order, for the undo log. */
  changed: { key: string; before: Entry | undefined }[];
  revision: number;
}

function current(at: Applying): ReadonlyMap<string, Entry> {
  return at.keys ?? at.before.keys;
}

function write(at: Applying, key: string, entry: Entry | undefined): void {
  if (at.keys === undefined) at.keys = new Map(at.before.keys);
  at.changed.push({ key, before: at.keys.get(key) });
  if (entry === undefined) at.keys.delete(key);
  else at.keys.set(key, entry);
}

/** Apply one request (compares read `snapshot`, the state before the txn, as etcd's compareToPath); undefined: etcd would fail it. */
function apply(at: Applying, snapshot: ReadonlyMap<string, Entry>, request: EtcdKvTxnRequest): EtcdKvTxnResponse | undefined {
  switch (request.kind) {
    case 'range':
      return range(current(at), request);
    case 'put': {
      const existing = current(at).get(request.key);
      if ((request.ignoreValue || request.ignoreLease) && existing === undefined) return undefined;
      write(at, request.key, {
        value: request.ignoreValue ? existing!.value : request.value,
        version: existing === undefined ? 1 : existing.version + 1,
        createRevision: existing === undefined ? at.revision : existing.createRevision,
        modRevision: at.revision,
        lease: request.ignoreLease ? existing!.lease : request.lease,
      });
      return { kind: 'put', prevKv: request.prevKv && existing !== undefined ? kvOf(request.key, existing) : undefined };
    }
    case 'delete': {
      const keys = current(at);
      const names = sortedKeysIn(keys, request.key, request.end);
      const prevKvs = request.prevKv ? names.map((k) => kvOf(k, keys.get(k)!)) : [];
      for (const k of names) write(at, k, undefined);
      return { kind: 'delete', deleted: names.length, prevKvs };
    }
    case 'txn': {
      const succeeded = request.compare.every((c) => compareHoldsIn(snapshot, c));
      const responses: EtcdKvTxnResponse[] = [];
      for (const r of succeeded ? request.success : request.failure) {
        const response = apply(at, snapshot, r);
        if (response === undefined) return undefined;
        responses.push(response);
      }
      return { kind: 'txn', succeeded, responses };
    }
  }
}

function sameKv(a: EtcdKv | undefined, b: EtcdKv | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.key === b.key &&
    a.value === b.value &&
    a.version === b.version &&
    a.createRevision === b.createRevision &&
    a.modRevision === b.modRevision &&
    a.lease === b.lease
  );
}

function sameKvs(a: readonly EtcdKv[], b: readonly EtcdKv[]): boolean {
  return a.length === b.length && a.every((kv, i) => sameKv(kv, b[i]));
}

function sameResponse(a: EtcdKvTxnResponse, b: EtcdKvTxnResponse | { kind: 'lease' }): boolean {
  switch (a.kind) {
    case 'range':
      return b.kind === 'range' && a.count === b.count && a.more === b.more && sameKvs(a.kvs, b.kvs);
    case 'put':
      return b.kind === 'put' && sameKv(a.prevKv, b.prevKv);
    case 'delete':
      return b.kind === 'delete' && a.deleted === b.deleted && sameKvs(a.prevKvs, b.prevKvs);
    case 'txn':
      return (
        b.kind === 'txn' &&
        a.succeeded === b.succeeded &&
        a.responses.length === b.responses.length &&
        a.responses.every((r, i) => sameResponse(r, b.responses[i]!))
      );
  }
}

function readsPast(request: EtcdKvRequest): boolean {
  if (request.kind === 'range') return request.revision > 0 || request.serializable;
  if (request.kind === 'txn') return [...request.success, ...request.failure].some(readsPast);
  return false;
}

function writesNothing(request: EtcdKvRequest): boolean {
  if (request.kind === 'range' || request.kind === 'leaseGrant') return true;
  if (request.kind === 'txn') return [...request.success, ...request.failure].every(writesNothing);
  return false;
}

// ---------------------------------------------------------------- the model

/** Options of {@link etcdKvModel}. */
export interface EtcdKvModelOptions {
  /** Keep the undo log even if no op reads the past. @defaultValue only when some op does */
  keepLog?: boolean;
}

/**
 * The etcd KV model; see the file comment.
 *
 * @returns a {@link Model} over {@link EtcdKvRequest} / {@link EtcdKvResponse}, one partition.
 */
export function etcdKvModel(options: EtcdKvModelOptions = {}): Model<EtcdKvState, EtcdKvRequest, EtcdKvResponse> {
  let keepLog = options.keepLog ?? true;
  const rejected = [false, makeState(0, new Map(), undefined, 0)] as const;
  return {
    partition(operations) {
      const kept = operations.filter((op) => !(op.outcome === 'unknown' && writesNothing(op.input)));
      keepLog = options.keepLog ?? kept.some((op) => readsPast(op.input));
      return [kept];
    },
    init: () => makeState(1, new Map(), undefined, 0),
    step(state, input, output) {
      if (input.kind === 'leaseGrant')
        return output === undefined || (output.revision === state.revision && output.response.kind === 'lease') ? [true, state] : rejected;
      // A serializable range reads at its header revision; other reads and every write see the present.
      if (input.kind === 'range') {
        if (output === undefined) return [true, state];
        const at = input.revision > 0 ? input.revision : input.serializable ? output.revision : state.revision;
        if (at > state.revision || (input.serializable ? output.revision > state.revision : output.revision !== state.revision)) return rejected;
        return sameResponse(range(keysAt(state, at), input), output.response) ? [true, state] : rejected;
      }
      const at: Applying = { before: state, keys: undefined, changed: [], revision: state.revision + 1 };
      let response: EtcdKvTxnResponse | { kind: 'lease' };
      if (input.kind === 'leaseRevoke') {
        for (const [key, entry] of state.keys) if (entry.lease === input.lease) write(at, key, undefined);
        response = { kind: 'lease' };
      } else {
        const applied = apply(at, state.keys, input);
        if (applied === undefined) return output === undefined ? [true, copyOf(state)] : rejected;
        response = applied;
      }
      const wrote = at.changed.length > 0;
      const revision = wrote ? at.revision : state.revision;
      if (output !== undefined) {
        if (output.revision !== revision) return rejected;
        if (response.kind === 'lease' ? output.response.kind !== 'lease' : !sameResponse(response, output.response)) return rejected;
      }
      // The very same object tells the checker "a no-op in every state" (a read); an unknown-outcome
      // write that changed nothing here may change something elsewhere, so it gets an equal copy.
      if (!wrote) return [true, output === undefined ? copyOf(state) : state];
      let log = state.log;
      let logHash = logHashOf(log);
      if (keepLog) {
        // undo in reverse: the first write to a key in this op holds its value before the op
        const firstBefore = new Map<string, Entry | undefined>();
        for (const change of at.changed) if (!firstBefore.has(change.key)) firstBefore.set(change.key, change.before);
        for (const [key, before] of firstBefore) {
          log = { revision, key, before, previous: log };
          logHash = Math.imul(logHash ^ (revision * 0x9e3779b1) ^ key.length ^ (before === undefined ? 0 : before.modRevision << 8), 0x85ebca6b) >>> 0;
          logHashes.set(log, logHash);
        }
      }
      return [true, makeState(revision, at.keys!, log, logHash)];
    },
    equal: (a, b) => a.hash === b.hash && a.id === b.id && sameLog(a.log, b.log),
    hash: (state) => state.hash,
    describeOperation: (input, output) =>
      `${describeRequest(input)} → ${output === undefined ? '?' : `rev ${output.revision} ${describeResponse(output.response)}`}`,
    describeState: (state) => state.id,
  };
}

const shown = (text: string): string => JSON.stringify(text);

function describeRequest(r: EtcdKvRequest): string {
  switch (r.kind) {
    case 'range': {
      const extras = [
        r.end === undefined ? '' : r.end === '' ? '..' : `..${shown(r.end)}`,
        r.revision > 0 ? `@${r.revision}` : '',
        r.serializable ? 'serializable' : '',
        r.sortOrder !== 'NONE' || r.sortTarget !== 'KEY' ? `sort ${r.sortTarget} ${r.sortOrder}` : '',
        r.limit > 0 ? `limit ${r.limit}` : '',
        r.maxCreateRevision > 0 ? `maxCreate ${r.maxCreateRevision}` : '',
        r.minCreateRevision > 0 ? `minCreate ${r.minCreateRevision}` : '',
        r.maxModRevision > 0 ? `maxMod ${r.maxModRevision}` : '',
        r.minModRevision > 0 ? `minMod ${r.minModRevision}` : '',
        r.keysOnly ? 'keysOnly' : '',
        r.countOnly ? 'countOnly' : '',
      ].filter((x) => x !== '');
      return `get(${shown(r.key)}${extras.length > 0 ? ` ${extras.join(' ')}` : ''})`;
    }
    case 'put':
      return `put(${shown(r.key)}, ${shown(r.value)}${r.lease !== 0n ? `, lease ${r.lease.toString(16)}` : ''})`;
    case 'delete':
      return `delete(${shown(r.key)}${r.end === undefined ? '' : r.end === '' ? '..' : `..${shown(r.end)}`})`;
    case 'txn':
      return `txn(if ${r.compare.map((c) => `${c.target}(${shown(c.key)}) ${c.result} ${typeof c.operand === 'string' ? shown(c.operand) : String(c.operand)}`).join(' && ')} then ${r.success.map(describeRequest).join('; ')} else ${r.failure.map(describeRequest).join('; ')})`;
    case 'leaseGrant':
      return 'leaseGrant';
    case 'leaseRevoke':
      return `${r.expiry ? 'leaseExpired' : 'leaseRevoke'}(${r.lease.toString(16)})`;
  }
}

function describeKv(kv: EtcdKv): string {
  return `${shown(kv.key)}=${shown(kv.value)} v${kv.version} c${kv.createRevision} m${kv.modRevision}${kv.lease !== 0n ? ` l${kv.lease.toString(16)}` : ''}`;
}

function describeResponse(r: EtcdKvTxnResponse | { kind: 'lease' }): string {
  switch (r.kind) {
    case 'range':
      return `[${r.kvs.map(describeKv).join(', ')}] count ${r.count}${r.more ? ' more' : ''}`;
    case 'put':
      return r.prevKv === undefined ? 'ok' : `prev ${describeKv(r.prevKv)}`;
    case 'delete':
      return `deleted ${r.deleted}`;
    case 'txn':
      return `${r.succeeded ? 'succeeded' : 'failed'} [${r.responses.map(describeResponse).join('; ')}]`;
    case 'lease':
      return 'ok';
  }
}

// ---------------------------------------------------------------- from etcd's messages

/** A call as the client recorded it: the method, the request message and, if it returned ok, the response. */
export interface EtcdKvCall {
  method: string;
  request: unknown;
  response?: unknown;
}

/** The model's form of a call; `ignored` for calls that neither read nor change the KV (keepalives, TTL queries). */
export type EtcdKvConversion = { ok: true; input: EtcdKvRequest; output: EtcdKvResponse | undefined } | { ok: false; ignored: boolean; reason: string };

const bin = (bytes: Uint8Array | undefined): string => toBinary(bytes ?? emptyBytes);

function rangeRequest(r: etcd.RangeRequest): EtcdKvRange {
  return {
    kind: 'range',
    key: bin(r.key),
    end: rangeEndOf(r.range_end),
    revision: r.revision ?? 0,
    serializable: r.serializable ?? false,
    limit: r.limit ?? 0,
    // An unknown sort_order sorts nothing (etcd): the same answer as NONE by KEY.
    sortOrder: typeof r.sort_order === 'number' ? 'NONE' : (r.sort_order ?? 'NONE'),
    sortTarget: typeof r.sort_order === 'number' ? 'KEY' : (r.sort_target ?? 'KEY'),
    minModRevision: r.min_mod_revision ?? 0,
    maxModRevision: r.max_mod_revision ?? 0,
    minCreateRevision: r.min_create_revision ?? 0,
    maxCreateRevision: r.max_create_revision ?? 0,
    keysOnly: r.keys_only ?? false,
    countOnly: r.count_only ?? false,
  };
}

function putRequest(r: etcd.PutRequest): EtcdKvPut {
  return {
    kind: 'put',
    key: bin(r.key),
    value: bin(r.value),
    lease: r.lease ?? 0n,
    prevKv: r.prev_kv ?? false,
    ignoreValue: r.ignore_value ?? false,
    ignoreLease: r.ignore_lease ?? false,
  };
}

function deleteRequest(r: etcd.DeleteRangeRequest): EtcdKvDelete {
  return { kind: 'delete', key: bin(r.key), end: rangeEndOf(r.range_end), prevKv: r.prev_kv ?? false };
}

function compareOf(c: etcd.Compare): EtcdKvCompare | string {
  if (typeof c.target === 'number' || typeof c.result === 'number') return 'compare with an unknown target or result number';
  return { key: bin(c.key), end: rangeEndOf(c.range_end), target: c.target ?? 'VERSION', result: c.result ?? 'EQUAL', operand: compareOperand(c) };
}

/** Each item converted, or the reason the first that could not be was not. */
function convertAll<T, U>(items: readonly T[] | undefined, convert: (item: T) => U | string): U[] | string {
  const out: U[] = [];
  for (const item of items ?? []) {
    const converted = convert(item);
    if (typeof converted === 'string') return converted;
    out.push(converted);
  }
  return out;
}

/** Converters for each field of an etcd oneof message (RequestOp, ResponseOp). */
type OneOfConverters<M, T> = { [K in keyof M]-?: (field: NonNullable<M[K]>) => T | string };

/** A oneof message converted by its field that is set (etcd sets exactly one), or `none`. */
function convertOneOf<M extends object, T>(message: M, converters: OneOfConverters<M, T>, none: string): T | string {
  for (const name in converters) {
    const field = message[name];
    if (field != null) return converters[name](field);
  }
  return none;
}

const requestOps: OneOfConverters<etcd.RequestOp, EtcdKvTxnRequest> = {
  request_range: rangeRequest,
  request_put: putRequest,
  request_delete_range: deleteRequest,
  request_txn: (txn) => txnRequest(txn),
};
const requestOp = (op: etcd.RequestOp) => convertOneOf(op, requestOps, 'empty request op');

function txnRequest(r: etcd.TxnRequest): EtcdKvTxn | string {
  const success = convertAll(r.success, requestOp);
  const failure = convertAll(r.failure, requestOp);
  const compare = convertAll(r.compare, compareOf);
  if (typeof success === 'string') return success;
  if (typeof failure === 'string') return failure;
  if (typeof compare === 'string') return compare;
  return { kind: 'txn', compare, success, failure };
}

function kvFrom(kv: etcd.KeyValue): EtcdKv {
  return {
    key: toBinary(kv.key),
    value: toBinary(kv.value),
    version: kv.version,
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
    lease: kv.lease,
  };
}

function rangeResponse(r: etcd.RangeResponse): EtcdKvTxnResponse {
  return { kind: 'range', kvs: r.kvs.map(kvFrom), count: r.count, more: r.more };
}

function putResponse(r: etcd.PutResponse): EtcdKvTxnResponse {
  return { kind: 'put', prevKv: r.prev_kv === undefined ? undefined : kvFrom(r.prev_kv) };
}

function deleteResponse(r: etcd.DeleteRangeResponse): EtcdKvTxnResponse {
  return { kind: 'delete', deleted: r.deleted, prevKvs: (r.prev_kvs ?? []).map(kvFrom) };
}

const responseOps: OneOfConverters<etcd.ResponseOp, EtcdKvTxnResponse> = {
  response_range: rangeResponse,
  response_put: putResponse,
  response_delete_range: deleteResponse,
  response_txn: (txn) => txnResponse(txn),
};

function txnResponse(r: etcd.TxnResponse): EtcdKvTxnResponse | string {
  const responses = convertAll(r.responses as readonly etcd.ResponseOp[], (op) => convertOneOf(op, responseOps, 'empty response op'));
  return typeof responses === 'string' ? responses : { kind: 'txn', succeeded: r.succeeded, responses };
}

/**
 * Turn a client call (etcd's request and response messages) into the
 * model's form. Keys and values become binary strings (one char per byte).
 * KV calls and leaseGrant / leaseRevoke are followed; keepalives and other
 * lease queries are `ignored` (they neither read nor change the KV).
 */
export function etcdKvFromMessages(call: EtcdKvCall): EtcdKvConversion {
  const header = (response: unknown): number => (response as { header: { revision: number } }).header.revision;
  const done = (input: EtcdKvRequest, output: (revision: number) => EtcdKvResponse['response']): EtcdKvConversion => ({
    ok: true,
    input,
    output: call.response === undefined ? undefined : { revision: header(call.response), response: output(header(call.response)) },
  });
  switch (call.method) {
    case 'range':
      return done(rangeRequest(call.request as etcd.RangeRequest), () => rangeResponse(call.response as etcd.RangeResponse));
    case 'put':
      return done(putRequest(call.request as etcd.PutRequest), () => putResponse(call.response as etcd.PutResponse));
    case 'deleteRange':
      return done(deleteRequest(call.request as etcd.DeleteRangeRequest), () => deleteResponse(call.response as etcd.DeleteRangeResponse));
    case 'txn': {
      const input = txnRequest(call.request as etcd.TxnRequest);
      if (typeof input === 'string') return { ok: false, ignored: false, reason: input };
      if (call.response === undefined) return { ok: true, input, output: undefined };
      const output = txnResponse(call.response as etcd.TxnResponse);
      if (typeof output === 'string') return { ok: false, ignored: false, reason: output };
      return { ok: true, input, output: { revision: header(call.response), response: output } };
    }
    case 'leaseGrant':
      return done({ kind: 'leaseGrant' }, () => ({ kind: 'lease' }));
    case 'leaseRevoke':
      return done({ kind: 'leaseRevoke', lease: (call.request as { ID?: bigint }).ID ?? 0n, expiry: false }, () => ({ kind: 'lease' }));
    default:
      return { ok: false, ignored: true, reason: `${call.method} neither reads nor changes the KV` };
  }
}
