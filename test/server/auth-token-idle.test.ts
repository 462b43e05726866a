/**
 * Simple tokens die after 300 s unused, as etcd's TTL keeper drops them:
 * each use starts the 300 s again; a client whose token died authenticates
 * again by itself. On the server's clock, so fast-forward counts (fast).
 * Beside a real etcd 3.4.23 the same story takes real time: 5 minutes of
 * waiting, so it runs with LEASELAB_LONG=1 only (skipped, naming what is
 * missing, without etcd).
 */
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { simpleTokenIdleMs } from '../../src/server/auth/auth-store.ts';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdMissing, startEtcd } from './etcd-process.ts';
import { rawClient } from './raw-grpc.ts';
import { cleanupsAfter } from './cleanups.ts';

const cleanups = cleanupsAfter('all');

/** root and a user `ann` on `address`, auth on. */
async function setUp(address: string): Promise<void> {
  const admin = new Etcd3({ hosts: address });
  try {
    await admin.user('root').create('rootpw');
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    await admin.user('ann').create('pw');
    await admin.role('all').create();
    await admin.role('all').grant({ permission: 'Readwrite', key: 'a' });
    await admin.user('ann').addRole('all');
    await admin.auth.authEnable();
  } finally {
    admin.close();
  }
}

async function tokenOf(address: string): Promise<string> {
  const response = await fetch(`http://${address}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'ann', password: 'pw' }) });
  return ((await response.json()) as { token: string }).token;
}

async function rangeWith(address: string, token: string): Promise<string> {
  const client = rawClient(address);
  try {
    const outcome = await client.unary('KV', 'Range', { key: Buffer.from('a') }, 10_000, { token });
    return 'err' in outcome ? `${outcome.err.code} ${outcome.err.message}` : 'ok';
  } finally {
    client.close();
  }
}

describe('simple tokens unused for 300 s', () => {
  it('are dropped on the server clock (fast-forward counts); each use starts the 300 s again; clients authenticate again', async () => {
    const server = await startGrpcServer({ port: 0 });
    cleanups.push(() => server.close());
    await setUp(server.address);
    const token = await tokenOf(server.address);
    expect(await rangeWith(server.address, token)).toBe('ok');
    server.advance(simpleTokenIdleMs - 1_000);
    expect(await rangeWith(server.address, token)).toBe('ok'); // used: another 300 s from now
    server.advance(simpleTokenIdleMs - 1_000);
    expect(await rangeWith(server.address, token)).toBe('ok');
    server.advance(simpleTokenIdleMs + 1_000);
    expect(await rangeWith(server.address, token)).toBe('16 etcdserver: invalid auth token');
    // A client whose token died gets a new one by itself.
    const ann = new Etcd3({ hosts: server.address, auth: { username: 'ann', password: 'pw' } });
    cleanups.push(() => ann.close());
    await ann.put('a').value('1');
    server.advance(simpleTokenIdleMs + 1_000);
    await ann.put('a').value('2');
    expect(await ann.get('a').string()).toBe('2');
  });

  const long = process.env.LEASELAB_LONG === '1';
  const missing = etcdMissing();
  if (long && missing !== undefined) console.warn(`skipping the token-idle comparison with etcd: ${missing}`);
  it.skipIf(!long || missing !== undefined)(
    'beside etcd 3.4.23 in real time: a token idle past 300 s is refused alike (LEASELAB_LONG=1, 5 minutes)',
    async () => {
      const server = await startGrpcServer({ port: 0 });
      const etcd = await startEtcd();
      cleanups.push(
        () => server.close(),
        () => etcd.stop(),
      );
      const addresses = [server.address, etcd.address];
      await Promise.all(addresses.map(setUp));
      const tokens = await Promise.all(addresses.map(tokenOf));
      const before = await Promise.all(addresses.map((address, i) => rangeWith(address, tokens[i]!)));
      await new Promise((resolve) => setTimeout(resolve, simpleTokenIdleMs + 5_000));
      const after = await Promise.all(addresses.map((address, i) => rangeWith(address, tokens[i]!)));
      expect(before).toEqual(['ok', 'ok']);
      expect(after[1]).toBe('16 etcdserver: invalid auth token');
      expect(after[0]).toBe(after[1]);
    },
    400_000,
  );
});
