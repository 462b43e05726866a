// Watch response sizes and fragments (etcd v3rpc/watch.go sendFragments).
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/store/bytes.ts';
import type { Event } from '../../src/store/messages.ts';
import { fragmentsOf, watchResponse, watchResponseBytes } from '../../src/store/watch-response.ts';

function put(key: string, valueBytes: number, revision = 5): Event {
  return {
    type: 'PUT',
    kv: { key: utf8(key), create_revision: 2, mod_revision: revision, version: 3, value: new Uint8Array(valueBytes), lease: 0n },
  };
}

describe('watch responses', () => {
  it('sizes as protobuf encodes them', () => {
    // header{revision 5} = 0a 02 18 05; watch_id 1 = 10 01; created = 18 01
    expect(watchResponseBytes(watchResponse(5, 1, { created: true }))).toBe(4 + 2 + 2);
    // event: 12 len kv; kv = 0a 01 'k' 10 02 18 05 20 03 2a 03 xxx = 3 + 2 + 2 + 2 + 5 = 14; event = 2 + 14 = 16; field = 1 + 1 + 16
    expect(watchResponseBytes(watchResponse(5, 0, { events: [put('k', 3)] }))).toBe(4 + 18);
    expect(watchResponseBytes(watchResponse(0, -1))).toBe(2 + 11);
  });

  it('splits only when at the limit and with two or more events; a single event is never split', () => {
    const one = watchResponse(5, 0, { events: [put('a', 3000)] });
    expect(fragmentsOf(one, 100)).toEqual([one]);
    const small = watchResponse(5, 0, { events: [put('a', 10), put('b', 10)] });
    expect(fragmentsOf(small, 10_000)).toEqual([small]);
    const big = watchResponse(5, 7, { events: [put('a', 600), put('b', 600), put('c', 10), put('d', 600)] });
    const parts = fragmentsOf(big, 1000);
    expect(parts.map((p) => p.events.map((e) => new TextDecoder().decode(e.kv.key)).join(''))).toEqual(['a', 'bc', 'd']);
    expect(parts.map((p) => p.fragment)).toEqual([true, true, false]);
    expect(parts.every((p) => p.watch_id === 7 && p.header.revision === 5)).toBe(true);
    for (const p of parts.slice(0, -1)) expect(watchResponseBytes({ ...p, fragment: true }) < 1000 || p.events.length === 1).toBe(true);
  });
});
