/**
 * watch-sees-expiry: a watcher on a prefix sees a lease's expiry as DELETE
 * events, one per key, sorted by key, all at the one revision the revoke made.
 */
import { fromUtf8 } from '../store/index.ts';
import { Sim } from '../sim/index.ts';
import { claim, logLines, seconds, type Scenario } from './scenario.ts';

const prefix = '/jobs/';
const keys = ['/jobs/c', '/jobs/a', '/jobs/b'];
const ttlSeconds = 5;

export const watchSeesExpiry: Scenario = {
  name: 'watch-sees-expiry',
  title: 'A watcher sees an expiry',
  summary: 'a watcher sees the DELETE events of an expiry: one per key, all at one revision',
  story:
    `alice grants a ${ttlSeconds} s lease and puts three keys under ${prefix} with it (c, a, b: three revisions). ` +
    `bob watches the prefix ${prefix}. Nobody keeps the lease alive. When the sweep revokes it, etcd deletes all its keys in ` +
    'one write: one new revision, keys sorted. bob gets one watch response with three DELETE events, every one with the same mod revision. ' +
    'This is how a watcher learns that a lease-holder is gone (service discovery, membership).',
  sources: [
    { file: 'lease/lessor.go', func: '(*lessor).Revoke', shows: "the expiry deletes all the lease's keys in one write, sorted by key" },
    { file: 'mvcc/watchable_store.go', func: '(*watchableStore).notify', shows: "the write's events go to every synced watcher as one response" },
  ],
  defaultSeed: 1,
  prediction: {
    question: `When the lease expires, will bob get all three deletions in one watch response?`,
    setup: () => `alice grants a ${ttlSeconds} s lease and puts ${keys.join(', ')} with it; nobody keeps it alive. bob watches the prefix ${prefix}.`,
    outcome(result) {
      const deleteResponses = logLines(result, 'bob').filter((line) => line.message.startsWith('watch response') && line.message.includes('DELETE'));
      if (deleteResponses.length === 0) return { happened: false, detail: 'no: bob saw no DELETE' };
      const deletes = deleteResponses.map((line) => (line.message.match(/DELETE/g) ?? []).length);
      return deleteResponses.length === 1 && deletes[0] === keys.length
        ? {
            happened: true,
            detail: `yes: at ${seconds(deleteResponses[0]!.atMs)}, ${deletes[0]} DELETE events in one response: the revoke deleted them in one revision`,
          }
        : { happened: false, detail: `no: ${deleteResponses.length} responses with ${deletes.join(', ')} DELETE events` };
    },
  },
  build(seed) {
    const sim = new Sim({ seed, msMax: 20_000 });
    sim.process('bob', async ({ client, sleep, log }) => {
      const watcher = client.watch(prefix, { prefix: true }, (update) => {
        if (update.kind !== 'events') return;
        const events = update.events.map((event) => `${event.type} ${fromUtf8(event.kv.key)} mod ${event.kv.mod_revision}`);
        log(`watch response rev ${update.header.revision}: ${events.join(', ')}`);
      });
      const created = await watcher.created;
      log(`watching ${prefix} from rev ${(created?.revision ?? 0) + 1}`);
      await sleep(9000);
      watcher.cancel();
    });
    sim.process(
      'alice',
      async ({ client, log }) => {
        const { ID } = await client.grant(ttlSeconds);
        for (const key of keys) await client.put(key, 'alice', { lease: ID });
        log(`put ${keys.join(', ')} with the lease; no keepalive`);
      },
      { startAtMs: 100 },
    );
    return sim;
  },
  check(result) {
    const expired = result.trace.ofKind('lease-expired')[0];
    const responses = logLines(result, 'bob')
      .filter((line) => line.message.startsWith('watch response'))
      .map((line) => ({
        atMs: line.atMs,
        events: [...line.message.matchAll(/(PUT|DELETE) (\S+) mod (\d+)/g)].map((match) => ({
          type: match[1]!,
          key: match[2]!,
          modRevision: Number(match[3]),
        })),
      }));
    const deleteResponses = responses.filter((response) => response.events.some((event) => event.type === 'DELETE'));
    const deletes = deleteResponses.flatMap((response) => response.events.filter((event) => event.type === 'DELETE'));
    const puts = responses.flatMap((response) => response.events.filter((event) => event.type === 'PUT'));
    const sorted = [...keys].sort();
    return [
      claim(
        'bob saw the three puts',
        puts.length === keys.length,
        `${puts.length} PUT events: ${puts.map((event) => `${event.key}@${event.modRevision}`).join(', ')}`,
      ),
      claim('the lease expired by the sweep', expired !== undefined, `expired ${seconds(expired?.atMs)} at rev ${expired?.revision}`),
      claim('bob saw the expiry as one watch response', deleteResponses.length === 1, `${deleteResponses.length} response(s) with DELETE events`),
      claim(
        'one DELETE per key, sorted by key',
        deletes.map((event) => event.key).join() === sorted.join(),
        `DELETE events: ${deletes.map((event) => event.key).join(', ')}`,
      ),
      claim(
        'all at the one revision the expiry made',
        deletes.length === keys.length && deletes.every((event) => event.modRevision === expired?.revision),
        `mod revisions ${deletes.map((event) => event.modRevision).join(', ')}; expiry rev ${expired?.revision}`,
      ),
    ];
  },
};
