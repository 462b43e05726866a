/**
 * lease-expiry: a key attached to a lease nobody keeps alive disappears, but
 * not at the deadline: at the server's next 500 ms expiry sweep after it.
 */
import { leaseSweepIntervalMs, type RangeResponse } from '../store/index.ts';
import type { Client } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { calls, claim, seconds, type RunPlace, type Scenario, type StoryAssertion } from './scenario.ts';

export const jobKey = '/cron/lock/job1';
export const leaseTtlSeconds = 5;
const pollCount = 9;
/** On an endpoint: how long after its sweep a revoke may be seen (a raft write, then the watch's way back). */
export const endpointRevokeMsMax = 250;

/** What each poll saw: was the key there, at which revision. */
export function keyPolls(result: SimResult<Client>, process: string, key: string): { atMs: number; present: boolean; revision: number }[] {
  return calls(result, { process, method: 'range' })
    .filter((record) => record.outcome === 'ok' && record.returnedAtMs !== undefined)
    .filter((record) => new TextDecoder().decode((record.request as { key?: Uint8Array }).key ?? new Uint8Array()) === key)
    .map((record) => {
      const response = record.response as RangeResponse;
      return { atMs: record.returnedAtMs!, present: response.kvs.length > 0, revision: response.header.revision };
    });
}

/**
 * The claim that a lease's end (`what`: its expiry, its revoke) deleted the key in a revision of its
 * own: the very next one in the simulator (`simulatorClaim`), a later one on an endpoint others share.
 */
export function ownRevisionClaim(place: RunPlace, what: string, putRevision: number | undefined, revision: number, simulatorClaim: string): StoryAssertion {
  return place === 'endpoint'
    ? claim(
        `the ${what} deleted the key in one revision of its own`,
        putRevision !== undefined && revision > putRevision,
        `put at rev ${putRevision}, ${what} at rev ${revision} (on a shared endpoint other clients may write in between)`,
      )
    : claim(simulatorClaim, putRevision !== undefined && revision === putRevision + 1, `put at rev ${putRevision}, ${what} at rev ${revision}`);
}

export const leaseExpiry: Scenario = {
  name: 'lease-expiry',
  title: 'A lease runs out',
  summary: 'grant a 5 s lease, attach a key, stop caring: the key goes at the first sweep after the deadline',
  story:
    `alice grants a ${leaseTtlSeconds} s lease and puts ${jobKey} with it, as a cron job claiming its turn, ` +
    'then never sends a keepalive. Every second she reads the key and asks the lease its remaining TTL. ' +
    'Watch the TTL count down 3, 2, 1, 0 (etcd truncates the remaining seconds), the key stay readable right up to and past the deadline, ' +
    "and then vanish at the server's next 500 ms expiry sweep, in one new revision.",
  sources: [
    { file: 'lease/lessor.go', func: '(*lessor).Grant', shows: 'the server grants the lease with a deadline of now + TTL' },
    { file: 'lease/lessor.go', func: '(*lessor).runLoop', shows: 'every 500 ms the leader looks for leases past their deadline' },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: 'the sweep revokes them: expiry comes up to 500 ms after the deadline' },
    { file: 'lease/lessor.go', func: '(*lessor).Revoke', shows: 'revoking deletes every key attached to the lease in one write' },
  ],
  defaultSeed: 1,
  knobs: [{ name: 'ttl', default: `${leaseTtlSeconds} s` }],
  prediction: {
    question: "Will alice still read the key after its lease's deadline has passed?",
    setup: (knobs) =>
      `alice grants a ${knobs.ttlSeconds ?? leaseTtlSeconds} s lease, puts ${jobKey} with it and never keeps it alive. Every second she reads the key.`,
    outcome(result) {
      const granted = result.trace.ofKind('lease-granted')[0];
      const expired = result.trace.ofKind('lease-expired')[0];
      const deadlineMs = granted === undefined ? Infinity : granted.atMs + granted.ttlSeconds * 1000;
      const late = keyPolls(result, 'alice', jobKey).find((poll) => poll.atMs > deadlineMs && poll.present);
      return late !== undefined
        ? {
            happened: true,
            detail: `yes: at ${seconds(late.atMs)}, past the deadline ${seconds(deadlineMs)}; etcd deleted it at the sweep, ${seconds(expired?.atMs)}`,
          }
        : { happened: false, detail: `no: no read between the deadline ${seconds(deadlineMs)} and the sweep ${seconds(expired?.atMs)} found it` };
    },
  },
  build(seed, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    const polls = Math.max(pollCount, ttlSeconds + 4);
    const sim = new Sim({ seed, msMax: Math.max(20_000, (polls + 6) * 1000) });
    sim.process('alice', async ({ client, sleep, log }) => {
      const { ID, TTL } = await client.grant(ttlSeconds);
      log(`granted lease with TTL ${TTL}s; nobody will keep it alive`);
      await client.put(jobKey, 'alice', { lease: ID });
      for (let i = 0; i < polls; i++) {
        await sleep(1000);
        const { kvs } = await client.get(jobKey);
        const { TTL: remaining } = await client.timeToLive(ID);
        log(kvs.length > 0 ? `${jobKey} is still there, lease TTL ${remaining}s` : `${jobKey} is gone, lease TTL ${remaining} (not found)`);
      }
    });
    return sim;
  },
  check(result, knobs = {}, place = 'simulator') {
    const ttlSeconds = knobs.ttlSeconds ?? leaseTtlSeconds;
    const assertions: StoryAssertion[] = [];
    const granted = result.trace.ofKind('lease-granted')[0];
    const expired = result.trace.ofKind('lease-expired')[0];
    const put = calls(result, { process: 'alice', method: 'put' })[0];
    const putRevision = (put?.response as { header?: { revision: number } } | undefined)?.header?.revision;
    const polls = keyPolls(result, 'alice', jobKey);
    assertions.push(
      claim(
        `the lease was granted with TTL ${ttlSeconds} s`,
        granted?.ttlSeconds === ttlSeconds,
        `granted at ${seconds(granted?.atMs)} with TTL ${granted?.ttlSeconds}s${granted !== undefined && granted.ttlSeconds > ttlSeconds ? " (etcd's minimum TTL is 2 s)" : ''}`,
      ),
    );
    if (granted === undefined || expired === undefined) {
      assertions.push(claim('the lease expired', false, 'no expiry in the trace'));
      return assertions;
    }
    const deadlineMs = granted.atMs + granted.ttlSeconds * 1000;
    const firstSweepMs = Math.ceil(deadlineMs / leaseSweepIntervalMs) * leaseSweepIntervalMs;
    if (place === 'endpoint') {
      // A real server's sweep runs at a phase nobody outside knows; the grant is known from its answer (the latest
      // the deadline can be) and the expiry from a watch: it comes after the deadline, within one sweep of it.
      const grantSentMs = calls(result, { process: 'alice', method: 'leaseGrant' })[0]?.calledAtMs ?? granted.atMs;
      const earliestDeadlineMs = grantSentMs + granted.ttlSeconds * 1000;
      assertions.push(
        claim(
          'it expired after its deadline, within one 500 ms sweep of it',
          expired.atMs >= earliestDeadlineMs && expired.atMs <= deadlineMs + leaseSweepIntervalMs + endpointRevokeMsMax,
          `deadline ${seconds(earliestDeadlineMs)}–${seconds(deadlineMs)}, expired at ${seconds(expired.atMs)} (as a watch saw it): ${Math.round(expired.atMs - deadlineMs)} ms after its deadline`,
        ),
      );
    } else {
      assertions.push(
        claim(
          'it expired at the first 500 ms sweep after its deadline, not at the deadline',
          expired.atMs === firstSweepMs,
          `deadline ${seconds(deadlineMs)}, expired at ${seconds(expired.atMs)}: ${Math.round(expired.atMs - deadlineMs)} ms after its deadline (first sweep after it: ${seconds(firstSweepMs)})`,
        ),
      );
    }
    const before = polls.filter((poll) => poll.atMs < expired.atMs);
    const after = polls.filter((poll) => poll.atMs > expired.atMs);
    const pastDeadline = before.filter((poll) => poll.atMs > deadlineMs).length;
    assertions.push(
      place === 'endpoint'
        ? // Whether a poll falls between the deadline and a real server's sweep depends on the sweep's unknown phase.
          claim(
            'the key was readable at every poll before the sweep',
            before.length > 0 && before.every((poll) => poll.present),
            `${before.length} polls before ${seconds(expired.atMs)} all saw the key; ${pastDeadline} of them after the deadline (on an endpoint, whether one falls there depends on the sweep's phase)`,
          )
        : claim(
            'the key was readable at every poll before the sweep, even past the deadline',
            before.length > 0 && before.every((poll) => poll.present) && pastDeadline > 0,
            `${before.length} polls before ${seconds(expired.atMs)} all saw the key; ${pastDeadline} of them after the deadline`,
          ),
    );
    assertions.push(
      claim(
        'the key is gone after the sweep',
        after.length > 0 && after.every((poll) => !poll.present),
        `${after.length} polls after ${seconds(expired.atMs)} found no key`,
      ),
    );
    assertions.push(ownRevisionClaim(place, 'expiry', putRevision, expired.revision, 'the expiry deleted the key in exactly one new revision'));
    return assertions;
  },
};
