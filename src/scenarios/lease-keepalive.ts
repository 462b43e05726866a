/**
 * lease-keepalive: the same lease and key as lease-expiry, but alice's client
 * keeps the lease alive, so the key stays.
 */
import type { Client } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { jobKey, keyPolls, leaseTtlSeconds } from './lease-expiry.ts';
import { claim, margin, networkKnob, seconds, type Scenario } from './scenario.ts';

const runForMs = 15_000;

function keepAliveSends(result: SimResult<Client>): number[] {
  return result.trace.events.flatMap((event) => (event.kind === 'client' && event.event.kind === 'keepalive-sent' ? [event.atMs] : []));
}

export const leaseKeepalive: Scenario = {
  name: 'lease-keepalive',
  title: 'A lease kept alive',
  summary: 'the same 5 s lease and key, with keepalive: renewed every ~2 s, the key stays',
  story:
    `alice grants a ${leaseTtlSeconds} s lease, puts ${jobKey} with it, and this time starts the client's keepalive loop, ` +
    "as clientv3 does: a keepalive goes out at once and then every TTL/3 (rounded up to the loop's 500 ms tick, so every 2 s). " +
    "Each answer resets the lease's deadline on the server to a full 5 s. She polls the key every second for 15 s: " +
    'it never goes, and the server never expires the lease. Run with --verbose to see each keepalive.',
  sources: [
    { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: 'the client sends a keepalive every TTL/3' },
    { file: 'etcdserver/v3_server.go', func: '(*EtcdServer).LeaseRenew', shows: 'the leader renews the lease' },
    { file: 'lease/lessor.go', func: '(*lessor).Renew', shows: 'renewal moves the deadline to now + TTL' },
    { file: 'clientv3/lease.go', func: '(*lessor).recvKeepAlive', shows: "each answer moves the client's local deadline to now + TTL" },
  ],
  defaultSeed: 1,
  knobs: [
    { name: 'ttl', default: `${leaseTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
  ],
  prediction: {
    question: 'Will the key still be there at every read, three TTLs later?',
    setup: (knobs) =>
      `alice grants a ${knobs.ttlSeconds ?? leaseTtlSeconds} s lease, puts ${jobKey} with it and starts clientv3's keepalive loop` +
      `${knobs.latencyMs !== undefined ? `; every message takes ${knobs.latencyMs} ms each way` : ''}. She reads the key every second for at least three TTLs.`,
    outcome(result) {
      const polls = keyPolls(result, 'alice', jobKey);
      const missing = polls.find((poll) => !poll.present);
      const expired = result.trace.ofKind('lease-expired')[0];
      if (missing !== undefined)
        return {
          happened: false,
          detail: `no: at ${seconds(missing.atMs)} the key was gone${expired !== undefined ? ` (the lease expired at ${seconds(expired.atMs)})` : ''}`,
        };
      if (polls.length === 0) return { happened: false, detail: 'no: no read answered' };
      return { happened: true, detail: `yes: ${polls.length} reads to ${seconds(polls.at(-1)!.atMs)} all saw it; the keepalives renewed the lease each time` };
    },
  },
  build(seed, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    const runMs = Math.max(runForMs, 3 * ttlSeconds * 1000 + 2000);
    const sim = new Sim({ seed, msMax: runMs + 15_000, ...networkKnob(knobs) });
    sim.process('alice', async ({ client, sleep, log, now }) => {
      const { ID } = await client.grant(ttlSeconds);
      const keepAlive = client.keepAlive(ID);
      await client.put(jobKey, 'alice', { lease: ID });
      log('keepalive running; the key should stay');
      while (now() < runMs) {
        await sleep(1000);
        const { kvs } = await client.get(jobKey);
        const { TTL } = await client.timeToLive(ID);
        log(kvs.length > 0 ? `${jobKey} is there, lease TTL ${TTL}s` : `${jobKey} is GONE`);
      }
      keepAlive.stop();
      await client.revoke(ID);
      log('done: stopped the keepalive and revoked the lease');
    });
    return sim;
  },
  check(result, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    /** The client sends every TTL/3, on its next 500 ms tick; allow one more tick. */
    const gapBoundMs = Math.ceil((ttlSeconds * 1000) / 3 / 500) * 500 + 500;
    const polls = keyPolls(result, 'alice', jobKey);
    const sends = keepAliveSends(result);
    const gaps = sends.slice(1).map((atMs, i) => atMs - sends[i]!);
    const longestGapMs = Math.max(0, ...gaps);
    const expired = result.trace.ofKind('lease-expired');
    const lastPoll = polls.at(-1);
    return [
      claim(
        'the key was there at every poll',
        polls.length >= 10 && polls.every((poll) => poll.present),
        `${polls.length} polls, ${polls.filter((poll) => poll.present).length} saw the key`,
      ),
      claim(
        'it was still there after three TTLs',
        lastPoll !== undefined && lastPoll.present && lastPoll.atMs > 3 * ttlSeconds * 1000 - 1000,
        `last poll at ${seconds(lastPoll?.atMs)}`,
      ),
      claim(
        `keepalives went out about every TTL/3 (${((ttlSeconds * 1000) / 3 / 1000).toFixed(1)} s), well inside the TTL`,
        sends.length >= 6 && longestGapMs <= gapBoundMs,
        `${sends.length} keepalives, longest gap ${seconds(longestGapMs)}${margin(longestGapMs, gapBoundMs, 'inside the bound', 'over the bound')}`,
      ),
      claim(
        'the server never expired the lease',
        expired.length === 0,
        expired.length === 0 ? 'no expiry in the trace' : `expired at ${seconds(expired[0]!.atMs)}`,
      ),
    ];
  },
};
