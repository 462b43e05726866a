// Fencing tokens: a lock key's create revision, and the rule a fenced resource applies.
import { describe, expect, it } from 'vitest';
import { fenceAccepts, fencingTokenOf, readFencingToken } from '../../src/client/fencing.ts';
import { drive, world } from './virtual-runtime.ts';

describe('fenceAccepts', () => {
  it('takes the first token, then any token at least the highest accepted: the same holder may write again', () => {
    expect(fenceAccepts(undefined, 1)).toBe(true);
    expect(fenceAccepts(7, 9)).toBe(true);
    expect(fenceAccepts(9, 9)).toBe(true);
    expect(fenceAccepts(9, 7)).toBe(false);
    expect(fenceAccepts(0, 0)).toBe(true);
  });
});

describe('fencing tokens from etcd', () => {
  it("a lock key's token is its create revision: a later holder's is higher, and rewriting a key keeps it", async () => {
    const w = world();
    const client = w.client();
    const first = await drive(w.clock, client.put('/lock/a', 'holder 1'));
    await drive(w.clock, client.put('/other', 'x'));
    const second = await drive(w.clock, client.put('/lock/b', 'holder 2'));
    const tokenA = await drive(w.clock, readFencingToken(client, '/lock/a'));
    const tokenB = await drive(w.clock, readFencingToken(client, '/lock/b'));
    // each put's header revision is the revision that created the key
    expect(tokenA).toBe(first.header.revision);
    expect(tokenB).toBe(second.header.revision);
    expect(fenceAccepts(tokenB, tokenA!)).toBe(false);
    await drive(w.clock, client.put('/lock/a', 'holder 1 again'));
    expect(await drive(w.clock, readFencingToken(client, '/lock/a'))).toBe(tokenA);
    const kv = (await drive(w.clock, client.get('/lock/a'))).kvs[0]!;
    expect(fencingTokenOf(kv)).toBe(kv.create_revision);
    expect(kv.mod_revision).toBeGreaterThan(kv.create_revision);
  });

  it('no key, no token; a key deleted and made again has a new, higher token', async () => {
    const w = world();
    const client = w.client();
    expect(await drive(w.clock, readFencingToken(client, '/lock/none'))).toBeUndefined();
    await drive(w.clock, client.put('/lock/x', '1'));
    const before = await drive(w.clock, readFencingToken(client, '/lock/x'));
    await drive(w.clock, client.delete('/lock/x'));
    expect(await drive(w.clock, readFencingToken(client, '/lock/x'))).toBeUndefined();
    await drive(w.clock, client.put('/lock/x', '2'));
    expect(await drive(w.clock, readFencingToken(client, '/lock/x'))).toBeGreaterThan(before!);
  });
});
