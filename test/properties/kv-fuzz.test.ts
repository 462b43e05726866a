// Random and malformed requests only ever raise EtcdError subclasses, and a
// request that fails leaves the store exactly as it was (whole history dump
// compared before and after). Reproducible: LEASELAB_SEED (default 42).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isEtcdError } from '../../src/store/errors.ts';
import { KvStore } from '../../src/store/kv-store.ts';
import { FakeLeases } from '../store/kv-fixtures.ts';
import { casesFor } from '../quick-tier.ts';

const seed = Number(process.env.LEASELAB_SEED ?? 42);

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const good = {
  key: fc.constantFrom('a', 'b', 'c', '\0', '\xff').map(bytes),
  end: fc.constantFrom('', '\0', 'b', 'd', 'a').map(bytes),
  value: fc.constantFrom('', 'v', 'w').map(bytes),
  int: fc.integer({ min: -3, max: 12 }),
  lease: fc.constantFrom(0n, 1n, 99n, -(2n ** 63n)),
  bool: fc.boolean(),
};
/** A field: usually well formed, sometimes absent, sometimes anything at all. */
const field = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: arb }, { weight: 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.anything() });
const enumField = (names: string[]) => field(fc.constantFrom(...names));

const range = fc.record(
  {
    key: field(good.key),
    range_end: field(good.end),
    limit: field(good.int),
    revision: field(good.int),
    sort_order: enumField(['NONE', 'ASCEND', 'DESCEND', 'SIDEWAYS']),
    sort_target: enumField(['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE', 'COLOR']),
    keys_only: field(good.bool),
    count_only: field(good.bool),
    min_mod_revision: field(good.int),
    max_create_revision: field(good.int),
  },
  { requiredKeys: [] },
);
const put = fc.record(
  {
    key: field(good.key),
    value: field(good.value),
    lease: field(good.lease),
    prev_kv: field(good.bool),
    ignore_value: field(good.bool),
    ignore_lease: field(good.bool),
  },
  { requiredKeys: [] },
);
const del = fc.record({ key: field(good.key), range_end: field(good.end), prev_kv: field(good.bool) }, { requiredKeys: [] });
const compare = fc.record(
  {
    key: field(good.key),
    range_end: field(good.end),
    target: enumField(['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE', 'SIZE']),
    result: enumField(['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL', 'ABOUT']),
    version: field(good.int),
    mod_revision: field(good.int),
    value: field(good.value),
    lease: field(good.lease),
  },
  { requiredKeys: [] },
);
const { txn } = fc.letrec((tie) => ({
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ request_range: range }),
    fc.record({ request_put: put }),
    fc.record({ request_delete_range: del }),
    fc.record({ request_txn: tie('txn') }),
    fc.constant({}),
    fc.anything(),
  ),
  txn: fc.record(
    {
      compare: field(fc.array(compare, { maxLength: 3 })),
      success: field(fc.array(tie('op'), { maxLength: 4 })),
      failure: field(fc.array(tie('op'), { maxLength: 4 })),
    },
    { requiredKeys: [] },
  ),
}));
const compaction = fc.record({ revision: field(good.int), physical: field(good.bool) }, { requiredKeys: [] });

const request = fc.oneof(
  fc.tuple(fc.constant('range' as const), fc.oneof({ weight: 9, arbitrary: range }, { weight: 1, arbitrary: fc.anything() })),
  fc.tuple(fc.constant('put' as const), fc.oneof({ weight: 9, arbitrary: put }, { weight: 1, arbitrary: fc.anything() })),
  fc.tuple(fc.constant('deleteRange' as const), del),
  fc.tuple(fc.constant('txn' as const), txn),
  fc.tuple(fc.constant('compact' as const), compaction),
);

function seeded(): KvStore {
  const store = new KvStore({ leases: new FakeLeases(1n, -(2n ** 63n)) });
  for (const [k, v] of [
    ['a', '1'],
    ['b', '2'],
    ['a', '3'],
    ['c', '4'],
  ] as const)
    store.put({ key: bytes(k), value: bytes(v), lease: k === 'c' ? 1n : 0n });
  store.deleteRange({ key: bytes('b') });
  return store;
}

describe('KV store under random and malformed requests', () => {
  it('raises only EtcdErrors, and a failed request changes nothing', () => {
    let failures = 0;
    let successes = 0;
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 12 }), (requests) => {
        const store = seeded();
        for (const [method, body] of requests) {
          const before = store.dumpHistory();
          try {
            (store[method] as (r: unknown) => unknown)(body);
            successes++;
          } catch (error) {
            if (!isEtcdError(error)) throw error;
            failures++;
            expect(store.dumpHistory()).toEqual(before);
            store.checkValid();
          }
        }
      }),
      { seed, numRuns: casesFor(400, 100) },
    );
    expect(failures).toBeGreaterThan(100);
    expect(successes).toBeGreaterThan(100);
  });
});
