import { describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.ts';
import { CallTimeoutError, ClientClosedError, ClientUsageError } from '../../src/client/errors.ts';
import type { ClientEvent } from '../../src/client/events.ts';
import { compare, op } from '../../src/client/kv.ts';
import type { Transport } from '../../src/client/transport.ts';
import { fromUtf8, utf8 } from '../../src/store/bytes.ts';
import { KeyNotProvidedError, CompactedError } from '../../src/store/errors.ts';
import { VirtualClock } from '../../src/store/virtual-clock.ts';
import { drive, SwitchableTransport, VirtualRuntime, world } from './virtual-runtime.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';

const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : fromUtf8(bytes));

describe('Client KV', () => {
  it('puts, gets and deletes strings and bytes', async () => {
    const w = world();
    const client = w.client();
    const put = await drive(w.clock, client.put('a', 'one'));
    expect(put.header.revision).toBe(2);
    await drive(w.clock, client.put(new Uint8Array([0x62]), new Uint8Array([1, 2, 3])));
    await drive(w.clock, client.put('c', 'three'));

    const a = await drive(w.clock, client.get('a'));
    expect(a.kvs.map((kv) => [text(kv.key), text(kv.value), kv.create_revision, kv.version])).toEqual([['a', 'one', 2, 1]]);
    expect((await drive(w.clock, client.get('b'))).kvs[0]?.value).toEqual(new Uint8Array([1, 2, 3]));

    const all = await drive(w.clock, client.get('', { prefix: true }));
    expect(all.kvs.map((kv) => text(kv.key))).toEqual(['a', 'b', 'c']);
    const fromB = await drive(w.clock, client.get('b', { fromKey: true, keysOnly: true }));
    expect(fromB.kvs.map((kv) => [text(kv.key), kv.value.length])).toEqual([
      ['b', 0],
      ['c', 0],
    ]);
    const newest = await drive(w.clock, client.get('', { prefix: true, sort: { target: 'CREATE', order: 'DESCEND' }, limit: 1 }));
    expect([text(newest.kvs[0]?.key), newest.count, newest.more]).toEqual(['c', 3, true]);
    expect((await drive(w.clock, client.get('a', { rangeEnd: 'c', countOnly: true }))).count).toBe(2);
    expect((await drive(w.clock, client.get('a', { revision: 1 }))).kvs).toEqual([]);

    const overwritten = await drive(w.clock, client.put('a', 'uno', { prevKv: true }));
    expect(text(overwritten.prev_kv?.value)).toBe('one');
    const deleted = await drive(w.clock, client.delete('a', { prefix: true, prevKv: true }));
    expect([deleted.deleted, text(deleted.prev_kvs[0]?.value)]).toEqual([1, 'uno']);
    expect((await drive(w.clock, client.get('a'))).kvs).toEqual([]);
  });

  it('commits txns built in clientv3 style and raw', async () => {
    const w = world();
    const client = w.client();
    const first = await drive(
      w.clock,
      client
        .txn()
        .if(compare.createRevision('k', '=', 0))
        .then(op.put('k', 'v1'))
        .else(op.get('k'))
        .commit(),
    );
    expect(first.succeeded).toBe(true);
    const second = await drive(
      w.clock,
      client
        .txn()
        .if(compare.createRevision('k', '=', 0))
        .then(op.put('k', 'v2'))
        .else(op.get('k'))
        .commit(),
    );
    expect(second.succeeded).toBe(false);
    expect(text(second.responses[0]?.response_range?.kvs[0]?.value)).toBe('v1');

    const raw = await drive(w.clock, client.txn({ compare: [compare.value('k', '=', 'v1')], success: [op.delete('k')], failure: [] }));
    expect(raw.succeeded).toBe(true);
    expect(raw.responses[0]?.response_delete_range?.deleted).toBe(1);
  });

  it('refuses txn builder misuse with clientv3 messages, before sending anything', () => {
    const client = new Client({ transport: new InProcessTransport(world().store), runtime: new VirtualRuntime(new VirtualClock()) });
    expect(() => client.txn().if().if()).toThrow(new ClientUsageError('cannot call If twice!'));
    expect(() => client.txn().then().if()).toThrow('cannot call If after Then!');
    expect(() => client.txn().else().then()).toThrow('cannot call Then after Else!');
    expect(() => client.txn().else().else()).toThrow('cannot call Else twice!');
    expect(() => client.get('k', { prefix: true, fromKey: true })).toThrow(ClientUsageError);
  });

  it('compacts, and reports etcd errors as outcome error', async () => {
    const w = world();
    const events: ClientEvent[] = [];
    const client = w.client({ events });
    for (let i = 0; i < 3; i++) await drive(w.clock, client.put('k', `v${i}`));
    await drive(w.clock, client.compact(3));
    await expect(drive(w.clock, client.get('k', { revision: 2 }))).rejects.toBeInstanceOf(CompactedError);
    await expect(drive(w.clock, client.put('', 'x'))).rejects.toBeInstanceOf(KeyNotProvidedError);
    const returns = events.filter((e) => e.kind === 'return').map((e) => (e.kind === 'return' ? [e.method, e.outcome] : []));
    expect(returns).toEqual([
      ['put', 'ok'],
      ['put', 'ok'],
      ['put', 'ok'],
      ['compact', 'ok'],
      ['range', 'error'],
      ['put', 'error'],
    ]);
  });

  it('ends a call the transport never answers as unknown when its deadline passes', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const events: ClientEvent[] = [];
    const client = w.client({ transport, events });
    transport.answering = false;
    const started = w.clock.nowMs();
    const error = await drive(w.clock, client.put('k', 'v')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ outcome: 'unknown', method: 'put', timeoutMs: 5000, message: 'context deadline exceeded' });
    expect(w.clock.nowMs() - started).toBe(5000);
    expect(events.map((e) => e.kind)).toEqual(['call', 'return']);
    expect(events[1]).toMatchObject({ kind: 'return', callId: 1, method: 'put', outcome: 'unknown' });

    const quick = drive(w.clock, client.get('k', { timeoutMs: 250 })).catch((e: unknown) => e);
    expect(await quick).toMatchObject({ outcome: 'unknown', timeoutMs: 250 });
    expect(w.clock.nowMs() - started).toBe(5250);
  });

  it('ends calls in flight as unknown on close and refuses new ones', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const events: ClientEvent[] = [];
    const client = w.client({ transport, events });
    transport.answering = false;
    const inFlight = client.put('k', 'v').catch((e: unknown) => e);
    client.close();
    expect(await inFlight).toBeInstanceOf(ClientClosedError);
    await expect(client.get('k')).rejects.toBeInstanceOf(ClientClosedError);
    expect(events.filter((e) => e.kind === 'return').map((e) => (e.kind === 'return' ? e.outcome : ''))).toEqual(['unknown', 'error']);
  });

  it('answers asynchronously over the in-process transport', async () => {
    const w = world();
    const transport: Transport = new InProcessTransport(w.store);
    let answered = false;
    const call = transport.call('put', { key: utf8('k'), value: utf8('v') }).then(() => (answered = true));
    expect(answered).toBe(false);
    expect(w.store.currentRevision()).toBe(1);
    await call;
    expect(answered).toBe(true);
  });
});
