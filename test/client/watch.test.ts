import { describe, expect, it } from 'vitest';
import { ClientClosedError } from '../../src/client/errors.ts';
import { InProcessTransport } from '../../src/client/in-process-transport.ts';
import { op } from '../../src/client/kv.ts';
import type { WatchUpdate } from '../../src/client/watch.ts';
import { fromUtf8 } from '../../src/store/bytes.ts';
import { CompactedError } from '../../src/store/errors.ts';
import { settledNothing } from '../../src/client/runtime.ts';
import type { WatchResponse } from '../../src/store/messages.ts';
import { drive, HandlerReturnsTransport, runFor, SwitchableTransport, world } from './virtual-runtime.ts';

function kindOf(response: WatchResponse): string {
  return response.created ? 'created' : response.canceled ? 'canceled' : response.events.length > 0 ? 'events' : 'progress';
}

function summary(updates: WatchUpdate[]): string[] {
  return updates.flatMap((u) =>
    u.kind === 'events'
      ? u.events.map((e) => `${e.type} ${fromUtf8(e.kv.key)}@${e.kv.mod_revision}`)
      : u.kind === 'canceled'
        ? [`canceled ${u.error.constructor.name} ${u.compactRevision}`]
        : [`progress @${u.header.revision}`],
  );
}

describe('Client watch', () => {
  it('delivers events in order from now, and nothing after cancel', async () => {
    const w = world();
    const client = w.client();
    const updates: WatchUpdate[] = [];
    await drive(w.clock, client.put('a/0', 'x'));
    const watcher = client.watch('a/', { prefix: true }, (u) => updates.push(u));
    expect((await drive(w.clock, watcher.created))?.revision).toBe(2);
    await drive(w.clock, client.put('a/1', 'x'));
    await drive(w.clock, client.txn().then(op.put('a/2', 'x')).commit());
    await drive(w.clock, client.delete('a/', { prefix: true }));
    await drive(w.clock, client.put('b', 'x'));
    await runFor(w.clock, 200);
    expect(summary(updates)).toEqual(['PUT a/1@3', 'PUT a/2@4', 'DELETE a/0@5', 'DELETE a/1@5', 'DELETE a/2@5']);
    const seen = updates.length;
    watcher.cancel();
    await drive(w.clock, watcher.done);
    await drive(w.clock, client.put('a/3', 'x'));
    await runFor(w.clock, 200);
    expect(updates).toHaveLength(seen);
  });

  it('replays history from a start revision and reports compaction', async () => {
    const w = world();
    const client = w.client();
    for (let i = 0; i < 5; i++) await drive(w.clock, client.put('k', `${i}`));
    const replay: WatchUpdate[] = [];
    client.watch('k', { revision: 4, prevKv: true }, (u) => replay.push(u));
    await runFor(w.clock, 200);
    expect(summary(replay)).toEqual(['PUT k@4', 'PUT k@5', 'PUT k@6']);
    const withPrev = replay[0];
    expect(withPrev?.kind === 'events' && fromUtf8(withPrev.events[0]!.prev_kv!.value)).toBe('1');

    await drive(w.clock, client.compact(5));
    const compacted: WatchUpdate[] = [];
    const watcher = client.watch('k', { revision: 2 }, (u) => compacted.push(u));
    await drive(w.clock, watcher.done);
    expect(summary(compacted)).toEqual(['canceled CompactedError 5']);
    expect(compacted[0]?.kind === 'canceled' && compacted[0].error).toBeInstanceOf(CompactedError);
  });

  it('resumes after a broken stream from the next unseen revision, without loss or repeats', async () => {
    const w = world();
    const transport = new SwitchableTransport(new InProcessTransport(w.store));
    const client = w.client({ transport });
    const writer = w.client();
    const updates: WatchUpdate[] = [];
    const watcher = client.watch('k', {}, (u) => updates.push(u));
    await drive(w.clock, watcher.created);
    await drive(w.clock, writer.put('k', '1'));
    await runFor(w.clock, 10);
    transport.breakStreams();
    await drive(w.clock, writer.put('k', '2'));
    await drive(w.clock, writer.put('k', '3'));
    await runFor(w.clock, 1000);
    await drive(w.clock, writer.put('k', '4'));
    await runFor(w.clock, 200);
    expect(summary(updates)).toEqual(['PUT k@2', 'PUT k@3', 'PUT k@4', 'PUT k@5']);
  });

  it('filters and ends watches with ClientClosedError on close', async () => {
    const w = world();
    const client = w.client();
    const updates: WatchUpdate[] = [];
    const watcher = client.watch('k', { noPut: true }, (u) => updates.push(u));
    await drive(w.clock, watcher.created);
    await drive(w.clock, client.put('k', '1'));
    await drive(w.clock, client.delete('k'));
    await runFor(w.clock, 200);
    client.close();
    await watcher.done;
    expect(summary(updates)).toEqual(['DELETE k@3', 'canceled ClientClosedError 0']);
    expect(updates[1]?.kind === 'canceled' && updates[1].error).toBeInstanceOf(ClientClosedError);
  });

  it('says a create or cancel acknowledged settled nothing unless `created` was awaited; events and cancels by the server did', async () => {
    const w = world();
    const transport = new HandlerReturnsTransport(new InProcessTransport(w.store));
    const client = w.client({ transport });
    const quiet = () =>
      transport.returns
        .filter(({ stream }) => stream === 'watch')
        .map(({ response, returned }) => [kindOf(response as WatchResponse), returned === settledNothing]);
    const unread = client.watch('a', {}, () => {});
    await runFor(w.clock, 10);
    const read = client.watch('b', {}, () => {});
    await drive(w.clock, read.created);
    await drive(w.clock, client.put('a', '1'));
    await runFor(w.clock, 10);
    unread.cancel();
    await runFor(w.clock, 10);
    await drive(w.clock, client.compact(2));
    const compacted = client.watch('a', { revision: 1 }, () => {});
    await drive(w.clock, compacted.done);
    expect(quiet()).toEqual([
      ['created', true],
      ['created', false],
      ['events', false],
      ['canceled', true],
      // etcd 3.4 creates a watch below the compacted revision, then cancels it: the handler hears that.
      ['created', true],
      ['canceled', false],
    ]);
  });
});
