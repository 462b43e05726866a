// The tables of state-changing RPCs (src/server/changing-rpcs.ts) against etcd 3.4.23's own sources:
// the rpcs of the Auth and Cluster services in etcdserver/etcdserverpb/rpc.proto, and the
// requests etcd lets only root make in etcdserver/apply_auth.go needAdminPermission. Skipped,
// naming the path, where the etcd Go sources are not installed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authChangingMethods, memberChangingMethods } from '../../src/server/changing-rpcs.ts';

const etcdSources = '/usr/share/gocode/src/go.etcd.io/etcd';
const missing = existsSync(join(etcdSources, 'etcdserver/etcdserverpb/rpc.proto')) ? undefined : `${etcdSources} (golang-etcd-server-dev)`;
if (missing !== undefined) console.warn(`skipping the check against etcd's sources: ${missing} is missing`);

/** The rpc names of one service in rpc.proto. */
function serviceRpcs(service: string): string[] {
  const proto = readFileSync(join(etcdSources, 'etcdserver/etcdserverpb/rpc.proto'), 'utf8');
  const start = proto.indexOf(`service ${service} {`);
  const body = proto.slice(start, proto.indexOf('\n}', start));
  return [...body.matchAll(/^\s*rpc (\w+)\(/gm)].map((match) => match[1]!).sort();
}

/** The RPCs needAdminPermission names, by their InternalRaftRequest field (AuthUserAdd is the UserAdd rpc). */
function adminOnlyRpcs(): string[] {
  const go = readFileSync(join(etcdSources, 'etcdserver/apply_auth.go'), 'utf8');
  const start = go.indexOf('func needAdminPermission');
  const body = go.slice(start, go.indexOf('\n}', start));
  return [...body.matchAll(/case r\.(\w+) != nil:/g)].map((match) => match[1]!.replace(/^Auth(User|Role)/, '$1')).sort();
}

const without = (all: string[], some: readonly string[]) => all.filter((name) => !some.includes(name));

describe.skipIf(missing !== undefined)("the changing RPCs, by etcd's sources", () => {
  it('lists Auth rpcs only, leaving out just Authenticate and the reads of users and roles', () => {
    const rpcs = serviceRpcs('Auth');
    expect(without([...authChangingMethods], rpcs)).toEqual([]);
    expect(without(rpcs, authChangingMethods)).toEqual(['Authenticate', 'RoleGet', 'RoleList', 'UserGet', 'UserList']);
    expect(new Set(authChangingMethods).size).toBe(authChangingMethods.length);
  });

  it('are the requests etcd lets only root make, but for the two listing reads', () => {
    const adminOnly = adminOnlyRpcs();
    expect(without([...authChangingMethods], adminOnly)).toEqual([]);
    expect(without(adminOnly, authChangingMethods)).toEqual(['RoleList', 'UserList']);
  });

  it('lists every Cluster rpc but MemberList', () => {
    const rpcs = serviceRpcs('Cluster');
    expect(without([...memberChangingMethods], rpcs)).toEqual([]);
    expect(without(rpcs, memberChangingMethods)).toEqual(['MemberList']);
  });
});
