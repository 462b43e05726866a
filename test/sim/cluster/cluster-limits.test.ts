// The numbers a simulated cluster runs by, each etcd 3.4's (read from its Go sources when they are here).
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  defaultElectionTimeoutMs,
  defaultHeartbeatIntervalMs,
  noLeaderElectionsBeforeStreamsEnd,
  readIndexRetryMs,
  requestTimeoutMs,
} from '../../../src/sim/cluster/cluster-limits.ts';

const etcd = '/usr/share/gocode/src/go.etcd.io/etcd';

describe('cluster limits', () => {
  it("a request's deadline is 5 s plus two election timeouts: 7 s with etcd's default 1 s", () => {
    expect(defaultElectionTimeoutMs).toBe(1000); // etcd --help: --election-timeout '1000'
    expect(defaultHeartbeatIntervalMs).toBe(100); // --heartbeat-interval '100'
    expect(requestTimeoutMs()).toBe(7000);
    expect(requestTimeoutMs(2500)).toBe(10_000);
  });

  it.skipIf(!existsSync(etcd))(`are etcd's (${etcd})`, () => {
    expect(readFileSync(`${etcd}/etcdserver/config.go`, 'utf8')).toContain(
      'return 5*time.Second + 2*time.Duration(c.ElectionTicks*int(c.TickMs))*time.Millisecond',
    );
    expect(readFileSync(`${etcd}/etcdserver/v3_server.go`, 'utf8')).toContain('readIndexRetryTime               = 500 * time.Millisecond');
    expect(readIndexRetryMs).toBe(500);
    expect(readFileSync(`${etcd}/etcdserver/api/v3rpc/interceptor.go`, 'utf8')).toContain('maxNoLeaderCnt = 3');
    expect(noLeaderElectionsBeforeStreamsEnd).toBe(3);
    const embed = readFileSync(`${etcd}/embed/config.go`, 'utf8');
    expect(embed).toMatch(/TickMs:\s+100,/);
    expect(embed).toMatch(/ElectionMs:\s+1000,/);
  });
});
