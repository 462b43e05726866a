/**
 * The etcd3 npm client's roles, users and password-auth API, case by case as
 * its own mocha suite's roles tests use it (that suite is not in the npm
 * tarball; these cases are written here from the client's documented API),
 * against `serve` and a real etcd 3.4.23 started by the test: every case's
 * outcome (its result, or the error's class and message) must be the same
 * on both, and the ones etcd's semantics pin are also checked outright.
 * Each case cleans up after itself, as the suite's afterEach hooks do.
 * Skipped, naming the package, where etcd is missing.
 */
import * as grpc from '@grpc/grpc-js';
import { Etcd3, Range } from 'etcd3';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { type EtcdProcess, etcdMissing, startEtcd } from './etcd-process.ts';
import { stepOutcome } from './step-outcome.ts';
import { cleanupsAfter } from './cleanups.ts';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`skipping the etcd3 roles comparison: ${missing}`);

const cleanups = cleanupsAfter('all');

async function deleteAll(items: Promise<{ delete(): Promise<unknown> }[]>): Promise<void> {
  await Promise.all((await items).map((item) => item.delete()));
}

type Case = (client: Etcd3, address: string) => Promise<unknown>;

/** Users and roles for the password-auth cases: a user with READWRITE on one key, root, auth on. */
async function withAuth(client: Etcd3, address: string, body: () => Promise<unknown>): Promise<unknown> {
  await client.role('writer').create();
  await client.role('writer').grant({ permission: 'Readwrite', key: 'mine' });
  await client.user('connie').create('pw');
  await client.user('connie').addRole('writer');
  await client.role('root').create();
  await client.user('root').create('rootpw');
  await client.user('root').addRole('root');
  await client.auth.authEnable();
  try {
    return await body();
  } finally {
    const root = new Etcd3({ hosts: address, auth: { username: 'root', password: 'rootpw' } });
    try {
      await root.auth.authDisable();
    } finally {
      root.close();
    }
    await deleteAll(client.getUsers());
    await deleteAll(client.getRoles());
  }
}

async function asUser<T>(
  address: string,
  auth: { username: string; password: string; callOptions?: grpc.CallOptions },
  body: (client: Etcd3) => Promise<T>,
): Promise<T> {
  const client = new Etcd3({ hosts: address, auth });
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

const cases: Record<string, Case> = {
  'role create, list, delete': async (client) => {
    const role = await client.role('foo').create();
    const listed = (await client.getRoles()).map((r) => r.name);
    await role.delete();
    return { listed, after: (await client.getRoles()).map((r) => r.name) };
  },
  'role created twice': async (client) => {
    await client.role('foo').create();
    try {
      return await stepOutcome(() => client.role('foo').create());
    } finally {
      await deleteAll(client.getRoles());
    }
  },
  'role deleted that does not exist': (client) => stepOutcome(() => client.role('foo').delete()),
  'permission granted to a role that does not exist': (client) =>
    stepOutcome(() => client.role('foo').grant({ permission: 'Read', range: Range.prefix('111') })),
  'permission round trip (prefix read, then revoked as read back)': async (client) => {
    const role = await client.role('foo').create();
    try {
      await role.grant({ permission: 'Read', range: Range.prefix('111') });
      await role.grant({ permission: 'Write', key: 'single' });
      await role.grant({ permission: 'Readwrite', range: new Range('a', 'c') });
      const read = await role.permissions();
      const shown = read.map((p) => ({ permission: p.permission, start: p.range.start.toString(), end: p.range.end.toString() }));
      for (const permission of read) await role.revoke(permission);
      return { shown, prefixSameAsAsked: read.some((p) => p.range.compare(Range.prefix('111')) === 0), after: (await role.permissions()).length };
    } finally {
      await deleteAll(client.getRoles());
    }
  },
  'user create and list': async (client) => {
    await client.role('foo').create();
    try {
      const before = (await client.getUsers()).length;
      await client.user('connor').create('password');
      return { before, after: (await client.getUsers()).map((u) => u.name) };
    } finally {
      await deleteAll(client.getUsers());
      await deleteAll(client.getRoles());
    }
  },
  'user created twice': async (client) => {
    await client.user('connor').create('password');
    try {
      return await stepOutcome(() => client.user('connor').create('password'));
    } finally {
      await deleteAll(client.getUsers());
    }
  },
  'role removed from a user that does not have it': async (client) => {
    const role = await client.role('foo').create();
    const user = await client.user('connor').create('password');
    try {
      return await stepOutcome(() => user.removeRole(role));
    } finally {
      await deleteAll(client.getUsers());
      await deleteAll(client.getRoles());
    }
  },
  'role that does not exist added to a user': async (client) => {
    const user = await client.user('connor').create('password');
    try {
      return await stepOutcome(() => user.addRole('wut'));
    } finally {
      await deleteAll(client.getUsers());
    }
  },
  'user deleted that does not exist': (client) => stepOutcome(() => client.user('connor').delete()),
  'user roles round trip': async (client) => {
    const role = await client.role('foo').create();
    const user = await client.user('connor').create('password');
    try {
      await user.addRole(role);
      const granted = (await user.roles()).map((r) => r.name);
      await user.removeRole(role);
      return { granted, after: (await user.roles()).length };
    } finally {
      await deleteAll(client.getUsers());
      await deleteAll(client.getRoles());
    }
  },
  'password auth: the right credentials write what the role allows': (client, address) =>
    withAuth(client, address, () =>
      asUser(address, { username: 'connie', password: 'pw' }, async (user) => {
        await user.put('mine').value('bar');
        return user.get('mine').string();
      }),
    ),
  'password auth: call options apply to the authenticate call': (client, address) =>
    withAuth(client, address, () =>
      stepOutcome(() =>
        asUser(address, { username: 'connie', password: 'pw', callOptions: { deadline: new Date(0) } }, async (user) => user.put('mine').value('bar')),
      ),
    ),
  'password auth: a key the role does not cover is refused': (client, address) =>
    withAuth(client, address, () =>
      stepOutcome(() => asUser(address, { username: 'connie', password: 'pw' }, (user) => user.put('theirs').value('bar').exec())),
    ),
  'password auth: a wrong password is refused': (client, address) =>
    withAuth(client, address, () =>
      stepOutcome(() => asUser(address, { username: 'connie', password: 'bad password' }, (user) => user.put('mine').value('bar').exec())),
    ),
  'password auth: a token the server does not know is replaced': (client, address) =>
    withAuth(client, address, () =>
      asUser(address, { username: 'connie', password: 'pw' }, async (user) => {
        // etcd3's own suite plants a bad token in the client's authenticator the same way.
        const authenticator = (user as unknown as { pool: { authenticator: { awaitingMetadata: Promise<grpc.Metadata> | null } } }).pool.authenticator;
        const planted = new grpc.Metadata();
        planted.add('token', 'not-a-token');
        authenticator.awaitingMetadata = Promise.resolve(planted);
        await user.put('mine').value('again');
        const token = (await authenticator.awaitingMetadata)?.get('token')[0];
        return { value: await user.get('mine').string(), replaced: token !== undefined && token !== 'not-a-token' };
      }),
    ),
  'password auth: a token from before an auth change': (client, address) =>
    withAuth(client, address, () =>
      asUser(address, { username: 'connie', password: 'pw' }, async (user) => {
        await user.put('mine').value('1');
        await asUser(address, { username: 'root', password: 'rootpw' }, (root) => root.user('another').create('x'));
        return stepOutcome(() =>
          user
            .put('mine')
            .value('2')
            .then(() => user.get('mine').string()),
        );
      }),
    ),
  "password auth: a token after its user's password changed": (client, address) =>
    withAuth(client, address, () =>
      asUser(address, { username: 'connie', password: 'pw' }, async (user) => {
        await user.put('mine').value('1');
        await asUser(address, { username: 'root', password: 'rootpw' }, (root) => root.user('connie').setPassword('new'));
        return stepOutcome(() =>
          user
            .put('mine')
            .value('2')
            .then(() => user.get('mine').string()),
        );
      }),
    ),
};

async function runCases(address: string): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: address });
  const results: Record<string, string> = {};
  try {
    for (const [name, run] of Object.entries(cases)) results[name] = await stepOutcome(() => run(client, address));
  } finally {
    client.close();
  }
  return results;
}

describe.skipIf(missing !== undefined)("the etcd3 client's roles, users and password auth, beside etcd 3.4.23", () => {
  let server: GrpcEtcdServer;
  let etcd: EtcdProcess;
  beforeAll(async () => {
    [server, etcd] = await Promise.all([startGrpcServer({ port: 0 }), startEtcd()]);
    cleanups.push(
      () => server.close(),
      () => etcd.stop(),
    );
  }, 30_000);

  it('gives the same outcome for every case, and etcd semantics where they are pinned', async () => {
    const [ours, theirs] = await Promise.all([runCases(server.address), runCases(etcd.address)]);
    expect(theirs['role created twice']).toBe('ok "EtcdRoleExistsError: 9 FAILED_PRECONDITION: etcdserver: role name already exists"');
    expect(theirs['role deleted that does not exist']).toMatch(/EtcdRoleNotFoundError/);
    expect(theirs['permission granted to a role that does not exist']).toMatch(/EtcdRoleNotFoundError/);
    expect(theirs['user created twice']).toMatch(/EtcdUserExistsError/);
    expect(theirs['role removed from a user that does not have it']).toMatch(/EtcdRoleNotGrantedError/);
    expect(theirs['role that does not exist added to a user']).toMatch(/EtcdRoleNotFoundError/);
    expect(theirs['user deleted that does not exist']).toMatch(/EtcdUserNotFoundError/);
    expect(theirs['password auth: the right credentials write what the role allows']).toBe('ok "bar"');
    expect(theirs['password auth: call options apply to the authenticate call']).toMatch(/GRPCDeadlineExceededError/);
    expect(theirs['password auth: a key the role does not cover is refused']).toMatch(/EtcdPermissionDeniedError/);
    expect(theirs['password auth: a wrong password is refused']).toMatch(/EtcdAuthenticationFailedError/);
    expect(theirs['password auth: a token the server does not know is replaced']).toBe('ok {"value":"again","replaced":true}');
    expect(theirs['password auth: a token from before an auth change']).toBe('ok "ok \\"2\\""');
    expect(ours).toEqual(theirs);
  }, 60_000);
});
