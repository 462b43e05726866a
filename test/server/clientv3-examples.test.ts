/**
 * etcd's own clientv3 Example functions (Debian's golang-etcd-server-dev,
 * clientv3/example_*_test.go) against `serve`. At test time they are copied
 * into a temporary GOPATH package (nothing of etcd's is committed here)
 * beside two files written here: a TestMain that takes the endpoints from
 * the environment, and a test that calls the example named in the
 * environment — most examples have no Output comment, so `go test` would
 * only compile them. Each example runs in its own process (they log.Fatal
 * on errors) against a fresh server, with three endpoints that are all the
 * same `http://` URL (the member examples use endpoints[1] and [2] as peer
 * URLs).
 *
 * Expected: exactly the examples that pass against a fresh single-member
 * etcd 3.4.23 given the same endpoints (recorded below; LEASELAB_LONG=1
 * checks the list against a real etcd again, a fresh one per example).
 * memberRemove fails on etcd too (it removes a voting member a single
 * started member cannot spare), the Watcher examples wait for events
 * nobody writes and are stopped by the timeout on both.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startGrpcServer } from '../../src/server/grpc-server.ts';
import { type EtcdProcess, startEtcd as startRealEtcd } from './etcd-process.ts';
import { cleanupsAfter } from './cleanups.ts';
import { clientv3Dir, goOrClientv3Missing, goPathEnv } from './go-gopath.ts';

const run = promisify(execFile);
const long = process.env['LEASELAB_LONG'] === '1';

const missing = await goOrClientv3Missing();
if (missing !== undefined) console.warn(`skipping etcd's clientv3 examples: ${missing}`);

/** The examples that pass against a fresh single-member etcd 3.4.23 (three http:// endpoints, all the same). */
const passOnEtcd = [
  'Example',
  'ExampleAuth',
  'ExampleClient_metrics',
  'ExampleCluster_memberAdd',
  'ExampleCluster_memberAddAsLearner',
  'ExampleCluster_memberList',
  'ExampleCluster_memberUpdate',
  'ExampleKV_compact',
  'ExampleKV_delete',
  'ExampleKV_do',
  'ExampleKV_get',
  'ExampleKV_getSortedPrefix',
  'ExampleKV_getWithRev',
  'ExampleKV_put',
  'ExampleKV_putErrorHandling',
  'ExampleKV_txn',
  'ExampleLease_grant',
  'ExampleLease_keepAlive',
  'ExampleLease_keepAliveOnce',
  'ExampleLease_revoke',
  'ExampleMaintenance_defragment',
  'ExampleMaintenance_status',
];
const exampleTimeoutMs = 8_000;

const cleanups = cleanupsAfter('all');

/** Copy the examples into a temp GOPATH package with the two harness files, and build its test binary. */
async function buildExamples(): Promise<{ binary: string; names: string[] }> {
  const gopath = mkdtempSync(join(tmpdir(), 'leaselab-examples-'));
  cleanups.push(() => rmSync(gopath, { recursive: true, force: true }));
  const packageDir = join(gopath, 'src/examples');
  mkdirSync(packageDir, { recursive: true });
  const names: string[] = [];
  for (const file of readdirSync(clientv3Dir).filter((name) => /^example(_\w+)?_test\.go$/.test(name))) {
    copyFileSync(join(clientv3Dir, file), join(packageDir, file));
    for (const match of readFileSync(join(clientv3Dir, file), 'utf8').matchAll(/^func (Example\w*)\(\)/gm)) names.push(match[1]!);
  }
  writeFileSync(
    join(packageDir, 'main_test.go'),
    `package clientv3_test

import (
\t"os"
\t"strings"
\t"testing"
)

// The endpoints of the server under test, from the harness.
func TestMain(m *testing.M) {
\tendpoints = strings.Split(os.Getenv("LEASELAB_ENDPOINTS"), ",")
\tos.Exit(m.Run())
}
`,
  );
  writeFileSync(
    join(packageDir, 'runner_test.go'),
    `package clientv3_test

import (
\t"os"
\t"testing"
)

// Calls the example LEASELAB_EXAMPLE names.
func TestRunExample(t *testing.T) {
\texamples := map[string]func(){
${names.map((name) => `\t\t"${name}": ${name},`).join('\n')}
\t}
\trun, ok := examples[os.Getenv("LEASELAB_EXAMPLE")]
\tif !ok {
\t\tt.Fatalf("no example %q", os.Getenv("LEASELAB_EXAMPLE"))
\t}
\trun()
}
`,
  );
  const binary = join(gopath, 'examples.test');
  await run('go', ['test', '-c', '-o', binary, './examples'], { env: goPathEnv(gopath), cwd: join(gopath, 'src'), timeout: 400_000 });
  return { binary, names: names.sort() };
}

/** Run one example against `address`: true when it finishes without failing. */
function runExample(binary: string, name: string, address: string): Promise<boolean> {
  const url = `http://${address}`;
  return new Promise((resolve) => {
    const child: ChildProcess = spawn(binary, ['-test.run', '^TestRunExample$'], {
      env: { ...process.env, LEASELAB_EXAMPLE: name, LEASELAB_ENDPOINTS: [url, url, url].join(',') },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), exampleTimeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** A fresh single-member etcd (test/server/etcd-process.ts), stopped after the tests at the latest. */
async function startEtcd(): Promise<EtcdProcess> {
  const etcd = await startRealEtcd();
  cleanups.push(() => etcd.stop());
  return etcd;
}

describe.skipIf(missing !== undefined)("etcd's clientv3 examples against serve", () => {
  let built: Promise<{ binary: string; names: string[] }> | undefined;
  const examples = () => (built ??= buildExamples());

  it('passes every example that passes on a single-member etcd 3.4.23', async () => {
    const { binary, names } = await examples();
    const passed: string[] = [];
    // Three at a time: each example gets its own fresh server.
    const queue = [...names];
    await Promise.all(
      [0, 1, 2].map(async () => {
        for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
          const server = await startGrpcServer({ port: 0 });
          try {
            if (await runExample(binary, name, server.address)) passed.push(name);
          } finally {
            await server.close();
          }
        }
      }),
    );
    console.log(`clientv3 examples: ${passed.length}/${names.length} pass on serve (${passOnEtcd.length} pass on etcd 3.4.23)`);
    expect(passed.sort()).toEqual(passOnEtcd);
  }, 600_000);

  it.skipIf(!long)(
    '(LEASELAB_LONG=1) the expected list is what a fresh etcd 3.4.23 passes',
    async () => {
      const { binary, names } = await examples();
      const passed: string[] = [];
      for (const name of names) {
        const etcd = await startEtcd();
        try {
          if (await runExample(binary, name, etcd.address)) passed.push(name);
        } finally {
          await etcd.stop();
        }
      }
      expect(passed.sort()).toEqual(passOnEtcd);
    },
    900_000,
  );
});
