/**
 * A model of etcd's KV as a client sees it: values, versions and revisions in
 * responses. Ops are a simplified form of etcd's messages on single keys:
 * range (get), put, delete, and txn (compares on value, version, create and
 * mod revision; branches of range/put/delete).
 *
 *   put(a, "1") → rev 2        state: rev ≥ 2, a = "1" v1 c2 m2
 *   get(a)      → rev 3, "1" v1 c2 m2    (rev 3: another key was written)
 *   put(a, "2") → rev 2        illegal: a write's revision must be above every revision seen
 *
 * What is checked, per linearization: a key's value, version, create and mod
 * revision as responses show them; header revisions never go down, and a
 * write (put, delete that deleted, txn that wrote) has one above every
 * revision seen before it. The store's revision is a lower bound: writes to
 * keys in other partitions, and deletions by lease expiry, raise it unseen
 * (add server-side deletions to the history as ops if the check needs them).
 *
 * Unknown outcomes: a write whose response was lost took effect at some
 * revision the model does not know; the key's revisions are then "unknown,
 * above n" until a read shows them. A txn whose compare depends on something
 * unknown leaves the keys it could write unknown altogether. Reads bind
 * unknowns to what they show. Everything here errs towards accepting: an
 * `illegal` verdict is always real.
 *
 * The history is partitioned by key (ops that touch several keys — txns —
 * join their keys' partitions), so revisions are compared per partition.
 */
import { emptyBytes, toBinary } from '../../store/bytes.ts';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../store/messages.ts';
import type { Operation } from '../history.ts';
import type { Model } from '../linearizability.ts';

/** Compare results and targets, as in etcd's Compare message. */
export interface EtcdCompare {
  key: string;
  target: 'value' | 'version' | 'create' | 'mod';
  result: 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS';
  /** A string for `value`, a number otherwise. */
  operand: string | number;
}

/** A request on one key, or a txn. */
export type EtcdKvRequest =
  | { kind: 'range'; key: string }
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'txn'; compare: readonly EtcdCompare[]; success: readonly EtcdTxnRequest[]; failure: readonly EtcdTxnRequest[] };

/** A request inside a txn branch. */
export type EtcdTxnRequest = Exclude<EtcdKvRequest, { kind: 'txn' }>;

/** A key-value as a range returns it. */
export interface EtcdKv {
  value: string;
  version: number;
  createRevision: number;
  modRevision: number;
}

/** A response; `revision` is the header revision. Responses inside a txn carry the txn's. */
export type EtcdKvResponse =
  | { kind: 'range'; revision: number; kv: EtcdKv | undefined }
  | { kind: 'put'; revision: number }
  | { kind: 'delete'; revision: number; deleted: number }
  | { kind: 'txn'; revision: number; succeeded: boolean; responses: readonly EtcdTxnResponse[] };

/** A response inside a txn. */
export type EtcdTxnResponse = Exclude<EtcdKvResponse, { kind: 'txn' }>;

/** An operation on etcd's KV. */
export type EtcdKvOperation = Operation<EtcdKvRequest, EtcdKvResponse>;

/**
 * One key as far as the linearization so far tells. `undefined` / -1 / 0 mean
 * unknown; an unknown revision is above `after`.
 */
interface KeyState {
  exists: boolean | undefined;
  value: string | undefined;
  version: number;
  createRevision: number;
  modRevision: number;
  after: number;
}

/** The model's state: the revision lower bound and the keys of the partition. */
export interface EtcdKvState {
  revision: number;
  keys: ReadonlyMap<string, KeyState>;
  /** Canonical text of the state (for equality) and its hash. */
  id: string;
  hash: number;
}

const absent: KeyState = { exists: false, value: undefined, version: 0, createRevision: 0, modRevision: 0, after: 0 };

function makeState(revision: number, keys: ReadonlyMap<string, KeyState>): EtcdKvState {
  const parts = [String(revision)];
  for (const key of [...keys.keys()].sort()) {
    const k = keys.get(key)!;
    parts.push(
      `${JSON.stringify(key)}=${k.exists === undefined ? '?' : k.exists ? JSON.stringify(k.value ?? null) : '-'},${k.version},${k.createRevision},${k.modRevision},${k.after}`,
    );
  }
  const id = parts.join('|');
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return { revision, keys, id, hash: hash >>> 0 };
}

const rejected = [false, makeState(0, new Map())] as const;

/** Does `seen` fit `expected` (0 = unknown above `after`)? */
function revisionFits(expected: number, seen: number, after: number): boolean {
  return expected === 0 ? seen > after : expected === seen;
}

/** A read of `key` showing `kv`: the key state after binding unknowns, or undefined if impossible. */
function bindRead(state: KeyState, kv: EtcdKv | undefined): KeyState | undefined {
  if (kv === undefined) return state.exists === true ? undefined : absent;
  if (state.exists === false) return undefined;
  if (state.value !== undefined && state.value !== kv.value) return undefined;
  if (state.version >= 0 && state.exists === true && state.version !== kv.version) return undefined;
  if (!revisionFits(state.createRevision, kv.createRevision, state.after)) return undefined;
  if (!revisionFits(state.modRevision, kv.modRevision, state.after)) return undefined;
  return { exists: true, value: kv.value, version: kv.version, createRevision: kv.createRevision, modRevision: kv.modRevision, after: 0 };
}

/** Evaluate a compare; undefined when it depends on something unknown. */
function evaluate(state: KeyState, compare: EtcdCompare): boolean | undefined {
  let actual: string | number | undefined;
  if (compare.target === 'value') actual = state.exists === false ? undefined : state.value;
  else if (state.exists === false) actual = 0;
  else if (compare.target === 'version') actual = state.version >= 0 && state.exists === true ? state.version : undefined;
  else if (compare.target === 'create') actual = state.createRevision === 0 ? undefined : state.createRevision;
  else actual = state.modRevision === 0 ? undefined : state.modRevision;
  if (compare.target === 'value' && state.exists === false) return false; // etcd: a value compare on a missing key fails
  if (actual === undefined) return undefined;
  const operand = compare.operand;
  switch (compare.result) {
    case 'EQUAL':
      return actual === operand;
    case 'NOT_EQUAL':
      return actual !== operand;
    case 'GREATER':
      return actual > operand;
    case 'LESS':
      return actual < operand;
  }
}

/** Keys an op touches. */
export function etcdKvKeys(request: EtcdKvRequest): string[] {
  if (request.kind !== 'txn') return [request.key];
  return [...new Set([...request.compare.map((c) => c.key), ...request.success.map((r) => r.key), ...request.failure.map((r) => r.key)])];
}

/** Union of keys touched by the same op; one partition per group, in history order. Unknown-outcome ranges are dropped. */
function partitionByKeys(operations: readonly EtcdKvOperation[]): EtcdKvOperation[][] {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root) ?? (parent.set(root, root), root);
    parent.set(key, root);
    return root;
  };
  const kept = operations.filter((op) => !(op.input.kind === 'range' && op.outcome === 'unknown'));
  for (const op of kept) {
    const keys = etcdKvKeys(op.input);
    for (const key of keys) find(key);
    for (const key of keys.slice(1)) parent.set(find(key), find(keys[0]!));
  }
  const groups = new Map<string, EtcdKvOperation[]>();
  for (const op of kept) {
    const root = find(etcdKvKeys(op.input)[0] ?? '');
    const list = groups.get(root) ?? [];
    list.push(op);
    groups.set(root, list);
  }
  return [...groups.values()];
}

interface Applying {
  keys: Map<string, KeyState>;
  /** The write revision (0 = unknown). */
  revision: number;
  /** Revision lower bound before the op. */
  before: number;
  wrote: boolean;
}

/** Apply one request of an op; false if the response is impossible. */
function apply(at: Applying, request: EtcdTxnRequest, response: EtcdTxnResponse | undefined): boolean {
  const key = at.keys.get(request.key) ?? absent;
  if (request.kind === 'range') {
    if (response === undefined) return true;
    if (response.kind !== 'range') return false;
    const bound = bindRead(key, response.kv);
    if (bound === undefined) return false;
    at.keys.set(request.key, bound);
    return true;
  }
  if (request.kind === 'put') {
    if (response !== undefined && response.kind !== 'put') return false;
    at.wrote = true;
    const existed = key.exists;
    at.keys.set(request.key, {
      exists: true,
      value: request.value,
      version: existed === false ? 1 : existed === true && key.version >= 0 ? key.version + 1 : -1,
      createRevision: existed === false ? at.revision : existed === true ? key.createRevision : 0,
      modRevision: at.revision,
      after: at.before,
    });
    return true;
  }
  // delete
  if (response !== undefined && (response.kind !== 'delete' || (key.exists !== undefined && response.deleted !== (key.exists ? 1 : 0)))) return false;
  const deleted = response === undefined ? key.exists !== false : response.deleted > 0;
  if (deleted) at.wrote = true;
  at.keys.set(request.key, absent);
  return true;
}

/** All fields unknown: the key may or may not have been written by an op the model could not follow. */
function unknownKey(after: number): KeyState {
  return { exists: undefined, value: undefined, version: -1, createRevision: 0, modRevision: 0, after };
}

/**
 * The etcd KV model, partitioned by (groups of) keys.
 *
 * @returns a {@link Model} over {@link EtcdKvRequest} / {@link EtcdKvResponse}.
 */
export function etcdKvModel(): Model<EtcdKvState, EtcdKvRequest, EtcdKvResponse> {
  return {
    partition: partitionByKeys,
    init: () => makeState(1, new Map()),
    step(state, input, output) {
      if (output !== undefined && output.revision < state.revision) return rejected;
      const at: Applying = { keys: new Map(state.keys), revision: output?.revision ?? 0, before: state.revision, wrote: false };
      if (input.kind !== 'txn') {
        if (output !== undefined && output.kind !== input.kind) return rejected;
        if (!apply(at, input, output as EtcdTxnResponse | undefined)) return rejected;
      } else {
        if (output !== undefined && output.kind !== 'txn') return rejected;
        const results = input.compare.map((compare) => evaluate(state.keys.get(compare.key) ?? absent, compare));
        const decided = results.every((result) => result !== undefined) ? results.every((result) => result) : undefined;
        if (output === undefined && decided === undefined) {
          // Could not tell which branch ran: every key either branch writes becomes unknown.
          for (const request of [...input.success, ...input.failure]) if (request.kind !== 'range') at.keys.set(request.key, unknownKey(state.revision));
          return [true, makeState(state.revision + 1, at.keys)];
        }
        const succeeded = output?.succeeded ?? decided!;
        if (decided !== undefined && decided !== succeeded) return rejected;
        const branch = succeeded ? input.success : input.failure;
        if (output !== undefined && output.responses.length !== branch.length) return rejected;
        for (let i = 0; i < branch.length; i++) if (!apply(at, branch[i]!, output?.responses[i])) return rejected;
      }
      if (output === undefined) return [true, makeState(state.revision + (at.wrote ? 1 : 0), at.keys)];
      if (at.wrote && output.revision <= state.revision) return rejected;
      return [true, makeState(output.revision, at.keys)];
    },
    equal: (a, b) => a.hash === b.hash && a.id === b.id,
    hash: (state) => state.hash,
    describeOperation(input, output) {
      const request = (r: EtcdKvRequest): string =>
        r.kind === 'txn'
          ? `txn(if ${r.compare.map((c) => `${c.target}(${c.key}) ${c.result} ${JSON.stringify(c.operand)}`).join(' && ')} then ${r.success.map(request).join('; ')} else ${r.failure.map(request).join('; ')})`
          : r.kind === 'put'
            ? `put(${r.key}, ${JSON.stringify(r.value)})`
            : `${r.kind}(${r.key})`;
      if (output === undefined) return `${request(input)} → ?`;
      const detail =
        output.kind === 'range'
          ? ` ${output.kv === undefined ? 'none' : `${JSON.stringify(output.kv.value)} v${output.kv.version} c${output.kv.createRevision} m${output.kv.modRevision}`}`
          : output.kind === 'txn'
            ? ` ${output.succeeded ? 'succeeded' : 'failed'}`
            : output.kind === 'delete'
              ? ` deleted ${output.deleted}`
              : '';
      return `${request(input)} → rev ${output.revision}${detail}`;
    },
    describeState: (state) => state.id,
  };
}

// ---------------------------------------------------------------- from etcd's messages

/** An etcd KV call as the client recorded it: the method, etcd's request message and, if it returned ok, the response. */
export type EtcdKvCall =
  | { method: 'range'; request: RangeRequest; response?: RangeResponse }
  | { method: 'put'; request: PutRequest; response?: PutResponse }
  | { method: 'deleteRange'; request: DeleteRangeRequest; response?: DeleteRangeResponse }
  | { method: 'txn'; request: TxnRequest; response?: TxnResponse };

/** The model's form of an etcd call, or why the model cannot follow it. */
export type EtcdKvConversion = { ok: true; input: EtcdKvRequest; output: EtcdKvResponse | undefined } | { ok: false; reason: string };

const compareTargets = { VALUE: 'value', VERSION: 'version', CREATE: 'create', MOD: 'mod' } as const;

function requestOp(op: RequestOp): EtcdTxnRequest | string {
  if (op.request_range) return rangeRequest(op.request_range);
  if (op.request_put) return putRequest(op.request_put);
  if (op.request_delete_range) return deleteRequest(op.request_delete_range);
  return op.request_txn ? 'nested txn' : 'empty request op';
}

function rangeRequest(request: RangeRequest): EtcdTxnRequest | string {
  if (request.range_end !== undefined && request.range_end.length > 0) return 'range over several keys';
  if (request.revision !== undefined && request.revision > 0) return 'read at a past revision';
  if (request.serializable) return 'serializable read';
  if (request.count_only || request.keys_only) return 'count-only or keys-only read';
  return { kind: 'range', key: toBinary(request.key ?? emptyBytes) };
}

function putRequest(request: PutRequest): EtcdTxnRequest | string {
  if (request.ignore_value) return 'put with ignore_value';
  return { kind: 'put', key: toBinary(request.key ?? emptyBytes), value: toBinary(request.value ?? emptyBytes) };
}

function deleteRequest(request: DeleteRangeRequest): EtcdTxnRequest | string {
  if (request.range_end !== undefined && request.range_end.length > 0) return 'delete over several keys';
  return { kind: 'delete', key: toBinary(request.key ?? emptyBytes) };
}

function kvOf(kvs: readonly KeyValue[]): EtcdKv | undefined {
  const kv = kvs[0];
  return kv && { value: toBinary(kv.value), version: kv.version, createRevision: kv.create_revision, modRevision: kv.mod_revision };
}

function responseOp(op: ResponseOp, revision: number): EtcdTxnResponse | string {
  if (op.response_range) return { kind: 'range', revision, kv: kvOf(op.response_range.kvs) };
  if (op.response_put) return { kind: 'put', revision };
  if (op.response_delete_range) return { kind: 'delete', revision, deleted: op.response_delete_range.deleted };
  return 'nested txn response';
}

/**
 * Turn an etcd KV call (request and response messages) into the model's form.
 * Keys and values become binary strings (one char per byte, src/store/bytes.ts).
 * Not followed (reported with a reason): ranges over several keys, reads at a
 * past revision, serializable reads, nested txns, lease compares.
 */
export function etcdKvFromMessages(call: EtcdKvCall): EtcdKvConversion {
  const fail = (reason: string): EtcdKvConversion => ({ ok: false, reason });
  switch (call.method) {
    case 'range':
    case 'put':
    case 'deleteRange': {
      const input =
        call.method === 'range'
          ? rangeRequest(call.request)
          : call.method === 'put'
            ? putRequest(call.request as PutRequest)
            : deleteRequest(call.request as DeleteRangeRequest);
      if (typeof input === 'string') return fail(input);
      const response = call.response;
      if (response === undefined) return { ok: true, input, output: undefined };
      const revision = response.header.revision;
      if (call.method === 'range') return { ok: true, input, output: { kind: 'range', revision, kv: kvOf((response as RangeResponse).kvs) } };
      if (call.method === 'put') return { ok: true, input, output: { kind: 'put', revision } };
      return { ok: true, input, output: { kind: 'delete', revision, deleted: (response as DeleteRangeResponse).deleted } };
    }
    case 'txn': {
      const compare: EtcdCompare[] = [];
      for (const c of call.request.compare ?? []) {
        if (c.range_end !== undefined && c.range_end.length > 0) return fail('compare over several keys');
        const target = c.target ?? 'VERSION';
        if (typeof target === 'number' || typeof c.result === 'number') return fail('compare with an unknown target or result number');
        if (target === 'LEASE') return fail('lease compare');
        const operand =
          target === 'VALUE'
            ? toBinary(c.value ?? emptyBytes)
            : target === 'VERSION'
              ? (c.version ?? 0)
              : target === 'CREATE'
                ? (c.create_revision ?? 0)
                : (c.mod_revision ?? 0);
        compare.push({ key: toBinary(c.key ?? emptyBytes), target: compareTargets[target], result: c.result ?? 'EQUAL', operand });
      }
      const branch = (ops: readonly RequestOp[] | undefined): EtcdTxnRequest[] | string => {
        const out: EtcdTxnRequest[] = [];
        for (const op of ops ?? []) {
          const converted = requestOp(op);
          if (typeof converted === 'string') return converted;
          out.push(converted);
        }
        return out;
      };
      const success = branch(call.request.success);
      const failure = branch(call.request.failure);
      if (typeof success === 'string') return fail(success);
      if (typeof failure === 'string') return fail(failure);
      const input: EtcdKvRequest = { kind: 'txn', compare, success, failure };
      if (call.response === undefined) return { ok: true, input, output: undefined };
      const revision = call.response.header.revision;
      const responses: EtcdTxnResponse[] = [];
      for (const op of call.response.responses) {
        const converted = responseOp(op, revision);
        if (typeof converted === 'string') return fail(converted);
        responses.push(converted);
      }
      return { ok: true, input, output: { kind: 'txn', revision, succeeded: call.response.succeeded, responses } };
    }
  }
}
