// SimTransport (src/sim/sim-transport.ts) on its own: what it puts on the wire, how answers settle
// calls, and what a connection reset and a kill do to calls and streams. The server's side is
// played by the test: it reads what was sent and hands messages to receive().
import { describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../src/client/balanced-transport.ts';
import { NoLeaderError } from '../../src/store/errors.ts';
import type { ToServer } from '../../src/sim/wire.ts';
import { SimTransport } from '../../src/sim/sim-transport.ts';
import { utf8 } from '../../src/store/bytes.ts';

function transport(options: { failCallsOnReset?: { endpoint: string } } = {}) {
  const sent: ToServer[] = [];
  let connections = 0;
  const t = new SimTransport({
    process: 'alice',
    incarnation: 2,
    send: (message) => sent.push(message),
    newConnectionId: () => ++connections * 10,
    ...options,
  });
  return { t, sent };
}

const settled = <T>(promise: Promise<T>) => {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
};
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('SimTransport', () => {
  it('opens one connection lazily and numbers calls on it, stamping who sent them', () => {
    const { t, sent } = transport();
    expect(t.connection).toBeUndefined();
    void t.call('put', { key: utf8('a'), value: utf8('1') });
    void t.call('range', { key: utf8('a') });
    expect(sent.map((m) => [m.type, m.process, m.incarnation, m.connection, 'callId' in m ? m.callId : undefined])).toEqual([
      ['unary', 'alice', 2, 10, 1],
      ['unary', 'alice', 2, 10, 2],
    ]);
    expect([t.connection, t.pendingCalls]).toEqual([10, 2]);
  });

  it('settles each call by its ID, in whatever order the answers come, and ignores unknown IDs', async () => {
    const { t } = transport();
    const first = settled(t.call('put', { key: utf8('a'), value: utf8('1') }));
    const second = settled(t.call('range', { key: utf8('a') }));
    const error = new NoLeaderError();
    t.receive({ incarnation: 2, type: 'unary-error', connection: 10, callId: 2, error });
    t.receive({ incarnation: 2, type: 'unary-ok', connection: 10, callId: 99, response: {} });
    t.receive({ incarnation: 2, type: 'unary-ok', connection: 10, callId: 1, response: { header: { revision: 2 } } });
    await flush();
    expect(first).toMatchObject({ done: true, value: { header: { revision: 2 } } });
    expect(second).toMatchObject({ done: true, error });
    expect(t.pendingCalls).toBe(0);
  });

  it('on a reset of its connection: pending calls never settle, streams end with the error, the next call reconnects', async () => {
    const { t, sent } = transport();
    const call = settled(t.call('put', { key: utf8('a'), value: utf8('1') }));
    const ends: (Error | undefined)[] = [];
    t.openWatch({ message: () => {}, end: (error) => ends.push(error) });
    const error = new NoLeaderError();
    t.receive({ incarnation: 2, type: 'reset', connection: 99, error }); // another connection's reset: ignored
    expect(t.connection).toBe(10);
    t.receive({ incarnation: 2, type: 'reset', connection: 10, error });
    await flush();
    expect([call.done, t.pendingCalls, ends]).toEqual([false, 0, [error]]);
    expect(t.connection).toBeUndefined();
    void t.call('range', { key: utf8('a') });
    expect(sent.at(-1)!.connection).toBe(20);
  });

  it('fails pending calls with ConnectionLostError on a reset when asked to (a cluster client)', async () => {
    const { t } = transport({ failCallsOnReset: { endpoint: 'etcd2' } });
    const call = settled(t.call('put', { key: utf8('a'), value: utf8('1') }));
    t.receive({ incarnation: 2, type: 'reset', connection: 10, error: new NoLeaderError() });
    await flush();
    expect(call.error).toBeInstanceOf(ConnectionLostError);
    expect((call.error as Error).message).toBe('transport is closing (etcd2)');
  });

  it('delivers stream messages until the stream ends; a client close ends it after close returns', async () => {
    const { t, sent } = transport();
    const got: unknown[] = [];
    let ended = 0;
    const stream = t.openKeepAlive({ message: (m) => got.push(m), end: () => ended++ }, { requireLeader: true });
    const open = sent.at(-1)!;
    expect(open).toMatchObject({ type: 'stream-open', service: 'keepalive', requireLeader: true, streamId: 1 });
    stream.send({ ID: 7n });
    expect(sent.at(-1)).toMatchObject({ type: 'stream-send', streamId: 1, request: { ID: 7n } });
    t.receive({ incarnation: 2, type: 'stream-message', connection: 10, streamId: 1, response: { ID: 7n, TTL: 5 } });
    stream.close();
    expect(ended).toBe(0); // not inside close()
    await flush();
    expect([got, ended, sent.at(-1)!.type]).toEqual([[{ ID: 7n, TTL: 5 }], 1, 'stream-close']);
    t.receive({ incarnation: 2, type: 'stream-message', connection: 10, streamId: 1, response: { ID: 7n, TTL: 4 } });
    stream.send({ ID: 7n });
    expect([got.length, sent.at(-1)!.type]).toEqual([1, 'stream-close']); // nothing after the end
  });

  it('once killed, sends nothing and settles nothing', async () => {
    const { t, sent } = transport();
    const call = settled(t.call('put', { key: utf8('a'), value: utf8('1') }));
    t.kill();
    t.receive({ incarnation: 2, type: 'unary-ok', connection: 10, callId: 1, response: {} });
    const later = settled(t.call('range', { key: utf8('a') }));
    await flush();
    expect([call.done, later.done, sent.length, t.pendingCalls]).toEqual([false, false, 1, 0]);
  });
});
