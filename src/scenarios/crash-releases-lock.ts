/**
 * crash-releases-lock: the holder crashes without unlocking; its session's
 * lease stops being renewed, expires, its key goes, and the waiter gets the
 * lock. Nothing but the TTL frees it.
 */
import { leaseSweepIntervalMs } from '../store/index.ts';
import { etcdMutexFenced } from '../client/index.ts';
import { Sim } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { claim, margin, networkKnob, seconds, type Scenario } from './scenario.ts';
import { addWaitingBob } from './waiting-bob.ts';

const lockName = '/lock';
const defaultTtlSeconds = 5;
const crashAtMs = 3000;
/** Room for a few network hops (1–5 ms each) between the sweep and the waiter's acquire. */
const networkSlackMs = 50;

export const crashReleasesLock: Scenario = {
  name: 'crash-releases-lock',
  title: 'The holder crashes; the lease frees the lock',
  summary: 'the holder crashes without unlocking; the lock passes on within TTL + one sweep',
  story:
    `alice locks ${lockName} (etcd Mutex, session TTL ${defaultTtlSeconds} s); bob asks right after and waits. At ${crashAtMs / 1000} s alice crashes: ` +
    'no unlock, no revoke, her keepalives simply stop. Her key stays in etcd until her lease runs out: at most one TTL after her last keepalive, ' +
    "plus up to 500 ms for the next expiry sweep. The sweep deletes her key; bob's watch sees the DELETE and bob holds the lock. " +
    "Watch the gap between the crash and bob's acquire: the price of leases is that a dead holder blocks everyone for up to a TTL.",
  sources: [
    { file: 'clientv3/concurrency/session.go', func: 'NewSession', shows: "the lock key is attached to the session's lease" },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: "with no keepalives, the sweep revokes the crashed holder's lease" },
    { file: 'lease/lessor.go', func: '(*lessor).Revoke', shows: "revoking deletes the lock key, and the next waiter's watch fires" },
    { file: 'clientv3/concurrency/key.go', func: 'waitDeletes', shows: 'bob was waiting for exactly that delete' },
  ],
  defaultSeed: 1,
  knobs: [
    { name: 'ttl', default: `${defaultTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
  ],
  prediction: {
    question: "Will bob hold the lock within one second of alice's crash?",
    setup: (knobs) =>
      `alice holds ${lockName} (etcd Mutex, session TTL ${knobs.ttlSeconds ?? defaultTtlSeconds} s); bob asked for it at 0.5 s and waits. ` +
      `At ${crashAtMs / 1000} s alice's process crashes: no unlock, no revoke, nothing more from her.`,
    outcome(result) {
      const bob = lockBeliefs(result.trace.events).find((belief) => belief.process === 'bob');
      const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
      if (bob === undefined) return { happened: false, detail: 'no: bob never got the lock' };
      const afterMs = bob.fromMs - crashAtMs;
      const expiry = aliceLease?.end === 'expired' ? `; alice's lease expired at ${seconds(aliceLease.endedAtMs)}` : '';
      return afterMs <= 1000
        ? { happened: true, detail: `yes: bob acquired at ${seconds(bob.fromMs)}, ${Math.round(afterMs)} ms after the crash${expiry}` }
        : {
            happened: false,
            detail: `no: bob acquired at ${seconds(bob.fromMs)}, ${seconds(afterMs)} after the crash: the lock stayed alice's until her lease ran out${expiry}`,
          };
    },
  },
  build(seed, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
    const sim = new Sim({ seed, msMax: Math.max(30_000, crashAtMs + ttlSeconds * 1000 + 10_000), ...networkKnob(knobs) });
    sim.process('alice', async ({ client, sleep, log }) => {
      const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
      const { fencingToken } = await lock.acquire();
      log(`holds ${lockName} with token ${fencingToken}; working for a minute`);
      await sleep(60_000);
      await lock.release();
    });
    addWaitingBob(sim, lockName, ttlSeconds);
    sim.at(crashAtMs, (world) => world.crash('alice'));
    return sim;
  },
  check(result, knobs = {}) {
    const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
    const beliefs = lockBeliefs(result.trace.events);
    const alice = beliefs.find((belief) => belief.process === 'alice');
    const bob = beliefs.find((belief) => belief.process === 'bob');
    const aliceLease = leaseLifetimes(result.trace.events).find((lease) => lease.process === 'alice');
    // The server's own renewals (a keepalive sent just before the crash may still arrive after it).
    const renewals = result.trace.ofKind('lease-renewed').filter((renewal) => renewal.leaseId === aliceLease?.leaseId);
    const lastRenewalMs = Math.max(aliceLease?.grantedAtMs ?? 0, ...renewals.map((renewal) => renewal.atMs));
    // On an endpoint the crash lands a few ms after it was scheduled: its time is the trace's.
    const crashedAtMs = result.trace.ofKind('fault').find((event) => event.fault.kind === 'crash')?.atMs ?? crashAtMs;
    const boundMs = crashedAtMs + ttlSeconds * 1000 + leaseSweepIntervalMs + networkSlackMs;
    return [
      claim('alice held the lock first', alice !== undefined && alice.fromMs < crashAtMs, `alice acquired at ${seconds(alice?.fromMs)}`),
      claim(
        'her crash ended her belief (she believes nothing any more)',
        alice?.end === 'crashed' && alice.untilMs === crashedAtMs,
        `alice's belief ended by ${alice?.end} at ${seconds(alice?.untilMs)}`,
      ),
      claim(
        "the server expired alice's lease one TTL after her last keepalive, at the next sweep",
        aliceLease?.end === 'expired' &&
          aliceLease.endedAtMs! >= lastRenewalMs + ttlSeconds * 1000 &&
          aliceLease.endedAtMs! <= lastRenewalMs + ttlSeconds * 1000 + leaseSweepIntervalMs + networkSlackMs,
        `last renewed by the server ${seconds(lastRenewalMs)}, lease expired ${seconds(aliceLease?.endedAtMs)}, ${Math.round((aliceLease?.endedAtMs ?? 0) - lastRenewalMs - ttlSeconds * 1000)} ms after its deadline`,
      ),
      claim(
        'bob got the lock after the expiry, within TTL + one sweep of the crash',
        bob !== undefined && aliceLease?.endedAtMs !== undefined && bob.fromMs >= aliceLease.endedAtMs && bob.fromMs <= boundMs,
        `crash ${seconds(crashedAtMs)}, bob acquired ${seconds(bob?.fromMs)} (bound ${seconds(boundMs)}${margin(bob?.fromMs, boundMs, 'to spare', 'too late')})`,
      ),
      claim('never two holders at once', overlappingBeliefs(beliefs).length === 0, 'alice stopped believing when she crashed'),
      claim(
        "bob's token is higher than alice's",
        bob !== undefined && alice !== undefined && bob.fencingToken > alice.fencingToken,
        `alice ${alice?.fencingToken}, bob ${bob?.fencingToken}`,
      ),
    ];
  },
};
