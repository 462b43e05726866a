/**
 * session-close-vs-orphan: what a key left behind looks like. A key put with
 * a session's lease goes the moment the session closes (the revoke deletes
 * it); a key put with a lease nobody revokes stays a whole TTL after its
 * owner left (a ghost); a key put without a lease stays for good.
 */
import type { Client } from '../client/index.ts';
import { Session } from '../client/index.ts';
import { fromUtf8 } from '../store/index.ts';
import type { SimResult } from '../sim/index.ts';
import { Sim } from '../sim/index.ts';
import { claim, logLines, networkKnob, seconds, type Knobs, type RunPlace, type Scenario } from './scenario.ts';

const servicesPrefix = '/services/';
const notesPrefix = '/notes/';
const defaultTtlSeconds = 10;
/** alice and bob leave this long after they start. */
const leaveAtMs = 1000;
/** carol looks once 2 s after they left, and once when every lease has had time to go. */
const firstLookAtMs = 3000;

/** How long after an answer a watch on every key may see the revision it made. */
const endpointWatchSlackMs = 100;

function settings(knobs: Knobs) {
  const ttlSeconds = knobs.ttlSeconds ?? defaultTtlSeconds;
  return { ttlSeconds, lastLookAtMs: leaveAtMs + ttlSeconds * 1000 + 3000 };
}

/** When the key was deleted, and by what: alice's revoke call or an expiry. */
function deletionOf(result: SimResult<Client>, key: string) {
  const event = result.trace.ofKind('kv-applied').find((applied) => applied.changes.some((change) => change.key === key && change.type === 'delete'));
  if (event === undefined) return undefined;
  return {
    atMs: event.atMs,
    revision: event.revision,
    by: event.cause.kind === 'request' ? `${event.cause.process}'s ${event.cause.method}` : 'the lease expiring',
  };
}

/** carol's reads: `look at 3.000s: /services/bob` lines. */
function looks(result: SimResult<Client>) {
  return logLines(result, 'carol')
    .filter((line) => line.message.startsWith('sees '))
    .map((line) => ({
      atMs: line.atMs,
      keys: line.message
        .slice('sees '.length)
        .split(', ')
        .filter((key) => key !== 'nothing'),
    }));
}

function exitOf(result: SimResult<Client>, process: string): number | undefined {
  return result.trace.ofKind('process-exited').find((event) => event.process === process)?.atMs;
}

export const sessionCloseVsOrphan: Scenario = {
  name: 'session-close-vs-orphan',
  title: 'Session close vs orphaned keys',
  summary: "a session's key goes when it closes; a key whose lease nobody revokes lingers a TTL; a key without a lease stays",
  story:
    `alice opens a concurrency Session (TTL ${defaultTtlSeconds} s), registers ${servicesPrefix}alice with its lease and leaves a note at ${notesPrefix}alice with no lease. ` +
    `bob grants his own ${defaultTtlSeconds} s lease, keeps it alive and registers ${servicesPrefix}bob with it. After a second both leave: ` +
    'alice closes her session (it stops the keepalive and revokes the lease), bob just closes his client and forgets to revoke. ' +
    "The revoke deletes alice's service key at once. bob's lease is no longer kept alive but it is still alive on the server: his key stays, " +
    `a ghost that carol finds ${(firstLookAtMs - leaveAtMs) / 1000} s later, until the sweep after his lease's deadline. alice's note, put without a lease, belongs to no one: ` +
    'nothing will ever delete it. Service discovery, membership and locks rely on the first kind; forget to revoke and the others wait a TTL.',
  sources: [
    { file: 'clientv3/concurrency/session.go', func: '(*Session).Close', shows: "alice's close: stop the keepalive (Orphan), then revoke the lease" },
    { file: 'lease/lessor.go', func: '(*lessor).Revoke', shows: 'the revoke deletes every key attached to the lease, in one write' },
    { file: 'clientv3/lease.go', func: '(*lessor).Close', shows: "bob's client stops keeping his lease alive; the lease itself lives on" },
    { file: 'lease/lessor.go', func: '(*lessor).revokeExpiredLeases', shows: "bob's ghost key goes only at the sweep after his lease's deadline" },
  ],
  defaultSeed: 1,
  knobs: [
    { name: 'ttl', default: `${defaultTtlSeconds} s` },
    { name: 'latency', default: '1–5 ms' },
  ],
  prediction: {
    question: `${(firstLookAtMs - leaveAtMs) / 1000} s after bob closed his client (without revoking his lease), will carol still find ${servicesPrefix}bob?`,
    setup: (knobs) =>
      `alice and bob each register a key under ${servicesPrefix} with a ${settings(knobs).ttlSeconds} s lease kept alive. After a second alice closes her session; ` +
      'bob closes his client without revoking his lease.',
    outcome(result) {
      const first = looks(result)[0];
      const ghost = first?.keys.includes(`${servicesPrefix}bob`) === true;
      return ghost
        ? { happened: true, detail: `yes: at ${seconds(first?.atMs)} carol found ${servicesPrefix}bob; it goes only when his lease expires` }
        : { happened: false, detail: `no: carol found ${first?.keys.join(', ') || 'nothing'} at ${seconds(first?.atMs)}` };
    },
  },
  build(seed, knobs = {}) {
    const { ttlSeconds, lastLookAtMs } = settings(knobs);
    const sim = new Sim({ seed, msMax: lastLookAtMs + 20_000, ...networkKnob(knobs) });
    sim.process('alice', async ({ client, sleep, log }) => {
      const session = await Session.create(client, { ttlSeconds });
      await client.put(`${servicesPrefix}alice`, 'up', { lease: session.leaseId });
      await client.put(`${notesPrefix}alice`, 'alice was here');
      log(`registered ${servicesPrefix}alice with her session's lease; left ${notesPrefix}alice with no lease`);
      await sleep(leaveAtMs - 50);
      await session.close();
      log('closed the session (revoked its lease)');
      client.close();
    });
    sim.process('bob', async ({ client, sleep, log }) => {
      const { ID } = await client.grant(ttlSeconds);
      client.keepAlive(ID);
      await client.put(`${servicesPrefix}bob`, 'up', { lease: ID });
      log(`registered ${servicesPrefix}bob with his lease`);
      await sleep(leaveAtMs - 50);
      log('leaving without revoking the lease');
      client.close();
    });
    sim.process(
      'carol',
      async ({ client, sleep, log, now }) => {
        for (const atMs of [firstLookAtMs, lastLookAtMs]) {
          await sleep(atMs - now());
          const services = await client.get(servicesPrefix, { prefix: true });
          const notes = await client.get(notesPrefix, { prefix: true });
          const keys = [...services.kvs, ...notes.kvs].map((kv) => fromUtf8(kv.key));
          log(`sees ${keys.length === 0 ? 'nothing' : keys.join(', ')}`);
        }
        client.close();
      },
      { startAtMs: 100 },
    );
    return sim;
  },
  check(result, knobs = {}, place: RunPlace = 'simulator') {
    // On an endpoint the delete is seen by a watch, a moment after the revoke's answer (same revision).
    const watchSlackMs = place === 'endpoint' ? endpointWatchSlackMs : 0;
    const { ttlSeconds } = settings(knobs);
    const aliceClosed = logLines(result, 'alice').find((line) => line.message.startsWith('closed the session'));
    const bobLeft = exitOf(result, 'bob');
    const aliceService = deletionOf(result, `${servicesPrefix}alice`);
    const bobService = deletionOf(result, `${servicesPrefix}bob`);
    const note = deletionOf(result, `${notesPrefix}alice`);
    const [first, last] = looks(result);
    const ghostMs = bobService !== undefined && bobLeft !== undefined ? bobService.atMs - bobLeft : undefined;
    return [
      claim(
        `closing alice's session revoked its lease and deleted ${servicesPrefix}alice at once`,
        aliceService !== undefined &&
          aliceService.by === "alice's leaseRevoke" &&
          aliceClosed !== undefined &&
          aliceService.atMs <= aliceClosed.atMs + watchSlackMs,
        `deleted at rev ${aliceService?.revision ?? '?'} ${seconds(aliceService?.atMs)} by ${aliceService?.by ?? 'nothing'}; her close returned ${seconds(aliceClosed?.atMs)}`,
      ),
      claim(
        `bob left without revoking: ${servicesPrefix}bob stayed about a TTL (${ttlSeconds} s) after he left, until his lease expired`,
        bobService !== undefined &&
          bobService.by === 'the lease expiring' &&
          ghostMs !== undefined &&
          ghostMs >= ttlSeconds * 1000 - 2000 &&
          ghostMs <= ttlSeconds * 1000 + 1000,
        `bob left ${seconds(bobLeft)}, his key deleted ${seconds(bobService?.atMs)} by ${bobService?.by ?? 'nothing'}: ${ghostMs === undefined ? '?' : seconds(ghostMs)} later`,
      ),
      claim(
        `carol, ${(firstLookAtMs - leaveAtMs) / 1000} s after both left, found bob's ghost and not alice's key`,
        first !== undefined && first.keys.includes(`${servicesPrefix}bob`) && !first.keys.includes(`${servicesPrefix}alice`),
        `at ${seconds(first?.atMs)} she saw ${first?.keys.join(', ') || 'nothing'}`,
      ),
      claim(
        `alice's note, put without a lease, outlived everyone: nothing deletes it`,
        note === undefined && last !== undefined && last.keys.includes(`${notesPrefix}alice`) && !last.keys.some((key) => key.startsWith(servicesPrefix)),
        `at ${seconds(last?.atMs)} carol saw ${last?.keys.join(', ') || 'nothing'}`,
      ),
    ];
  },
};
