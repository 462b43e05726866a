/**
 * `leaselab serve` as a process a harness in any language can drive: the
 * --ready-json line, the control endpoint's safety (loopback, no Origin, own
 * Host only), POST /reset, the progress-notify flag, SIGTERM with streams
 * open (exit 0), and no child process left behind. Real etcd3 clients,
 * ephemeral loopback ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { type ReadyJson, type Serving, startServing } from '../../src/cli/commands/serve.ts';
import { cleanupsAfter } from './cleanups.ts';
import { until } from './until.ts';

const quiet = { write: () => {} };
const cleanups = cleanupsAfter('each');

async function serve(args: string[]): Promise<Serving> {
  const serving = await startServing(['--port', '0', ...args], quiet);
  cleanups.push(() => serving.close());
  return serving;
}

function etcd3(address: string): Etcd3 {
  const client = new Etcd3({ hosts: address });
  cleanups.push(() => client.close());
  return client;
}

/** An HTTP request with exactly these headers (fetch will not forge Host). */
function httpRequest(url: string, method: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** PIDs of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text !== '') children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Whether a process is still running (gone or a zombie: not). */
function isRunning(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] !== 'Z';
  } catch {
    return false;
  }
}

function portAccepts(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Spawn `node bin/leaselab.js serve … --ready-json` and read its first line. */
async function spawnServe(args: string[]): Promise<{ child: ChildProcess; ready: ReadyJson; stdout: () => string }> {
  const child = spawn(process.execPath, ['bin/leaselab.js', 'serve', '--port', '0', '--ready-json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await until(() => stdout.includes('\n'), 'the ready line', 15_000);
  const ready = JSON.parse(stdout.slice(0, stdout.indexOf('\n'))) as ReadyJson;
  return { child, ready, stdout: () => stdout };
}

describe('leaselab serve as a process', () => {
  it('prints one JSON line first, is itself the server (no child), and on SIGTERM closes its streams and exits 0', async () => {
    const { child, ready, stdout } = await spawnServe(['--control-port', '0']);
    expect(Object.keys(ready).sort()).toEqual(['control', 'grpc', 'pid', 'seed']);
    expect(ready.pid).toBe(child.pid);
    expect(ready.grpc).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(ready.control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number.isSafeInteger(ready.seed)).toBe(true); // the lease-ID stream's seed, drawn from entropy (--seed pins it)
    // The server runs in the spawned process itself: any child is a helper (tsx's esbuild service), never a server.
    for (const pid of childrenOf(child.pid!)) {
      const [executable = '', ...args] = commandOf(pid).split(' ');
      expect(executable.split('/').pop(), commandOf(pid)).not.toBe('node');
      expect(args.join(' ')).not.toContain('leaselab');
    }

    const client = etcd3(ready.grpc);
    await client.put('k').value('v');
    const watcher = await client.watch().key('k').create(); // a watch stream
    const lease = client.lease(5); // a keepalive stream
    await lease.grant();
    const time = (await (await fetch(`${ready.control}/time`)).json()) as { revision: number };
    expect(time.revision).toBe(2);
    let disconnected = false;
    watcher.on('disconnected', () => (disconnected = true));

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout()).toContain('stopped');
    await until(() => disconnected, 'the watch stream to be closed', 8_000);
    expect(await portAccepts(ready.grpc)).toBe(false);
  });

  it('exits 0 on SIGTERM even when the harness closed its end of stdout after the ready line', async () => {
    const { child, ready } = await spawnServe([]);
    child.stdout!.destroy();
    const client = etcd3(ready.grpc);
    await client.put('k').value('v');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('leaves no process and nothing listening when killed with SIGKILL', async () => {
    const { child, ready } = await spawnServe([]);
    expect(ready.control).toBeNull();
    expect(await portAccepts(ready.grpc)).toBe(true);
    const children = childrenOf(child.pid!);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(await portAccepts(ready.grpc)).toBe(false);
    await until(() => !children.some(isRunning), `its children (${children.map(commandOf).join('; ')}) to exit`, 3_000);
  });

  it('stops when the wrapper that started it is killed (npx runs it under `sh -c`)', async () => {
    const wrapper = spawn('sh', ['-c', `"${process.execPath}" bin/leaselab.js serve --port 0 --ready-json; exit 0`], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => {
      if (wrapper.exitCode === null && wrapper.signalCode === null) wrapper.kill('SIGKILL');
    });
    let stdout = '';
    wrapper.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await until(() => stdout.includes('\n'), 'the ready line', 15_000);
    const ready = JSON.parse(stdout.slice(0, stdout.indexOf('\n'))) as ReadyJson;
    cleanups.push(() => {
      if (isRunning(ready.pid)) process.kill(ready.pid, 'SIGKILL');
    });
    expect(ready.pid).not.toBe(wrapper.pid);
    expect(await portAccepts(ready.grpc)).toBe(true);
    wrapper.kill('SIGKILL'); // the wrapper dies without a word to its child
    await until(() => !isRunning(ready.pid), 'the server to notice and stop', 5_000);
    expect(await portAccepts(ready.grpc)).toBe(false);
  });
});

describe('the control endpoint', () => {
  it('listens on loopback whatever --host says, or on --control-host', async () => {
    const onOtherHost = await serve(['--host', '127.0.0.3', '--control-port', '0']);
    expect(onOtherHost.server.address).toMatch(/^127\.0\.0\.3:/);
    expect(onOtherHost.control!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const own = await serve(['--control-port', '0', '--control-host', '127.0.0.2']);
    expect(own.control!.url).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    expect((await httpRequest(`${own.control!.url}/time`, 'GET')).status).toBe(200);
    await expect(startServing(['--port', '0', '--control-host', '127.0.0.2'], quiet)).rejects.toThrow('--control-host needs --control-port');
  });

  it('refuses cross-origin requests and foreign Host headers, changing nothing', async () => {
    const serving = await serve(['--control-port', '0']);
    const url = serving.control!.url;
    const port = serving.control!.port;
    const fromPage = await httpRequest(`${url}/advance?ms=60000`, 'POST', { origin: 'https://evil.example' });
    expect(fromPage.status).toBe(403);
    expect(fromPage.body).toContain('cross-origin');
    const rebound = await httpRequest(`${url}/advance?ms=60000`, 'POST', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('is not this endpoint');
    expect((await httpRequest(`${url}/reset`, 'POST', { host: `127.0.0.1:${port + 1}` })).status).toBe(403);
    expect(serving.server.driver.fastForwardMs).toBe(0);

    expect((await httpRequest(`${url}/advance?ms=1000`, 'POST', { host: `localhost:${port}` })).status).toBe(200);
    expect((await fetch(`${url}/advance?ms=1000`, { method: 'POST' })).status).toBe(200);
    expect(serving.server.driver.fastForwardMs).toBe(2000);
    const tooFar = await fetch(`${url}/advance?ms=1e300`, { method: 'POST' });
    expect(tooFar.status).toBe(400);
    expect(((await tooFar.json()) as { error: string }).error).toContain('in total');
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('POST /reset empties the store: revision 1, no keys, no leases, watch streams cut; lease IDs never repeat', async () => {
    const serving = await serve(['--control-port', '0']);
    const client = etcd3(serving.server.address);
    const before = client.lease(30, { autoKeepAlive: false });
    await before.put('a').value('1');
    const idBefore = await before.grant();
    await client.put('b').value('2');
    const watcher = await client.watch().prefix('').create();
    let disconnected = false;
    watcher.on('disconnected', () => (disconnected = true));

    const reset = await fetch(`${serving.control!.url}/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(((await reset.json()) as { revision: number }).revision).toBe(1);
    expect((await fetch(`${serving.control!.url}/reset`)).status).toBe(405);

    expect(await client.getAll().keys()).toEqual([]);
    expect((await client.leaseClient.leaseLeases({})).leases).toEqual([]);
    await until(() => disconnected, 'the watch stream to be cut', 8_000);
    const after = client.lease(30, { autoKeepAlive: false });
    const idAfter = await after.grant();
    expect(idAfter).not.toBe(idBefore);
    await client.put('c').value('3');
    expect((await client.get('c').exec()).kvs[0]!.mod_revision).toBe('2');
  });

  it('--snapshot-count without --data-dir is taken as etcd takes it (nothing to snapshot in memory); a non-number is refused', async () => {
    for (const count of ['100', '0']) {
      const serving = await serve(['--snapshot-count', count]);
      const client = etcd3(serving.server.address);
      await client.put('a').value('1');
      expect(await client.get('a').string()).toBe('1');
    }
    await expect(startServing(['--port', '0', '--snapshot-count', 'many'], quiet)).rejects.toThrow("--snapshot-count must be a whole number, got 'many'");
  });

  it('--experimental-watch-progress-notify-interval sets how often idle watchers hear progress', async () => {
    const serving = await serve(['--experimental-watch-progress-notify-interval', '2s']);
    const client = etcd3(serving.server.address);
    await client.put('p').value('1');
    const stream = await client.watchClient.watch();
    cleanups.push(() => stream.end());
    const responses: { created: boolean; events: unknown[]; header: { revision: string } }[] = [];
    stream.on('data', (response) => responses.push(response));
    stream.write({ create_request: { key: Buffer.from('p'), progress_notify: true } });
    await until(() => responses.length === 1, 'created', 8_000);
    serving.server.advance(1_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(responses.length).toBe(1); // nothing yet: the default would be 10 min, and 2 s have not passed
    serving.server.advance(4_000);
    await until(() => responses.length >= 2, 'a progress notification', 8_000);
    expect(responses[1]!.created).toBe(false);
    expect(responses[1]!.events).toEqual([]);
    expect(responses[1]!.header.revision).toBe('2');

    await expect(startServing(['--port', '0', '--experimental-watch-progress-notify-interval', '5'], quiet)).rejects.toThrow(
      'time: missing unit in duration "5"',
    );
  });
});
