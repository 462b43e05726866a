/**
 * The differential test's commands: what fast-check generates, how one
 * command becomes a raw gRPC request for one server (revisions relative to
 * the sequence's baseline, lease slots resolved to that server's IDs), and
 * how an answer is normalized so that two servers' answers compare equal
 * exactly when they agree on everything a client could rely on.
 *
 * Normalized away (and only this): cluster/member IDs and raft term in
 * headers; server-chosen lease IDs (replaced by slot names); revisions, made
 * relative to the revision the sequence started at (sequences share one
 * server and differ by key prefix); Status's sizes, leader and raft index;
 * a TimeToLive's remaining TTL within 2 s of the granted TTL (wall time);
 * TimeToLive key order (a Go map); and how watch events are grouped into
 * responses and the header revision of a catch-up response (etcd's 100 ms
 * resync decides both). Leases from other sequences are left out of Leases.
 */
import fc from 'fast-check';

// ---------------------------------------------------------------- commands

/** A key of the sequence: prefix + name. */
export type KeyName = 'a' | 'b' | 'c' | 'd/1' | 'd/2' | 'e';
/** How a range or watch ends: one key, a prefix, from the key on ("\0"), [key, to), or an empty range (to <= key). */
export type RangeEnd = { kind: 'one' } | { kind: 'prefix' } | { kind: 'fromKey' } | { kind: 'to'; to: KeyName };
/** A revision relative to the sequence's start (r > 0 → base + r), or a raw int64 string (0, negatives, huge). */
export type Rev = { rel: number } | { raw: string };
/** A lease: slot i of this sequence (its ID as the server chose or as we asked), or an ID nobody granted. */
export type LeaseRef = { slot: number } | { unknown: true };

export type Op =
  | { op: 'put'; key: KeyName; value: string; lease?: LeaseRef; prevKv?: boolean; ignoreValue?: boolean; ignoreLease?: boolean }
  | {
      op: 'get';
      key: KeyName;
      end: RangeEnd;
      limit?: string;
      rev?: Rev;
      sortOrder?: string | number;
      sortTarget?: string;
      keysOnly?: boolean;
      countOnly?: boolean;
      serializable?: boolean;
      minMod?: Rev;
      maxMod?: Rev;
      minCreate?: Rev;
      maxCreate?: Rev;
    }
  | { op: 'del'; key: KeyName; end: RangeEnd; prevKv?: boolean }
  | { op: 'txn'; txn: Txn };

export interface Compare {
  key: KeyName;
  end?: RangeEnd;
  target: string | number;
  result: string | number;
  operand: { version: number } | { create: Rev } | { mod: Rev } | { value: string } | { lease: LeaseRef };
}
export interface Txn {
  compare: Compare[];
  success: (Op | { op: 'txn'; txn: Txn })[];
  failure: (Op | { op: 'txn'; txn: Txn })[];
}

export type Command =
  | Op
  | { op: 'compact'; rev: Rev; physical?: boolean }
  | { op: 'grant'; slot: number; id: 'server' | 'small' | 'huge' | 'negative'; ttl: number }
  | { op: 'revoke'; lease: LeaseRef }
  | { op: 'keepalive'; lease: LeaseRef }
  | { op: 'ttl'; lease: LeaseRef; keys: boolean }
  | { op: 'leases' }
  | {
      op: 'watch';
      key: KeyName;
      end: RangeEnd;
      start?: Rev;
      prevKv?: boolean;
      filters?: (string | number)[];
      progressNotify?: boolean;
      fragment?: boolean;
      watchId?: string;
    }
  | { op: 'cancel'; watchId: string }
  | { op: 'progress' }
  | { op: 'status' };

const keyName = fc.constantFrom<KeyName>('a', 'b', 'c', 'd/1', 'd/2', 'e');
const rangeEnd: fc.Arbitrary<RangeEnd> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'one' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'prefix' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'fromKey' as const }) },
  { weight: 2, arbitrary: keyName.map((to) => ({ kind: 'to' as const, to })) },
);
const rev: fc.Arbitrary<Rev> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 14 }).map((rel) => ({ rel })) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-1', '-3', '9223372036854775807', '9007199254740993', '-9223372036854775808').map((raw) => ({ raw })) },
);
const leaseRef: fc.Arbitrary<LeaseRef> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 2 }).map((slot) => ({ slot })) },
  { weight: 1, arbitrary: fc.constant({ unknown: true as const }) },
);
const value = fc.constantFrom('', 'x', 'y', 'zz', 'x\u0000');
const int64Text = fc.constantFrom('0', '1', '2', '3', '-1', '9223372036854775807');

const put = fc.record(
  { op: fc.constant('put' as const), key: keyName, value, lease: leaseRef, prevKv: fc.boolean(), ignoreValue: fc.boolean(), ignoreLease: fc.boolean() },
  { requiredKeys: ['op', 'key', 'value'] },
);
const get = fc.record(
  {
    op: fc.constant('get' as const),
    key: keyName,
    end: rangeEnd,
    limit: int64Text,
    rev,
    sortOrder: fc.constantFrom<string | number>('NONE', 'ASCEND', 'DESCEND', 5),
    sortTarget: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
    keysOnly: fc.boolean(),
    countOnly: fc.boolean(),
    serializable: fc.boolean(),
    minMod: rev,
    maxMod: rev,
    minCreate: rev,
    maxCreate: rev,
  },
  { requiredKeys: ['op', 'key', 'end'] },
);
const del = fc.record({ op: fc.constant('del' as const), key: keyName, end: rangeEnd, prevKv: fc.boolean() }, { requiredKeys: ['op', 'key', 'end'] });
const compare: fc.Arbitrary<Compare> = fc.record(
  {
    key: keyName,
    end: rangeEnd,
    target: fc.constantFrom<string | number>('VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE', 7),
    result: fc.constantFrom<string | number>('EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL', 9),
    operand: fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((version) => ({ version })),
      rev.map((create) => ({ create })),
      rev.map((mod) => ({ mod })),
      value.map((v) => ({ value: v })),
      leaseRef.map((lease) => ({ lease })),
    ),
  },
  { requiredKeys: ['key', 'target', 'result', 'operand'] },
);
const { txn } = fc.letrec((tie) => ({
  txn: fc.record({
    compare: fc.array(compare, { maxLength: 3 }),
    success: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, put, get, del, tie('nested')), { maxLength: 3 }),
    failure: fc.array(fc.oneof({ depthSize: 'small', withCrossShrink: true }, put, get, del, tie('nested')), { maxLength: 3 }),
  }),
  nested: fc.record({ op: fc.constant('txn' as const), txn: tie('txn') }),
})) as { txn: fc.Arbitrary<Txn> };

export const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: put },
  { weight: 5, arbitrary: get },
  { weight: 2, arbitrary: del },
  { weight: 4, arbitrary: txn.map((t) => ({ op: 'txn' as const, txn: t })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const), rev, physical: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('grant' as const),
      slot: fc.integer({ min: 0, max: 2 }),
      id: fc.constantFrom<'server' | 'small' | 'huge' | 'negative'>('server', 'small', 'huge', 'negative'),
      // Long enough never to expire during a run (expiry has a test of its own); 0 and huge too.
      ttl: fc.constantFrom(0, 100, 300, 9_000_000_000, 9_000_000_001),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revoke' as const), lease: leaseRef }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('keepalive' as const), lease: leaseRef }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ttl' as const), lease: leaseRef, keys: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'leases' as const }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        op: fc.constant('watch' as const),
        key: keyName,
        end: rangeEnd,
        start: rev,
        prevKv: fc.boolean(),
        filters: fc.array(fc.constantFrom<string | number>('NOPUT', 'NODELETE', 4), { maxLength: 2 }),
        progressNotify: fc.boolean(),
        fragment: fc.boolean(),
        watchId: fc.constantFrom('1', '2', '9223372036854775807'),
      },
      { requiredKeys: ['op', 'key', 'end'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), watchId: fc.constantFrom('0', '1', '2', '9223372036854775807') }) },
  { weight: 1, arbitrary: fc.constant({ op: 'progress' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'status' as const }) },
);

// ---------------------------------------------------------------- requests

/** What a server's requests and answers are translated with. */
export interface ServerView {
  prefix: string;
  /** The revision the sequence started at, on this server. */
  base: number;
  /** Lease slot → the ID this server has for it. */
  slots: Map<number, string>;
  /** This server's lease ID → slot name, for answers. */
  names: Map<string, string>;
  /** An ID no sequence grants. */
  unknownLease: string;
  /** Explicit IDs this sequence asks for: slot → ID. */
  explicitIds: (slot: number, kind: 'small' | 'huge' | 'negative') => string;
}

const bytes = (text: string) => Buffer.from(text, 'latin1');

export function keyOf(view: ServerView, key: KeyName): Buffer {
  return bytes(view.prefix + key);
}

function endOf(view: ServerView, key: KeyName, end: RangeEnd | undefined): Buffer | undefined {
  if (end === undefined || end.kind === 'one') return undefined;
  if (end.kind === 'fromKey') return Buffer.from([0]);
  if (end.kind === 'to') return keyOf(view, end.to);
  const prefix = keyOf(view, key);
  const out = Buffer.from(prefix);
  out[out.length - 1]! += 1;
  return out;
}

export function revOf(view: ServerView, r: Rev | undefined): string | undefined {
  if (r === undefined) return undefined;
  if ('raw' in r) return r.raw;
  return String(view.base + r.rel);
}

export function leaseOf(view: ServerView, ref: LeaseRef | undefined): string | undefined {
  if (ref === undefined) return undefined;
  if ('unknown' in ref) return view.unknownLease;
  return view.slots.get(ref.slot) ?? view.unknownLease;
}

type Plain = Record<string, unknown>;

export function opRequest(view: ServerView, op: Op | { op: 'txn'; txn: Txn }): { method: 'Put' | 'Range' | 'DeleteRange' | 'Txn'; request: Plain } {
  switch (op.op) {
    case 'put':
      return {
        method: 'Put',
        request: {
          key: keyOf(view, op.key),
          value: bytes(op.value),
          lease: leaseOf(view, op.lease),
          prev_kv: op.prevKv,
          ignore_value: op.ignoreValue,
          ignore_lease: op.ignoreLease,
        },
      };
    case 'get':
      return {
        method: 'Range',
        request: {
          key: keyOf(view, op.key),
          range_end: endOf(view, op.key, op.end),
          limit: op.limit,
          revision: revOf(view, op.rev),
          sort_order: op.sortOrder,
          sort_target: op.sortTarget,
          keys_only: op.keysOnly,
          count_only: op.countOnly,
          serializable: op.serializable,
          min_mod_revision: revOf(view, op.minMod),
          max_mod_revision: revOf(view, op.maxMod),
          min_create_revision: revOf(view, op.minCreate),
          max_create_revision: revOf(view, op.maxCreate),
        },
      };
    case 'del':
      return { method: 'DeleteRange', request: { key: keyOf(view, op.key), range_end: endOf(view, op.key, op.end), prev_kv: op.prevKv } };
    case 'txn':
      return { method: 'Txn', request: txnRequest(view, op.txn) };
  }
}

function txnRequest(view: ServerView, txn: Txn): Plain {
  const requestOp = (op: Op | { op: 'txn'; txn: Txn }): Plain => {
    const { method, request } = opRequest(view, op);
    const field = method === 'Put' ? 'request_put' : method === 'Range' ? 'request_range' : method === 'DeleteRange' ? 'request_delete_range' : 'request_txn';
    return { [field]: request };
  };
  return {
    compare: txn.compare.map((c) => {
      const out: Plain = { key: keyOf(view, c.key), range_end: endOf(view, c.key, c.end), target: c.target, result: c.result };
      const o = c.operand;
      if ('version' in o) out.version = String(o.version);
      else if ('create' in o) out.create_revision = revOf(view, o.create);
      else if ('mod' in o) out.mod_revision = revOf(view, o.mod);
      else if ('value' in o) out.value = bytes(o.value);
      else out.lease = leaseOf(view, o.lease);
      return out;
    }),
    success: txn.success.map(requestOp),
    failure: txn.failure.map(requestOp),
  };
}

// ---------------------------------------------------------------- normalizing answers

const revisionFields = new Set(['revision', 'create_revision', 'mod_revision', 'compact_revision']);
const leaseFields = new Set(['ID', 'lease']);
const dropped = new Set(['cluster_id', 'member_id', 'raft_term', 'dbSize', 'dbSizeInUse', 'leader', 'raftIndex', 'raftAppliedIndex']);

/** An answer with revisions relative to the base and lease IDs named by slot. */
export function normalize(view: ServerView, value: unknown, field = ''): unknown {
  if (Array.isArray(value)) return value.map((item) => normalize(view, item, field));
  if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (dropped.has(key)) continue;
      out[key] = normalize(view, item, key);
    }
    return out;
  }
  if (typeof value === 'string' && revisionFields.has(field) && /^\d+$/.test(value) && Number(value) > 0) {
    return `r${Number(value) - view.base}`;
  }
  if (typeof value === 'string' && leaseFields.has(field)) return view.names.get(value) ?? value;
  if (typeof value === 'string' && field === 'key') {
    const text = Buffer.from(value, 'base64').toString('latin1');
    return text.startsWith(view.prefix) ? `~${text.slice(view.prefix.length)}` : text;
  }
  return value;
}
