/**
 * Auth through etcdctl, beside a real etcd 3.4.23 (started by the test on
 * free loopback ports): the same command script runs against both and
 * must print the same thing — users, roles, permissions on a key, a prefix
 * and a from-key range, auth enable, wrong passwords, denied reads, writes,
 * txns and watches, root-only calls, what root may not do to itself, auth
 * disable. Also the etcd3 npm client with credentials on a server whose
 * auth is off (it must work, as on etcd). Skipped, naming the package,
 * where etcd or etcdctl is missing.
 */
import { spawn } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { etcdOrEtcdctlMissing } from './etcd-process.ts';
import { type RawClient, rawClient } from './raw-grpc.ts';
import { cleanupsAfter, startEtcdStoppedWith } from './cleanups.ts';
import { etcdctlTranscript } from './etcdctl-transcript.ts';

const missing = etcdOrEtcdctlMissing();
if (missing !== undefined) console.warn(`skipping the auth comparison with etcd: ${missing}`);

const cleanups = cleanupsAfter('all');

const script: { args: string[]; input?: string }[] = [
  { args: ['--user', 'root:pw', 'get', 'a'] },
  { args: ['auth', 'enable'] },
  { args: ['user', 'add', 'root:pw'] },
  { args: ['user', 'add', 'root:again'] },
  { args: ['role', 'add', 'root'] },
  { args: ['user', 'grant-role', 'root', 'root'] },
  { args: ['user', 'add', 'alice:apw'] },
  { args: ['role', 'add', 'reader'] },
  { args: ['role', 'grant-permission', 'reader', 'read', 'foo'] },
  { args: ['role', 'grant-permission', 'reader', 'readwrite', '--prefix=true', 'pre/'] },
  { args: ['role', 'grant-permission', 'reader', 'write', '--from-key', 'zzz'] },
  { args: ['user', 'grant-role', 'alice', 'reader'] },
  { args: ['user', 'grant-role', 'alice', 'nope'] },
  { args: ['role', 'get', 'reader'] },
  { args: ['user', 'get', 'alice'] },
  { args: ['user', 'list'] },
  { args: ['role', 'list'] },
  { args: ['auth', 'enable'] },
  { args: ['get', 'a'] },
  { args: ['--user', 'alice:wrong', 'get', 'a'] },
  { args: ['--user', 'alice:apw', 'get', 'foo'] },
  { args: ['--user', 'alice:apw', 'put', 'foo', '1'] },
  { args: ['--user', 'alice:apw', 'put', 'pre/x', '1'] },
  { args: ['--user', 'alice:apw', 'get', 'pre/', '--prefix'] },
  { args: ['--user', 'alice:apw', 'get', 'a'] },
  { args: ['--user', 'alice:apw', 'get', '', '--from-key'] },
  { args: ['--user', 'alice:apw', 'put', 'zzzz', '1'] },
  { args: ['--user', 'alice:apw', 'del', 'pre/', '--prefix', '--prev-kv'] },
  { args: ['--user', 'alice:apw', 'txn'], input: 'value("pre/x") = "1"\n\nput pre/y 2\n\nput foo 3\n\n' },
  { args: ['--user', 'alice:apw', 'txn'], input: 'value("pre/x") = "1"\n\nput pre/y 2\n\nput pre/z 3\n\n' },
  { args: ['--user', 'alice:apw', 'user', 'list'] },
  { args: ['--user', 'alice:apw', 'user', 'get', 'alice'] },
  { args: ['--user', 'alice:apw', 'user', 'get', 'root'] },
  { args: ['--user', 'alice:apw', 'role', 'get', 'reader'] },
  { args: ['member', 'add', 'x', '--peer-urls=http://127.0.0.1:9', '--learner'] },
  { args: ['--user', 'alice:apw', 'member', 'add', 'x', '--peer-urls=http://127.0.0.1:9', '--learner'] },
  { args: ['--user', 'alice:apw', 'member', 'remove', '1'] },
  { args: ['--user', 'alice:apw', 'member', 'update', '1', '--peer-urls=http://127.0.0.1:8'] },
  { args: ['--user', 'alice:apw', 'member', 'promote', '1'] },
  { args: ['--user', 'alice:apw', 'lease', 'list'] },
  { args: ['--user', 'alice:apw', 'alarm', 'list'] },
  { args: ['--user', 'alice:apw', 'endpoint', 'hashkv'] },
  { args: ['--user', 'root:pw', 'user', 'list'] },
  { args: ['--user', 'root:pw', 'role', 'revoke-permission', 'reader', 'foo'] },
  { args: ['--user', 'root:pw', 'role', 'revoke-permission', 'reader', 'nope'] },
  { args: ['--user', 'root:pw', 'user', 'revoke-role', 'alice', 'nope'] },
  { args: ['--user', 'root:pw', 'user', 'delete', 'root'] },
  { args: ['--user', 'root:pw', 'role', 'delete', 'root'] },
  { args: ['--user', 'root:pw', 'user', 'revoke-role', 'root', 'root'] },
  { args: ['--user', 'root:pw', 'user', 'passwd', 'alice', '--interactive=false'], input: 'newpw\n' },
  { args: ['--user', 'alice:apw', 'get', 'pre/x'] },
  { args: ['--user', 'alice:newpw', 'get', 'pre/x'] },
  { args: ['--user', 'root:pw', 'put', 'a', '1'] },
  { args: ['--user', 'root:pw', 'auth', 'disable'] },
  { args: ['get', 'a'] },
  { args: ['--user', 'alice:newpw', 'get', 'a'] },
  { args: ['user', 'delete', 'alice'] },
  { args: ['user', 'delete', 'nobody'] },
  { args: ['role', 'delete', 'reader'] },
];

describe.skipIf(missing !== undefined)('auth through etcdctl, beside etcd 3.4.23', () => {
  let server: GrpcEtcdServer;
  let etcd: string;
  beforeAll(async () => {
    [server, etcd] = await Promise.all([startGrpcServer({ port: 0 }), startEtcdStoppedWith(cleanups)]);
    cleanups.push(() => server.close());
  }, 30_000);

  it('prints what etcd prints for every command of the script', async () => {
    for (const step of script) {
      const [ours, theirs] = await Promise.all([
        etcdctlTranscript(`http://${server.address}`, step.args, step),
        etcdctlTranscript(`http://${etcd}`, step.args, step),
      ]);
      expect(ours).toBe(theirs);
    }
  }, 90_000);

  it('refuses a watch without READ as etcd does (created, canceled, the reason)', async () => {
    const setup = [
      ['user', 'add', 'root:pw'],
      ['user', 'grant-role', 'root', 'root'],
      ['user', 'add', 'bob:bpw'],
      ['auth', 'enable'],
    ];
    for (const endpoint of [`http://${server.address}`, `http://${etcd}`]) for (const args of setup) await etcdctlTranscript(endpoint, args);
    const watchOnce = (endpoint: string) =>
      new Promise<string>((resolve) => {
        const child = spawn('etcdctl', [`--endpoints=${endpoint}`, '--user', 'bob:bpw', 'watch', 'secret'], { env: { ...process.env, ETCDCTL_API: '3' } });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve(
            `${out
              .split('\n')
              .filter((line) => !line.includes('"level":"warn"'))
              .join('\n')}exit ${code}`,
          );
        });
      });
    const [ours, theirs] = await Promise.all([watchOnce(`http://${server.address}`), watchOnce(`http://${etcd}`)]);
    expect(theirs).toContain('permission denied');
    expect(ours).toBe(theirs);
    for (const endpoint of [`http://${server.address}`, `http://${etcd}`]) await etcdctlTranscript(endpoint, ['--user', 'root:pw', 'auth', 'disable']);
  }, 30_000);

  it('answers a client that sends credentials while auth is off as etcd does', async () => {
    const outcome = async (address: string) => {
      const client = new Etcd3({ hosts: address, auth: { username: 'someone', password: 'whatever' } });
      try {
        await client.put('with-credentials').value('yes');
        return `value ${await client.get('with-credentials').string()}`;
      } catch (error) {
        return `${(error as Error).constructor.name}: ${(error as Error).message}`;
      } finally {
        client.close();
      }
    };
    const [ours, theirs] = [await outcome(server.address), await outcome(etcd)];
    expect(ours).toBe(theirs);
    // And with clientv3 (etcdctl --user), which goes on without a token, the command works.
    const [viaCtlOurs, viaCtlTheirs] = await Promise.all([
      etcdctlTranscript(`http://${server.address}`, ['--user', 'someone:whatever', 'get', 'with-credentials']),
      etcdctlTranscript(`http://${etcd}`, ['--user', 'someone:whatever', 'get', 'with-credentials']),
    ]);
    expect(viaCtlOurs).toBe(viaCtlTheirs);
  });

  it('checks the JSON gateway too: /v3/auth/authenticate, the Authorization header, a refused watch, as etcd does', async () => {
    const setup = [
      ['user', 'add', 'carol:cpw'],
      ['role', 'add', 'rc'],
      ['role', 'grant-permission', 'rc', 'read', 'a'],
      ['user', 'grant-role', 'carol', 'rc'],
      ['--user', 'root:pw', 'auth', 'enable'],
    ];
    const mask = (text: string) => text.replace(/"(cluster_id|member_id)":"\d+"/g, '"$1":"X"').replace(/"token":"[A-Za-z]+\.\d+"/, '"token":"T"');
    const post = async (address: string, path: string, body: unknown, token?: string) => {
      const response = await fetch(`http://${address}${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: token === undefined ? {} : { authorization: token },
      });
      return `${response.status} ${mask(await response.text())}`;
    };
    const firstLine = async (address: string, token: string) => {
      const controller = new AbortController();
      const response = await fetch(`http://${address}/v3/watch`, {
        method: 'POST',
        body: JSON.stringify({ create_request: { key: 'Yg==' } }),
        headers: { authorization: token },
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      controller.abort();
      return mask(text.split('\n')[0]!);
    };
    const story = async (address: string) => {
      for (const args of setup) await etcdctlTranscript(`http://${address}`, args);
      const lines = [await post(address, '/v3/auth/authenticate', { name: 'carol', password: 'bad' })];
      const token = (
        (await (
          await fetch(`http://${address}/v3/auth/authenticate`, { method: 'POST', body: JSON.stringify({ name: 'carol', password: 'cpw' }) })
        ).json()) as { token: string }
      ).token;
      lines.push(await post(address, '/v3/kv/range', { key: 'YQ==' }));
      lines.push(await post(address, '/v3/kv/range', { key: 'YQ==' }, token));
      lines.push(await post(address, '/v3/kv/put', { key: 'YQ==', value: 'MQ==' }, token));
      lines.push(await post(address, '/v3/kv/range', { key: 'YQ==' }, 'bogus.1'));
      lines.push(await firstLine(address, token));
      await etcdctlTranscript(`http://${address}`, ['--user', 'root:pw', 'auth', 'disable']);
      lines.push(await post(address, '/v3/auth/authenticate', { name: 'carol', password: 'cpw' }));
      return lines;
    };
    const [ours, theirs] = [await story(server.address), await story(etcd)];
    expect(theirs[5]).toContain('"canceled":true');
    expect(ours).toEqual(theirs);
  }, 30_000);

  it('reads the token only where etcd does: with auth on, a bogus token or none is refused by KV and lease grants, ignored by lease lookups, keepalives and Status', async () => {
    for (const endpoint of [`http://${server.address}`, `http://${etcd}`]) await etcdctlTranscript(endpoint, ['--user', 'root:pw', 'auth', 'enable']);
    const calls: [Parameters<RawClient['unary']>[0], string, object][] = [
      ['Lease', 'LeaseGrant', { TTL: '60' }],
      ['Lease', 'LeaseTimeToLive', { ID: '1' }],
      ['Lease', 'LeaseLeases', {}],
      ['KV', 'Range', { key: Buffer.from('a') }],
      ['KV', 'Put', { key: Buffer.from('a'), value: Buffer.from('1') }],
      ['Maintenance', 'Status', {}],
      ['Maintenance', 'Alarm', { action: 'GET' }],
      ['Cluster', 'MemberList', {}],
    ];
    const outcomes = async (address: string) => {
      const client = rawClient(address);
      const lines: string[] = [];
      try {
        for (const metadata of [{ token: 'bogus.1' }, {}]) {
          for (const [service, method, request] of calls) {
            const outcome = await client.unary(service, method, request as Record<string, unknown>, 5_000, metadata);
            lines.push(`${method} ${JSON.stringify(metadata)}: ${'err' in outcome ? `${outcome.err.code} ${outcome.err.message}` : 'ok'}`);
          }
          const keepAlive = rawClient(address);
          lines.push(
            `keepalive: ${JSON.stringify(await keepAlive.keepAlive().once({ ID: '1' }))}`.replace(
              /"(cluster_id|member_id|revision|raft_term)":"\d+"/g,
              '"$1":"X"',
            ),
          );
          keepAlive.close();
        }
      } finally {
        client.close();
      }
      return lines;
    };
    const [ours, theirs] = [await outcomes(server.address), await outcomes(etcd)];
    expect(theirs.filter((line) => line.endsWith(': ok')).length).toBeGreaterThan(4);
    expect(ours).toEqual(theirs);
    for (const endpoint of [`http://${server.address}`, `http://${etcd}`]) await etcdctlTranscript(endpoint, ['--user', 'root:pw', 'auth', 'disable']);
  }, 30_000);
});
