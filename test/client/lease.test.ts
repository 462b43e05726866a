import { describe, expect, it } from 'vitest';
import { LeaseKeepAliveHaltedError } from '../../src/client/errors.ts';
import type { ClientEvent } from '../../src/client/events.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import type { LeaseLostReason } from '../../src/client/lease.ts';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { LeaseNotFoundError } from '../../src/store/errors.ts';
import { settledNothing } from '../../src/client/runtime.ts';
import type { LeaseKeepAliveResponse } from '../../src/store/messages.ts';
import { drive, HandlerReturnsTransport, runFor, runUntil, SwitchableTransport, world } from './virtual-runtime.ts';

/** Virtual times of the client's keepalive-sent events, via an observer stamping them. */
function stamped(clockNow: () => number) {
  const log: { atMs: number; event: ClientEvent }[] = [];
  return {
    log,
    events: {
      push: (event: ClientEvent) => log.push({ atMs: clockNow(), event }),
    } as unknown as ClientEvent[],
    sentAt: () => log.filter((e) => e.event.kind === 'keepalive-sent').map((e) => e.atMs),
  };
}

describe('Client leases', () => {
  it('grants, lists, reads TTL with keys and revokes', async () => {
    const w = world();
    const client = w.client();
    const granted = await drive(w.clock, client.grant(30));
    expect(granted.TTL).toBe(30);
    await drive(w.clock, client.put('k', 'v', { lease: granted.ID }));
    const ttl = await drive(w.clock, client.timeToLive(granted.ID, { keys: true }));
    expect([ttl.grantedTTL, ttl.keys.map(fromUtf8)]).toEqual([30, ['k']]);
    expect((await drive(w.clock, client.leases())).leases.map((l) => l.ID)).toEqual([granted.ID]);
    await drive(w.clock, client.grant(5, 42n));
    expect((await drive(w.clock, client.timeToLive(42n))).grantedTTL).toBe(5);
    await drive(w.clock, client.revoke(granted.ID));
    expect((await drive(w.clock, client.get('k'))).kvs).toEqual([]);
    expect((await drive(w.clock, client.timeToLive(granted.ID))).TTL).toBe(-1);
    await expect(drive(w.clock, client.revoke(granted.ID))).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it('keepAliveOnce renews, and turns TTL 0 into LeaseNotFoundError as clientv3 does', async () => {
    const w = world();
    const events: ClientEvent[] = [];
    const client = w.client({ events });
    const { ID } = await drive(w.clock, client.grant(10));
    await runFor(w.clock, 8000);
    const renewed = await drive(w.clock, client.keepAliveOnce(ID));
    expect(renewed.TTL).toBe(10);
    expect((await drive(w.clock, client.timeToLive(ID))).TTL).toBeGreaterThanOrEqual(9);
    await expect(drive(w.clock, client.keepAliveOnce(777n))).rejects.toBeInstanceOf(LeaseNotFoundError);
    expect(events.filter((e) => e.kind === 'return').map((e) => (e.kind === 'return' ? [e.method, e.outcome] : []))).toContainEqual([
      'leaseKeepAlive',
      'error',
    ]);
  });

  it('renews at TTL/3 on the 500 ms send loop and keeps a key alive for minutes', async () => {
    const w = world();
    const s = stamped(() => w.clock.nowMs());
    const client = w.client({ events: s.events });
    const { ID } = await drive(w.clock, client.grant(6));
    await drive(w.clock, client.put('k', 'v', { lease: ID }));
    const keepAlive = client.keepAlive(ID);
    await runFor(w.clock, 10 * 60_000);
    const sent = s.sentAt();
    // TTL 6 → every 2 s, exactly on the loop's ticks.
    expect(sent.slice(0, 5)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(sent.length).toBe(301);
    expect(keepAlive.ended).toBe(false);
    expect(keepAlive.ttlSeconds).toBe(6);
    expect((await drive(w.clock, client.get('k'))).kvs).toHaveLength(1);
    keepAlive.stop();
    expect(await keepAlive.done).toBe('closed');
  });

  it('rounds TTL/3 up to the next send-loop tick', async () => {
    const w = world();
    const s = stamped(() => w.clock.nowMs());
    const client = w.client({ events: s.events });
    const { ID } = await drive(w.clock, client.grant(10));
    client.keepAlive(ID);
    await runFor(w.clock, 12_000);
    // answered at 0 → due 3333.3 → tick 3500 → due 6833.3 → tick 7000 → …
    expect(s.sentAt()).toEqual([0, 3500, 7000, 10500]);
  });

  it('learns of a revoke from another client through a TTL 0 answer', async () => {
    const w = world();
    const events: ClientEvent[] = [];
    const holder = w.client({ events });
    const other = w.client();
    const { ID } = await drive(w.clock, holder.grant(9));
    const keepAlive = holder.keepAlive(ID);
    await runFor(w.clock, 1000);
    await drive(w.clock, other.revoke(ID));
    const revokedAt = w.clock.nowMs();
    const reason = await drive(w.clock, keepAlive.done);
    expect(reason).toBe('expired');
    // The next keepalive (due at 3000) is answered TTL 0.
    expect(w.clock.nowMs()).toBe(3000);
    expect(w.clock.nowMs() - revokedAt).toBeLessThanOrEqual(3000);
    expect(events.filter((e) => e.kind === 'lease-lost')).toEqual([{ kind: 'lease-lost', leaseId: ID, reason: 'expired' }]);
    expect(events).toContainEqual({ kind: 'keepalive-answered', leaseId: ID, ttlSeconds: 0 });
  });

  it('gives a lease up when its local deadline passes unanswered', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const events: ClientEvent[] = [];
    const client = w.client({ transport, events });
    const { ID } = await drive(w.clock, client.grant(6));
    await drive(w.clock, client.put('k', 'v', { lease: ID }));
    const keepAlive = client.keepAlive(ID);
    await runFor(w.clock, 4100); // answered at 0, 2000 and 4000
    transport.answering = false;
    expect(keepAlive.deadlineMs).toBe(10_000);
    const reason = await drive(w.clock, keepAlive.done);
    expect(reason).toBe('deadline');
    // The 1 s deadline loop runs at 1000, 2000, …; 10000 is not past 10000, 11000 is.
    expect(w.clock.nowMs()).toBe(11_000);
    // The server expired the lease on its own: at the first sweep at or after 10 s.
    expect((await drive(w.clock, w.client().get('k'))).kvs).toEqual([]);
  });

  it('reopens a broken keepalive stream after 500 ms and keeps the deadline', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const s = stamped(() => w.clock.nowMs());
    const client = w.client({ transport, events: s.events });
    const { ID } = await drive(w.clock, client.grant(6));
    const keepAlive = client.keepAlive(ID);
    await runFor(w.clock, 1000);
    transport.breakStreams();
    await runFor(w.clock, 10_000);
    expect(keepAlive.ended).toBe(false);
    // reopened at 1500; its loop ticks at 2000, 2500, …
    expect(s.sentAt().slice(0, 4)).toEqual([0, 2000, 4000, 6000]);
  });

  it('ends every keepalive on close and refuses new ones (keep alive halted)', async () => {
    const w = world();
    const client = w.client();
    const { ID } = await drive(w.clock, client.grant(6));
    const first = client.keepAlive(ID);
    const second = client.keepAlive(ID);
    second.stop();
    expect(await second.done).toBe('closed');
    expect(first.ended).toBe(false);
    client.close();
    const reasons: LeaseLostReason[] = [await first.done];
    expect(reasons).toEqual(['closed']);
    expect(() => client.keepAlive(ID)).toThrow(new LeaseKeepAliveHaltedError('context canceled'));
    expect(() => client.keepAlive(ID)).toThrow('etcdclient: leases keep alive halted: context canceled');
  });

  it('sends a fresh lease at once on a running stream', async () => {
    const w = world();
    const s = stamped(() => w.clock.nowMs());
    const client = w.client({ events: s.events });
    const a = await drive(w.clock, client.grant(30));
    client.keepAlive(a.ID);
    await runFor(w.clock, 1250);
    const b = await drive(w.clock, client.grant(30));
    client.keepAlive(b.ID);
    await runUntil(w.clock, () => s.sentAt().length >= 2);
    expect(s.log.filter((e) => e.event.kind === 'keepalive-sent').map((e) => e.atMs)).toEqual([0, 1250]);
  });

  it('says a keepalive answer that only renews settled nothing, and one that ends the lease did', async () => {
    const w = world();
    const transport = new HandlerReturnsTransport(new InProcessTransport(w.store));
    const client = w.client({ transport });
    const { ID } = await drive(w.clock, client.grant(6));
    const keepAlive = client.keepAlive(ID);
    await runFor(w.clock, 5000);
    await drive(w.clock, client.revoke(ID));
    await drive(w.clock, keepAlive.done);
    const answers = transport.returns
      .filter(({ stream }) => stream === 'keepalive')
      .map(({ response, returned }) => [(response as LeaseKeepAliveResponse).TTL > 0, returned === settledNothing]);
    expect(answers.length).toBeGreaterThan(2);
    // Renewals (TTL > 0) settle nothing; the TTL 0 answer resolves `done`.
    expect(answers).toEqual([...answers.slice(0, -1).map(() => [true, true]), [false, false]]);
  });
});
