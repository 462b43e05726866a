/**
 * HashKV as etcd computes it, pinned to values a real etcd 3.4.23 gave for
 * the same writes (a fresh data dir, `etcdctl compaction --physical`, then
 * `etcdctl endpoint hashkv`), so
 * the hash is checked even where etcd is not installed; the side-by-side
 * comparison over seeded histories is in client-port.test.ts. Also the
 * HTTP/2 `:authority` rewriting: a header block re-encoded keeps every
 * header and drops only the scheme.
 */
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import { EtcdStore } from '../../src/store/etcd-store.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { authorityWithoutScheme } from '../../src/server/http2-authority.ts';
import { crc32c, encodeKeyValue, hashKv, keyBucket, keyBucketBytes, revisionBytes } from '../../src/server/kv-hash.ts';

describe('HashKV', () => {
  it('is CRC-32C (Castagnoli)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
  });

  it('encodes revisions and KeyValues as etcd stores them', () => {
    expect(revisionBytes(2, 0, false).toString('hex')).toBe('0000000000000002' + '5f' + '0000000000000000');
    expect(revisionBytes(3, 1, true).toString('hex')).toBe('0000000000000003' + '5f' + '0000000000000001' + '74');
    // key "a", create 2, mod 2, version 1, value "1", no lease
    expect(encodeKeyValue({ key: Buffer.from('a'), createRevision: 2, modRevision: 2, version: 1, value: Buffer.from('1'), lease: 0n }).toString('hex')).toBe(
      '0a0161100218022001' + '2a0131',
    );
  });

  it('gives what etcd 3.4.23 gave: fresh, after a put, after a delete and a compaction', () => {
    const store = new EtcdStore({ clock: new VirtualClock() });
    expect(hashKv(store.kv.dumpHistory(), 0)).toBe(1084519789);
    store.put({ key: utf8('a'), value: utf8('1') });
    expect(hashKv(store.kv.dumpHistory(), 0)).toBe(2587454935);
    store.deleteRange({ key: utf8('a') });
    store.compact({ revision: 3 }); // etcdctl compaction --physical: the hash after etcd's bucket is compacted
    expect(hashKv(store.kv.dumpHistory(), 0)).toBe(1084519789);
    store.put({ key: utf8('b'), value: utf8('2') });
    store.put({ key: utf8('a'), value: utf8('3') });
    store.compact({ revision: 5 });
    expect(hashKv(store.kv.dumpHistory(), 0)).toBe(3559963772);
  });
});

describe("the key bucket's size", () => {
  const encodedBytes = (store: EtcdStore) => keyBucket(store.kv.dumpHistory()).reduce((sum, entry) => sum + entry.key.length + entry.value.length, 0);

  it('is what the encoded bucket entries add up to, through puts, deletes, leases and compactions', () => {
    const store = new EtcdStore({ clock: new VirtualClock() });
    expect(keyBucketBytes(store.kv)).toBe(0);
    const lease = store.leaseGrant({ TTL: 600, ID: 0n }).ID;
    for (let i = 0; i < 300; i++) {
      const key = utf8(`key/${i % 37}`);
      if (i % 11 === 5) store.deleteRange({ key });
      else store.put({ key, value: utf8('v'.repeat(i % 200)), lease: i % 3 === 0 ? lease : 0n });
      if (i % 97 === 96) store.compact({ revision: store.kv.currentRevision() - 20 });
      expect(keyBucketBytes(store.kv)).toBe(encodedBytes(store));
    }
  });
});

describe(':authority rewriting', () => {
  it('drops a scheme and keeps anything else', () => {
    expect(authorityWithoutScheme('http://127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(authorityWithoutScheme('https://[::1]:2379/')).toBe('[::1]:2379');
    expect(authorityWithoutScheme('127.0.0.1:2379')).toBe('127.0.0.1:2379');
    expect(authorityWithoutScheme('localhost')).toBe('localhost');
  });
});
