/**
 * client-clock-drift: alice's clock runs slow. Her client measures its
 * lease's local deadline (last answer + TTL) on that clock, so when etcd goes
 * quiet she believes in her lease for twice as long as etcd keeps it.
 */
import type { Client } from '../client/index.ts';
import { etcdMutexFenced } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { leaseLifetimes, lockBeliefs, overlappingBeliefs } from '../report/index.ts';
import { kleppmannLocking } from './analyses.ts';
import { claim, logLines, margin, networkKnob, seconds, type Knobs, type Scenario } from './scenario.ts';
import { addWaitingBob } from './waiting-bob.ts';

const lockName = '/lock';
const defaultTtlSeconds = 5;
const defaultDriftRate = 0.5;
/** clientv3's deadline loop looks every second (of the client's clock). */
const deadlineCheckMs = 1000;

function settings(knobs: Knobs) {
  const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
  const driftRate = knobs.driftRate ?? defaultDriftRate;
  // After a few keepalives (6 s with the 5 s TTL): the cut comes once the lease has been renewed.
  const partitionAtMs = 1200 * ttlSeconds;
  // Long enough for a slow clock to reach its deadline (and check it) before the heal.
  const healAtMs = partitionAtMs + Math.ceil((ttlSeconds * 1000 + 2 * deadlineCheckMs) / Math.min(1, driftRate)) + 3000;
  return { ttlSeconds, driftRate, partitionAtMs, healAtMs };
}

function keepAliveAnswers(result: SimResult<Client>, process: string): number[] {
  return result.trace.events.flatMap((event) =>
    event.kind === 'client' && event.process === process && event.event.kind === 'keepalive-answered' ? [event.atMs] : [],
  );
}

export const clientClockDrift: Scenario = {
  name: 'client-clock-drift',
  title: "A slow clock: the client's lease deadline is wrong",
  summary: "alice's clock runs at half speed; cut off from etcd, she believes in her lease twice as long as etcd keeps it",
  story:
    `alice locks ${lockName} (etcd Mutex, TTL ${defaultTtlSeconds} s); bob waits. alice's clock runs at ${defaultDriftRate}× real time (a throttled VM, a bad oscillator; ` +
    'real clocks drift less, but a lease only needs them to be a little wrong for a little too long). While she can talk to etcd nothing goes wrong: ' +
    "her keepalives go out every TTL/3 by her clock, about every 4 s of real time (TTL/3 rounded up to the loop's tick), still inside the 5 s TTL, and etcd renews on its own clock. " +
    `At ${(1200 * defaultTtlSeconds) / 1000} s she is cut off. etcd expires her lease one TTL after the last keepalive it heard, by its clock, and bob gets the lock. ` +
    "alice's client counts its local deadline (last answer + TTL) on her slow clock: 5 s of her time is 10 s of everyone else's. " +
    "So she believes she holds the lock for seconds after etcd gave it to bob. A lease is a promise measured on the server's clock; " +
    'the client only has its own. Try --drift 1 (she gives up within a second of the expiry) and --drift 2 (a fast clock gives up early: safe, but she drops a lock she still had).',
  sources: [
    { file: 'clientv3/lease.go', func: '(*lessor).recvKeepAlive', shows: "each answer sets the client's local deadline to its own now + TTL" },
    { file: 'clientv3/lease.go', func: '(*lessor).deadlineLoop', shows: 'the client drops the lease when its own clock passes that deadline' },
    { file: 'clientv3/lease.go', func: '(*lessor).sendKeepAliveLoop', shows: "keepalives every TTL/3 of the client's clock" },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: 'the server expires the lease by its own clock' },
  ],
  analyses: [
    {
      ...kleppmannLocking,
      shows: 'a lock that relies on timing (bounded clock drift) is unsafe when a clock misbehaves; only a fencing token protects the resource',
    },
  ],
  defaultSeed: 1,
  knobs: [
    { name: 'drift', default: `${defaultDriftRate}` },
    { name: 'ttl', default: `${defaultTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
  ],
  prediction: {
    question: `Will alice and bob both believe they hold ${lockName} at the same time?`,
    setup: (knobs) => {
      const { ttlSeconds, driftRate, partitionAtMs } = settings(knobs);
      return `alice holds ${lockName} (lease TTL ${ttlSeconds} s); bob waits. alice's clock runs at ${driftRate}× real time. At ${partitionAtMs / 1000} s she is cut off from etcd.`;
    },
    outcome(result) {
      const both = overlappingBeliefs(lockBeliefs(result.trace.events)).find((overlap) => overlap.lockName === lockName);
      return both === undefined
        ? { happened: false, detail: 'no: alice gave the lock up before etcd handed it to bob' }
        : { happened: true, detail: `yes: both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}` };
    },
  },
  build(seed, knobs = {}) {
    const { ttlSeconds, driftRate, partitionAtMs, healAtMs } = settings(knobs);
    const sim = new Sim({ seed, msMax: healAtMs + 20_000, ...networkKnob(knobs) });
    sim.process(
      'alice',
      async ({ client, sleep, log, now }) => {
        const lock = etcdMutexFenced.create(client, { lockName, ttlSeconds });
        const { fencingToken } = await lock.acquire();
        log(`holds ${lockName} with token ${fencingToken}; my clock reads ${(now() / 1000).toFixed(3)}s`);
        void lock.lost.then(() => log(`my client says the lock is lost; my clock reads ${(now() / 1000).toFixed(3)}s`));
        await sleep(Math.ceil(healAtMs * driftRate) + 1000); // her clock's ms: until after the heal
        client.close();
      },
      { clock: { driftRate } },
    );
    addWaitingBob(sim, lockName, ttlSeconds, 2000);
    sim.at(partitionAtMs, (world) => world.partition('alice', 'server'));
    sim.at(healAtMs, (world) => world.heal('alice', 'server'));
    return sim;
  },
  check(result, knobs = {}) {
    const { ttlSeconds, driftRate, partitionAtMs, healAtMs } = settings(knobs);
    const beliefs = lockBeliefs(result.trace.events);
    const alice = beliefs.find((belief) => belief.process === 'alice');
    const bob = beliefs.find((belief) => belief.process === 'bob');
    const lease = leaseLifetimes(result.trace.events).find((candidate) => candidate.process === 'alice');
    const answers = keepAliveAnswers(result, 'alice');
    const beforeCut = answers.filter((atMs) => atMs < partitionAtMs);
    const gaps = beforeCut.slice(1).map((atMs, i) => atMs - beforeCut[i]!);
    const lastAnswerMs = beforeCut.at(-1) ?? 0;
    const ttlMs = ttlSeconds * 1000;
    // A correct clock gives up by last answer + TTL, seen at the next once-a-second check.
    const trueClockBoundMs = lastAnswerMs + ttlMs + deadlineCheckMs;
    const lostLine = logLines(result, 'alice').find((line) => line.message.startsWith('my client says the lock is lost'));
    const clockAtLoss = lostLine === undefined ? undefined : /my clock reads ([\d.]+)s/.exec(lostLine.message)?.[1];
    const overlaps = overlappingBeliefs(beliefs);
    const both = overlaps.find((overlap) => overlap.holders.some((h) => h.process === 'alice') && overlap.holders.some((h) => h.process === 'bob'));
    return [
      claim(
        'while connected, her keepalives (every TTL/3 by her clock) kept the lease alive: etcd never expired it before the cut',
        gaps.length > 0 && gaps.every((gapMs) => gapMs < ttlMs) && lease?.endedAtMs !== undefined && lease.endedAtMs > partitionAtMs,
        `answers ${gaps.length === 0 ? 'too few to measure' : `every ${seconds(Math.min(...gaps))}–${seconds(Math.max(...gaps))} of real time`} (TTL ${ttlSeconds} s)`,
      ),
      claim(
        "etcd expired alice's lease by its own clock, one TTL after her last keepalive, while she was cut off",
        lease?.end === 'expired' && lease.endedAtMs! > partitionAtMs && lease.endedAtMs! < healAtMs,
        `last answer ${seconds(lastAnswerMs)}, expired ${seconds(lease?.endedAtMs)}`,
      ),
      claim(
        'bob got the lock after the expiry',
        bob !== undefined && lease?.endedAtMs !== undefined && bob.fromMs >= lease.endedAtMs,
        `bob acquired ${seconds(bob?.fromMs)}`,
      ),
      claim(
        `alice's client gave up only when her clock (at ${driftRate}×) passed last answer + TTL: later than a true clock would have`,
        alice?.end === 'lost' && alice.untilMs! > trueClockBoundMs,
        `she gave up ${seconds(alice?.untilMs)} real time (${clockAtLoss ?? '?'}s by her clock); a true clock gives up by ${seconds(trueClockBoundMs)}${margin(trueClockBoundMs, alice?.untilMs ?? 0, 'earlier', 'later')}`,
      ),
      claim(
        'alice and bob both believed they held the lock, for longer than a second',
        both !== undefined && (both.untilMs ?? Infinity) - both.fromMs > deadlineCheckMs,
        both === undefined ? 'no overlap' : `both believed from ${seconds(both.fromMs)} to ${seconds(both.untilMs)}`,
      ),
    ];
  },
};
