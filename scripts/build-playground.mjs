// The browser playground's page: dist/playground/index.html, one
// self-contained file (the timeline viewer and the esbuild bundle of the
// simulator, store, client, scenarios, locks and checkers inlined) that
// `leaselab playground` serves or copies. Called by scripts/build.mjs after
// tsc: the bundler and the page writer are the built src/playground/bundle.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Write dist/playground/index.html; returns the bundle's and the page's sizes in bytes. */
export async function buildPlayground(dist) {
  const { bundlePlayground } = await import(pathToFileURL(join(dist, 'playground', 'bundle.js')).href);
  const { playgroundHtml } = await import(pathToFileURL(join(dist, 'playground', 'page.js')).href);
  const bundle = await bundlePlayground();
  const html = playgroundHtml(bundle);
  mkdirSync(join(dist, 'playground'), { recursive: true });
  writeFileSync(join(dist, 'playground', 'index.html'), html);
  return { bundleBytes: Buffer.byteLength(bundle), pageBytes: Buffer.byteLength(html) };
}
