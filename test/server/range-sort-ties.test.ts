// Ties in sorted ranges come out in etcd 3.4.23's order (Go 1.19's sort.Sort, not stable):
// the example etcd answered (issue 11), then random tie-heavy ranges asked of the installed
// etcd and of leaselab side by side (skipped without etcd).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { goSort } from '../../src/store/go-sort.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { etcdMissing, type EtcdProcess, startEtcd } from './etcd-process.ts';
import { type RawClient, rawClient } from './raw-grpc.ts';

const keysOf = (kvs: { key: Uint8Array }[]) => kvs.map((kv) => new TextDecoder().decode(kv.key)).join(' ');

describe('sorted ranges: ties in Go sort.Sort order', () => {
  it('one txn putting k00..k19, then k03 again, by VERSION ascending: the order etcd 3.4.23 answered', () => {
    const store = new EtcdStore({ clock: new VirtualClock() });
    const names = Array.from({ length: 20 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    store.txn({ success: names.map((name) => ({ request_put: { key: utf8(name), value: utf8('v') } })) });
    store.put({ key: utf8('k03'), value: utf8('v') });
    const response = store.range({ key: utf8('k'), range_end: utf8('l'), sort_order: 'ASCEND', sort_target: 'VERSION', keys_only: true });
    expect(keysOf(response.kvs)).toBe('k10 k17 k02 k08 k04 k05 k06 k00 k19 k01 k07 k11 k12 k13 k14 k15 k16 k09 k18 k03');
  });

  it('goSort sorts (every permutation of small arrays, random large ones)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 400 }), (values) => {
        const copy = [...values];
        goSort(
          copy.length,
          (i, j) => copy[i]! < copy[j]!,
          (i, j) => void ([copy[i], copy[j]] = [copy[j]!, copy[i]!]),
        );
        expect(copy).toEqual([...values].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });
});

const missing = etcdMissing();
describe.skipIf(missing !== undefined)(`ties against the installed etcd${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let etcd: EtcdProcess;
  let server: GrpcEtcdServer;
  let clients: RawClient[];
  beforeAll(async () => {
    [etcd, server] = await Promise.all([startEtcd(), startGrpcServer({ port: 0 })]);
    clients = [rawClient(etcd.address), rawClient(server.address)];
  }, 30_000);
  afterAll(async () => {
    for (const client of clients ?? []) client.close();
    await Promise.all([etcd?.stop(), server?.close()]);
  });

  it('random ranges with many ties give the same keys in the same order on both', async () => {
    const targets = ['VERSION', 'CREATE', 'MOD', 'VALUE', 'KEY'];
    let caseNo = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 160 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 160, maxLength: 160 }),
        fc.integer({ min: 0, max: 30 }),
        async (count, rewrites, values, limit) => {
          const prefix = `t${caseNo++}/`;
          const name = (i: number) => `${prefix}${String(i).padStart(3, '0')}`;
          const ops = Array.from({ length: Math.min(count, 128) }, (_, i) => ({
            request_put: { key: Buffer.from(name(i)), value: Buffer.from(String(values[i])) },
          }));
          const answers: string[] = [];
          for (const client of clients) {
            await client.unary('KV', 'Txn', { success: ops });
            for (let i = 128; i < count; i++) await client.unary('KV', 'Put', { key: Buffer.from(name(i)), value: Buffer.from(String(values[i])) });
            for (const r of rewrites) await client.unary('KV', 'Put', { key: Buffer.from(name(r % count)), value: Buffer.from(String(values[(r * 7) % 160])) });
            const out: string[] = [];
            for (const target of targets) {
              for (const order of ['ASCEND', 'DESCEND']) {
                const answer = await client.unary('KV', 'Range', {
                  key: Buffer.from(prefix),
                  range_end: Buffer.from(`${prefix}~`),
                  sort_target: target,
                  sort_order: order,
                  keys_only: true,
                  limit: String(limit),
                });
                const kvs = 'res' in answer ? ((answer.res.kvs as { key: string }[] | undefined) ?? []) : [];
                out.push(`${target} ${order}: ${kvs.map((kv) => Buffer.from(kv.key, 'base64').toString().slice(prefix.length)).join(' ')}`);
              }
            }
            answers.push(out.join('\n'));
          }
          expect(answers[1]).toBe(answers[0]);
        },
      ),
      { numRuns: Number(process.env.LEASELAB_TIE_RUNS ?? (process.env.LEASELAB_LONG === '1' ? 300 : 25)), seed: Number(process.env.LEASELAB_SEED ?? 11) },
    );
  }, 120_000);
});
