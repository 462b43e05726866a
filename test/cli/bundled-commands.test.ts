/**
 * `npm run build` bundles list, run and serve (scripts/build-cli-bundle.mjs):
 * started from the built dist/, each loads its code from a handful of
 * bundle files instead of dist/'s modules one by one (issue 16: start-up),
 * and reads the gRPC server's protos beside the server's tsc output.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { distBuilt, loadedUrls, probedCliArgs, serveUntilReady } from './load-probe.ts';

/** Only the command's bundle, its chunks and the CLI's entry (bundled too: nothing from node_modules, not even picocolors). */
function expectBundled(stderr: string, command: string): void {
  const urls = loadedUrls(stderr);
  const distFiles = urls.filter((url) => url.includes('/dist/')).map((url) => url.slice(url.lastIndexOf('/dist/') + '/dist/'.length));
  expect(distFiles).toContain(`cli/commands/${command}.js`);
  expect(distFiles.filter((file) => file !== 'cli/main.js' && file !== `cli/commands/${command}.js` && !/^cli\/chunks\/[\w-]+\.js$/.test(file))).toEqual([]);
  expect(distFiles.length).toBeLessThan(30);
  expect(urls.filter((url) => url.includes('/node_modules/'))).toEqual([]);
}

describe.skipIf(!distBuilt)('list, run and serve run bundled (built dist/; skipped when dist/ is missing: npm run build)', () => {
  it('list and run lease-expiry', () => {
    for (const args of [['list'], ['run', 'lease-expiry']]) {
      const child = spawnSync(process.execPath, [...probedCliArgs, ...args], { encoding: 'utf8' });
      expect(child.status).toBe(0);
      expectBundled(child.stderr, args[0]!);
    }
  });

  it('serve, up to its ready line', async () => {
    const { ready, stderrAtReady, stop } = await serveUntilReady();
    try {
      expect(JSON.parse(ready)).toHaveProperty('grpc');
      expectBundled(stderrAtReady, 'serve');
    } finally {
      await stop();
    }
  });
});
