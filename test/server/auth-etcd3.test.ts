/**
 * The etcd3 npm client's roles and users API (what its own suite's roles
 * tests exercise) against serve and a real etcd 3.4.23 side by side: roles
 * created, granted and revoked permissions read back, users with roles,
 * auth enabled, a client logged in as a user reading what its role allows
 * and refused what it does not (with etcd3's own error classes), root
 * disabling auth. Every step's outcome must be the same on both.
 * Skipped, naming the package, where etcd is missing.
 */
import { Etcd3, Range } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { stepOutcome } from './step-outcome.ts';
import { cleanupsAfter, startEtcdStoppedWith } from './cleanups.ts';
import { etcdMissing } from './etcd-process.ts';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`skipping the etcd3 auth comparison: ${missing}`);

const cleanups = cleanupsAfter('all');

/** The story, against one server: what each step gave. */
async function story(address: string): Promise<string[]> {
  const admin = new Etcd3({ hosts: address });
  const results: string[] = [];
  const step = async (label: string, fn: () => Promise<unknown>) => results.push(`${label}: ${await stepOutcome(fn)}`);
  const names = (items: { name: string }[]) => items.map((item) => item.name).sort();
  try {
    await step('create role', () =>
      admin
        .role('reader')
        .create()
        .then((r) => r.name),
    );
    await step('create it again', () =>
      admin
        .role('reader')
        .create()
        .then((r) => r.name),
    );
    await step('grant prefix read', () =>
      admin
        .role('reader')
        .grant({ permission: 'Read', range: Range.prefix('pub/') })
        .then(() => 'granted'),
    );
    await step('grant key readwrite', () =>
      admin
        .role('reader')
        .grant({ permission: 'Readwrite', key: 'own' })
        .then(() => 'granted'),
    );
    await step('permissions', () =>
      admin
        .role('reader')
        .permissions()
        .then((ps) => ps.map((p) => ({ permission: p.permission, start: p.range.start.toString(), end: p.range.end.toString() }))),
    );
    await step('revoke a permission not granted', () =>
      admin
        .role('reader')
        .revoke({ permission: 'Read', key: 'nope' })
        .then(() => 'revoked'),
    );
    await step('roles', () => admin.getRoles().then(names));
    await step('create user', () =>
      admin
        .user('ann')
        .create('annpw')
        .then((u) => u.name),
    );
    await step('add role', () =>
      admin
        .user('ann')
        .addRole('reader')
        .then(() => 'added'),
    );
    await step('add missing role', () =>
      admin
        .user('ann')
        .addRole('ghost')
        .then(() => 'added'),
    );
    await step('user roles', () => admin.user('ann').roles().then(names));
    await step('root user', () =>
      admin
        .user('root')
        .create('rootpw')
        .then((u) => u.name),
    );
    await step('root role', () =>
      admin
        .role('root')
        .create()
        .then((r) => r.name),
    );
    await step('root gets root', () =>
      admin
        .user('root')
        .addRole('root')
        .then(() => 'added'),
    );
    await step('users', () => admin.getUsers().then(names));
    await step('enable auth', () => admin.auth.authEnable().then(() => 'enabled'));
    await step('put pub/a as root', async () => {
      const root = new Etcd3({ hosts: address, auth: { username: 'root', password: 'rootpw' } });
      try {
        await root.put('pub/a').value('1');
        return 'put';
      } finally {
        root.close();
      }
    });
    const ann = new Etcd3({ hosts: address, auth: { username: 'ann', password: 'annpw' } });
    try {
      await step('ann reads pub/a', () => ann.get('pub/a').string());
      await step('ann writes pub/a', () =>
        ann
          .put('pub/a')
          .value('2')
          .then(() => 'put'),
      );
      await step('ann writes own', () =>
        ann
          .put('own')
          .value('mine')
          .then(() => 'put'),
      );
      await step('ann reads secret', () => ann.get('secret').string());
      await step('ann lists users', () => ann.getUsers().then(names));
    } finally {
      ann.close();
    }
    await step('wrong password', async () => {
      const bad = new Etcd3({ hosts: address, auth: { username: 'ann', password: 'nope' } });
      try {
        return await bad.get('pub/a').string();
      } finally {
        bad.close();
      }
    });
    await step('disable as root', async () => {
      const root = new Etcd3({ hosts: address, auth: { username: 'root', password: 'rootpw' } });
      try {
        await root.auth.authDisable();
        return 'disabled';
      } finally {
        root.close();
      }
    });
    await step('delete user', () =>
      admin
        .user('ann')
        .delete()
        .then(() => 'deleted'),
    );
    await step('delete role', () =>
      admin
        .role('reader')
        .delete()
        .then(() => 'deleted'),
    );
    await step('roles at the end', () => admin.getRoles().then(names));
  } finally {
    admin.close();
  }
  return results;
}

describe.skipIf(missing !== undefined)("the etcd3 client's roles and users, beside etcd 3.4.23", () => {
  it('gives the same outcome at every step', async () => {
    const server = await startGrpcServer({ port: 0 });
    cleanups.push(() => server.close());
    const etcd = await startEtcdStoppedWith(cleanups);
    const [ours, theirs] = [await story(server.address), await story(etcd)];
    expect(theirs.find((line) => line.startsWith('ann writes pub/a'))).toMatch(/EtcdPermissionDeniedError/);
    expect(ours).toEqual(theirs);
  }, 60_000);
});
