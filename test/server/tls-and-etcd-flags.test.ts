/**
 * `leaselab serve` started with etcd's own flags: TLS on the client port
 * from --cert-file/--key-file/--trusted-ca-file/--client-cert-auth and an
 * https:// --listen-client-urls (certificates made by Debian's openssl at
 * test time), the member named by --name and --advertise-client-urls, etcd
 * flags leaselab does not serve warned about, not fatal. Clients: the
 * etcd3 npm client with TLS credentials, node:https for /health (HTTP/1.1
 * over TLS on the same port), etcdctl with and without a client
 * certificate. Skipped, naming the package, where openssl (or, for its
 * case, etcdctl) is missing.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Serving, startServing } from '../../src/cli/commands/serve.ts';
import { extractEtcdFlags } from '../../src/cli/etcd-flags.ts';
import { clusterIdOf, memberIdOf } from '../../src/server/member-id.ts';
import { etcdctlMissing } from './etcd-process.ts';

const run = promisify(execFile);

async function has(tool: string, args: string[]): Promise<boolean> {
  try {
    await run(tool, args, { timeout: 10_000, env: { ...process.env, ETCDCTL_API: '3' } });
    return true;
  } catch {
    return false;
  }
}
const hasOpenssl = await has('openssl', ['version']);
const hasEtcdctl = etcdctlMissing() === undefined;
if (!hasOpenssl) console.warn('skipping the TLS tests: openssl not installed: apt-get install openssl');
if (!hasEtcdctl) console.warn('skipping the etcdctl TLS case: etcdctl not installed: apt-get install etcd-client');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, in a temp dir. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir, timeout: 30_000 });
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=leaselab-test-ca']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const name of ['server', 'client']) {
    await openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name === 'server' ? '127.0.0.1' : 'client'}`,
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    ]);
  }
}

function httpsGet(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('etcd flags without TLS', () => {
  it('parses etcd flag syntax, leaves serve flags and unknown ones, warns about what it does not serve', () => {
    const parsed = extractEtcdFlags([
      '--name',
      'infra0',
      '-listen-client-urls=http://localhost:0,http://10.0.0.1:2379',
      '--advertise-client-urls',
      'http://127.0.0.1:2379',
      '--enable-v2',
      '--auto-tls=false',
      '--data-dir',
      '/tmp/x',
      '--ready-json',
      '--heartbeat-interval=50',
      '--not-an-etcd-flag',
    ]);
    expect(parsed.values).toEqual({
      name: 'infra0',
      listen: { host: '127.0.0.1', port: 0, tls: false },
      advertiseClientUrls: ['http://127.0.0.1:2379'],
      heartbeatIntervalMs: 50,
    });
    expect(parsed.rest).toEqual(['--data-dir', '/tmp/x', '--ready-json', '--not-an-etcd-flag']);
    expect(parsed.warnings.join('\n')).toMatch(/serving on http:\/\/localhost:0\/ only/);
    expect(parsed.warnings.join('\n')).toMatch(/ignoring etcd flag --enable-v2/);
    expect(parsed.warnings.join('\n')).toMatch(/ignoring etcd flag --auto-tls/);
    expect(() => extractEtcdFlags(['--listen-client-urls', 'https://127.0.0.1:0'])).toThrow(/no --cert-file/);
    expect(() => extractEtcdFlags(['--cert-file', 'a.crt'])).toThrow(/go together/);
    expect(() => extractEtcdFlags(['--max-request-bytes', 'lots'])).toThrow(/whole number/);
  });

  it('derives member and cluster IDs as etcd 3.4.23 does (values a real etcd gave)', () => {
    expect(memberIdOf(['http://localhost:2380'])).toBe(10276657743932975437n);
    expect(clusterIdOf([10276657743932975437n])).toBe(14841639068965178418n);
    expect(memberIdOf(['http://127.0.0.1:23801'])).toBe(13668033151171901709n);
    expect(clusterIdOf([13668033151171901709n])).toBe(15118495548433857066n);
  });

  it('starts serve from an etcd command line and shows the member as named', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let serving: Serving | undefined;
    try {
      serving = await startServing(
        [
          '--name',
          'infra0',
          '--listen-client-urls',
          'http://127.0.0.1:0',
          '--advertise-client-urls',
          'http://127.0.0.1:2379',
          '--initial-advertise-peer-urls',
          'http://127.0.0.1:2380',
          '--listen-peer-urls',
          'http://127.0.0.1:2380',
          '--initial-cluster',
          'infra0=http://127.0.0.1:2380',
          '--initial-cluster-state',
          'new',
          '--enable-v2',
        ],
        { write: () => {} },
      );
      expect(stderr.mock.calls.map((call) => String(call[0])).join('')).toContain('ignoring etcd flag --enable-v2');
      const client = new Etcd3({ hosts: serving.server.address });
      try {
        const { members } = await client.cluster.memberList({});
        expect(members.map((m) => ({ ID: m.ID, name: m.name, peerURLs: m.peerURLs, clientURLs: m.clientURLs }))).toEqual([
          { ID: memberIdOf(['http://127.0.0.1:2380']).toString(), name: 'infra0', peerURLs: ['http://127.0.0.1:2380'], clientURLs: ['http://127.0.0.1:2379'] },
        ]);
      } finally {
        client.close();
      }
    } finally {
      stderr.mockRestore();
      await serving?.close();
    }
  });
});

describe.skipIf(!hasOpenssl)('TLS with etcd flags', () => {
  let dir: string;
  let serving: Serving;
  let tls: { ca: Buffer; cert: Buffer; key: Buffer };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'leaselab-tls-'));
    await makeCertificates(dir);
    tls = { ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(dir, 'client.crt')), key: readFileSync(join(dir, 'client.key')) };
    serving = await startServing(
      [
        '--listen-client-urls',
        'https://127.0.0.1:0',
        '--cert-file',
        join(dir, 'server.crt'),
        '--key-file',
        join(dir, 'server.key'),
        '--trusted-ca-file',
        join(dir, 'ca.crt'),
        '--client-cert-auth',
      ],
      { write: () => {} },
    );
  }, 60_000);
  afterAll(async () => {
    await serving?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the etcd3 client over TLS with a client certificate', async () => {
    const client = new Etcd3({
      hosts: `https://${serving.server.address}`,
      credentials: { rootCertificate: tls.ca, certChain: tls.cert, privateKey: tls.key },
    });
    try {
      await client.put('over-tls').value('yes');
      expect(await client.get('over-tls').string()).toBe('yes');
    } finally {
      client.close();
    }
  });

  it('serves /health over HTTP/1.1 on the same TLS port, and refuses a client without a certificate', async () => {
    expect(await httpsGet(`https://${serving.server.address}/health`, tls)).toEqual({ status: 200, body: '{"health":"true"}' });
    await expect(httpsGet(`https://${serving.server.address}/health`, { ca: tls.ca })).rejects.toThrow();
  });

  it.skipIf(!hasEtcdctl)(
    'serves etcdctl with --cacert/--cert/--key; etcdctl without a certificate gets nothing',
    async () => {
      const etcdctl = (args: string[]) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn('etcdctl', [`--endpoints=https://${serving.server.address}`, '--dial-timeout=2s', '--command-timeout=3s', ...args], {
            env: { ...process.env, ETCDCTL_API: '3' },
          });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('close', (code) => resolve({ code, out }));
        });
      const withCerts = ['--cacert', join(dir, 'ca.crt'), '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')];
      expect(await etcdctl([...withCerts, 'put', 'k', 'v'])).toEqual({ code: 0, out: 'OK\n' });
      expect((await etcdctl([...withCerts, 'endpoint', 'health'])).out).toMatch(/is healthy/);
      const without = await etcdctl(['--cacert', join(dir, 'ca.crt'), 'get', 'k']);
      expect(without.code).not.toBe(0);
    },
    30_000,
  );
});
