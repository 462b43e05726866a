/**
 * Building Go programs against Debian's etcd sources (golang-etcd-server-dev
 * under /usr/share/gocode) in GOPATH mode: the tests that run etcd's Go
 * clientv3 share where the sources are, how to tell what is missing, and the
 * build environment.
 *
 *   const missing = await goOrClientv3Missing();     // 'go not installed: apt-get install golang-go' or undefined
 *   await run('go', ['build', …], { env: goPathEnv(gopath), cwd: gopath });
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's GOPATH root for Go library sources. */
export const gocodeRoot = '/usr/share/gocode';
/** etcd 3.4's clientv3 package sources. */
export const clientv3Dir = join(gocodeRoot, 'src/go.etcd.io/etcd/clientv3');

/** Why Go programs using clientv3 cannot be built here, or undefined when they can. */
export async function goOrClientv3Missing(): Promise<string | undefined> {
  try {
    await run('go', ['version'], { timeout: 10_000 });
  } catch {
    return 'go not installed: apt-get install golang-go';
  }
  if (!existsSync(join(clientv3Dir, 'example_kv_test.go'))) return 'clientv3 sources not installed: apt-get install golang-etcd-server-dev';
  return undefined;
}

/** The environment for `go build`/`go test` in GOPATH mode with `gopath` after Debian's sources. */
export function goPathEnv(gopath: string): NodeJS.ProcessEnv {
  return Object.assign({}, process.env, { GO111MODULE: 'off', GOPATH: `${gocodeRoot}:${gopath}`, GOFLAGS: '' });
}
