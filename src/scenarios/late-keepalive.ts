/**
 * late-keepalive: a keepalive that reaches the server after the lease's
 * deadline but before the 500 ms sweep does not revive the lease, and is
 * not answered at once either: the server waits until the sweep has revoked
 * the lease, then answers TTL 0. By the time the client hears it, the key
 * is gone.
 */
import { fromUtf8, leaseSweepIntervalMs, type LeaseId } from '../store/index.ts';
import { Sim } from '../sim/index.ts';
import { keyPolls, ownRevisionClaim } from './lease-expiry.ts';
import { calls, claim, seconds, type RunPlace, type Scenario } from './scenario.ts';

const probeKey = '/late/probe';
const jobKey = '/late/job';
const leaseTtlSeconds = 2;
/** Grant the job's lease this long after a sweep: its deadline falls between two sweeps. */
const afterSweepMs = 150;
/** A grant answered slower than this leaves its deadline too uncertain to aim between two sweeps. */
const grantSlowMs = 100;
/** Send the keepalive this long after the latest the deadline can be. */
const lateByMs = 40;
/** Read the key this long after sending the keepalive, while its answer waits. */
const readWhileWaitingMs = 50;
/** On an endpoint the keepalive answer and the watch event that shows the revoke race on two streams. */
const endpointRaceMs = 25;

export const lateKeepalive: Scenario = {
  name: 'late-keepalive',
  title: 'A keepalive after the deadline, before the sweep',
  summary: 'a keepalive that arrives after the deadline waits for the sweep to revoke the lease, then hears TTL 0: the key is already gone',
  story:
    `alice first learns when the server sweeps: she puts ${probeKey} with a throwaway ${leaseTtlSeconds} s lease and watches it vanish. ` +
    `Then, ${afterSweepMs} ms after a sweep, she grants her job's ${leaseTtlSeconds} s lease and puts ${jobKey} with it, so its deadline falls between two sweeps. ` +
    `She sends her keepalive ${lateByMs} ms too late: after the deadline, before the next sweep. The server does not revive the lease, ` +
    "and it does not answer at once either: etcd's Renew waits until the expired lease is revoked. Meanwhile the key is still readable. " +
    'At the sweep the lease is revoked (its key deleted in one revision), and only then does the answer come: TTL 0. ' +
    'So a client never hears "expired" while its key can still be read.',
  sources: [
    { file: 'lease/lessor.go', func: '(*lessor).Renew', shows: "a renew of an expired lease waits on the lease's revokec until the revoke is done" },
    {
      file: 'etcdserver/api/v3rpc/lease.go',
      func: '(*LeaseServer).leaseKeepAlive',
      shows: 'the header is taken before the renew; "lease not found" becomes TTL 0',
    },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: 'the 500 ms sweep hands the expired lease over to be revoked' },
    { file: 'lease/lessor.go', func: '(*lessor).Revoke', shows: 'the revoke deletes the key, then closes revokec: the waiting renew answers' },
  ],
  defaultSeed: 1,
  knobs: [{ name: 'ttl', default: `${leaseTtlSeconds} s` }],
  prediction: {
    question: 'Will the late keepalive save the lease (an answer with TTL above 0, the key kept)?',
    setup: (knobs) =>
      `alice grants a ${knobs.ttlSeconds ?? leaseTtlSeconds} s lease just after a sweep and puts ${jobKey} with it. ` +
      `She sends one keepalive ${lateByMs} ms after the lease's deadline, before the server's next sweep (sweeps come every ${leaseSweepIntervalMs} ms).`,
    outcome(result) {
      const jobPut = calls(result, { process: 'alice', method: 'put' }).find((record) => keyOf(record.request) === jobKey);
      const jobLease = (jobPut?.request as { lease?: LeaseId } | undefined)?.lease;
      const answered = result.trace.clientEvents('keepalive-answered').find((event) => event.event.leaseId === jobLease);
      const expired = result.trace.ofKind('lease-expired').find((event) => event.leaseId === jobLease);
      if (answered === undefined) return { happened: false, detail: 'no: the keepalive was never answered' };
      return answered.event.ttlSeconds > 0
        ? { happened: true, detail: `yes: answered TTL ${answered.event.ttlSeconds} at ${seconds(answered.atMs)}` }
        : { happened: false, detail: `no: answered TTL 0 at ${seconds(answered.atMs)}, once the sweep had revoked the lease (${seconds(expired?.atMs)})` };
    },
  },
  build(seed, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    const sim = new Sim({ seed, msMax: 20_000 + 3 * ttlSeconds * 1000 });
    sim.process('alice', async ({ client, sleep, log, now }) => {
      // 1. When does the server sweep? A throwaway lease's key vanishes at a sweep.
      const probe = await client.grant(ttlSeconds);
      const swept = new Promise<number>((resolve) => {
        const watcher = client.watch(probeKey, { noPut: true }, (update) => {
          if (update.kind !== 'events' || update.events.length === 0) return;
          watcher.cancel();
          resolve(now());
        });
      });
      await client.put(probeKey, 'probe', { lease: probe.ID });
      const sweptAtMs = await swept;
      log(`${probeKey} vanished at ${seconds(sweptAtMs)}: the server swept then (and sweeps every 500 ms)`);

      // 2. A lease whose deadline falls between two sweeps: granted just after one (sweeps come every 500 ms). On a
      // busy real server a slow answer leaves the deadline unknown by too much: she revokes that lease and tries again.
      let ID: LeaseId;
      let latestDeadlineMs: number;
      for (let sweepMs = sweptAtMs; ; ) {
        await sleep(sweepMs + afterSweepMs - now());
        const askedAtMs = now();
        ({ ID } = await client.grant(ttlSeconds));
        latestDeadlineMs = now() + ttlSeconds * 1000;
        if (now() - askedAtMs <= grantSlowMs) break;
        log(`the grant took ${Math.round(now() - askedAtMs)} ms: its deadline is not known well enough; again after the next sweep`);
        await client.revoke(ID);
        while (sweepMs + afterSweepMs <= now()) sweepMs += leaseSweepIntervalMs;
      }
      await client.put(jobKey, 'alice', { lease: ID });
      log(`granted lease ${showId(ID)} (TTL ${ttlSeconds} s) and put ${jobKey}; its deadline is by ${seconds(latestDeadlineMs)}`);

      // 3. The keepalive goes out too late.
      await sleep(latestDeadlineMs + lateByMs - now());
      const sentAtMs = now();
      log(`keepalive for ${showId(ID)}, ${lateByMs} ms past the deadline`);
      const answer = client.keepAliveOnce(ID).then(
        (response) => ({ ttl: response.TTL, atMs: now() }),
        () => ({ ttl: 0, atMs: now() }),
      );
      await sleep(readWhileWaitingMs);
      const { kvs: whileWaiting } = await client.get(jobKey);
      log(whileWaiting.length > 0 ? `while the keepalive waits, ${jobKey} is still there` : `while the keepalive waits, ${jobKey} is already gone`);
      const { ttl, atMs } = await answer;
      log(`keepalive answered TTL ${ttl} after ${Math.round(atMs - sentAtMs)} ms`);
      const { kvs: after } = await client.get(jobKey);
      log(after.length > 0 ? `${jobKey} is still there` : `${jobKey} is gone`);
    });
    return sim;
  },
  check(result, knobs = {}, place: RunPlace = 'simulator') {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    const jobPut = calls(result, { process: 'alice', method: 'put' }).find((record) => keyOf(record.request) === jobKey);
    const jobLease = (jobPut?.request as { lease?: LeaseId } | undefined)?.lease;
    const granted = result.trace.ofKind('lease-granted').find((event) => event.leaseId === jobLease);
    const expired = result.trace.ofKind('lease-expired').find((event) => event.leaseId === jobLease);
    const sent = result.trace.clientEvents('keepalive-sent').find((event) => event.event.leaseId === jobLease);
    const answered = result.trace.clientEvents('keepalive-answered').find((event) => event.event.leaseId === jobLease);
    const polls = keyPolls(result, 'alice', jobKey);
    if (jobLease === undefined || granted === undefined || sent === undefined || answered === undefined || expired === undefined) {
      return [
        claim(
          'the story ran to its end',
          false,
          `job put ${jobPut !== undefined}, granted ${granted !== undefined}, keepalive sent ${sent !== undefined}, answered ${answered !== undefined}, expired ${expired !== undefined}`,
        ),
      ];
    }
    const deadlineMs = granted.atMs + granted.ttlSeconds * 1000;
    const whileWaiting = polls.find((poll) => poll.atMs > sent.atMs && poll.atMs < answered.atMs);
    const afterAnswer = polls.find((poll) => poll.atMs >= answered.atMs);
    // On an endpoint the expiry's time is when a watch saw the key go: the keepalive answer may overtake it by a hair.
    const slackMs = place === 'endpoint' ? endpointRaceMs : 0;
    const putRevision = (jobPut?.response as { header?: { revision: number } } | undefined)?.header?.revision;
    return [
      claim(
        `the lease was granted with TTL ${ttlSeconds} s`,
        granted.ttlSeconds === ttlSeconds,
        `granted at ${seconds(granted.atMs)} with TTL ${granted.ttlSeconds} s`,
      ),
      claim(
        "the keepalive went out after the lease's deadline, and the sweep came after it",
        sent.atMs > deadlineMs && expired.atMs > sent.atMs,
        `deadline ${place === 'endpoint' ? 'by ' : ''}${seconds(deadlineMs)}, keepalive sent at ${seconds(sent.atMs)}, lease revoked at ${seconds(expired.atMs)}`,
      ),
      claim(
        'while its answer waited, the key was still readable',
        whileWaiting?.present === true,
        whileWaiting === undefined
          ? 'no read between the keepalive and its answer'
          : `read at ${seconds(whileWaiting.atMs)}: ${whileWaiting.present ? 'present' : 'gone'}`,
      ),
      claim(
        'the server answered only once the sweep had revoked the lease',
        answered.atMs + slackMs >= expired.atMs,
        `answered at ${seconds(answered.atMs)}, ${Math.round(answered.atMs - sent.atMs)} ms after it was sent; revoked at ${seconds(expired.atMs)}${place === 'endpoint' ? ' (as a watch saw it)' : ''}`,
      ),
      claim('the answer was TTL 0: a late keepalive does not revive the lease', answered.event.ttlSeconds === 0, `TTL ${answered.event.ttlSeconds}`),
      claim(
        'by the time alice heard TTL 0, her key was gone',
        afterAnswer !== undefined && !afterAnswer.present,
        afterAnswer === undefined ? 'no read after the answer' : `read at ${seconds(afterAnswer.atMs)}: ${afterAnswer.present ? 'still there' : 'gone'}`,
      ),
      ownRevisionClaim(place, 'revoke', putRevision, expired.revision, 'the revoke deleted the key in one new revision'),
    ];
  },
};

function keyOf(request: unknown): string {
  const key = (request as { key?: Uint8Array } | undefined)?.key;
  return key === undefined ? '' : fromUtf8(key);
}

function showId(id: LeaseId): string {
  return id.toString(16);
}
