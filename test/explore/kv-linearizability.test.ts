import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkLinearizability } from '../../src/check/linearizability.ts';
import { etcdKvModel } from '../../src/check/models/kv-etcd.ts';
import { builtinLockAlgorithms, etcdMutex } from '../../src/client/lock-algorithm.ts';
import type { KeyValue, RangeResponse, TxnResponse } from '../../src/store/messages.ts';
import { etcdKvHistory, type ExploreHistory } from '../../src/explore/history.ts';
import { exploreCaseArbitrary, replayCaseOf } from '../../src/explore/property.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';

/** Issue 5: every history the simulator produces from the store is linearizable — for every built-in lock, under faults. */
describe('KV histories of the lock workloads (etcd KV model)', () => {
  const cases = fc.sample(exploreCaseArbitrary(), { seed: 7, numRuns: 20 }).map((explored) => replayCaseOf(explored));

  for (const algorithm of builtinLockAlgorithms) {
    it(`${algorithm.name}: 20 fault-injected runs are linearizable`, { timeout: 30_000 }, async () => {
      let ranges = 0;
      let expiries = 0;
      let unknown = 0;
      for (const replay of cases) {
        const run = await runLockWorkload(algorithm, { ...replay.workload, seed: replay.seed }, replay.schedule);
        const { operations, unfollowed } = etcdKvHistory(run.history);
        expect(unfollowed).toBe(0);
        expect(operations.length).toBeGreaterThan(100);
        ranges += operations.filter((op) => op.input.kind === 'range' && op.input.end !== undefined).length;
        expiries += operations.filter((op) => op.input.kind === 'leaseRevoke' && op.input.expiry).length;
        unknown += operations.filter((op) => op.outcome === 'unknown').length;
        const verdict = checkLinearizability(operations, etcdKvModel(), { stepsMax: 100_000_000 });
        expect(verdict.result, `seed ${replay.seed} ${JSON.stringify(replay.schedule)}`).toBe('ok');
        expect(verdict.partitions).toBe(1);
      }
      // the runs exercise what the model had to learn
      expect(expiries).toBeGreaterThan(0);
      expect(unknown).toBeGreaterThan(0);
      if (algorithm !== builtinLockAlgorithms[0]) expect(ranges).toBeGreaterThan(0);
    });
  }

  describe('a tampered response makes the history illegal, with a small window', () => {
    const mutexRun = async (): Promise<ExploreHistory> =>
      (await runLockWorkload(etcdMutex, { seed: 3, clients: 3, durationMs: 20_000, quietMs: 5_000 })).history;
    /** Index of the first ok Mutex acquire txn (its second response: the owner range) after `from` ops. */
    const ownerRange = (history: ExploreHistory, from: number): number =>
      history.operations.findIndex(
        (op, i) => i >= from && op.outcome === 'ok' && op.input.method === 'txn' && (op.output as TxnResponse).responses[1]?.response_range?.kvs.length === 1,
      );

    const tamper = (history: ExploreHistory, index: number, change: (response: TxnResponse) => void): ExploreHistory => {
      const operations = history.operations.slice();
      const op = structuredClone(operations[index]!);
      change(op.output as TxnResponse);
      operations[index] = op;
      return { ...history, operations };
    };

    const judge = (history: ExploreHistory) => checkLinearizability(etcdKvHistory(history).operations, etcdKvModel());

    it('the untampered run is ok', async () => {
      expect(judge(await mutexRun()).result).toBe('ok');
    });

    it("a range's returned key", async () => {
      const history = await mutexRun();
      const index = ownerRange(history, 20);
      expect(index).toBeGreaterThan(0);
      const bad = tamper(history, index, (response) => {
        const kv = response.responses[1]!.response_range!.kvs[0] as KeyValue;
        kv.key = new Uint8Array([...kv.key, 0x30]);
      });
      const verdict = judge(bad);
      expect(verdict.result).toBe('illegal');
      if (verdict.result !== 'illegal') return;
      const tampered = bad.operations[index]!;
      // the window ends at the tampered op's return
      expect(verdict.failure.window.every((op) => op.invokeMs <= tampered.returnMs)).toBe(true);
      expect(verdict.failure.stuck.operation.returnMs).toBeLessThanOrEqual(tampered.returnMs);
      expect(verdict.failure.window.length).toBeLessThan(etcdKvHistory(bad).operations.length / 2);
    });

    it('a header revision', async () => {
      const history = await mutexRun();
      const index = ownerRange(history, 20);
      const bad = tamper(history, index, (response) => {
        response.header = { ...response.header, revision: response.header.revision + 1 };
      });
      const verdict = judge(bad);
      expect(verdict.result).toBe('illegal');
      if (verdict.result !== 'illegal') return;
      expect(verdict.failure.toMs).toBeLessThanOrEqual(bad.operations[index]!.returnMs);
      expect(verdict.failure.window.length).toBeLessThan(etcdKvHistory(bad).operations.length / 2);
    });

    it("a plain range's count", async () => {
      const history = await mutexRun();
      const index = history.operations.findIndex((op, i) => i > 20 && op.outcome === 'ok' && op.input.method === 'range');
      expect(index).toBeGreaterThan(0);
      const operations = history.operations.slice();
      const op = structuredClone(operations[index]!);
      (op.output as RangeResponse).count += 1;
      operations[index] = op;
      expect(judge({ ...history, operations }).result).toBe('illegal');
    });
  });
});
