/**
 * `leaselab serve` killed with kill -9 and restarted, as a CI job would see
 * it: every acknowledged write is still there, with the revision and the
 * leases; lease IDs of a new process never meet an old client's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type ServeChild, startServeChild } from './serve-child.ts';
import { cleanupsAfter } from './cleanups.ts';

const cleanups = cleanupsAfter('each');

async function start(args: string[]): Promise<{ serve: ServeChild; client: Etcd3 }> {
  const serve = await startServeChild(args);
  const client = new Etcd3({ hosts: serve.address });
  cleanups.push(async () => {
    client.close();
    await serve.kill9();
  });
  return { serve, client };
}

/** One keepalive round on a fresh LeaseKeepAlive stream: the TTL the server answers (0: no such lease). */
async function keepAliveOnce(client: Etcd3, id: string): Promise<number> {
  const stream = await client.leaseClient.leaseKeepAlive();
  try {
    const answer = new Promise<number>((resolve, reject) => {
      stream.on('data', (response: { TTL: string }) => resolve(Number(response.TTL)));
      stream.on('error', reject);
    });
    stream.write({ ID: id });
    return await answer;
  } finally {
    stream.end();
  }
}

describe('serve --data-dir survives kill -9', () => {
  it('keeps every acknowledged write of 100 concurrent writers, the revision and the leases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaselab-crash-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    // Snapshots every 50 records: the kill may land in a snapshot, a segment switch or a log deletion too.
    const first = await start(['--data-dir', dir, '--snapshot-count', '50']);
    const lease = await first.client.leaseClient.leaseGrant({ TTL: 60 });
    await first.client.put('leased').value('yes').lease(lease.ID).exec();
    // A lease nobody keeps alive expires during the run: its expiry, once seen, must survive too.
    const short = await first.client.leaseClient.leaseGrant({ TTL: 2 });
    await first.client.put('short').value('gone soon').lease(short.ID).exec();
    let shortExpirySeen = false;
    const shortWatcher = await first.client.watch().key('short').create();
    shortWatcher.on('delete', () => (shortExpirySeen = true));
    shortWatcher.on('error', () => {});

    // A watcher hears of writes only once they are on disk: whatever it saw must survive.
    const watched = new Map<string, string>();
    let maxEventRevision = 0;
    const watcher = await first.client.watch().prefix('w').create();
    watcher.on('put', (kv) => {
      watched.set(kv.key.toString(), kv.value.toString());
      maxEventRevision = Math.max(maxEventRevision, Number(kv.mod_revision));
    });
    watcher.on('error', () => {}); // the server goes away

    // 100 writers put as fast as they are answered; the server is killed while they write.
    const acknowledged = new Map<string, string>();
    let maxRevision = 0;
    let writes = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let n = 0; !stop; n++) {
        try {
          const response = await first.client.put(`w${w}/${n}`).value(`${n}`).exec();
          acknowledged.set(`w${w}/${n}`, response.header.revision);
          writes++;
          maxRevision = Math.max(maxRevision, Number(response.header.revision));
        } catch {
          return; // the server is gone
        }
      }
    };
    // Meanwhile leases come and go: granted with a key, every other one revoked. A request the kill
    // interrupts may or may not have happened; only acknowledged ones are checked.
    const leasesAlive = new Set<string>(); // grant acknowledged, no revoke sent
    const leasesWithKey = new Set<string>(); // ... and its key's put acknowledged
    const leasesRevoked = new Set<string>(); // revoke acknowledged
    let leasesGranted = 0;
    const leaseChurn = async () => {
      for (let n = 0; !stop; n++) {
        try {
          const { ID } = await first.client.leaseClient.leaseGrant({ TTL: 60 });
          leasesGranted++;
          leasesAlive.add(ID);
          await first.client.put(`l/${ID}`).value('held').lease(ID).exec();
          leasesWithKey.add(ID);
          if (n % 2 === 1) {
            leasesAlive.delete(ID);
            leasesWithKey.delete(ID);
            await first.client.leaseClient.leaseRevoke({ ID });
            leasesRevoked.add(ID);
          }
        } catch {
          return;
        }
      }
    };
    const writers = [...Array.from({ length: 100 }, (_, w) => writer(w)), leaseChurn(), leaseChurn()];
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await first.serve.kill9();
    stop = true;
    await Promise.all(writers);
    first.client.close();
    expect(new Set([...acknowledged.keys()].map((key) => key.split('/')[0])).size).toBe(100);

    const second = await start(['--data-dir', dir, '--snapshot-count', '50']);
    expect(second.serve.stdout()).toMatch(/restored revision \d+ and \d+ leases/);
    // Every acknowledged put is there, at the revision it was answered with; so is every put a watcher saw.
    const present = new Map((await second.client.getAll().prefix('w').exec()).kvs.map((kv) => [kv.key.toString(), kv]));
    const kept = [...acknowledged].filter(([key, revision]) => present.get(key)?.mod_revision === revision);
    expect(kept.length).toBe(acknowledged.size);
    const watchedKept = [...watched].filter(([key, value]) => present.get(key)?.value.toString() === value);
    expect(watchedKept.length).toBe(watched.size);
    // Leases: every acknowledged grant not revoked is back (with its key), no acknowledged revoke is undone.
    const leasesNow = new Set((await second.client.leaseClient.leaseLeases({})).leases.map((l) => l.ID));
    expect([...leasesAlive].filter((id) => !leasesNow.has(id))).toEqual([]);
    expect([...leasesRevoked].filter((id) => leasesNow.has(id) || present.has(`l/${id}`))).toEqual([]);
    const heldKeys = new Set((await second.client.getAll().prefix('l/').keys()).map(String));
    expect([...leasesWithKey].filter((id) => !heldKeys.has(`l/${id}`))).toEqual([]);
    if (shortExpirySeen) expect(await second.client.get('short').string()).toBeNull();
    const status = await second.client.maintenance.status();
    expect(Number(status.header.revision)).toBeGreaterThanOrEqual(Math.max(maxRevision, maxEventRevision));
    const ttl = await second.client.leaseClient.leaseTimeToLive({ ID: lease.ID, keys: true });
    expect(Number(ttl.TTL)).toBeGreaterThanOrEqual(59); // promoted: 60 s + 1 s
    expect(ttl.keys.map(String)).toEqual(['leased']);
    console.log(
      `crash test: ${writes} acknowledged puts by 100 writers, ${leasesGranted} leases granted (${leasesRevoked.size} revoked), short lease expiry seen: ${shortExpirySeen}; revision at kill >= ${maxRevision} (events seen up to ${maxEventRevision}), after restart ${status.header.revision}; acknowledged puts present after restart: ${kept.length}/${acknowledged.size}, watched puts present: ${watchedKept.length}/${watched.size}; ${/store: .*/.exec(second.serve.stdout())?.[0]}`,
    );
  }, 40_000);
});

describe('serve --data-dir keeps what the JSON gateway wrote', () => {
  it('puts, txns, deletes, lease grants and revokes over HTTP survive kill -9, each answered only once it is on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'leaselab-gateway-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const post = async (address: string, path: string, body: object) => {
      const response = await fetch(`http://${address}/v3/${path}`, { method: 'POST', body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      return (await response.json()) as { header: { revision: string }; ID?: string; kvs?: { key: string; value: string; lease?: string }[] };
    };
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const first = await start(['--data-dir', dir]);
    await post(first.serve.address, 'kv/put', { key: b64('a'), value: b64('1') });
    await post(first.serve.address, 'kv/put', { key: b64('gone'), value: b64('x') });
    await post(first.serve.address, 'kv/deleterange', { key: b64('gone') });
    await post(first.serve.address, 'kv/txn', { success: [{ request_put: { key: b64('t'), value: b64('2') } }] });
    const lease = await post(first.serve.address, 'lease/grant', { TTL: 60 });
    const revoked = await post(first.serve.address, 'lease/grant', { TTL: 60 });
    await post(first.serve.address, 'kv/put', { key: b64('leased'), value: b64('3'), lease: lease.ID });
    const last = await post(first.serve.address, 'lease/revoke', { ID: revoked.ID });
    await first.serve.kill9();
    const second = await start(['--data-dir', dir]);
    const all = await post(second.serve.address, 'kv/range', { key: b64('\0'), range_end: b64('\0') });
    expect(all.header.revision).toBe(last.header.revision);
    expect(all.kvs!.map((kv) => [Buffer.from(kv.key, 'base64').toString(), Buffer.from(kv.value, 'base64').toString(), kv.lease ?? '-'])).toEqual([
      ['a', '1', '-'],
      ['leased', '3', lease.ID],
      ['t', '2', '-'],
    ]);
    const leases = (await post(second.serve.address, 'lease/leases', {})) as unknown as { leases: { ID: string }[] };
    expect(leases.leases.map((l) => l.ID)).toEqual([lease.ID]);
  }, 30_000);
});

describe('lease IDs across processes', () => {
  it("an old client's keepalive cannot renew a lease of a restarted server (in memory): the IDs differ", async () => {
    const first = await start([]);
    const old = await first.client.leaseClient.leaseGrant({ TTL: 60 });
    expect(await keepAliveOnce(first.client, old.ID)).toBe(60);
    await first.serve.kill9();
    first.client.close();

    const second = await start([]);
    expect(second.serve.stdout()).toContain('store: in memory only');
    expect(second.serve.stdout()).toMatch(/lease IDs: seed \d+ \(from entropy/);
    const fresh = await second.client.leaseClient.leaseGrant({ TTL: 60 });
    expect(fresh.ID).not.toBe(old.ID);
    expect(await keepAliveOnce(second.client, old.ID)).toBe(0);
    expect(Number((await second.client.leaseClient.leaseTimeToLive({ ID: fresh.ID })).TTL)).toBeGreaterThan(58);
  }, 40_000);
});
