// Member and cluster IDs as etcd 3.4.23 derives them. Each expected ID is what the real etcd printed
// here ("etcdserver/membership: added member <id> [<peer urls>] to cluster <id>") when started with
// those peer URLs and that --initial-cluster-token.
import { describe, expect, it } from 'vitest';
import { clusterIdOf, defaultClusterToken, memberIdOf } from '../../src/server/member-id.ts';

const hex = (id: bigint) => id.toString(16);

describe('member and cluster IDs', () => {
  it("etcd's defaults: member 8e9e05c52164694d of cluster cdf818194e3a8c32", () => {
    expect(defaultClusterToken).toBe('etcd-cluster'); // etcd --help: --initial-cluster-token 'etcd-cluster'
    const member = memberIdOf(['http://localhost:2380']);
    expect(hex(member)).toBe('8e9e05c52164694d');
    expect(hex(clusterIdOf([member]))).toBe('cdf818194e3a8c32');
  });

  it('three members with token tok-1: each ID from its own peer URL, the cluster from all three in any order', () => {
    const ids = ['http://127.0.0.1:35372', 'http://127.0.0.1:35373', 'http://127.0.0.1:35374'].map((url) => memberIdOf([url], 'tok-1'));
    expect(ids.map(hex)).toEqual(['f4a5f3cc7335d152', 'c697ec1388da7d80', '97f581e04e8a2d90']);
    expect(hex(clusterIdOf(ids))).toBe('e8e8dda71c377cc8');
    expect(clusterIdOf([...ids].reverse())).toBe(clusterIdOf(ids));
  });

  it('a member with two peer URLs: the IDs sort them first, so the order they are given in does not matter', () => {
    const id = memberIdOf(['http://localhost:40314', 'http://127.0.0.1:40314'], 'mirror-token');
    // printed as etcd prints it (%x: no leading zero)
    expect(hex(id)).toBe('cfbb54da8e82b26');
    expect(memberIdOf(['http://127.0.0.1:40314', 'http://localhost:40314'], 'mirror-token')).toBe(id);
    expect(hex(clusterIdOf([id]))).toBe('c8b30267ea6d8bd5');
  });

  it("the token changes every ID, and the caller's list is not reordered", () => {
    const urls = ['http://b:2380', 'http://a:2380'];
    expect(memberIdOf(urls, 'one')).not.toBe(memberIdOf(urls, 'two'));
    expect(urls).toEqual(['http://b:2380', 'http://a:2380']);
    const ids = [3n, 1n, 2n];
    clusterIdOf(ids);
    expect(ids).toEqual([3n, 1n, 2n]);
  });
});
