import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findScenario, runScenario } from '../../src/scenarios/index.ts';
import { etcdMutex } from '../../src/client/lock-algorithm.ts';
import { renderHtmlTimeline } from '../../src/report/html-timeline.ts';
import { runLockWorkload } from '../../src/explore/workload.ts';
import { type TimelineModel, timelineModel } from '../../src/report/timeline-model.ts';
import type { TraceEvent } from '../../src/sim/trace.ts';

async function page(name: string) {
  const run = await runScenario(findScenario(name)!);
  return renderHtmlTimeline(run.result.trace, { title: name, description: ['a <story> & more'], assertions: run.assertions });
}

function modelOf(html: string): TimelineModel {
  const match = /<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match, 'embedded timeline data').not.toBeNull();
  return JSON.parse(match![1]!) as TimelineModel;
}

describe('renderHtmlTimeline', () => {
  it('is one self-contained page: inline script and style, the facts as JSON, nothing fetched', async () => {
    const html = await page('lock-contention');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    // the SVG namespace is a name, not an address
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/\bsrc=|<link|https?:\/\/|@import|url\(http/);
    expect(html.split('<script').length - 1).toBe(2);
    const model = modelOf(html);
    expect(model.lanes.map((lane) => lane.name)).toEqual(['alice', 'bob', 'carol', 'dave', 'server', 'storage']);
    expect(model.beliefs).toHaveLength(4);
    expect(model.overlaps).toEqual([]);
    expect(model.writes.every((write) => write[6])).toBe(true);
    expect(model.verdict.tone).toBe('ok');
    // every call is an interval with an outcome
    expect(model.calls.length).toBeGreaterThan(10);
    for (const call of model.calls) {
      expect(['ok', 'error', 'unknown', 'open']).toContain(call[4]);
      if (call[4] !== 'open') expect(call[2]).toBeGreaterThanOrEqual(call[1]);
    }
    // the viewer's script is valid JavaScript
    const script = readFileSync(new URL('../../src/report/timeline-viewer.js', import.meta.url), 'utf8');
    expect(() => new Function(script)).not.toThrow();
    expect(html).toContain(script.slice(0, 200));
  });

  it('the pause story: two holders, the server deadline and sweep, the stale write landing, an unsafe verdict', async () => {
    const html = await page('pause-breaks-lock');
    const model = modelOf(html);
    expect(model.overlaps).toHaveLength(1);
    expect(model.overlaps[0]![3].map((lane) => model.lanes[lane]!.name)).toEqual(['alice', 'bob']);
    const alice = model.leases.find((lease) => model.lanes[lease.lane]!.name === 'alice')!;
    expect(alice.end).toBe('expired');
    const deadline = alice.serverDeadlines.at(-1)![1];
    // etcd revokes at the sweep: after the deadline, within one 500 ms sweep
    expect(alice.endedAtMs).toBeGreaterThanOrEqual(deadline);
    expect(alice.endedAtMs - deadline).toBeLessThanOrEqual(500);
    expect(alice.clientDeadlines.length).toBeGreaterThan(1);
    expect(model.faults.find((fault) => fault.kind === 'pause')!.lanes).toEqual([0]);
    // whom etcd puts first: alice's key, then (after the sweep deleted it) bob's
    expect(model.owners.map((owner) => [model.lanes[owner[1]]!.name, owner[5]])).toEqual([
      ['alice', 2],
      ['bob', 3],
    ]);
    expect(model.owners[1]![2]).toBe(alice.endedAtMs);
    expect(model.verdict.tone).toBe('unsafe');
    expect(model.verdict.text).toMatch(/^unsafe: storage accepted alice's stale write/);
    expect(html).toContain('class="verdict unsafe"');
  });

  it('the fencing story says safe: the stale write was rejected; text is escaped; claims are listed', async () => {
    const html = await page('fencing-saves-the-day');
    const model = modelOf(html);
    expect(model.verdict.tone).toBe('safe');
    expect(model.verdict.text).toMatch(/^safe: the stale write was rejected/);
    expect(model.writes.some((write) => !write[6])).toBe(true);
    expect(html).toContain('a &lt;story&gt; &amp; more');
    expect(html).toContain('the storage rejected alice&#39;s stale write');
  });

  it('the watcher lane has its watch and the one response with the three DELETEs; revisions give the keys', async () => {
    const model = modelOf(await page('watch-sees-expiry'));
    const watch = model.watches.find((w) => model.lanes[w.lane]!.name === 'bob')!;
    expect(watch.key).toBe('/jobs/');
    const deletes = watch.responses.filter((response) => response[2].includes('DELETE'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]![2]).toBe('DELETE /jobs/a mod 5, DELETE /jobs/b mod 5, DELETE /jobs/c mod 5');
    expect(model.revisions.map((revision) => revision[1])).toEqual([2, 3, 4, 5]);
    expect(model.revisions.at(-1)![2].map((change) => `${change[0]} ${change[1]}`)).toEqual(['DELETE /jobs/a', 'DELETE /jobs/b', 'DELETE /jobs/c']);
  });

  it('a partition is drawn on the link it cuts, not on the whole server lane', async () => {
    const model = modelOf(await page('partition-expires-lease'));
    const partition = model.faults.find((fault) => fault.kind === 'partition')!;
    expect(partition.lanes).toEqual([]);
    expect(partition.link).not.toBeNull();
    const ends = [partition.link![0], partition.link![1]].map((lane) => (lane < 0 ? '(none)' : model.lanes[lane]!.name));
    expect(ends).toContain('server');
  });

  it("a cluster run has a lane per member with its raft role over time, leader changes listed, partitions on the members' links", async () => {
    const model = modelOf(await page('leader-isolated'));
    const name = (lane: number) => model.lanes[lane]!.name;
    expect(model.lanes.map((lane) => `${lane.name}:${lane.kind}`)).toEqual([
      'alice:process',
      'bob:process',
      'server:server',
      'etcd1:member',
      'etcd2:member',
      'etcd3:member',
    ]);
    // each member's spans follow one another without gaps, the last open to the end
    for (const member of ['etcd1', 'etcd2', 'etcd3']) {
      const spans = model.roles.filter((role) => name(role[0]) === member);
      expect(spans.length, member).toBeGreaterThan(1);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![3]).toBe(spans[i - 1]![4]);
      expect(spans.at(-1)![4]).toBe(-1);
    }
    // etcd2 leads term 1, steps down once cut off at 4 s, campaigns alone in rising terms, and follows etcd1 after the heal
    const etcd2 = model.roles.filter((role) => name(role[0]) === 'etcd2').map((role) => [role[1], role[2]]);
    expect(etcd2.slice(0, 3)).toEqual([
      ['candidate', 1],
      ['leader', 1],
      ['follower', 1],
    ]);
    expect(etcd2.filter(([role]) => role === 'candidate').length).toBeGreaterThan(3);
    const lead = model.roles.find((role) => name(role[0]) === 'etcd2' && role[1] === 'leader')!;
    expect(lead[3]).toBeLessThan(4000);
    expect(lead[4]).toBeGreaterThan(4000);
    const last = model.roles.filter((role) => name(role[0]) === 'etcd2').at(-1)!;
    expect([last[1], name(last[5])]).toEqual(['follower', 'etcd1']);
    // a follower span names whom it follows
    expect(model.roles.some((role) => name(role[0]) === 'etcd1' && role[1] === 'follower' && role[2] === 1 && name(role[5]) === 'etcd2')).toBe(true);
    // leaders: etcd2 (term 1), etcd3 in the majority (term 2), etcd1 after the heal (term 8)
    expect(model.leaderChanges.map(([atMs, lane, term]) => [name(lane), term, atMs > 4000])).toEqual([
      ['etcd2', 1, false],
      ['etcd3', 2, true],
      ['etcd1', 8, true],
    ]);
    // the partition between members is now drawn on member lanes
    const cut = model.faults.filter((fault) => fault.kind === 'partition');
    expect(cut.map((fault) => [name(fault.link![0]), name(fault.link![1])].sort())).toEqual([
      ['etcd1', 'etcd2'],
      ['etcd2', 'etcd3'],
    ]);
    // in a cluster a serverRestart takes the leader down: drawn on that member's lane, until it is back (not to the end)
    const restarts = modelOf(await page('leader-changes-keep-lease'));
    const windows = restarts.faults.filter((fault) => fault.kind === 'serverRestart');
    expect(windows.map((fault) => [fault.lanes.map((lane) => restarts.lanes[lane]!.name), fault.untilMs - fault.fromMs])).toEqual([
      [['etcd2'], 2000],
      [['etcd1'], 2000],
      [['etcd3'], 2000],
      [['etcd2'], 2000],
    ]);
    expect(restarts.roles.filter((role) => role[1] === 'down').map((role) => role[4] - role[3])).toEqual([2000, 2000, 2000, 2000]);
    // a single server run has no member lanes and no roles
    const single = modelOf(await page('lease-expiry'));
    expect(single.lanes.some((lane) => lane.kind === 'member')).toBe(false);
    expect(single.roles).toEqual([]);
    expect(single.leaderChanges).toEqual([]);
  });

  // A long run: behind LEASELAB_LONG (about 6 s).
  it.skipIf(process.env.LEASELAB_LONG !== '1')(
    'a 10-minute, 20-client lock run with a pause makes a page under 2 MB',
    async () => {
      const run = await runLockWorkload(etcdMutex, { seed: 1, clients: 20, durationMs: 600_000 }, [
        { atMs: 100_000, fault: { kind: 'pause', process: 'alice' } },
        { atMs: 108_000, fault: { kind: 'resume', process: 'alice' } },
      ]);
      expect(run.trace.events.length).toBeGreaterThan(20_000);
      const html = renderHtmlTimeline(run.trace, { title: 'ten minutes' });
      expect(html.length).toBeLessThan(2_000_000);
      const model = modelOf(html);
      expect(model.lanes.filter((lane) => lane.kind === 'process')).toHaveLength(20);
      expect(model.verdict.tone).toBe('unsafe');
    },
    60_000,
  );

  it('orders member lanes by number (etcd2 before etcd10), and a lone member too', () => {
    const member = (name: string, atMs: number): TraceEvent => ({ kind: 'member', atMs, member: name, role: 'follower', term: 1 });
    const lanes = (events: TraceEvent[]) => timelineModel(events).lanes.map((lane) => lane.name);
    expect(lanes([member('etcd10', 1), member('etcd2', 2), member('etcd1', 3)])).toEqual(['server', 'etcd1', 'etcd2', 'etcd10']);
    expect(lanes([member('etcd3', 1)])).toEqual(['server', 'etcd3']);
  });
});
