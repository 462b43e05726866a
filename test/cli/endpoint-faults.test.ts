// The client-side faults of endpoint runs (src/cli/endpoint-faults.ts) against leaselab's gRPC server
// started here: a held request reaches the server only on release, a partition drops both ways while
// the stream stays up, a paused process gets its answers on resume in order, a crashed one never.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultyTransport, type LinkNotice, ProcessGate } from '../../src/cli/endpoint-faults.ts';
import { GrpcTransport } from '../../src/server/grpc-transport.ts';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { fromUtf8, utf8 } from '../../src/store/bytes.ts';
import { until } from '../server/until.ts';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('FaultyTransport and ProcessGate on leaselab serve', () => {
  let server: GrpcEtcdServer;
  let reader: GrpcTransport;
  beforeAll(async () => {
    server = await startGrpcServer({ port: 0 });
    reader = new GrpcTransport(server.address);
  });
  afterAll(async () => {
    reader.close();
    await server.close();
  });
  const storedValueOf = async (key: string) => {
    const { kvs } = await reader.call('range', { key: utf8(key) } as never);
    return kvs[0] === undefined ? undefined : fromUtf8(kvs[0].value);
  };
  function link() {
    const gate = new ProcessGate();
    const drops: LinkNotice[] = [];
    const edge: string[] = [];
    const transport = new FaultyTransport(
      new GrpcTransport(server.address),
      gate,
      (notice) => drops.push(notice),
      (answer) => edge.push(answer.kind === 'unary' ? answer.method : 'keepalive'),
    );
    return { gate, drops, edge, transport };
  }

  it('hold: the put reaches the server only on release, and its answer comes after', async () => {
    const { transport } = link();
    transport.toServer.mode = 'hold';
    let answered = false;
    const put = transport.call('put', { key: utf8('held'), value: utf8('v') } as never).then(() => (answered = true));
    await sleep(100);
    expect([await storedValueOf('held'), answered]).toEqual([undefined, false]);
    expect(transport.toServer.release()).toBe(1);
    await put;
    expect(await storedValueOf('held')).toBe('v');
    transport.kill();
  });

  it('partition: requests are dropped (the call never settles); an answer the server sent is dropped at the edge, seen by onEdge', async () => {
    const { transport, drops, edge } = link();
    transport.toServer.mode = 'drop';
    let settled = false;
    void transport.call('put', { key: utf8('cut'), value: utf8('v') } as never).finally(() => (settled = true));
    transport.toServer.mode = 'pass';
    transport.fromServer.mode = 'drop';
    void transport.call('put', { key: utf8('one-way'), value: utf8('v') } as never).finally(() => (settled = true));
    await sleep(150);
    expect(settled).toBe(false);
    expect([await storedValueOf('cut'), await storedValueOf('one-way')]).toEqual([undefined, 'v']);
    expect(drops).toEqual([
      { toServer: true, message: 'put request' },
      { toServer: false, message: 'put response' },
    ]);
    expect(edge).toEqual(['put']);
    transport.kill();
  });

  it('pause: answers wait for resume, in order; a crash drops everything and closes the streams', async () => {
    const { transport, gate } = link();
    gate.pause();
    const order: string[] = [];
    const first = transport.call('put', { key: utf8('p1'), value: utf8('1') } as never).then(() => order.push('p1'));
    const second = transport.call('put', { key: utf8('p2'), value: utf8('2') } as never).then(() => order.push('p2'));
    await sleep(100);
    expect([order, await storedValueOf('p2')]).toEqual([[], '2']);
    gate.resume();
    await Promise.all([first, second]);
    expect(order).toEqual(['p1', 'p2']);

    const heard: string[] = [];
    transport
      .openWatch({ message: (response) => heard.push(response.created ? 'created' : `${response.events.length} event(s)`), end: () => heard.push('end') })
      .send({ create_request: { key: utf8('w') } } as never);
    await until(() => heard.length > 0, 'the watch to be created'); // bounded by the answer, not a guess at its time
    gate.crash();
    transport.kill();
    await reader.call('put', { key: utf8('w'), value: utf8('after the crash') } as never);
    let settled = false;
    void transport.call('range', { key: utf8('w') } as never).finally(() => (settled = true));
    await sleep(100);
    expect([heard, settled]).toEqual([['created'], false]);
  });
});
