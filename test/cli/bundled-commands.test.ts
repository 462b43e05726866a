/**
 * `npm run build` bundles list, run and serve (scripts/build-cli-bundle.mjs):
 * started from the built dist/, each loads its code from a handful of
 * bundle files instead of dist/'s modules one by one (issue 16: start-up),
 * and reads the gRPC server's protos beside the server's tsc output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)));

// Prints each module the ESM loader loads: `loaded file:///…`.
const probe =
  "import{register}from'node:module';register('data:text/javascript,'+encodeURIComponent(" +
  "\"export async function load(u,c,n){if(u.startsWith('file:'))process.stderr.write('loaded '+u+'\\\\n');return n(u,c)}\"));";
const probeArgs = ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, bin];

/** The modules the ESM loader loaded, from the probe's lines. */
function loadedUrls(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded '))
    .map((line) => line.slice('loaded '.length));
}

/** Only the command's bundle, its chunks and the CLI's entry (bundled too: nothing from node_modules, not even picocolors). */
function expectBundled(stderr: string, command: string): void {
  const urls = loadedUrls(stderr);
  const distFiles = urls.filter((url) => url.includes('/dist/')).map((url) => url.slice(url.lastIndexOf('/dist/') + '/dist/'.length));
  expect(distFiles).toContain(`cli/commands/${command}.js`);
  expect(distFiles.filter((file) => file !== 'cli/main.js' && file !== `cli/commands/${command}.js` && !/^cli\/chunks\/[\w-]+\.js$/.test(file))).toEqual([]);
  expect(distFiles.length).toBeLessThan(30);
  expect(urls.filter((url) => url.includes('/node_modules/'))).toEqual([]);
}

describe.skipIf(!built)('list, run and serve run bundled (built dist/; skipped when dist/ is missing: npm run build)', () => {
  it('list and run lease-expiry', () => {
    for (const args of [['list'], ['run', 'lease-expiry']]) {
      const child = spawnSync(process.execPath, [...probeArgs, ...args], { encoding: 'utf8' });
      expect(child.status).toBe(0);
      expectBundled(child.stderr, args[0]!);
    }
  });

  it('serve, up to its ready line', async () => {
    const child = spawn(process.execPath, [...probeArgs, 'serve', '--port', '0', '--ready-json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
      });
      expect(JSON.parse(ready)).toHaveProperty('grpc');
      expectBundled(stderr, 'serve');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    }
  });
});
