/**
 * /metrics with prom-client loaded at the first scrape (src/server/metrics.ts):
 * counts made before it are all there, later scrapes keep counting, the
 * content type is prom-client's, the event-loop gauges come last, and
 * `leaselab serve` reaches its ready line without loading prom-client.
 */
import { request } from 'node:http';
import { Etcd3 } from 'etcd3';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { registerEventLoopDelay, runQueueWaitReader } from '../../src/server/event-loop-delay.ts';
import { type GrpcEtcdServer, startGrpcServer } from '../../src/server/grpc-server.ts';
import { distBuilt, loadedUrls, serveUntilReady } from '../cli/load-probe.ts';

function get(address: string, path: string): Promise<{ type: string; body: string }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ type: String(response.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

let server: GrpcEtcdServer | undefined;
let client: Etcd3 | undefined;
afterEach(async () => {
  client?.close();
  await server?.close();
  server = undefined;
  client = undefined;
});

describe('metrics counted before prom-client loads', () => {
  it('reports the calls and health checks made before the first scrape, and keeps counting after it', async () => {
    server = await startGrpcServer({ port: 0 });
    registerEventLoopDelay(server.metrics);
    client = new Etcd3({ hosts: server.address });
    await client.put('a').value('1');
    await client.put('b').value('2');
    await client.get('a').string();
    await get(server.address, '/health');
    const first = await get(server.address, '/metrics');
    expect(first.type).toBe(new Registry().contentType);
    const put = 'grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Put"';
    expect(first.body).toContain(`grpc_server_started_total{${put}} 2\n`);
    expect(first.body).toContain(`grpc_server_handled_total{${put},grpc_code="OK"} 2\n`);
    expect(first.body).toContain('grpc_server_started_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range"} 1\n');
    expect(first.body).toContain('etcd_server_health_success 1\n');
    expect(first.body).toContain('etcd_server_health_failures 0\n');
    expect(first.body).toContain('etcd_debugging_mvcc_current_revision 3\n');
    const names = [...first.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => `${match[1]} ${match[2]}`);
    const last = [
      'grpc_server_started_total counter',
      'grpc_server_handled_total counter',
      'leaselab_event_loop_delay_max_seconds gauge',
      'leaselab_event_loop_delay_p99_seconds gauge',
      // Where Linux tells the run-queue wait (event-loop-delay.ts).
      ...(runQueueWaitReader() === undefined ? [] : ['leaselab_event_loop_delay_own_max_seconds gauge']),
    ];
    expect(names.slice(-last.length)).toEqual(last);
    await client.put('c').value('3');
    const second = await get(server.address, '/metrics');
    expect(second.body).toContain(`grpc_server_started_total{${put}} 3\n`);
    expect(second.body).toContain(`grpc_server_handled_total{${put},grpc_code="OK"} 3\n`);
    expect(second.body).toContain('etcd_server_health_success 1\n');
  });

  it('etcd_debugging_mvcc_keys_total follows puts, deletes, compaction and a reset between scrapes (the count is kept per revision)', async () => {
    server = await startGrpcServer({ port: 0 });
    client = new Etcd3({ hosts: server.address });
    const keys = async () => Number(/^etcd_debugging_mvcc_keys_total (\S+)$/m.exec((await get(server!.address, '/metrics')).body)?.[1]);
    expect(await keys()).toBe(0);
    await client.put('a').value('1');
    await client.put('b').value('2');
    expect(await keys()).toBe(2);
    expect(await keys()).toBe(2);
    await client.put('a').value('3');
    expect(await keys()).toBe(2);
    await client.delete().key('a');
    expect(await keys()).toBe(1);
    server.store.compact({ revision: server.store.currentRevision() } as never);
    expect(await keys()).toBe(1);
    server.reset();
    expect(await keys()).toBe(0);
  });

  it.skipIf(!distBuilt)('`leaselab serve` is ready without loading prom-client (built dist/; skipped when dist/ is missing: npm run build)', async () => {
    const { ready, stderrAtReady, stop } = await serveUntilReady();
    try {
      const loadedAtReady = loadedUrls(stderrAtReady);
      expect(JSON.parse(ready)).toHaveProperty('grpc');
      // The server's tsc output, or its chunk in the bundled command (scripts/build-cli-bundle.mjs).
      expect(loadedAtReady.some((url) => /\/dist\/(server\/grpc-server|cli\/chunks\/grpc-server-\w+)\.js$/.test(url))).toBe(true);
      expect(loadedAtReady.filter((url) => /prom-client|proto-loader/.test(url))).toEqual([]);
    } finally {
      await stop();
    }
  });
});
