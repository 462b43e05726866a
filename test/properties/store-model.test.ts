// Model-based test: the whole EtcdStore (KV store + lessor) with its loops
// (runStoreLoops: the 500 ms expiry sweep) on a VirtualClock, against the
// pure reference model in store-reference-model.ts. After every command:
// the clock, the current and compaction revisions, every retained
// revision's full range, the live leases (in LeaseLeases' deadline order)
// with their deadlines, TimeToLive answers and attached keys, and TTL -1 for
// every lease ever granted and since revoked.
// Reproducible: LEASELAB_SEED (default 42); fast-check prints seed and path on failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactedError, FutureRevisionError, KeyNotFoundError, LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError } from '../../src/store/errors.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import type { LeaseId, RequestOp } from '../../src/store/messages.ts';
import { runStoreLoops } from '../../src/store/store-loops.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { bytesOf, compactModel, currentOf, latestOf, type ModelOp, type ModelState, modelKvOf, rangeEndOf, textOf } from './kv-reference-model.ts';
import {
  advanceModel,
  emptyStoreModel,
  grantModel,
  keepAliveModel,
  leasesByDeadline,
  nextSweepMs,
  promoteModel,
  putModel,
  revokeModel,
  type StoreModel,
  timeToLiveModel,
  writeModel,
} from './store-reference-model.ts';
import { casesFor } from '../quick-tier.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

/** Explicit lease IDs: small, past 2^53 (not a double), int64's extremes, negative. */
const leaseIdPool: LeaseId[] = [1n, 7n, 2n ** 53n + 1n, 2n ** 62n + 3n, 2n ** 63n - 1n, -1n, -(2n ** 63n)];

interface Real {
  clock: VirtualClock;
  store: EtcdStore;
}
interface Box {
  model: StoreModel;
}

const stateList = (state: ModelState) => [...state.keys()].sort().map((k) => ({ key: k, ...state.get(k)! }));
const allKeys = { key: new Uint8Array([0]), range_end: new Uint8Array([0]) };
/**
 * How often the runs reached the situations the model is about; the test
 * asserts each was reached, so a generator change cannot quietly stop
 * exercising them.
 */
const reached = new Map<string, number>();
const reach = (situation: string) => reached.set(situation, (reached.get(situation) ?? 0) + 1);
const situations = [
  'keepalive of an expired, unswept lease',
  'timeToLive of an expired, unswept lease',
  'keepalive moving a promoted deadline earlier',
  'sweep revoking a lease with keys',
  'sweep revoking several leases at one tick',
  'put with ignore_lease keeping a lease',
  'put with a revoked lease',
  'txn refused for a missing lease',
  'grant with a server-chosen ID',
  'grant refused: TTL too large',
  'grant refused: ID exists',
];
const showBigints = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

// ------------------------------------------------------------ lease choices

/** Which lease a command names, resolved against the model when it runs. */
type LeaseChoice =
  | { kind: 'none' }
  /** The i-th live lease (by deadline); none live → the pool's. */
  | { kind: 'live'; index: number }
  /** The i-th lease ever granted (maybe revoked); none yet → the pool's. */
  | { kind: 'granted'; index: number }
  | { kind: 'pool'; index: number };

function resolveLease(model: StoreModel, choice: LeaseChoice): LeaseId {
  const pick = (ids: readonly LeaseId[], index: number) => ids[index % ids.length]!;
  switch (choice.kind) {
    case 'none':
      return 0n;
    case 'live': {
      const live = leasesByDeadline(model);
      return live.length > 0 ? pick(live, choice.index) : pick(leaseIdPool, choice.index);
    }
    case 'granted':
      return model.granted.length > 0 ? pick(model.granted, choice.index) : pick(leaseIdPool, choice.index);
    case 'pool':
      return pick(leaseIdPool, choice.index);
  }
}

const showChoice = (choice: LeaseChoice) => (choice.kind === 'none' ? 'no lease' : `${choice.kind} lease #${choice.index}`);

// ------------------------------------------------------------ invariants

function checkInvariants({ model }: Box, { clock, store }: Real): void {
  store.checkValid();
  clock.checkValid();
  expect(clock.nowMs()).toBe(model.nowMs);
  const current = currentOf(model.kv);
  expect(store.currentRevision()).toBe(current);
  expect(store.kv.compactRevision()).toBe(model.kv.compacted);
  for (let rev = Math.max(1, model.kv.compacted); rev <= current; rev++) {
    const got = store.range({ ...allKeys, revision: rev }).kvs.map(modelKvOf);
    const want = stateList(model.kv.states[rev]!);
    // Strings first: expect's deep equality costs more than the store, and runs only to show a difference.
    if (showBigints(got) !== showBigints(want)) expect(got, `range at revision ${rev}`).toEqual(want);
  }
  const live = leasesByDeadline(model);
  expect(store.leaseLeases({}).leases.map((l) => l.ID)).toEqual(live);
  for (const id of live) {
    expect(store.lessor.deadlineMs(id), `deadline of lease ${id}`).toBe(model.leases.get(id)!.deadlineMs);
  }
  for (const id of new Set([...model.granted, ...leaseIdPool])) {
    const got = store.leaseTimeToLive({ ID: id, keys: true });
    const want = timeToLiveModel(model, id);
    expect({ TTL: got.TTL, grantedTTL: got.grantedTTL, keys: got.keys.map(textOf), revision: got.header.revision }, `timeToLive(${id})`).toEqual({
      TTL: want.ttlSeconds,
      grantedTTL: want.grantedTtlSeconds,
      keys: want.keys,
      revision: current,
    });
  }
}

// ------------------------------------------------------------ commands

abstract class StoreCommand implements fc.Command<Box, Real> {
  check = () => true;
  run(box: Box, real: Real): void {
    this.apply(box, real);
    checkInvariants(box, real);
  }
  abstract apply(box: Box, real: Real): void;
  abstract toString(): string;
}

class PutCommand extends StoreCommand {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly lease: LeaseChoice,
    readonly ignoreLease: boolean,
  ) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const lease = this.ignoreLease ? 0n : resolveLease(box.model, this.lease);
    const next = putModel(box.model, this.key, this.value, lease, this.ignoreLease);
    const request = { key: bytesOf(this.key), value: bytesOf(this.value), lease, ...(this.ignoreLease ? { ignore_lease: true } : {}) };
    if (next === 'lease-not-found') {
      if (box.model.granted.includes(lease)) reach('put with a revoked lease');
      return void expect(() => store.put(request)).toThrow(LeaseNotFoundError);
    }
    if (this.ignoreLease && (latestOf(box.model.kv).get(this.key)?.lease ?? 0n) !== 0n) reach('put with ignore_lease keeping a lease');
    if (next === 'key-not-found') return void expect(() => store.put(request)).toThrow(KeyNotFoundError);
    box.model = next;
    expect(store.put(request).header.revision).toBe(currentOf(box.model.kv));
  }
  toString = () => `put(${JSON.stringify(this.key)}=${JSON.stringify(this.value)}, ${this.ignoreLease ? 'ignore_lease' : showChoice(this.lease)})`;
}

class DeleteCommand extends StoreCommand {
  constructor(
    readonly key: string,
    readonly end: string | undefined,
  ) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const written = writeModel(box.model, [{ kind: 'delete', key: this.key, end: this.end }]);
    if (typeof written === 'string') throw new Error('a delete needs no lease');
    const res = store.deleteRange({ key: bytesOf(this.key), ...rangeEndOf(this.end) });
    box.model = written.model;
    expect([res.deleted, res.header.revision]).toEqual([written.deleted[0], currentOf(box.model.kv)]);
  }
  toString = () => `delete(${JSON.stringify(this.key)}, ${JSON.stringify(this.end)})`;
}

/** A txn op before its lease is resolved. */
type TxnOp = { kind: 'put'; key: string; value: string; lease: LeaseChoice } | { kind: 'delete'; key: string };

class TxnCommand extends StoreCommand {
  constructor(
    readonly guard: string,
    readonly version: number,
    readonly then: TxnOp[],
    readonly otherwise: TxnOp[],
  ) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const resolve = (op: TxnOp): ModelOp =>
      op.kind === 'put' ? { ...op, lease: resolveLease(box.model, op.lease) } : { kind: 'delete', key: op.key, end: undefined };
    const toOp = (op: ModelOp): RequestOp =>
      op.kind === 'put'
        ? { request_put: { key: bytesOf(op.key), value: bytesOf(op.value), lease: op.lease } }
        : { request_delete_range: { key: bytesOf(op.key) } };
    const then = this.then.map(resolve);
    const otherwise = this.otherwise.map(resolve);
    const succeeded = (latestOf(box.model.kv).get(this.guard)?.version ?? 0) === this.version;
    const request = {
      compare: [{ key: bytesOf(this.guard), target: 'VERSION' as const, result: 'EQUAL' as const, version: this.version }],
      success: then.map(toOp),
      failure: otherwise.map(toOp),
    };
    const written = writeModel(box.model, succeeded ? then : otherwise);
    if (written === 'lease-not-found') {
      reach('txn refused for a missing lease');
      return void expect(() => store.txn(request)).toThrow(LeaseNotFoundError);
    }
    const res = store.txn(request);
    box.model = written.model;
    expect(res.succeeded).toBe(succeeded);
    expect(res.header.revision).toBe(currentOf(box.model.kv));
    expect(res.responses.map((r) => r.response_delete_range?.deleted ?? 0)).toEqual(written.deleted);
  }
  toString = () => `txn(version(${JSON.stringify(this.guard)}) == ${this.version} ? ${showBigints(this.then)} : ${showBigints(this.otherwise)})`;
}

class CompactCommand extends StoreCommand {
  constructor(readonly back: number) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const rev = currentOf(box.model.kv) - this.back;
    const next = compactModel(box.model.kv, rev);
    if (next === 'compacted') return void expect(() => store.compact({ revision: rev })).toThrow(CompactedError);
    if (next === 'future') return void expect(() => store.compact({ revision: rev })).toThrow(FutureRevisionError);
    expect(store.compact({ revision: rev }).header.revision).toBe(currentOf(box.model.kv));
    box.model = { ...box.model, kv: next };
  }
  toString = () => `compact(current - ${this.back})`;
}

class GrantCommand extends StoreCommand {
  /** `poolIndex` undefined: ID 0, the server chooses. */
  constructor(
    readonly poolIndex: number | undefined,
    readonly ttlSeconds: number,
  ) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const requested = this.poolIndex === undefined ? 0n : leaseIdPool[this.poolIndex]!;
    const request = { ID: requested, TTL: this.ttlSeconds };
    // ID 0 is never a lease, so for it only the TTL can be refused.
    const refusal = grantModel(box.model, requested, this.ttlSeconds);
    if (refusal === 'ttl-too-large') {
      reach('grant refused: TTL too large');
      return void expect(() => store.leaseGrant(request)).toThrow(LeaseTtlTooLargeError);
    }
    if (refusal === 'exists') {
      reach('grant refused: ID exists');
      return void expect(() => store.leaseGrant(request)).toThrow(LeaseExistsError);
    }
    const res = store.leaseGrant(request);
    if (requested === 0n) {
      reach('grant with a server-chosen ID');
      expect(res.ID > 0n && res.ID < 2n ** 63n, `server-chosen ID ${res.ID}`).toBe(true);
      expect(box.model.leases.has(res.ID), `server-chose ID ${res.ID} in use`).toBe(false);
    } else expect(res.ID).toBe(requested);
    const granted = grantModel(box.model, res.ID, this.ttlSeconds);
    if (typeof granted === 'string') throw new Error(`grant of ${res.ID} succeeded, the model says ${granted}`);
    box.model = granted.model;
    expect([res.TTL, res.header.revision]).toEqual([granted.ttlSeconds, currentOf(box.model.kv)]);
  }
  toString = () => `leaseGrant(ID ${this.poolIndex === undefined ? 0n : leaseIdPool[this.poolIndex]}, TTL ${this.ttlSeconds})`;
}

class RevokeCommand extends StoreCommand {
  constructor(readonly lease: LeaseChoice) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const id = resolveLease(box.model, this.lease);
    const next = revokeModel(box.model, id);
    if (next === 'not-found') return void expect(() => store.leaseRevoke({ ID: id })).toThrow(LeaseNotFoundError);
    box.model = next;
    expect(store.leaseRevoke({ ID: id }).header.revision).toBe(currentOf(box.model.kv));
  }
  toString = () => `leaseRevoke(${showChoice(this.lease)})`;
}

class KeepAliveCommand extends StoreCommand {
  constructor(readonly lease: LeaseChoice) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const id = resolveLease(box.model, this.lease);
    const res = store.leaseKeepAlive({ ID: id });
    const next = keepAliveModel(box.model, id);
    const before = box.model.leases.get(id);
    if (before !== undefined && before.deadlineMs <= box.model.nowMs) reach('keepalive of an expired, unswept lease');
    if (before !== undefined && next.model.leases.get(id)!.deadlineMs < before.deadlineMs) reach('keepalive moving a promoted deadline earlier');
    expect([res.ID, res.TTL, res.header.revision]).toEqual([id, next.ttlSeconds, currentOf(box.model.kv)]);
    box.model = next.model;
  }
  toString = () => `leaseKeepAlive(${showChoice(this.lease)})`;
}

class TimeToLiveCommand extends StoreCommand {
  constructor(
    readonly lease: LeaseChoice,
    readonly keys: boolean,
  ) {
    super();
  }
  apply(box: Box, { store }: Real): void {
    const id = resolveLease(box.model, this.lease);
    const res = store.leaseTimeToLive({ ID: id, keys: this.keys });
    const want = timeToLiveModel(box.model, id);
    const lease = box.model.leases.get(id);
    if (lease !== undefined && lease.deadlineMs <= box.model.nowMs) reach('timeToLive of an expired, unswept lease');
    expect([res.ID, res.TTL, res.grantedTTL, res.keys.map(textOf)]).toEqual([id, want.ttlSeconds, want.grantedTtlSeconds, this.keys ? want.keys : []]);
  }
  toString = () => `leaseTimeToLive(${showChoice(this.lease)}${this.keys ? ', keys' : ''})`;
}

/** How far to move the clock: a plain amount, or to just around a lease's deadline or a sweep tick. */
type Step = { kind: 'by'; ms: number } | { kind: 'deadline'; lease: number; deltaMs: number } | { kind: 'tick'; ticksAhead: number; deltaMs: number };

const advanceMsMax = 7000;

class AdvanceCommand extends StoreCommand {
  constructor(readonly step: Step) {
    super();
  }
  /** The amount the step means now; a target in the past or more than 7 s away falls back to `deltaMs + 1` ms. */
  amountMs(model: StoreModel): number {
    const step = this.step;
    if (step.kind === 'by') return step.ms;
    let targetMs: number;
    if (step.kind === 'tick') targetMs = nextSweepMs(model) + step.ticksAhead * 500 + step.deltaMs;
    else {
      const live = leasesByDeadline(model);
      if (live.length === 0) return Math.abs(step.deltaMs);
      targetMs = model.leases.get(live[step.lease % live.length]!)!.deadlineMs + step.deltaMs;
    }
    const ms = targetMs - model.nowMs;
    return ms >= 0 && ms <= advanceMsMax ? ms : Math.abs(step.deltaMs);
  }
  apply(box: Box, { clock }: Real): void {
    const ms = this.amountMs(box.model);
    const before = box.model;
    box.model = advanceModel(box.model, ms);
    clock.advance(ms);
    if (currentOf(box.model.kv) > currentOf(before.kv)) reach('sweep revoking a lease with keys');
    const dueAtOneTick = [...before.leases.values()].filter((l) => l.deadlineMs > before.nowMs && l.deadlineMs <= nextSweepMs(before));
    if (box.model.nowMs >= nextSweepMs(before) && dueAtOneTick.length > 1) reach('sweep revoking several leases at one tick');
  }
  toString = () =>
    this.step.kind === 'by'
      ? `advance(${this.step.ms} ms)`
      : this.step.kind === 'tick'
        ? `advance(to tick +${this.step.ticksAhead} ${this.step.deltaMs >= 0 ? '+' : ''}${this.step.deltaMs} ms)`
        : `advance(to deadline of live lease #${this.step.lease} ${this.step.deltaMs >= 0 ? '+' : ''}${this.step.deltaMs} ms)`;
}

class PromoteCommand extends StoreCommand {
  apply(box: Box, { store }: Real): void {
    store.promoteLeases();
    box.model = promoteModel(box.model);
  }
  toString = () => 'promoteLeases()';
}

// ------------------------------------------------------------ arbitraries

const keyArb = fc.constantFrom('a', 'b', 'ab', 'c', '\xc3\xa9', 'z');
const endArb = fc.option(fc.constantFrom('', 'b', 'c', 'zz', 'a'), { nil: undefined });
const valueArb = fc.constantFrom('', 'v', 'w');
/** Mostly the first (soonest-deadline live lease: the one a jump to a deadline just expired). */
const indexArb = fc.oneof(fc.constant(0), fc.nat({ max: 7 }));
const leaseChoiceArb: fc.Arbitrary<LeaseChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
  { arbitrary: indexArb.map((index) => ({ kind: 'live' as const, index })), weight: 5 },
  { arbitrary: indexArb.map((index) => ({ kind: 'granted' as const, index })), weight: 1 },
  { arbitrary: indexArb.map((index) => ({ kind: 'pool' as const, index })), weight: 1 },
);
const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key: keyArb, value: valueArb, lease: leaseChoiceArb }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
);
/** One op per key in a branch: no duplicate-key rejections (kv-model.test.ts covers those). */
const branchArb = fc.uniqueArray(txnOpArb, { maxLength: 2, selector: (op) => op.key });
/** Below the 2 s minimum, 0 and negative, ordinary, the 9e9 s maximum and one past it. */
const ttlArb = fc.constantFrom(-3, 0, 1, 2, 3, 5, 9_000_000_000, 9_000_000_001);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.integer({ min: 0, max: advanceMsMax }).map((ms) => ({ kind: 'by' as const, ms })),
  fc.constantFrom(0, 1, 499, 500, 501, 1000, 2000).map((ms) => ({ kind: 'by' as const, ms })),
  fc.record({ kind: fc.constant('deadline' as const), lease: indexArb, deltaMs: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ kind: fc.constant('tick' as const), ticksAhead: fc.nat({ max: 4 }), deltaMs: fc.integer({ min: -1, max: 1 }) }),
);

/** fc.commands picks uniformly among its arbitraries: list one `weight` times to draw it more often. */
const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T>[] => Array.from({ length: weight }, () => arbitrary);

const commands = [
  ...weighted(
    4,
    fc.tuple(keyArb, valueArb, leaseChoiceArb, fc.boolean()).map(([k, v, l, i]) => new PutCommand(k, v, l, i)),
  ),
  ...weighted(
    1,
    fc.tuple(keyArb, endArb).map(([k, e]) => new DeleteCommand(k, e)),
  ),
  ...weighted(
    2,
    fc.tuple(keyArb, fc.integer({ min: 0, max: 2 }), branchArb, branchArb).map(([g, v, t, o]) => new TxnCommand(g, v, t, o)),
  ),
  ...weighted(
    1,
    fc.integer({ min: -1, max: 4 }).map((back) => new CompactCommand(back)),
  ),
  ...weighted(
    3,
    fc.tuple(fc.option(fc.nat({ max: leaseIdPool.length - 1 }), { nil: undefined, freq: 5 }), ttlArb).map(([i, ttl]) => new GrantCommand(i, ttl)),
  ),
  ...weighted(
    1,
    leaseChoiceArb.map((l) => new RevokeCommand(l)),
  ),
  ...weighted(
    3,
    leaseChoiceArb.map((l) => new KeepAliveCommand(l)),
  ),
  ...weighted(
    2,
    fc.tuple(leaseChoiceArb, fc.boolean()).map(([l, k]) => new TimeToLiveCommand(l, k)),
  ),
  ...weighted(
    5,
    stepArb.map((s) => new AdvanceCommand(s)),
  ),
  ...weighted(1, fc.constant(new PromoteCommand())),
];

describe('EtcdStore with its loops on a virtual clock, against the reference model', () => {
  it('agrees after every command', () => {
    fc.assert(
      // size 'max': sequences of up to 60 commands (the default size draws ~5).
      fc.property(fc.constantFrom(0, 1_000_000_123), fc.commands(commands, { maxCommands: 60, size: 'max' }), (startMs, cmds) => {
        const setup = () => {
          const clock = new VirtualClock(startMs);
          const store = new EtcdStore({ clock });
          runStoreLoops(store, clock);
          return { model: { model: emptyStoreModel(startMs) }, real: { clock, store } };
        };
        fc.modelRun(setup, cmds);
      }),
      { seed, numRuns: casesFor(200, 50) },
    );
    for (const situation of situations) expect(reached.get(situation) ?? 0, `runs reached "${situation}"`).toBeGreaterThan(0);
    if (process.env.LEASELAB_COVERAGE !== undefined) console.log(Object.fromEntries(reached));
  });
});

// The model itself, on the worked example in store-reference-model.ts.
describe('store reference model', () => {
  it('sweeps at the first tick at or after the deadline, one revision for the lease', () => {
    let model = emptyStoreModel(0);
    const granted = grantModel(model, 7n, 1);
    if (typeof granted === 'string') throw new Error(granted);
    expect(granted.ttlSeconds).toBe(2);
    const put = putModel(granted.model, 'k', 'v', 7n, false);
    if (typeof put === 'string') throw new Error(put);
    model = advanceModel(put, 1999);
    expect([currentOf(model.kv), model.leases.size]).toEqual([2, 1]);
    expect(keepAliveModel(advanceModel(model, 1), 7n).ttlSeconds).toBe(0);
    model = advanceModel(model, 1);
    expect([currentOf(model.kv), model.leases.size, latestOf(model.kv).size]).toEqual([3, 0, 0]);
  });
});
