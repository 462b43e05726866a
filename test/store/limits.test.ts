// The store's limits: those that follow from etcd's formats, checked against what they stand for, and
// those that are etcd 3.4's settings, each checked against the line of etcd's Go source that sets it
// (under /usr/share/gocode), the minimum lease TTL against etcd's formula at other settings.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as limits from '../../src/store/limits.ts';
import { defaultRaftRequestIdBytes, raftRequestIdBytes } from '../../src/store/limits.ts';

/** Bytes of `value` as a protobuf varint: 7 bits a byte. */
function varintBytes(value: bigint): number {
  let bytes = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) bytes++;
  return bytes;
}

describe('raftRequestIdBytes: the varint size of the IDs etcd proposes with (pkg/idutil)', () => {
  // An ID is the member ID's low 16 bits, then 40 bits of milliseconds, then an 8-bit counter.
  const idOf = (memberId: bigint, millis: bigint, count: bigint) => ((memberId & 0xffffn) << 48n) | ((millis & (2n ** 40n - 1n)) << 8n) | count;

  it("is 9 bytes for etcd's default member ID (8e9e05c52164694d: bit 15 of its low 16 bits is clear)", () => {
    expect(defaultRaftRequestIdBytes).toBe(9);
    expect(varintBytes(idOf(0x8e9e05c52164694dn, 1_796_000_000_000n, 0n))).toBe(9);
  });

  it('matches the varint size of real IDs for member IDs across the 16-bit prefix', () => {
    for (const low16 of [0x8000n, 0xffffn, 0x7fffn, 0x4000n, 0x0100n, 0x00ffn, 0x0080n, 0x0001n]) {
      const memberId = (0xabcdn << 48n) | low16;
      // The time bits never reach the prefix's bits, so any time and counter give the same size.
      for (const millis of [0n, 1_796_000_000_000n, 2n ** 40n - 1n]) {
        for (const count of [0n, 255n]) {
          if (low16 >= 0x100n) expect(raftRequestIdBytes(memberId)).toBe(varintBytes(idOf(memberId, millis, count)));
        }
      }
      // Under 0x100 the time's top bits can decide; the bound counted is the longest such ID.
      if (low16 < 0x100n) expect(raftRequestIdBytes(memberId)).toBe(varintBytes(idOf(memberId, 2n ** 40n - 1n, 255n)));
    }
  });

  it('is 10 bytes when bit 15 is set, 9 when clear, 8 or fewer for tiny prefixes', () => {
    expect(raftRequestIdBytes(0x8000n)).toBe(10);
    expect(raftRequestIdBytes(0x7fffn)).toBe(9);
    expect(raftRequestIdBytes(0x0100n)).toBe(9);
    expect(raftRequestIdBytes(0x00ffn)).toBe(8);
    expect(raftRequestIdBytes(0n)).toBe(7);
  });
});

const etcd = '/usr/share/gocode/src/go.etcd.io/etcd';
const source = (path: string) => readFileSync(`${etcd}/${path}`, 'utf8');

describe('store limits', () => {
  it("the minimum lease TTL is ceil(((3 × election ticks) / 2) × heartbeat), in seconds: 2 s at etcd's defaults", () => {
    // etcdserver/server.go: minTTL := time.Duration((3*cfg.ElectionTicks)/2) * heartbeat; MinLeaseTTL: ceil(minTTL.Seconds())
    const etcdMinTtl = (heartbeatMs: number, electionMs: number) =>
      Math.ceil((Math.floor((3 * Math.floor(electionMs / heartbeatMs)) / 2) * heartbeatMs) / 1000);
    expect(limits.minLeaseTtlSeconds()).toBe(2);
    for (const [heartbeat, election] of [
      [100, 1000],
      [50, 500],
      [100, 2500],
      [250, 5000],
      [300, 1000],
      [1000, 3000],
      [70, 1001],
    ])
      expect(limits.minLeaseTtlSeconds(heartbeat!, election!), `${heartbeat}/${election}`).toBe(etcdMinTtl(heartbeat!, election!));
  });

  it('a watch fragment may be as large as a request plus gRPC overhead (v3rpc maxRequestBytes)', () => {
    expect(limits.watchFragmentBytesMax).toBe(limits.requestBytesMax + 512 * 1024);
  });

  it.skipIf(!existsSync(etcd))(`each is set so in etcd 3.4 (${etcd})`, () => {
    // leaselab's value, the file and line that set etcd's, and that line's value (durations in ms)
    const facts: [number, string, string, number][] = [
      [limits.txnOpsMax, 'embed/config.go', 'DefaultMaxTxnOps             = uint(128)', 128],
      [limits.requestBytesMax, 'embed/config.go', 'DefaultMaxRequestBytes       = 1.5 * 1024 * 1024', 1.5 * 1024 * 1024],
      [limits.leaseTtlSecondsMax, 'lease/lessor.go', 'const MaxLeaseTTL = 9000000000', 9_000_000_000],
      [limits.heartbeatIntervalMs, 'embed/config.go', 'TickMs:                     100,', 100],
      [limits.electionTimeoutMs, 'embed/config.go', 'ElectionMs:                 1000,', 1000],
      [limits.leaseSweepIntervalMs, 'lease/lessor.go', 'case <-time.After(500 * time.Millisecond):', 500],
      [limits.expiredLeaseRetryMs, 'lease/lessor.go', 'defaultExpiredleaseRetryInterval = 3 * time.Second', 3 * 1000],
      [limits.leaseCheckpointIntervalMs, 'lease/lessor.go', 'defaultLeaseCheckpointInterval = 5 * time.Minute', 5 * 60_000],
      [limits.watchResyncIntervalMs, 'mvcc/watchable_store.go', 'waitDuration := 100 * time.Millisecond', 100],
      [limits.watchersPerSyncMax, 'mvcc/watchable_store.go', 'maxWatchersPerSync = 512', 512],
      [limits.watchBatchRevisionsMax, 'mvcc/watcher_group.go', 'watchBatchMaxRevs = 1000', 1000],
      [limits.watchProgressNotifyIntervalMs, 'etcdserver/api/v3rpc/watch.go', 'progressReportInterval   = 10 * time.Minute', 10 * 60_000],
    ];
    for (const [value, file, line, etcdValue] of facts) {
      expect(source(file), line).toContain(line);
      expect(value, line).toBe(etcdValue);
    }
    // revokeExpiredLeases revokes at most leaseRevokeRate / 2 (1000 / 2) a sweep
    const lessor = source('lease/lessor.go');
    expect(lessor).toContain('leaseRevokeRate = 1000');
    expect(lessor).toContain('revokeLimit := leaseRevokeRate / 2');
    expect(limits.leasesRevokedPerSweepMax).toBe(1000 / 2);
  });
});
