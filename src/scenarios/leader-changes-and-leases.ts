/**
 * leader-changes-keep-lease and checkpoint-expires-lease: in etcd 3.4 only
 * the leader counts a lease's time. A new leader gives every lease its full
 * TTL again (plus the election timeout), so a lease nobody keeps alive
 * survives as long as leaders change more often than its TTL (etcd #9888).
 * Lease checkpointing (--experimental-enable-lease-checkpoint, off by
 * default) has the leader write each long lease's remaining TTL to the log
 * every 5 minutes; a new leader starts from that instead.
 */
import { electionTimeoutMs, type LeaseTimeToLiveResponse } from '../store/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import type { Client } from '../client/index.ts';
import { leadersElected } from './cluster-roles.ts';
import { keyPolls } from './lease-expiry.ts';
import { calls, claim, seconds, type Prediction, type Scenario } from './scenario.ts';

const ttlSeconds = 600;
const grantAtMs = 3000;
/** Leader changes every 6 minutes: more often than the 10-minute TTL, less often than the 5-minute checkpoint. */
const leaderChangeEveryMs = 6 * 60 * 1000;
const leaderChanges = 4;
const runMs = 30 * 60 * 1000;
const pollEveryMs = 30_000;
const checkpointIntervalMs = 5 * 60 * 1000;
const sessionKey = '/sessions/worker-1';

function build(seed: number, leaseCheckpoint: boolean): Sim {
  const sim = new Sim({ seed, msMax: runMs, cluster: { members: 3, leaseCheckpoint } });
  sim.process(
    'alice',
    async ({ client, sleep, log }) => {
      const { ID } = await client.grant(ttlSeconds);
      await client.put(sessionKey, 'alive', { lease: ID });
      log(`granted a ${ttlSeconds} s lease and never keeps it alive`);
      while (true) {
        await sleep(pollEveryMs);
        try {
          const { kvs } = await client.get(sessionKey, { timeoutMs: 2000 });
          if (kvs.length === 0) {
            log(`${sessionKey} is gone`);
            break;
          }
          await client.timeToLive(ID, { timeoutMs: 2000 });
        } catch {
          // a leader change is under way: ask again at the next poll
        }
      }
      await sleep(runMs);
    },
    { startAtMs: grantAtMs },
  );
  for (let i = 1; i <= leaderChanges; i++) sim.at(i * leaderChangeEveryMs, (world) => world.serverRestart({ downMs: 2000 }));
  return sim;
}

/** The TTLs alice read, with when. */
function ttlPolls(result: SimResult<Client>): { atMs: number; ttl: number }[] {
  return calls(result, { process: 'alice', method: 'leaseTimeToLive' })
    .filter((record) => record.outcome === 'ok')
    .map((record) => ({ atMs: record.returnedAtMs!, ttl: (record.response as LeaseTimeToLiveResponse).TTL }));
}

/** The first TTL read after each leader change, and what it says the lease had at the change (the TTL read + the time since). */
function ttlsAfterChanges(result: SimResult<Client>): { changeAtMs: number; ttl: number | undefined; atChange: number | undefined }[] {
  const polls = ttlPolls(result);
  return Array.from({ length: leaderChanges }, (_, i) => {
    const changeAtMs = (i + 1) * leaderChangeEveryMs;
    const poll = polls.find((candidate) => candidate.atMs > changeAtMs + 5000);
    return { changeAtMs, ttl: poll?.ttl, atChange: poll === undefined ? undefined : Math.round(poll.ttl + (poll.atMs - changeAtMs) / 1000) };
  });
}

function newLeaders(result: SimResult<Client>): number {
  return leadersElected(result).filter((event) => event.atMs > leaderChangeEveryMs - 1).length;
}

/** The same question for both runs: does the forgotten lease's key outlive three TTLs? */
const keyOutlivesPrediction = (leaseCheckpoint: boolean): Prediction => ({
  question: `Will ${sessionKey} still be there after 30 minutes, three times its lease's ${ttlSeconds / 60}-minute TTL, with no keepalive ever sent?`,
  setup: () =>
    `Three etcd members${leaseCheckpoint ? ', run with lease checkpointing on (--experimental-enable-lease-checkpoint)' : ' (etcd 3.4 defaults)'}. ` +
    `At ${grantAtMs / 1000} s alice grants a ${ttlSeconds} s lease, puts ${sessionKey} with it, and never sends a keepalive. ` +
    `Every ${leaderChangeEveryMs / 60_000} minutes the leader restarts (down 2 s) and another member takes over. alice reads the key every ${pollEveryMs / 1000} s.`,
  outcome(result) {
    const polls = keyPolls(result, 'alice', sessionKey);
    const last = polls.at(-1);
    const expired = result.trace.ofKind('lease-expired')[0];
    const outlived = last !== undefined && last.present && last.atMs > grantAtMs + 3 * ttlSeconds * 1000 - pollEveryMs;
    return outlived
      ? { happened: true, detail: `yes: present at ${seconds(last.atMs)}; every new leader gave the lease its full TTL again` }
      : {
          happened: false,
          detail: `no: the lease expired at ${seconds(expired?.atMs)}; alice last read the key ${last?.present ? 'present' : 'gone'} at ${seconds(last?.atMs)}`,
        };
  },
});

export const leaderChangesKeepLease: Scenario = {
  name: 'leader-changes-keep-lease',
  title: 'Leader changes keep a forgotten lease alive forever',
  summary: 'a 10-minute lease nobody renews survives 30 minutes: every new leader hands it a full TTL again',
  story:
    `alice grants a ${ttlSeconds / 60}-minute lease, attaches ${sessionKey} and never sends a keepalive. Every 6 minutes the leader restarts and ` +
    'another member takes over. Followers do not count lease time in etcd 3.4; a new leader, once it has applied its first entry, promotes ' +
    'every lease: full TTL plus the election timeout, from now. The lease never gets within 4 minutes of expiring; the key is still there after ' +
    '30 minutes, three TTLs later. Compare checkpoint-expires-lease, the same run with lease checkpointing on.',
  sources: [
    {
      file: 'etcdserver/server.go',
      func: '(*EtcdServer).applyEntryNormal',
      shows: "a new leader promotes its lessor once it applied its term's first (empty) entry",
    },
    { file: 'lease/lessor.go', func: '(*lessor).Promote', shows: 'every lease gets its remaining (checkpointed) or full TTL plus the election timeout' },
  ],
  defaultSeed: 1,
  prediction: keyOutlivesPrediction(false),
  build: (seed) => build(Number(seed), false),
  check(result) {
    const after = ttlsAfterChanges(result);
    const polls = keyPolls(result, 'alice', sessionKey);
    const last = polls.at(-1);
    const expired = result.trace.ofKind('lease-expired');
    return [
      claim(`the leader changed ${leaderChanges} times`, newLeaders(result) >= leaderChanges, `${newLeaders(result)} leaders elected after the first`),
      claim(
        'after each change the lease had its full TTL again',
        after.every(({ atChange }) => atChange !== undefined && atChange >= ttlSeconds && atChange <= ttlSeconds + 5),
        after
          .map(({ changeAtMs, ttl, atChange }) => `change at ${seconds(changeAtMs)}: TTL read ${ttl ?? '?'} s, so ~${atChange ?? '?'} s at the change`)
          .join('; '),
      ),
      claim(
        `the key outlived its ${ttlSeconds} s TTL three times over, and the lease never expired`,
        last !== undefined && last.present && last.atMs > grantAtMs + 3 * ttlSeconds * 1000 - pollEveryMs && expired.length === 0,
        `last poll at ${seconds(last?.atMs)}: ${last?.present ? 'present' : 'gone'}; ${expired.length} expiries`,
      ),
    ];
  },
};

export const checkpointExpiresLease: Scenario = {
  name: 'checkpoint-expires-lease',
  title: 'With lease checkpointing, leader changes no longer keep a lease alive',
  summary: 'the same forgotten 10-minute lease, checkpointed every 5 minutes: after a leader change it keeps only what was left, and expires',
  story:
    `The run of leader-changes-keep-lease with etcd's --experimental-enable-lease-checkpoint. Every ${checkpointIntervalMs / 60_000} minutes the leader ` +
    "writes each lease's remaining TTL to the log (only leases with more than that left: in etcd 3.4 the interval is 5 minutes, so short leases are never " +
    'checkpointed). At 5 minutes the lease has 300 s left, and every member learns it. The leader change at 6 minutes promotes the lease to that ' +
    'checkpointed 300 s plus the election timeout, not to 600 s: it expires at about 11 minutes, and its key with it. (The time between the checkpoint and ' +
    'the change is still given back: checkpointing bounds the extension, it does not remove it.)',
  sources: [
    { file: 'lease/lessor.go', func: '(*lessor).Checkpoint', shows: "every member records the leader's checkpointed remaining TTL" },
    {
      file: 'lease/lessor.go',
      func: '(*lessor).scheduleCheckpointIfNeeded',
      shows: 'only leases with more than the checkpoint interval left are checkpointed',
    },
  ],
  defaultSeed: 1,
  prediction: keyOutlivesPrediction(true),
  build: (seed) => build(Number(seed), true),
  check(result) {
    const after = ttlsAfterChanges(result)[0];
    const expired = result.trace.ofKind('lease-expired')[0];
    const firstChangeMs = leaderChangeEveryMs;
    const checkpointedSeconds = ttlSeconds - checkpointIntervalMs / 1000;
    const expectedExpiryMs = firstChangeMs + electionTimeoutMs + checkpointedSeconds * 1000;
    const polls = keyPolls(result, 'alice', sessionKey);
    const goneAt = polls.find((poll) => !poll.present);
    return [
      claim(
        'after the first leader change the lease kept only its checkpointed remaining TTL',
        after?.atChange !== undefined && after.atChange >= checkpointedSeconds && after.atChange <= checkpointedSeconds + 5,
        `change at ${seconds(firstChangeMs)}: TTL read ${after?.ttl ?? '?'} s, so ~${after?.atChange ?? '?'} s at the change (checkpointed at 5 min: ${checkpointedSeconds} s; without checkpoints: ${ttlSeconds} s)`,
      ),
      claim(
        'the lease expired about 11 minutes in, though the leader kept changing',
        expired !== undefined && Math.abs(expired.atMs - expectedExpiryMs) < 5000,
        `expired at ${seconds(expired?.atMs)}; the change at ${seconds(firstChangeMs)} + ${electionTimeoutMs} ms + ${checkpointedSeconds} s = ${seconds(expectedExpiryMs)}`,
      ),
      claim('alice saw her key gone', goneAt !== undefined && expired !== undefined && goneAt.atMs > expired.atMs, `gone at ${seconds(goneAt?.atMs)}`),
    ];
  },
};
