/**
 * Fast-forward against real clients: a lease a live client keeps alive is
 * carried across an advance (60 s, 1 h, 1e12 ms); a lease whose client is
 * gone (closed, killed, silent) expires at etcd's sweep; a big jump costs
 * the work due, not the ticks skipped. The etcd3 npm client and etcdctl
 * (skipped with a message where it is absent), on ephemeral loopback ports.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdctlMissing } from './etcd-process.ts';
import { until } from './until.ts';

const run = promisify(execFile);

let server: GrpcEtcdServer;
let client: Etcd3;
/** Added to the server's wall clock: lets a test play a client that went silent without waiting. */
let wallSkewMs = 0;
/** Worker processes a test started: killed after each test. */
const workers: ChildProcess[] = [];

beforeEach(async () => {
  wallSkewMs = 0;
  server = await startGrpcServer({
    port: 0,
    onInternalError: (error) => {
      throw error;
    },
    driver: { wallNowMs: () => performance.now() + wallSkewMs },
  });
  client = new Etcd3({ hosts: server.address });
});

afterEach(async () => {
  for (const worker of workers.splice(0)) await kill(worker);
  client.close();
  await server.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ttl(id: string): Promise<number> {
  return Number((await client.leaseClient.leaseTimeToLive({ ID: id })).TTL);
}

/**
 * A worker in its own process (a real client that can really crash): it
 * takes a 5 s lease kept alive by etcd3, puts `key` with it (or campaigns
 * in `election` as `key`), prints the lease ID and waits to be killed.
 */
async function startWorker(mode: 'put' | 'campaign', name: string): Promise<{ leaseId: string; process: ChildProcess }> {
  const script = `
    import { Etcd3 } from 'etcd3';
    const client = new Etcd3({ hosts: ${JSON.stringify(server.address)} });
    let leaseId;
    if (${JSON.stringify(mode)} === 'put') {
      const lease = client.lease(5);
      await lease.put(${JSON.stringify(name)}).value('alive');
      leaseId = await lease.grant();
    } else {
      const campaign = client.election(${JSON.stringify(name)}, 5).campaign('leader');
      await campaign.wait();
      leaseId = (await client.getAll().exec()).kvs.find((kv) => kv.value.toString() === 'leader').lease;
    }
    console.log('lease ' + leaseId);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  workers.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await until(() => /lease \d+/.test(output), 'the worker to start', 8_000);
  return { leaseId: /lease (\d+)/.exec(output)![1]!, process: child };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function keptByServer(id: string): boolean {
  return server.driver.keepers.liveLeases().includes(BigInt(id));
}

describe('fast-forward with the etcd3 client', () => {
  it('carries a lease its client keeps alive across a 60 s and a 1 h advance', async () => {
    const lease = client.lease(5); // etcd3 renews every TTL/3 on a keepalive stream
    await lease.put('worker/1').value('alive');
    const id = await lease.grant();
    await until(() => keptByServer(id), 'the first keepalive');

    server.advance(60_000);
    expect(await client.get('worker/1').string()).toBe('alive');
    expect(await ttl(id)).toBeGreaterThanOrEqual(2);
    server.advance(3_600_000);
    expect(await client.get('worker/1').string()).toBe('alive');
    expect(await ttl(id)).toBeGreaterThanOrEqual(2);
    expect(lease.revoked()).toBe(false);

    await lease.revoke();
    expect(await client.get('worker/1').string()).toBeNull();
  });

  it('stepping 1 s every 100 ms of wall time (10× real time) keeps a kept-alive lease too', async () => {
    const lease = client.lease(5);
    await lease.put('worker/steps').value('alive');
    const id = await lease.grant();
    await until(() => keptByServer(id), 'the first keepalive');
    for (let step = 0; step < 20; step++) {
      server.advance(1_000);
      await sleep(100);
    }
    expect(server.driver.fastForwardMs).toBe(20_000);
    expect(await client.get('worker/steps').string()).toBe('alive');
    expect(lease.revoked()).toBe(false);
    await lease.revoke();
  });

  it('expires the lease of a client that is gone (its process killed, its connection closed)', async () => {
    const worker = await startWorker('put', 'worker/2');
    await until(() => keptByServer(worker.leaseId), 'the first keepalive');
    expect(await client.get('worker/2').string()).toBe('alive');
    await kill(worker.process);
    await until(() => !keptByServer(worker.leaseId), 'the server to see the connection close');

    server.advance(4_000);
    expect(await client.get('worker/2').string()).toBe('alive');
    server.advance(1_500); // past the deadline and one 500 ms sweep
    expect(await client.get('worker/2').string()).toBeNull();
    expect(await ttl(worker.leaseId)).toBe(-1);
  });

  it('expires the lease of a client whose stream is open but silent past its cadence', async () => {
    const lease = client.lease(5, { autoKeepAlive: false });
    await lease.put('worker/3').value('alive');
    const id = await lease.grant();
    const stream = await client.leaseClient.leaseKeepAlive();
    try {
      const answered = new Promise<string>((resolve) => stream.on('data', (response) => resolve(response.TTL)));
      stream.write({ ID: id });
      expect(await answered).toBe('5');
      expect(keptByServer(id)).toBe(true);
      wallSkewMs = 3_000; // 3 s of wall time without a renewal (a frozen client): more than TTL/3 + 1 s
      expect(keptByServer(id)).toBe(false);
      server.advance(60_000);
      expect(await client.get('worker/3').string()).toBeNull();
    } finally {
      stream.end();
    }
  });

  it('a waiter behind a live leader keeps waiting, whatever the advance; once the leader crashes it takes over', async () => {
    // The CI test that hangs on etcd must not pass here: the leader still keeps its lease alive.
    const leader = await startWorker('campaign', 'jobs');
    await until(() => keptByServer(leader.leaseId), "the leader's first keepalive");
    const waiter = client.election('jobs', 5).campaign('waiter');
    let waiterElected = false;
    void waiter.wait().then(() => (waiterElected = true));

    server.advance(60_000);
    server.advance(3_600_000);
    await sleep(300);
    expect(waiterElected).toBe(false);
    expect(await client.election('jobs').leader()).toBe('leader');

    await kill(leader.process); // the leader crashes
    await until(() => !keptByServer(leader.leaseId), 'the server to see the leader go');
    server.advance(6_000);
    await until(() => waiterElected, 'the waiter to be elected');
    expect(await client.election('jobs').leader()).toBe('waiter');
    await waiter.resign();
  });

  it('advances 1e12 ms at once without freezing: kept leases survive, others expire, the server keeps answering', async () => {
    const kept = client.lease(10);
    await kept.put('kept').value('1');
    const keptId = await kept.grant();
    const dropped = client.lease(10, { autoKeepAlive: false });
    await dropped.put('dropped').value('1');
    await until(() => keptByServer(keptId), 'the first keepalive');
    const watcher = await client.watch().prefix('').create();
    const deleted: string[] = [];
    watcher.on('delete', (kv) => deleted.push(kv.key.toString()));

    // Count the store loops' ticks (not wall time, which depends on the machine): it used to fire 1e10 (hours).
    let loopTicks = 0;
    const store = server.store as unknown as Record<'sweepExpiredLeases' | 'syncWatchers' | 'notifyWatchProgress', () => unknown>;
    for (const name of ['sweepExpiredLeases', 'syncWatchers', 'notifyWatchProgress'] as const) {
      const work = store[name].bind(store);
      store[name] = () => {
        loopTicks++;
        return work();
      };
    }
    server.advance(1e12);
    expect(loopTicks).toBeGreaterThan(0);
    expect(loopTicks).toBeLessThan(100);

    expect(server.driver.fastForwardMs).toBe(1e12);
    expect(server.nowMs()).toBeGreaterThanOrEqual(1e12);
    expect(await client.get('kept').string()).toBe('1');
    expect(await client.get('dropped').string()).toBeNull();
    await until(() => deleted.includes('dropped'), 'the expiry delete');
    await client.put('after').value('jump');
    expect(await client.get('after').string()).toBe('jump');
    expect(server.clock.pendingTimers).toBeLessThanOrEqual(4); // three loops (and no backlog of ticks)
    expect(() => server.advance(1e300)).toThrow(RangeError);
    await watcher.cancel();
    await kept.revoke();
  });
});

const noEtcdctl = etcdctlMissing();
if (noEtcdctl !== undefined) console.warn(`skipping the etcdctl fast-forward tests: ${noEtcdctl}`);

describe.skipIf(noEtcdctl !== undefined)('fast-forward with etcdctl', () => {
  it('a lease that `etcdctl lease keep-alive` renews survives advances; once etcdctl is killed it expires', async () => {
    const env = { ...process.env, ETCDCTL_API: '3' };
    const common = ['--endpoints', server.address, '--dial-timeout', '3s', '--command-timeout', '3s'];
    const etcdctl = (...args: string[]) => run('etcdctl', [...common, ...args], { env, timeout: 10_000 });
    const granted = (await etcdctl('lease', 'grant', '5')).stdout;
    const hexId = /^lease ([0-9a-f]+) granted/.exec(granted)![1]!;
    const id = BigInt(`0x${hexId}`).toString();
    expect((await etcdctl('put', 'held', 'yes', `--lease=${hexId}`)).stdout.trim()).toBe('OK');

    const keeper = spawn('etcdctl', [...common, 'lease', 'keep-alive', hexId], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      keeper.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await until(() => output.includes('keepalived with TTL(5)') && keptByServer(id), 'etcdctl to renew the lease', 8_000);

      server.advance(60_000);
      expect((await etcdctl('get', 'held', '--print-value-only')).stdout.trim()).toBe('yes');
      server.advance(3_600_000);
      expect((await etcdctl('get', 'held', '--print-value-only')).stdout.trim()).toBe('yes');
      expect((await etcdctl('lease', 'timetolive', hexId)).stdout).toMatch(/remaining\([2-5]s\)/);

      const exited = new Promise((resolve) => keeper.once('exit', resolve));
      keeper.kill('SIGKILL'); // the client dies without a word
      await exited;
      await until(() => !keptByServer(id), 'the server to see etcdctl go');
      server.advance(6_000);
      expect((await etcdctl('get', 'held')).stdout).toBe('');
      expect((await etcdctl('lease', 'timetolive', hexId)).stdout).toContain('already expired');
    } finally {
      if (keeper.exitCode === null && keeper.signalCode === null) keeper.kill('SIGKILL');
    }
  });
});
