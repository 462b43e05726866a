// BalancedTransport against clientv3 3.4's balancer and retry rules: round robin over endpoints, a
// repeatable call retried on UNAVAILABLE with a 25 ms pause after each quorum of attempts, up to 100
// attempts, a write never retried once sent. The members are in-process transports over one real
// store; a member can be told to fail its next calls as a member between leaders does.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BalancedTransport, ConnectionLostError, retryBackoffMs, unaryAttemptsMax } from '../../src/client/balanced-transport.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import type { Transport, UnaryMethod, UnaryRequests, UnaryResponses } from '../../src/client/transport.ts';
import { utf8 } from '../../src/store/bytes.ts';
import { CompactedError, NoLeaderError } from '../../src/store/errors.ts';
import { drive, world } from './virtual-runtime.ts';

const clientv3 = '/usr/share/gocode/src/go.etcd.io/etcd/clientv3';

/** A member: the real store behind it, the calls it was sent, and failures to answer its next calls with. */
class Member extends InProcessTransport implements Transport {
  readonly calls: string[] = [];
  failures: unknown[] = [];
  override call<M extends UnaryMethod>(method: M, request: UnaryRequests[M]): Promise<UnaryResponses[M]> {
    this.calls.push(method);
    if (this.failures.length > 0) return Promise.reject(this.failures.shift());
    return super.call(method, request);
  }
}

function cluster(names: string[]) {
  const w = world();
  const members = names.map(() => new Member(w.store));
  const transport = new BalancedTransport(
    names.map((name, i) => ({ name, transport: members[i]! })),
    w.runtime,
  );
  const order = () => members.flatMap((member, i) => member.calls.map(() => names[i]));
  return { w, members, transport, order };
}

describe('BalancedTransport', () => {
  it('needs an endpoint', () => {
    const w = world();
    expect(() => new BalancedTransport([], w.runtime)).toThrow(new RangeError('a balanced transport needs at least one endpoint'));
  });

  it('sends each call and each stream to the next endpoint in turn', async () => {
    const { w, members, transport } = cluster(['a', 'b', 'c']);
    for (let i = 0; i < 4; i++) await drive(w.clock, transport.call('range', { key: utf8('k') }));
    expect(members.map((member) => member.calls.length)).toEqual([2, 1, 1]);
    const watch = transport.openWatch({ message: () => {}, end: () => {} }); // to b
    await drive(w.clock, transport.call('range', { key: utf8('k') })); // to c
    expect(members.map((member) => member.calls.length)).toEqual([2, 1, 2]);
    watch.close();
  });

  it('retries a read on the next endpoint after UNAVAILABLE, pausing 25 ms once a quorum of attempts failed', async () => {
    const { w, members, transport } = cluster(['a', 'b', 'c']);
    await drive(w.clock, transport.call('put', { key: utf8('k'), value: utf8('v') })); // to a
    members[1]!.failures = [new NoLeaderError()];
    members[2]!.failures = [new NoLeaderError()];
    const startMs = w.clock.nowMs();
    const response = await drive(w.clock, transport.call('range', { key: utf8('k') })); // b fails, c fails, pause, a answers
    expect(response.kvs.map((kv) => Buffer.from(kv.value).toString())).toEqual(['v']);
    expect(members.map((member) => member.calls)).toEqual([['put', 'range'], ['range'], ['range']]);
    // quorum of 3 is 2: attempt 2 (the third) waits, as clientv3's roundRobinQuorumBackoff
    expect(w.clock.nowMs() - startMs).toBe(retryBackoffMs);
  });

  it("retries each of clientv3's repeatable calls", async () => {
    const requests = { range: { key: utf8('k') }, leaseGrant: { TTL: 10 }, leaseRevoke: { ID: 5n }, leaseTimeToLive: { ID: 5n }, leaseLeases: {} };
    for (const [method, request] of Object.entries(requests)) {
      const { w, members, transport } = cluster(['a', 'b']);
      members[0]!.failures = [new NoLeaderError()];
      // the second answer may be an error of its own (lease 5 does not exist): the retry is what counts
      await drive(w.clock, transport.call(method as UnaryMethod, request as never)).catch(() => {});
      expect(
        members.map((member) => member.calls),
        method,
      ).toEqual([[method], [method]]);
    }
  });

  it('gives up after 100 attempts with the last error', async () => {
    const { w, members, transport } = cluster(['only']);
    const last = new NoLeaderError();
    members[0]!.failures = [...Array.from({ length: unaryAttemptsMax - 1 }, () => new NoLeaderError()), last, new NoLeaderError()];
    const startMs = w.clock.nowMs();
    await expect(drive(w.clock, transport.call('leaseTimeToLive', { ID: 1n }))).rejects.toBe(last);
    expect(members[0]!.calls).toHaveLength(100);
    // one endpoint: its quorum is 1, so every attempt after the first waits
    expect(w.clock.nowMs() - startMs).toBe(99 * retryBackoffMs);
  });

  it('never retries a write, nor a read that failed with anything but UNAVAILABLE', async () => {
    for (const method of ['put', 'deleteRange', 'txn', 'compact'] as const) {
      const { w, members, transport } = cluster(['a', 'b']);
      const error = new NoLeaderError();
      members[0]!.failures = [error];
      const request = { put: { key: utf8('k') }, deleteRange: { key: utf8('k') }, txn: {}, compact: { revision: 1 } }[method];
      await expect(drive(w.clock, transport.call(method, request as never))).rejects.toBe(error);
      expect(members.map((member) => member.calls)).toEqual([[method], []]);
    }
    const { w, members, transport } = cluster(['a', 'b']);
    const compacted = new CompactedError();
    members[0]!.failures = [compacted];
    await expect(drive(w.clock, transport.call('range', { key: utf8('k') }))).rejects.toBe(compacted);
    expect(members[1]!.calls).toEqual([]);
  });

  it('a broken connection (not an etcd answer) is retried for a read, and handed back as ConnectionLostError for a write', async () => {
    const read = cluster(['a', 'b']);
    read.members[0]!.failures = ['socket hang up'];
    await drive(read.w.clock, read.transport.call('range', { key: utf8('k') }));
    expect(read.members.map((member) => member.calls)).toEqual([['range'], ['range']]);
    const write = cluster(['a', 'b']);
    write.members[0]!.failures = ['socket hang up'];
    await expect(drive(write.w.clock, write.transport.call('put', { key: utf8('k') }))).rejects.toEqual(new ConnectionLostError('a'));
    expect(new ConnectionLostError('a').message).toBe('transport is closing (a)');
  });

  it.skipIf(!existsSync(clientv3))(`follows clientv3's rules (${clientv3})`, () => {
    const options = readFileSync(`${clientv3}/options.go`, 'utf8');
    expect(options).toContain('defaultUnaryMaxRetries uint = 100');
    expect(options).toContain('defaultBackoffWaitBetween = 25 * time.Millisecond');
    expect([unaryAttemptsMax, retryBackoffMs]).toEqual([100, 25]);
    // retry.go: the KV and Lease calls marked repeatable, by method
    const retry = readFileSync(`${clientv3}/retry.go`, 'utf8');
    const repeatable = [...retry.matchAll(/func \(r(?:kv|lc) \*retry(?:KV|Lease)Client\) (\w+)\([\s\S]*?\n}/g)]
      .filter((match) => match[0].includes('withRetryPolicy(repeatable)'))
      .map((match) => match[1]);
    expect(repeatable).toEqual(['Range', 'LeaseTimeToLive', 'LeaseLeases', 'LeaseGrant', 'LeaseRevoke', 'LeaseKeepAlive']);
  });
});
