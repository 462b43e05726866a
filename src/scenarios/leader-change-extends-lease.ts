/**
 * leader-change-extends-lease: etcd's followers do not track lease deadlines;
 * a new leader (here: a restarted single node) gives every lease a fresh full
 * TTL plus the election timeout (docs/etcd-semantics.md §7.7, etcd issue #9395).
 */
import { electionTimeoutMs, leaseSweepIntervalMs, type LeaseTimeToLiveResponse } from '../store/index.ts';
import { Sim } from '../sim/index.ts';
import { jobKey, keyPolls } from './lease-expiry.ts';
import { calls, claim, seconds, type Scenario } from './scenario.ts';

const ttlSeconds = 5;
const restartAtMs = 3000;

export const leaderChangeExtendsLease: Scenario = {
  name: 'leader-change-extends-lease',
  title: 'A leader change hands every lease a fresh TTL',
  summary: 'the server restarts (a new leader): leases are promoted to full TTL + election timeout, so the key lives longer',
  story:
    `alice grants a ${ttlSeconds} s lease, attaches ${jobKey}, and sends no keepalives, as in lease-expiry: it should be gone at about 5.5 s. ` +
    `But at ${restartAtMs / 1000} s etcd restarts. Only a leader tracks lease deadlines; a node that becomes leader gives every lease ` +
    `its full granted TTL again, plus the election timeout (1 s): a remaining 2 s becomes 6 s. ` +
    'Watch the TTL alice reads jump back up after the restart, and the key outlive its original deadline by seconds. ' +
    'Repeated leader changes can keep a lease alive forever (etcd #9888); lease checkpointing exists to limit this.',
  sources: [
    { file: 'etcdserver/server.go', func: '(*EtcdServer).run', shows: 'a new leader promotes the lessor with the election timeout' },
    { file: 'lease/lessor.go', func: '(*lessor).Promote', shows: 'every lease gets its full TTL plus the election timeout again' },
  ],
  defaultSeed: 1,
  prediction: {
    question: `Will alice still read ${jobKey} after its lease's ${ttlSeconds} s have run out (and a sweep has passed)?`,
    setup: () =>
      `alice grants a ${ttlSeconds} s lease, puts ${jobKey} with it and sends no keepalives. At ${restartAtMs / 1000} s etcd restarts (down 0.2 s) and comes back as the leader. ` +
      "Every second she reads the key and the lease's TTL.",
    outcome(result) {
      const granted = result.trace.ofKind('lease-granted')[0];
      const expired = result.trace.ofKind('lease-expired')[0];
      const originalDeadlineMs = granted === undefined ? Infinity : granted.atMs + ttlSeconds * 1000;
      const late = keyPolls(result, 'alice', jobKey).find((poll) => poll.atMs > originalDeadlineMs + leaseSweepIntervalMs && poll.present);
      return late !== undefined
        ? {
            happened: true,
            detail: `yes: at ${seconds(late.atMs)}, past the original deadline ${seconds(originalDeadlineMs)}; the restart gave the lease a fresh TTL and it expired only at ${seconds(expired?.atMs)}`,
          }
        : {
            happened: false,
            detail: `no: no read after the original deadline ${seconds(originalDeadlineMs)} and a sweep found the key (expired ${seconds(expired?.atMs)})`,
          };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 20_000 });
    sim.process('alice', async ({ client, sleep, log }) => {
      const { ID } = await client.grant(ttlSeconds);
      await client.put(jobKey, 'alice', { lease: ID });
      for (let i = 0; i < 12; i++) {
        await sleep(1000);
        try {
          const { kvs } = await client.get(jobKey, { timeoutMs: 800 });
          const { TTL } = await client.timeToLive(ID, { timeoutMs: 800 });
          log(kvs.length > 0 ? `${jobKey} is there, lease TTL ${TTL}s` : `${jobKey} is gone`);
        } catch (error) {
          log(`poll failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
    sim.at(restartAtMs, (world) => world.serverRestart({ downMs: 200 }));
    return sim;
  },
  check(result) {
    const granted = result.trace.ofKind('lease-granted')[0];
    const up = result.trace.ofKind('server-up')[0];
    const expired = result.trace.ofKind('lease-expired')[0];
    const ttls = calls(result, { process: 'alice', method: 'leaseTimeToLive' })
      .filter((record) => record.outcome === 'ok')
      .map((record) => ({ atMs: record.returnedAtMs!, ttl: (record.response as LeaseTimeToLiveResponse).TTL }));
    const lastBefore = ttls.filter((poll) => poll.atMs < restartAtMs).at(-1);
    const firstAfter = up === undefined ? undefined : ttls.find((poll) => poll.atMs > up.atMs);
    const originalDeadlineMs = (granted?.atMs ?? 0) + ttlSeconds * 1000;
    const promotedDeadlineMs = (up?.atMs ?? 0) + electionTimeoutMs + ttlSeconds * 1000;
    const polls = keyPolls(result, 'alice', jobKey);
    const pastOriginal = polls.filter((poll) => poll.atMs > originalDeadlineMs + leaseSweepIntervalMs && poll.atMs < promotedDeadlineMs);
    return [
      claim('the server came back and promoted the lease', up !== undefined && up.leases === 1, `up at ${seconds(up?.atMs)} with ${up?.leases} lease(s)`),
      claim(
        'the TTL alice read went back up after the restart',
        lastBefore !== undefined && firstAfter !== undefined && firstAfter.ttl > lastBefore.ttl,
        `before: ${lastBefore?.ttl}s at ${seconds(lastBefore?.atMs)}; after: ${firstAfter?.ttl}s at ${seconds(firstAfter?.atMs)}`,
      ),
      claim(
        'the new deadline is a full TTL + election timeout after the restart',
        expired !== undefined && expired.atMs >= promotedDeadlineMs && expired.atMs < promotedDeadlineMs + leaseSweepIntervalMs,
        `promoted deadline ${seconds(promotedDeadlineMs)}, expired ${seconds(expired?.atMs)}`,
      ),
      claim(
        'the key outlived its original deadline',
        pastOriginal.length > 0 && pastOriginal.every((poll) => poll.present),
        `original deadline ${seconds(originalDeadlineMs)}; ${pastOriginal.length} later polls still saw the key`,
      ),
    ];
  },
};
