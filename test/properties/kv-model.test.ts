// Model-based test: the KV store against the pure reference model, with the
// whole store checked against the model (every retained revision) after each
// command. Reproducible: LEASELAB_SEED (default 42); fast-check prints seed and path on failure.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { CompactedError, FutureRevisionError } from '../../src/store/errors.ts';
import { KvStore } from '../../src/store/kv-store.ts';
import type { RequestOp } from '../../src/store/messages.ts';
import { FakeLeases } from '../store/kv-fixtures.ts';
import {
  applyWrite,
  bytesOf,
  compactModel,
  currentOf,
  emptyModel,
  keysIn,
  type KvModel,
  latestOf,
  type ModelOp,
  type ModelState,
  modelKvOf,
  rangeEndOf,
  readAt,
} from './kv-reference-model.ts';
import { casesFor } from '../quick-tier.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);
const leaseIds = [0n, 7n, 2n ** 60n];

interface Real {
  store: KvStore;
}
interface Box {
  model: KvModel;
}

const stateList = (state: ModelState, keys: string[]) => keys.map((k) => ({ key: k, ...state.get(k)! }));

function expectError(run: () => unknown, kind: 'compacted' | 'future'): void {
  expect(run).toThrow(kind === 'compacted' ? CompactedError : FutureRevisionError);
}

/** Invariants after every command: revisions agree and every retained revision reads as the model's. */
function checkInvariants(box: Box, real: Real): void {
  const { model } = box;
  real.store.checkValid();
  const current = currentOf(model);
  expect(real.store.currentRevision()).toBe(current);
  expect(real.store.compactRevision()).toBe(model.compacted);
  for (let rev = Math.max(1, model.compacted); rev <= current; rev++) {
    const state = model.states[rev]!;
    const got = real.store.range({ key: new Uint8Array([0]), range_end: new Uint8Array([0]), revision: rev });
    expect(got.kvs.map(modelKvOf)).toEqual(stateList(state, [...state.keys()].sort()));
    expect(got.header.revision).toBe(current);
  }
  if (model.compacted > 1) expectError(() => real.store.range({ key: bytesOf('a'), revision: model.compacted - 1 }), 'compacted');
}

class PutCommand implements fc.Command<Box, Real> {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly lease: bigint,
    readonly prevKv: boolean,
  ) {}
  check = () => true;
  run(box: Box, real: Real): void {
    const before = latestOf(box.model).get(this.key);
    const res = real.store.put({ key: bytesOf(this.key), value: bytesOf(this.value), lease: this.lease, prev_kv: this.prevKv });
    box.model = applyWrite(box.model, [{ kind: 'put', key: this.key, value: this.value, lease: this.lease }]).model;
    expect(res.header.revision).toBe(currentOf(box.model));
    expect(res.prev_kv === undefined ? undefined : modelKvOf(res.prev_kv)).toEqual(this.prevKv && before ? { key: this.key, ...before } : undefined);
    checkInvariants(box, real);
  }
  toString = () => `put(${JSON.stringify(this.key)}=${JSON.stringify(this.value)}, lease ${this.lease}${this.prevKv ? ', prev_kv' : ''})`;
}

class DeleteCommand implements fc.Command<Box, Real> {
  constructor(
    readonly key: string,
    readonly end: string | undefined,
  ) {}
  check = () => true;
  run(box: Box, real: Real): void {
    const expectedPrev = stateList(latestOf(box.model), keysIn(latestOf(box.model), this.key, this.end));
    const res = real.store.deleteRange({ key: bytesOf(this.key), ...rangeEndOf(this.end), prev_kv: true });
    const applied = applyWrite(box.model, [{ kind: 'delete', key: this.key, end: this.end }]);
    box.model = applied.model;
    expect(res.deleted).toBe(applied.deleted[0]);
    expect(res.prev_kvs.map(modelKvOf)).toEqual(expectedPrev);
    expect(res.header.revision).toBe(currentOf(box.model));
    checkInvariants(box, real);
  }
  toString = () => `delete(${JSON.stringify(this.key)}, ${JSON.stringify(this.end)})`;
}

class RangeCommand implements fc.Command<Box, Real> {
  constructor(
    readonly key: string,
    readonly end: string | undefined,
    readonly revision: number,
    readonly limit: number,
  ) {}
  check = () => true;
  run(box: Box, real: Real): void {
    const request = { key: bytesOf(this.key), ...rangeEndOf(this.end), revision: this.revision, limit: this.limit };
    const state = readAt(box.model, this.revision);
    if (typeof state === 'string') return expectError(() => real.store.range(request), state);
    const res = real.store.range(request);
    const keys = keysIn(state, this.key, this.end);
    const shown = this.limit > 0 ? keys.slice(0, this.limit) : keys;
    expect(res.kvs.map(modelKvOf)).toEqual(stateList(state, shown));
    expect([res.count, res.more, res.header.revision]).toEqual([keys.length, shown.length < keys.length, currentOf(box.model)]);
  }
  toString = () => `range(${JSON.stringify(this.key)}, ${JSON.stringify(this.end)}, rev ${this.revision}, limit ${this.limit})`;
}

class TxnCommand implements fc.Command<Box, Real> {
  constructor(
    readonly guard: string,
    readonly version: number,
    readonly then: ModelOp[],
    readonly otherwise: ModelOp[],
  ) {}
  check = () => true;
  run(box: Box, real: Real): void {
    const toOp = (op: ModelOp): RequestOp =>
      op.kind === 'put'
        ? { request_put: { key: bytesOf(op.key), value: bytesOf(op.value), lease: op.lease } }
        : { request_delete_range: { key: bytesOf(op.key), ...rangeEndOf(op.end) } };
    const succeeded = (latestOf(box.model).get(this.guard)?.version ?? 0) === this.version;
    let res;
    try {
      res = real.store.txn({
        compare: [{ key: bytesOf(this.guard), target: 'VERSION', result: 'EQUAL', version: this.version }],
        success: this.then.map(toOp),
        failure: this.otherwise.map(toOp),
      });
    } catch (error) {
      // duplicate keys in a branch: rejected whole, nothing changes
      expect((error as Error).message).toBe('etcdserver: duplicate key given in txn request');
      checkInvariants(box, real);
      return;
    }
    const applied = applyWrite(box.model, succeeded ? this.then : this.otherwise);
    box.model = applied.model;
    expect(res.succeeded).toBe(succeeded);
    expect(res.header.revision).toBe(currentOf(box.model));
    expect(res.responses.map((r) => r.response_delete_range?.deleted ?? 0)).toEqual(applied.deleted);
    checkInvariants(box, real);
  }
  toString = () =>
    `txn(version(${this.guard}) == ${this.version} ? ${JSON.stringify(this.then, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))} : ${JSON.stringify(this.otherwise, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))})`;
}

class CompactCommand implements fc.Command<Box, Real> {
  constructor(readonly back: number) {}
  check = () => true;
  run(box: Box, real: Real): void {
    const rev = currentOf(box.model) - this.back;
    const next = compactModel(box.model, rev);
    if (typeof next === 'string') return expectError(() => real.store.compact({ revision: rev }), next);
    expect(real.store.compact({ revision: rev }).header.revision).toBe(currentOf(box.model));
    box.model = next;
    checkInvariants(box, real);
  }
  toString = () => `compact(current - ${this.back})`;
}

const keyArb = fc.constantFrom('a', 'b', 'ab', 'c', '\xc3\xa9', 'z');
const endArb = fc.option(fc.constantFrom('', 'b', 'c', 'zz', 'a'), { nil: undefined });
const valueArb = fc.constantFrom('', 'v', 'w', 'xyz');
const leaseArb = fc.constantFrom(...leaseIds);
const opArb: fc.Arbitrary<ModelOp> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb, lease: leaseArb }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb, end: endArb }),
);

const commands = [
  fc.tuple(keyArb, valueArb, leaseArb, fc.boolean()).map(([k, v, l, p]) => new PutCommand(k, v, l, p)),
  fc.tuple(keyArb, endArb).map(([k, e]) => new DeleteCommand(k, e)),
  fc.tuple(keyArb, endArb, fc.integer({ min: -1, max: 25 }), fc.integer({ min: -1, max: 4 })).map(([k, e, r, l]) => new RangeCommand(k, e, r, l)),
  fc
    .tuple(keyArb, fc.integer({ min: 0, max: 3 }), fc.array(opArb, { maxLength: 3 }), fc.array(opArb, { maxLength: 3 }))
    .map(([g, v, t, o]) => new TxnCommand(g, v, t, o)),
  fc.integer({ min: -1, max: 6 }).map((back) => new CompactCommand(back)),
];

describe('KV store against the reference model', () => {
  it('agrees after every command', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40, size: 'max' }), (cmds) => {
        fc.modelRun(() => ({ model: { model: emptyModel() }, real: { store: new KvStore({ leases: new FakeLeases(...leaseIds) }) } }), cmds);
      }),
      { seed, numRuns: casesFor(150, 40) },
    );
  });
});
