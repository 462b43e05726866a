/**
 * one-way-partition: a link that works in one direction only. alice's
 * requests reach etcd but its answers never come back; carol's requests are
 * lost. Each side of each link believes
 * something different, and the story shows who is wrong, and how.
 */
import type { Client } from '../client/index.ts';
import { etcdMutexFenced } from '../client/index.ts';
import { fromUtf8 } from '../store/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { jepsenEtcd } from './analyses.ts';
import { calls, claim, logLines, margin, networkKnob, seconds, type Knobs, type RunPlace, type Scenario } from './scenario.ts';
import { addWaitingBob } from './waiting-bob.ts';

const lockName = '/lock';
const configKey = '/config';
const membersPrefix = '/members/';
const defaultTtlSeconds = 5;
const cutAtMs = 2500;
/** alice writes /config this long after the cut: the write lands, the answer is lost. */
const writeAtMs = 3000;

function settings(knobs: Knobs) {
  const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
  // Heal well after every lease involved has had time to expire (alice's keeps being renewed until her client gives up).
  const healAtMs = cutAtMs + 4 * ttlSeconds * 1000 + 6000;
  return { ttlSeconds, healAtMs };
}

/** On an endpoint: a client's once-a-second deadline check and etcd's 500 ms sweep, in either order. */
const endpointDeadlineSlackMs = 1500;

function renewalsOf(result: SimResult<Client>, leaseId: bigint | undefined): number[] {
  return result.trace
    .ofKind('lease-renewed')
    .filter((event) => event.leaseId === leaseId)
    .map((event) => event.atMs);
}

function answersOf(result: SimResult<Client>, process: string): number[] {
  return result.trace.events.flatMap((event) =>
    event.kind === 'client' && event.process === process && event.event.kind === 'keepalive-answered' ? [event.atMs] : [],
  );
}

export const oneWayPartition: Scenario = {
  name: 'one-way-partition',
  title: 'A one-way partition: each side believes something else',
  summary: "alice's answers are lost (her requests still land); carol's requests are lost",
  story:
    `alice holds ${lockName} (etcd Mutex, TTL ${defaultTtlSeconds} s); bob waits. carol keeps ${membersPrefix}carol alive with her own lease. ` +
    `At ${cutAtMs / 1000} s two links break, each in one direction only. etcd → alice: alice's requests still arrive, etcd's answers are lost. ` +
    'So the server renews her lease at every keepalive and applies her write to /config, while her client hears nothing: the write times out with an unknown outcome ' +
    '(it happened), and her client gives the lock up when its local deadline passes. Only then do her keepalives stop; the server keeps her lease (and the lock) one more TTL, ' +
    'so bob waits for a lock nobody believes they hold. Safe, but slow, and her "failed" write is in etcd. ' +
    'carol → etcd: her keepalives are lost, the server expires her lease and deletes her key while carol still believes she is registered, ' +
    'until her own deadline passes: that direction errs the other way, as a full partition does. A timeout says nothing about what the other side did.',
  sources: [
    { file: 'lease/lessor.go', func: '(*lessor).Renew', shows: "alice's keepalives arrive and renew her lease, though their answers are lost" },
    { file: 'clientv3/lease.go', func: '(*lessor).deadlineLoop', shows: "alice's client drops the lease when no answer came before its local deadline" },
    { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: 'keepalives go out until the client drops the lease, then stop' },
    {
      file: 'lease/lessor.go',
      func: '(*lessor).revokeExpiredLeases',
      shows: "the server expires alice's lease one TTL after the last keepalive that arrived, and carol's after the last of hers",
    },
  ],
  analyses: [{ ...jepsenEtcd, shows: 'an operation that timed out may still have taken effect: a client must treat its outcome as unknown' }],
  defaultSeed: 1,
  knobs: [
    { name: 'ttl', default: `${defaultTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
  ],
  prediction: {
    question: `Will alice and bob both believe they hold ${lockName} at the same time?`,
    setup: (knobs) =>
      `alice holds ${lockName} (lease TTL ${knobs.ttlSeconds ?? defaultTtlSeconds} s); bob waits. At ${cutAtMs / 1000} s etcd's answers to alice are lost, ` +
      "but alice's requests (her keepalives too) still reach etcd.",
    outcome(result) {
      const both = overlappingBeliefs(lockBeliefs(result.trace.events)).find((overlap) => overlap.lockName === lockName);
      return both === undefined
        ? {
            happened: false,
            detail: "no: alice's client gave the lock up while the server still kept her lease alive; bob got it only after the server expired it",
          }
        : { happened: true, detail: `yes: both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}` };
    },
  },
  build(seed, knobs = {}) {
    const { ttlSeconds, healAtMs } = settings(knobs);
    const sim = new Sim({ seed, msMax: healAtMs + 20_000, ...networkKnob(knobs) });
    sim.process('alice', async ({ client, sleep, log, now }) => {
      const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
      const { fencingToken } = await lock.acquire();
      log(`holds ${lockName} with token ${fencingToken}`);
      void lock.lost.then(() => log('my client says the lock is lost'));
      await sleep(writeAtMs - now());
      try {
        await client.put(configKey, 'alice v2');
        log(`put ${configKey}: ok`);
      } catch (error) {
        log(`put ${configKey} failed: ${(error as Error).message}`);
      }
      await sleep(healAtMs);
      client.close();
    });
    addWaitingBob(sim, lockName, ttlSeconds);
    sim.process(
      'carol',
      async ({ client, sleep, log }) => {
        const { ID } = await client.grant(ttlSeconds);
        const keepAlive = client.keepAlive(ID);
        await client.put(`${membersPrefix}carol`, 'up', { lease: ID });
        log(`registered ${membersPrefix}carol with her lease`);
        void keepAlive.done.then((reason) => log(`my client gave the lease up (${reason})`));
        await sleep(healAtMs);
        client.close();
      },
      { startAtMs: 200 },
    );
    sim.at(cutAtMs, (world) => {
      world.partition('server', 'alice', { oneWay: true });
      world.partition('carol', 'server', { oneWay: true });
    });
    sim.at(healAtMs, (world) => world.heal());
    return sim;
  },
  check(result, knobs = {}, place: RunPlace = 'simulator') {
    const { healAtMs } = settings(knobs);
    const leases = leaseLifetimes(result.trace.events);
    const aliceLease = leases.find((lease) => lease.process === 'alice');
    const carolLease = leases.find((lease) => lease.process === 'carol');
    const beliefs = lockBeliefs(result.trace.events);
    const alice = beliefs.find((belief) => belief.process === 'alice');
    const bob = beliefs.find((belief) => belief.process === 'bob');
    const renewedAfterCut = renewalsOf(result, aliceLease?.leaseId).filter((atMs) => atMs > cutAtMs);
    const aliceAnswersAfterCut = answersOf(result, 'alice').filter((atMs) => atMs > cutAtMs);
    const put = calls(result, { process: 'alice', method: 'put' }).find(
      (call) => (call.request as { key?: Uint8Array }).key !== undefined && fromUtf8((call.request as { key: Uint8Array }).key) === configKey,
    );
    const applied = result.trace.ofKind('kv-applied').find((event) => event.changes.some((change) => change.key === configKey && change.type === 'put'));
    const carolRenewedAfterCut = renewalsOf(result, carolLease?.leaseId).filter((atMs) => atMs > cutAtMs + 50);
    const carolGaveUp = logLines(result, 'carol').find((line) => line.message.startsWith('my client gave the lease up'));
    const overlaps = overlappingBeliefs(beliefs);
    return [
      claim(
        "etcd kept renewing alice's lease after the cut: her keepalives arrived",
        renewedAfterCut.length > 0,
        `${renewedAfterCut.length} renewal(s) on the server after ${seconds(cutAtMs)}, the last at ${seconds(renewedAfterCut.at(-1))}`,
      ),
      claim(
        "alice's client heard no answer after the cut",
        aliceAnswersAfterCut.length === 0,
        `${aliceAnswersAfterCut.length} keepalive answer(s) reached her after ${seconds(cutAtMs)}`,
      ),
      claim(
        `alice's put of ${configKey} timed out (outcome unknown to her), yet etcd applied it`,
        put !== undefined && put.outcome === 'unknown' && applied !== undefined && applied.atMs < (put.returnedAtMs ?? Infinity),
        `sent ${seconds(put?.calledAtMs)}, applied at rev ${applied?.revision ?? '?'} ${seconds(applied?.atMs)}, her client gave up waiting ${seconds(put?.returnedAtMs)} (${put?.outcome ?? 'no answer'})`,
      ),
      claim(
        'alice gave the lock up while the server still kept her lease alive',
        alice?.end === 'lost' && aliceLease?.endedAtMs !== undefined && alice.untilMs! < aliceLease.endedAtMs,
        `her client gave up ${seconds(alice?.untilMs)}, the server expired her lease ${seconds(aliceLease?.endedAtMs)}${margin(alice?.untilMs, aliceLease?.endedAtMs ?? 0, 'later', 'earlier')}`,
      ),
      claim(
        "bob got the lock only after the server expired alice's lease: the lock sat idle in between",
        bob !== undefined &&
          aliceLease?.endedAtMs !== undefined &&
          bob.fromMs >= aliceLease.endedAtMs &&
          alice?.untilMs !== undefined &&
          bob.fromMs > alice.untilMs,
        `nobody believed they held ${lockName} from ${seconds(alice?.untilMs)} to ${seconds(bob?.fromMs)}`,
      ),
      claim(
        'no two clients believed they held the lock at once (this direction errs on the safe side)',
        overlaps.length === 0,
        overlaps.length === 0 ? 'no overlap' : `overlap from ${seconds(overlaps[0]!.fromMs)}`,
      ),
      claim(
        "carol's keepalives were lost: etcd expired her lease",
        carolLease?.end === 'expired' && carolRenewedAfterCut.length === 0 && carolLease.endedAtMs! < healAtMs,
        `no renewal after the cut, expired ${seconds(carolLease?.endedAtMs)}`,
      ),
      place === 'endpoint'
        ? // A real etcd sweeps at a phase nobody outside knows, and her client checks its deadline once a second: either may come first.
          claim(
            'carol believed she was registered until her local deadline, within one deadline check and one sweep of etcd deleting her key',
            carolGaveUp !== undefined &&
              carolLease?.endedAtMs !== undefined &&
              Math.abs(carolGaveUp.atMs - carolLease.endedAtMs) <= endpointDeadlineSlackMs &&
              carolGaveUp.atMs < healAtMs,
            `etcd deleted ${membersPrefix}carol ${seconds(carolLease?.endedAtMs)}, her client gave the lease up ${seconds(carolGaveUp?.atMs)}${margin(carolLease?.endedAtMs, carolGaveUp?.atMs ?? 0, 'later', 'earlier')}`,
          )
        : claim(
            'carol believed she was still registered after etcd had deleted her key, until her local deadline',
            carolGaveUp !== undefined && carolLease?.endedAtMs !== undefined && carolGaveUp.atMs > carolLease.endedAtMs && carolGaveUp.atMs < healAtMs,
            `etcd deleted ${membersPrefix}carol ${seconds(carolLease?.endedAtMs)}, her client gave the lease up ${seconds(carolGaveUp?.atMs)}${margin(carolLease?.endedAtMs, carolGaveUp?.atMs ?? 0, 'later', 'earlier')}`,
          ),
    ];
  },
};
