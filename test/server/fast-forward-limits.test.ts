// The fast-forward limits each rest on a fact outside leaselab; these check the facts they name.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fastForwardTotalMsMax, keeperCadenceTtlFraction, keeperSlackMs } from '../../src/server/fast-forward-limits.ts';

const clientv3Lease = '/usr/share/gocode/src/go.etcd.io/etcd/clientv3/lease.go';
const etcd3Lease = 'node_modules/etcd3/lib/lease.js';

describe('fast-forward limits', () => {
  it('the total fast-forward stays where ms are whole numbers in a double, even summed with a clock reading, and is about 31,700 years', () => {
    expect(Number.isSafeInteger(fastForwardTotalMsMax)).toBe(true);
    // the wall clock's ms since 1970 (about 1.8e12 ms in 2027) plus the whole fast-forward, plus 1 ms, is still exact
    const sum = fastForwardTotalMsMax + Date.UTC(2100, 0, 1);
    expect(Number.isSafeInteger(sum + 1)).toBe(true);
    expect(sum + 1 - sum).toBe(1);
    const years = fastForwardTotalMsMax / (365.25 * 24 * 3600 * 1000);
    expect(Math.round(years / 100) * 100).toBe(31_700);
  });

  it.skipIf(!existsSync(clientv3Lease))(`the cadence is TTL/3, as clientv3 renews (${clientv3Lease}), with slack for its 500 ms send loop`, () => {
    const source = readFileSync(clientv3Lease, 'utf8');
    expect(source).toContain('nextKeepAlive := time.Now().Add((time.Duration(karesp.TTL) * time.Second) / 3.0)');
    expect(keeperCadenceTtlFraction).toBe(1 / 3);
    // sendKeepAliveLoop waits retryConnWait between sends
    expect(source).toContain('retryConnWait = 500 * time.Millisecond');
    expect(source).toMatch(/case <-time\.After\(retryConnWait\):/);
    expect(keeperSlackMs).toBeGreaterThanOrEqual(500);
  });

  it.skipIf(!existsSync(etcd3Lease))(`the etcd3 npm client renews every TTL/3 too (${etcd3Lease})`, () => {
    expect(readFileSync(etcd3Lease, 'utf8')).toContain('const keepAliveInterval = (1000 * this.ttl) / 3;');
  });
});
