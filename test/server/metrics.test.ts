// GET /metrics: etcd's metric names (each found in etcd 3.4's Go sources, or go-grpc-prometheus's, when
// they are here), values read at each scrape from the server, health checks counted.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../../src/server/metrics.ts';

function serverMetrics(revision: { now: number }) {
  const metrics = new ServerMetrics();
  metrics.attach({
    serverVersion: '3.4.23',
    clusterVersion: '3.4.0',
    memberIdHex: '8e9e05c52164694d',
    currentRevision: () => revision.now,
    compactRevision: () => 2,
    liveKeyCount: () => 4,
    dbSizeBytes: () => 8192,
    watchStreamCount: () => 1,
  });
  return metrics;
}

/** Sample lines (`name{labels} value`) of a scrape, by metric name. */
const samples = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
const value = (text: string, name: string) =>
  samples(text)
    .find((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
    ?.split(' ')
    .at(-1);

describe('ServerMetrics', () => {
  it('reads the server at each scrape', async () => {
    const revision = { now: 5 };
    const metrics = serverMetrics(revision);
    const first = await metrics.text();
    expect([
      value(first, 'etcd_debugging_mvcc_current_revision'),
      value(first, 'etcd_debugging_mvcc_compact_revision'),
      value(first, 'etcd_debugging_mvcc_keys_total'),
    ]).toEqual(['5', '2', '4']);
    expect(value(first, 'etcd_mvcc_db_total_size_in_bytes')).toBe('8192');
    expect(samples(first)).toContain('etcd_server_id{server_id="8e9e05c52164694d"} 1');
    revision.now = 9;
    expect(value(await metrics.text(), 'etcd_debugging_mvcc_current_revision')).toBe('9');
  });

  it('counts health checks, and refuses a gauge added after the first scrape', async () => {
    const metrics = serverMetrics({ now: 1 });
    metrics.healthChecked(true);
    metrics.healthChecked(true);
    metrics.healthChecked(false);
    const text = await metrics.text();
    expect([value(text, 'etcd_server_health_success'), value(text, 'etcd_server_health_failures')]).toEqual(['2', '1']);
    expect(() => metrics.addGauge('late_gauge', 'too late', () => 0)).toThrow('metrics: gauge late_gauge added after the first scrape');
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  const gocode = '/usr/share/gocode/src';
  it.skipIf(!existsSync(`${gocode}/go.etcd.io/etcd`))(`every etcd_ name is etcd 3.4's, every grpc_ one go-grpc-prometheus's (${gocode})`, async () => {
    const names = [...(await serverMetrics({ now: 1 }).text()).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(8);
    // Namespace_Subsystem_Name of each prometheus option block in etcd's metrics.go files
    const etcdNames = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (entry === 'metrics.go')
          for (const m of readFileSync(path, 'utf8').matchAll(/Namespace:\s*"(\w+)",\s*Subsystem:\s*"(\w+)",\s*Name:\s*"(\w+)"/g))
            etcdNames.add(`${m[1]}_${m[2]}_${m[3]}`);
      }
    };
    walk(`${gocode}/go.etcd.io/etcd`);
    const grpcMetrics = readFileSync(`${gocode}/github.com/grpc-ecosystem/go-grpc-prometheus/server_metrics.go`, 'utf8');
    for (const name of names) {
      if (name.startsWith('leaselab_')) continue; // leaselab's own (event-loop delay)
      if (name.startsWith('grpc_')) expect(grpcMetrics, name).toContain(`Name: "${name}"`);
      else expect(etcdNames, name).toContain(name);
    }
  });
});
