/**
 * The gRPC server against real etcd clients: the `etcd3` npm package, and
 * etcdctl when it is on PATH. Every test starts a server on an ephemeral
 * loopback port and closes it (and its client) at the end.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Etcd3, EtcdLeaseInvalidError, EtcdLockFailedError, GRPCOutOfRangeError, type IKeyValue, type IWatchResponse } from 'etcd3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { fromGrpc, toGrpc } from '../../src/server/grpc-codec.ts';
import { startServing } from '../../src/cli/commands/serve.ts';
import { clusterId, type GrpcEtcdServer, memberId, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdctlMissing } from './etcd-process.ts';
import { until } from './until.ts';

const run = promisify(execFile);

let server: GrpcEtcdServer;
let client: Etcd3;

beforeEach(async () => {
  server = await startGrpcServer({
    port: 0,
    onInternalError: (error) => {
      throw error;
    },
  });
  client = new Etcd3({ hosts: server.address });
});

afterEach(async () => {
  client.close();
  await server.close();
});

/** The lease's remaining TTL in seconds, as LeaseTimeToLive reports it (-1: unknown). */
async function ttl(id: string): Promise<number> {
  return Number((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL);
}

describe('grpc codec', () => {
  it('maps proto-loader objects to etcd messages and back: int64 strings, bigint lease IDs, Buffers, oneofs', () => {
    const request = fromGrpc('TxnRequest', {
      compare: [
        { result: 'NOT_EQUAL', target: 'LEASE', key: Buffer.from('a'), range_end: Buffer.alloc(0), lease: '-9223372036854775808', target_union: 'lease' },
      ],
      success: [
        {
          request_put: {
            key: Buffer.from('k'),
            value: Buffer.alloc(0),
            lease: '9223372036854775807',
            prev_kv: false,
            ignore_value: false,
            ignore_lease: false,
          },
          request: 'request_put',
        },
      ],
      failure: [],
    });
    expect(request.compare?.[0]?.lease).toBe(-(2n ** 63n));
    expect(request.compare?.[0]?.version).toBeUndefined();
    expect(request.success?.[0]?.request_put?.lease).toBe(2n ** 63n - 1n);
    expect(request.success?.[0]?.request_range).toBeUndefined();
    expect(request.success?.[0]?.request_put?.key).toEqual(utf8('k'));
    expect(Buffer.isBuffer(request.success?.[0]?.request_put?.key)).toBe(false);

    expect(toGrpc('LeaseGrantResponse', { header: { revision: 3, cluster_id: clusterId }, ID: 7n, TTL: 5, error: '' })).toEqual({
      header: { revision: '3', cluster_id: clusterId.toString() },
      ID: '7',
      TTL: '5',
    });
    // Defaults stay off the wire, as etcd's gogoproto leaves them.
    expect(
      toGrpc('WatchResponse', {
        header: { revision: 0 },
        watch_id: 0,
        created: true,
        canceled: false,
        compact_revision: 0,
        cancel_reason: '',
        fragment: false,
        events: [],
      }),
    ).toEqual({ header: {}, created: true });
    expect(fromGrpc('WatchCancelRequest', { watch_id: '-9223372036854775808' }).watch_id).toBe(-(2n ** 63n));
  });
});

describe('grpc server with the etcd3 client', () => {
  it('puts, gets, deletes and gets by prefix', async () => {
    await client.put('a').value('1');
    await client.put('p/x').value('2');
    await client.put('p/y').value('3');
    expect(await client.get('a').string()).toBe('1');
    expect(await client.getAll().prefix('p/').strings()).toEqual({ 'p/x': '2', 'p/y': '3' });
    expect(await client.getAll().prefix('p/').count()).toBe(2);
    await client.delete().key('a');
    expect(await client.get('a').string()).toBeNull();
    expect(
      await client
        .delete()
        .prefix('p/')
        .then((r) => r.deleted),
    ).toBe('2');

    const response = await client.kv.range({ key: Buffer.from('a') });
    expect(response.header.revision).toBe(String(server.store.currentRevision()));
    expect(response.header.cluster_id).toBe(clusterId.toString());
    expect(response.header.member_id).toBe(memberId.toString());
    expect(response.header.raft_term).toBe('2');
  });

  it('runs a txn: if().then().else().commit()', async () => {
    await client.put('t').value('old');
    const won = await client.if('t', 'Value', '==', 'old').then(client.put('t').value('new')).else(client.get('t')).commit();
    expect(won.succeeded).toBe(true);
    const lost = await client.if('t', 'Value', '==', 'old').then(client.put('t').value('newer')).else(client.get('t')).commit();
    expect(lost.succeeded).toBe(false);
    expect(lost.responses[0]?.response_range?.kvs[0]?.value.toString()).toBe('new');
    expect(await client.get('t').string()).toBe('new');
  });

  it('grants a lease, puts with it, keeps it alive and revokes it', async () => {
    const lease = client.lease(10, { autoKeepAlive: false });
    await lease.put('leased').value('v');
    const id = await lease.grant();
    const kv = (await client.get('leased').exec()).kvs[0];
    expect(kv?.lease).toBe(id);
    expect(await ttl(id)).toBeGreaterThan(8);

    server.advance(4_000);
    expect(await ttl(id)).toBeLessThanOrEqual(6);
    const renewed = await lease.keepaliveOnce();
    expect(renewed.TTL).toBe('10');
    expect(await ttl(id)).toBeGreaterThan(8);

    expect((await client.leaseClient.leaseLeases({})).leases.map((l) => l.ID)).toEqual([id]);
    await lease.revoke();
    expect(await client.get('leased').string()).toBeNull();
  });

  it('fast-forward expires a lease without sleeping', async () => {
    // This server's wall clock stands still: only advance() moves its time, so the expiry cannot come from waiting.
    client.close();
    await server.close();
    server = await startGrpcServer({
      port: 0,
      onInternalError: (error) => {
        throw error;
      },
      driver: { wallNowMs: () => 0 },
    });
    client = new Etcd3({ hosts: server.address });
    const startMs = server.nowMs();
    const lease = client.lease(5, { autoKeepAlive: false });
    await lease.put('session').value('alive');
    const id = await lease.grant();
    server.advance(4_000);
    expect(await client.get('session').string()).toBe('alive');
    server.advance(1_500);
    expect(await client.get('session').string()).toBeNull();
    expect(await ttl(id)).toBe(-1);
    // A keepalive for the expired lease answers TTL 0, which etcd3 reports as a lost lease.
    await expect(lease.keepaliveOnce()).rejects.toBeInstanceOf(EtcdLeaseInvalidError);
    expect(lease.revoked()).toBe(true);
    expect(server.nowMs()).toBe(startMs + 5_500);
  });

  it('keepalives between fast-forwards keep a lease alive past several TTLs', async () => {
    const lease = client.lease(3, { autoKeepAlive: false });
    await lease.put('kept').value('v');
    for (let i = 0; i < 4; i++) {
      server.advance(2_000); // less than a TTL, then renew
      expect((await lease.keepaliveOnce()).TTL).toBe('3');
    }
    expect(await client.get('kept').string()).toBe('v');
    server.advance(3_500);
    expect(await client.get('kept').string()).toBeNull();
  });

  it("keeps a lease alive with etcd3's own keepalive loop", async () => {
    const lease = client.lease(3); // etcd3 renews every TTL/3 on a stream, starting at once
    await lease.put('auto').value('v');
    const renewed = new Promise<void>((resolve) => lease.once('keepaliveSucceeded', () => resolve()));
    await renewed;
    server.advance(2_500);
    expect(await client.get('auto').string()).toBe('v');
    await lease.revoke();
  });

  it('watches puts and deletes', async () => {
    const watcher = await client.watch().prefix('w/').create();
    const events: string[] = [];
    watcher.on('put', (kv: IKeyValue) => events.push(`put ${kv.key.toString()}=${kv.value.toString()}`));
    watcher.on('delete', (kv: IKeyValue) => events.push(`delete ${kv.key.toString()}`));
    await client.put('w/a').value('1');
    await client.put('other').value('x');
    await client.delete().key('w/a');
    await until(() => events.length >= 2, 'two watch events');
    expect(events).toEqual(['put w/a=1', 'delete w/a']);
    await watcher.cancel();
  });

  it('delivers a lease expiry to a watcher as a delete', async () => {
    const lease = client.lease(2, { autoKeepAlive: false });
    await lease.put('e').value('1');
    const watcher = await client.watch().key('e').create();
    const deletes: string[] = [];
    watcher.on('delete', (kv: IKeyValue) => deletes.push(kv.key.toString()));
    server.advance(2_500);
    await until(() => deletes.length === 1, 'the expiry delete');
    await watcher.cancel();
  });

  it('honours watch backpressure: thousands of events written at once all arrive, in order, once', async () => {
    const watcher = await client.watch().prefix('bp/').create();
    const revisions: number[] = [];
    watcher.on('data', (response: IWatchResponse) => {
      for (const event of response.events) revisions.push(Number(event.kv.mod_revision));
    });
    const first = server.store.currentRevision() + 1;
    const count = 3_000;
    const value = new Uint8Array(200);
    // Synchronously, as the store's owner: far more responses than the gRPC stream buffers.
    for (let i = 0; i < count; i++) server.store.put({ key: utf8(`bp/${i % 10}`), value });
    await until(() => revisions.length >= count, `${count} events`, 8_000);
    expect(revisions).toEqual(Array.from({ length: count }, (_, i) => first + i));
    expect(server.stats.watchBufferFull).toBeGreaterThan(0); // the sink did refuse, and the store caught up
    await watcher.cancel();
  });

  it('runs etcd3 Lock: acquire, contend, release', async () => {
    const lock = client.lock('x');
    await lock.acquire();
    await expect(client.lock('x').acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    await lock.release();
    const again = await client.lock('x').acquire();
    await again.release();
  });

  it('runs etcd3 Election: campaign, observe the leader, resign', async () => {
    const election = client.election('leader', 5);
    const campaign = election.campaign('me');
    await campaign.wait();
    expect(await election.leader()).toBe('me');
    await campaign.resign();
    expect(await election.leader()).toBeUndefined();
  });

  it('sends etcd errors with their gRPC code and exact message', async () => {
    const revoke = client.leaseClient.leaseRevoke({ ID: '12345' });
    await expect(revoke).rejects.toBeInstanceOf(EtcdLeaseInvalidError);
    await expect(client.leaseClient.leaseRevoke({ ID: '12345' })).rejects.toThrow('etcdserver: requested lease not found');

    await client.put('c').value('1');
    await client.put('c').value('2');
    const compactAt = server.store.currentRevision();
    await client.kv.compact({ revision: String(compactAt) });
    const old = client.kv.range({ key: Buffer.from('c'), revision: String(compactAt - 1) });
    await expect(old).rejects.toBeInstanceOf(GRPCOutOfRangeError);
    await expect(client.kv.range({ key: Buffer.from('c'), revision: String(compactAt - 1) })).rejects.toThrow(
      'etcdserver: mvcc: required revision has been compacted',
    );
    await expect(client.kv.put({ key: Buffer.alloc(0), value: Buffer.from('v') })).rejects.toThrow('etcdserver: key is not provided');
  });

  it('answers Maintenance.Status', async () => {
    const status = await client.maintenance.status();
    expect(status.version).toMatch(/^3\.4\./);
    expect(status.leader).toBe(memberId.toString());
  });
});

const noEtcdctl = etcdctlMissing();
if (noEtcdctl !== undefined) console.warn(`skipping the etcdctl tests of the grpc server: ${noEtcdctl}`);

describe.skipIf(noEtcdctl !== undefined)('grpc server with etcdctl', () => {
  it('etcdctl put and get', async () => {
    const env = { ...process.env, ETCDCTL_API: '3' };
    const etcdctl = (...args: string[]) =>
      run('etcdctl', ['--endpoints', server.address, '--dial-timeout', '3s', '--command-timeout', '3s', ...args], { env, timeout: 10_000 });
    expect((await etcdctl('put', 'a', 'b')).stdout.trim()).toBe('OK');
    expect((await etcdctl('get', 'a')).stdout).toBe('a\nb\n');
    expect(await client.get('a').string()).toBe('b');
    const { stdout } = await etcdctl('lease', 'grant', '30');
    expect(stdout).toMatch(/^lease [0-9a-f]+ granted with TTL\(30s\)/);
    expect((await etcdctl('endpoint', 'status', '-w', 'json')).stdout).toContain('"leader"');
  });
});

describe('leaselab serve', () => {
  it('serves on the given port with an HTTP fast-forward endpoint', async () => {
    let printed = '';
    const serving = await startServing(['--port', '0', '--control-port', '0'], { write: (text) => (printed += text) });
    const other = new Etcd3({ hosts: serving.server.address });
    try {
      expect(printed).toContain(`leaselab serving etcd v3 gRPC on ${serving.server.address}`);
      expect(printed).toContain(`${serving.control!.url}/advance?ms=5500`);
      const lease = other.lease(5, { autoKeepAlive: false });
      await lease.put('k').value('v');
      const advanced = await fetch(`${serving.control!.url}/advance?ms=5500`, { method: 'POST' });
      expect(advanced.status).toBe(200);
      const body = (await advanced.json()) as { nowMs: number; fastForwardMs: number; revision: number };
      expect(body.fastForwardMs).toBe(5500);
      expect(body.nowMs).toBeGreaterThanOrEqual(5500);
      expect(await other.get('k').string()).toBeNull();
      expect((await fetch(`${serving.control!.url}/advance?ms=-1`, { method: 'POST' })).status).toBe(400);
      expect((await fetch(`${serving.control!.url}/advance?ms=1`)).status).toBe(405);
      expect(((await (await fetch(`${serving.control!.url}/time`)).json()) as { fastForwardMs: number }).fastForwardMs).toBe(5500);
    } finally {
      other.close();
      await serving.close();
    }
  });

  it('prints its address and stops on Ctrl-C (SIGINT) with exit code 0', async () => {
    const child = spawn(process.execPath, ['bin/leaselab.js', 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      await until(() => /on 127\.0\.0\.1:\d+/.test(stdout), 'the address', 8_000);
      const address = /on (127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
      const other = new Etcd3({ hosts: address });
      await other.put('x').value('1');
      expect(await other.get('x').string()).toBe('1');
      other.close();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
