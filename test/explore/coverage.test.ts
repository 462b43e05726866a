// Lock-state coverage read from a trace: each rare situation it names, the buckets of its counts. The
// traces are written out event by event, each a shape the simulator records.
import { describe, expect, it } from 'vitest';
import { coverageKeys, lockStateCoverage } from '../../src/explore/coverage.ts';
import { acquireFailedLog, acquiringLog } from '../../src/explore/history.ts';
import { Trace, type TraceEvent } from '../../src/sim/trace.ts';

function trace(events: object[]): Trace {
  const built = new Trace();
  events.forEach((event, i) => built.record({ atMs: i, ...event } as TraceEvent));
  return built;
}
const client = (process: string, event: object, incarnation = 1) => ({ kind: 'client', process, incarnation, event });
const log = (process: string, message: string) => ({ kind: 'log', process, incarnation: 1, message });
const granted = (process: string, leaseId: bigint) => ({ kind: 'lease-granted', leaseId, ttlSeconds: 5, process, incarnation: 1 });
const expired = (leaseId: bigint) => ({ kind: 'lease-expired', leaseId, revision: 9 });
const acquired = (process: string) => client(process, { kind: 'lock-acquired', lockName: 'L', key: 'L/1', leaseId: 1n, fencingToken: 4 });
const call = (process: string, callId: number, method: string) => client(process, { kind: 'call', callId, method, request: {} });
const answer = (process: string, callId: number, method: string, outcome: string) => client(process, { kind: 'return', callId, method, outcome });
const features = (events: object[]) => Object.fromEntries(lockStateCoverage(trace(events)));

describe('lockStateCoverage', () => {
  it('a lease expiring under a waiter, then under a holder', () => {
    expect(features([granted('alice', 1n), log('alice', acquiringLog), expired(1n), acquired('alice'), expired(1n), expired(2n)])).toEqual({
      'waiter-key-expired': 1,
      'holder-lease-expired': 1,
    });
    // released: no longer a holder
    expect(features([granted('a', 1n), acquired('a'), client('a', { kind: 'lock-released', lockName: 'L', key: 'L/1', leaseId: 1n }), expired(1n)])).toEqual(
      {},
    );
  });

  it('an acquire after the client gave up a lease without a new grant; a close is no such loss', () => {
    const lost = (reason: string) => client('a', { kind: 'lease-lost', leaseId: 1n, reason });
    expect(features([lost('deadline'), acquired('a')])).toEqual({ 'acquired-after-lease-lost': 1 });
    expect(features([lost('deadline'), granted('a', 2n), acquired('a')])).toEqual({});
    expect(features([lost('closed'), acquired('a')])).toEqual({});
  });

  it('a write whose outcome is unknown, by method; reads are not writes', () => {
    expect(
      features([
        call('a', 1, 'txn'),
        answer('a', 1, 'txn', 'unknown'),
        call('a', 2, 'put'),
        answer('a', 2, 'put', 'ok'),
        call('a', 3, 'range'),
        answer('a', 3, 'range', 'unknown'),
        call('a', 4, 'txn'),
        answer('a', 4, 'txn', 'unknown'),
      ]),
    ).toEqual({ 'write-unknown:txn': 2 });
  });

  it("a write's answer dropped on its way back; for a delete, the late delete it makes", () => {
    const dropped = (to: string, message: string) => ({ kind: 'message-dropped', from: 'server', to, message, reason: 'partition' });
    expect(features([call('a', 7, 'put'), dropped('a', 'response #7')])).toEqual({ 'answer-lost:put': 1 });
    expect(features([call('a', 7, 'deleteRange'), dropped('a', 'error #7')])).toEqual({ 'answer-lost:deleteRange': 1, 'late-delete': 1 });
    // another call's answer, another process's, a request on its way out: none
    expect(
      features([call('a', 7, 'put'), dropped('a', 'response #17'), dropped('ab', 'response #7'), { ...dropped('server', 'request #7'), from: 'a' }]),
    ).toEqual({});
    // a delete that timed out may land late too
    expect(features([call('a', 1, 'deleteRange'), answer('a', 1, 'deleteRange', 'unknown')])).toEqual({ 'write-unknown:deleteRange': 1, 'late-delete': 1 });
  });

  it("acquire failures by the error's first three words", () => {
    expect(
      features([
        log('a', acquiringLog),
        log('a', `${acquireFailedLog}: etcdserver: request timed out`),
        log('b', `${acquireFailedLog}: context deadline exceeded`),
      ]),
    ).toEqual({ 'acquire-failed:etcdserver: request timed': 1, 'acquire-failed:context deadline exceeded': 1 });
  });

  it('a server restart while someone holds or waits; a crash or an exit ends both', () => {
    const restart = { kind: 'fault', fault: { kind: 'serverRestart', downMs: 1000 } };
    expect(features([acquired('a'), log('b', acquiringLog), restart])).toEqual({ 'restart-while-held': 1, 'restart-while-waiting': 1 });
    expect(
      features([
        acquired('a'),
        log('b', acquiringLog),
        { kind: 'fault', fault: { kind: 'crash', process: 'a' } },
        { kind: 'process-exited', process: 'b', incarnation: 1 },
        restart,
      ]),
    ).toEqual({});
  });

  it('a write reaching the resource with a token below one it accepted', () => {
    const write = (fencingToken: number, highestTokenBefore: number) => ({
      kind: 'resource-write',
      resource: 'storage',
      process: 'a',
      incarnation: 1,
      fencingToken,
      value: 'v',
      accepted: fencingToken >= highestTokenBefore,
      highestTokenBefore,
      sentAtMs: 0,
    });
    expect(features([write(5, 0), write(5, 5), write(3, 5)])).toEqual({ 'stale-write-attempt': 1 });
  });
});

describe('coverageKeys', () => {
  it('buckets each count as fuzzers do (1, 2, 3-4, 5-8, 9+), sorted', () => {
    const counts = new Map([
      ['b', 1],
      ['a', 2],
      ['c', 3],
      ['d', 4],
      ['e', 5],
      ['f', 8],
      ['g', 9],
      ['h', 1000],
    ]);
    expect(coverageKeys(counts)).toEqual(['a×2', 'b×1', 'c×3-4', 'd×3-4', 'e×5-8', 'f×5-8', 'g×9+', 'h×9+']);
    expect(coverageKeys(new Map())).toEqual([]);
  });
});
