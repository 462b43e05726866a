// LeaseKeepers: which leases a live client keeps alive, judged in wall time.
import { describe, expect, it } from 'vitest';
import { parseGoDurationMs } from '../../src/server/go-duration.ts';
import { isOwnHost } from '../../src/server/grpc-control.ts';
import { LeaseKeepers } from '../../src/server/lease-keepers.ts';

function keepersAt() {
  const wall = { ms: 0 };
  return { wall, keepers: new LeaseKeepers(() => wall.ms) };
}

describe('LeaseKeepers', () => {
  it('a renewal counts for TTL/3 + 1 s (the cadence clients use, plus slack) when it is the first', () => {
    const { wall, keepers } = keepersAt();
    const stream = keepers.openStream();
    keepers.renewed(stream, 7n, 6); // cadence assumed 2 s: counts until 3 s
    wall.ms = 3_000;
    expect(keepers.liveLeases()).toEqual([7n]);
    wall.ms = 3_001;
    expect(keepers.liveLeases()).toEqual([]);
  });

  it('learns a slower cadence from the interval between renewals, never trusting silence past the TTL', () => {
    const { wall, keepers } = keepersAt();
    const stream = keepers.openStream();
    keepers.renewed(stream, 1n, 10);
    wall.ms = 5_000;
    keepers.renewed(stream, 1n, 10); // every 5 s: counts for 6 s after each renewal
    wall.ms = 11_000;
    expect(keepers.liveLeases()).toEqual([1n]);
    wall.ms = 11_001;
    expect(keepers.liveLeases()).toEqual([]);

    keepers.renewed(stream, 2n, 3);
    wall.ms += 2_900;
    keepers.renewed(stream, 2n, 3); // every 2.9 s for a 3 s TTL: min(TTL, 2.9 s + 1 s) = 3 s
    wall.ms += 3_000;
    expect(keepers.liveLeases()).toEqual([2n]);
    wall.ms += 1;
    expect(keepers.liveLeases()).toEqual([]);
  });

  it('a closed stream keeps nothing; another open stream renewing the same lease still does', () => {
    const { keepers } = keepersAt();
    const first = keepers.openStream();
    const second = keepers.openStream();
    keepers.renewed(first, 5n, 5);
    keepers.renewed(second, 5n, 5);
    keepers.renewed(first, 6n, 5);
    keepers.closeStream(first);
    expect(keepers.liveLeases()).toEqual([5n]);
    keepers.renewed(first, 6n, 5); // a late report from a closed stream is ignored
    expect(keepers.liveLeases()).toEqual([5n]);
    keepers.forgetRenewals();
    expect(keepers.liveLeases()).toEqual([]);
    expect(keepers.streams).toBe(1);
  });
});

describe('parseGoDurationMs', () => {
  it("reads Go's duration syntax as etcd's flags do", () => {
    expect(parseGoDurationMs('10m')).toBe(600_000);
    expect(parseGoDurationMs('1m30s')).toBe(90_000);
    expect(parseGoDurationMs('500ms')).toBe(500);
    expect(parseGoDurationMs('1.5h')).toBe(5_400_000);
    expect(parseGoDurationMs('250us')).toBe(0.25);
    expect(parseGoDurationMs('0')).toBe(0);
    expect(parseGoDurationMs('-5s')).toBe(-5000);
    for (const bad of ['', '5', 'abc', '5x', '1m 30s', 's'])
      expect(() => parseGoDurationMs(bad)).toThrow(/^time: (invalid duration|missing unit in duration|unknown unit "[^"]*" in duration) /);
  });
});

describe('the control endpoint takes only its own Host', () => {
  it('names its port and its address, localhost on loopback, any IP literal when bound to every interface', () => {
    const loopback = { host: '127.0.0.1', port: 2381 };
    expect(isOwnHost('127.0.0.1:2381', loopback)).toBe(true);
    expect(isOwnHost('localhost:2381', loopback)).toBe(true);
    expect(isOwnHost('LOCALHOST:2381', loopback)).toBe(true);
    for (const foreign of [undefined, '', '127.0.0.1', '127.0.0.1:2382', 'evil.example:2381', '127.0.0.2:2381', '[::1]:2381', 'localhost.evil.example:2381']) {
      expect(isOwnHost(foreign, loopback), String(foreign)).toBe(false);
    }
    expect(isOwnHost('[::1]:9', { host: '::1', port: 9 })).toBe(true);
    expect(isOwnHost('localhost:9', { host: '::1', port: 9 })).toBe(true);
    const everywhere = { host: '0.0.0.0', port: 9 };
    expect(isOwnHost('10.1.2.3:9', everywhere)).toBe(true);
    expect(isOwnHost('[fe80::1]:9', everywhere)).toBe(true);
    expect(isOwnHost('evil.example:9', everywhere)).toBe(false);
    expect(isOwnHost('localhost:9', { host: '10.1.2.3', port: 9 })).toBe(false);
  });
});
