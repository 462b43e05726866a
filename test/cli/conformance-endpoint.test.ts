// `leaselab conformance --endpoint host:port` replays traces over gRPC, on real time, against
// a running server: leaselab serve, and the installed etcd 3.4.23 (skipped without it). The
// quick traces run always; every trace (about 35 s of recorded time) with LEASELAB_LONG=1.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/commands/conformance.ts';
import { startGrpcServer, type GrpcEtcdServer } from '../../src/server/grpc-server.ts';
import { conformanceDir } from '../fixtures/shared-data.ts';
import { etcdMissing, type EtcdProcess, fastDataRoot, startEtcd } from '../server/etcd-process.ts';

const extraDir = fileURLToPath(new URL('../fixtures/conformance-extra', import.meta.url));
const long = process.env.LEASELAB_LONG === '1';
const quick = [
  join(conformanceDir, 'kv-put-get.json'),
  join(conformanceDir, 'kv-compaction.json'),
  join(conformanceDir, 'txn-errors-and-nesting.json'),
  join(conformanceDir, 'lease-grant-rules.json'),
  join(conformanceDir, 'watch-history.json'),
  join(extraDir, 'kv-edge-ranges.json'),
  join(extraDir, 'txn-compare-ranges.json'),
  join(extraDir, 'watch-progress-and-compaction.json'),
];
const traces = long ? [conformanceDir, extraDir] : quick;
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex

async function replay(args: string[]): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await run(args, { write: (chunk) => void (text += chunk) });
  return { code, text: stripAnsi(text) };
}

describe('conformance --endpoint: usage', () => {
  it('needs an endpoint and traces', async () => {
    expect((await replay(['--endpoint'])).code).toBe(2);
    expect((await replay(['--endpoint', '127.0.0.1:1'])).code).toBe(2);
  });

  it('an endpoint nobody serves: every step fails, exit 1', async () => {
    const { code, text } = await replay(['--endpoint', '127.0.0.1:1', join(extraDir, 'txn-compare-ranges.json')]);
    expect(code).toBe(1);
    expect(text).toContain('could not clear the endpoint');
  }, 30_000);
});

describe('conformance --endpoint against leaselab serve', () => {
  let server: GrpcEtcdServer;
  beforeAll(async () => {
    server = await startGrpcServer({ port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });
  it('every step answers as etcd did', async () => {
    const { code, text } = await replay(['--endpoint', server.address, ...traces]);
    expect(text).toMatch(/ 0 failed\n$/);
    expect(code).toBe(0);
  }, 120_000);
});

const missing = etcdMissing();
describe.skipIf(missing !== undefined)(`conformance --endpoint against etcd 3.4.23${missing === undefined ? '' : ` (skipped: ${missing})`}`, () => {
  let etcd: EtcdProcess;
  beforeAll(async () => {
    etcd = await startEtcd([], fastDataRoot());
  }, 30_000);
  afterAll(async () => {
    await etcd?.stop();
  });
  it('the recording replays against the etcd it came from (after clearing it between traces)', async () => {
    const { code, text } = await replay([`--endpoint=http://${etcd.address}`, ...traces]);
    expect(text).toMatch(/ 0 failed\n$/);
    expect(code).toBe(0);
  }, 120_000);
});
