/**
 * ttl-for-a-pause: pick a lease TTL. Too short and a 3 s stop-the-world GC
 * pause loses the lease (the server expires it, or the client's own deadline
 * passes while it sleeps); too long and a crashed holder keeps its key, and
 * everyone waiting, for too long. The answer is a number; the check pauses
 * (and crashes) a holder at every moment of a keepalive period.
 */
import type { Client } from '../client/index.ts';
import { Sim, type SimResult } from '../sim/index.ts';
import { leaseLifetimes, renderTextTimeline } from '../report/index.ts';
import { claim, logLines, margin, seconds } from '../scenarios/scenario.ts';
import { AnswerError, exported, type Exercise, type ExerciseVerdict } from './exercise.ts';

const leaderKey = '/leader';
export const gcPauseMs = 3000;
/** A crashed holder's key must be gone this soon after the crash. */
export const crashFreedWithinMs = 10_000;
/** The holder settles for a few seconds before the pause or crash. */
const faultFromMs = 4000;
/** Fault times are tried on this grid across one keepalive period. */
const gridMs = 250;
/** The holder looks at its key this long after the pause ends. */
const lookAfterMs = 2000;

/** clientv3 sends every TTL/3, on its 500 ms loop's tick. */
function keepAlivePeriodMs(ttlSeconds: number): number {
  return Math.ceil((ttlSeconds * 1000) / 3 / 500) * 500;
}

/** Fault start times: every grid step across one keepalive period (a seed of its own each). */
function faultTimes(ttlSeconds: number): number[] {
  const times: number[] = [];
  for (let offset = 0; offset < keepAlivePeriodMs(ttlSeconds); offset += gridMs) times.push(faultFromMs + offset);
  return times;
}

function holder(sim: Sim, ttlSeconds: number, lookAtMs: number): void {
  sim.process('alice', async ({ client, sleep, log, now }) => {
    const { ID } = await client.grant(ttlSeconds);
    const keepAlive = client.keepAlive(ID);
    // 'closed' is this holder stopping the keepalive itself at the end.
    void keepAlive.done.then((reason) => reason !== 'closed' && log(`my client lost the lease (${reason})`));
    await client.put(leaderKey, 'alice', { lease: ID });
    log(`leads with a ${ttlSeconds} s lease`);
    await sleep(lookAtMs - now());
    const { kvs } = await client.get(leaderKey);
    log(kvs.length > 0 ? `${leaderKey} is still mine` : `${leaderKey} is GONE`);
    keepAlive.stop();
    await client.revoke(ID);
    client.close();
  });
}

async function pauseRun(ttlSeconds: number, pauseAtMs: number, seed: number): Promise<SimResult<Client>> {
  const lookAtMs = pauseAtMs + gcPauseMs + lookAfterMs;
  const sim = new Sim({ seed, msMax: lookAtMs + ttlSeconds * 1000 + 10_000 });
  holder(sim, ttlSeconds, lookAtMs);
  sim.at(pauseAtMs, (world) => world.pause('alice'));
  sim.at(pauseAtMs + gcPauseMs, (world) => world.resume('alice'));
  return sim.run();
}

async function crashRun(ttlSeconds: number, crashAtMs: number, seed: number): Promise<SimResult<Client>> {
  const sim = new Sim({ seed, msMax: crashAtMs + ttlSeconds * 1000 + 10_000 });
  holder(sim, ttlSeconds, crashAtMs + ttlSeconds * 1000 + 5000);
  // bob waits to take over: he watches for the key to go (and keeps the run going until it does).
  sim.process('bob', async ({ client, sleep, log, now }) => {
    while (now() < crashAtMs + ttlSeconds * 1000 + 5000) {
      await sleep(250);
      const { kvs } = await client.get(leaderKey);
      if (kvs.length === 0 && now() > crashAtMs) {
        log(`${leaderKey} is free`);
        break;
      }
    }
    client.close();
  });
  sim.at(crashAtMs, (world) => world.crash('alice'));
  return sim.run();
}

function keyDeletedAtMs(result: SimResult<Client>): number | undefined {
  return result.trace.ofKind('kv-applied').find((event) => event.changes.some((change) => change.key === leaderKey && change.type === 'delete'))?.atMs;
}

export const ttlForAPause: Exercise = {
  name: 'ttl-for-a-pause',
  title: 'Choose a TTL that survives a 3 s GC pause',
  summary: `pick a lease TTL: a ${gcPauseMs / 1000} s pause must not lose the lease, a crashed holder's key must go within ${crashFreedWithinMs / 1000} s`,
  task:
    `A leader holds ${leaderKey} with a lease its client keeps alive (keepalives every TTL/3, on the client's 500 ms tick, as clientv3 sends them). ` +
    `Its runtime sometimes stops the world for ${gcPauseMs / 1000} s (a GC pause): no keepalive goes out, and the client's own deadline keeps running. ` +
    `Choose the TTL (whole seconds) so that a ${gcPauseMs / 1000} s pause, starting at any moment of a keepalive period, neither lets the server expire the lease ` +
    `nor makes the client give it up; and so that when the leader crashes instead, its key is gone within ${crashFreedWithinMs / 1000} s, so the others can take over. ` +
    `The check tries the pause, and the crash, every ${gridMs} ms across one keepalive period.`,
  template: `// The lease TTL, in whole seconds.
export const ttlSeconds = 2;
`,
  hint:
    'After the last renewal the lease has TTL left; the next keepalive is due TTL/3 later (rounded up to 500 ms). A pause that starts just before it ' +
    'must end, and the keepalive arrive, before TTL runs out. A crash just before a renewal leaves the key up to TTL + the 500 ms sweep.',
  async check(module, answer) {
    const ttl = exported(module, 'ttlSeconds');
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > 3600)
      throw new AnswerError(`the module must export ttlSeconds, a whole number of seconds from 1 to 3600, got ${JSON.stringify(ttl) ?? String(ttl)}`);
    const seed = answer.seed ?? 1;
    const claims: ExerciseVerdict['claims'] = [];
    const replay = `npx leaselab exercise ttl-for-a-pause --answer ${answer.path}`;
    let worstPause: { atMs: number; problem: string; result: SimResult<Client> } | undefined;
    for (const pauseAtMs of faultTimes(ttl)) {
      const result = await pauseRun(ttl, pauseAtMs, seed);
      const lease = leaseLifetimes(result.trace.events)[0];
      const lost = logLines(result, 'alice').find((line) => line.message.startsWith('my client lost the lease'));
      const look = logLines(result, 'alice').find((line) => line.message.includes(leaderKey) && line.message.includes('is'));
      const expiredAt = lease?.end === 'expired' ? lease.endedAtMs : undefined;
      const problem =
        expiredAt !== undefined
          ? `the server expired the lease at ${seconds(expiredAt)} (pause ${seconds(pauseAtMs)}–${seconds(pauseAtMs + gcPauseMs)})`
          : lost !== undefined
            ? `the client gave the lease up at ${seconds(lost.atMs)} ${lost.message.includes('deadline') ? '(its local deadline passed)' : '(the server answered TTL 0)'} (pause ${seconds(pauseAtMs)}–${seconds(pauseAtMs + gcPauseMs)})`
            : look?.message.endsWith('GONE')
              ? `${leaderKey} was gone after the pause`
              : undefined;
      if (problem !== undefined && worstPause === undefined) worstPause = { atMs: pauseAtMs, problem, result };
    }
    claims.push(
      claim(
        `a ${gcPauseMs / 1000} s pause at any moment of a keepalive period kept the lease (server and client)`,
        worstPause === undefined,
        worstPause === undefined
          ? `${faultTimes(ttl).length} pause starts tried, every ${gridMs} ms over ${seconds(keepAlivePeriodMs(ttl))}`
          : worstPause.problem,
      ),
    );
    let slowestMs = 0;
    let slowestAt = faultFromMs;
    for (const crashAtMs of faultTimes(ttl)) {
      const deletedAtMs = keyDeletedAtMs(await crashRun(ttl, crashAtMs, seed));
      const tookMs = deletedAtMs === undefined ? Infinity : deletedAtMs - crashAtMs;
      if (tookMs > slowestMs) [slowestMs, slowestAt] = [tookMs, crashAtMs];
    }
    claims.push(
      claim(
        `a crashed leader's key was gone within ${crashFreedWithinMs / 1000} s, whenever it crashed`,
        slowestMs <= crashFreedWithinMs,
        `slowest: crash at ${seconds(slowestAt)}, key gone ${slowestMs === Infinity ? 'never' : `${seconds(slowestMs)} later`}${slowestMs === Infinity ? '' : margin(slowestMs, crashFreedWithinMs, 'to spare', 'too late')}`,
      ),
    );
    const failed = claims.find((judged) => !judged.holds);
    if (failed === undefined) return { pass: true, reason: `TTL ${ttl} s rides out the pause and frees a crashed leader's key in time`, claims };
    return {
      pass: false,
      reason: `TTL ${ttl} s: ${failed.detail}`,
      claims,
      ...(worstPause !== undefined ? { evidence: renderTextTimeline(worstPause.result.trace, { color: false }) } : {}),
      replay,
    };
  },
};
