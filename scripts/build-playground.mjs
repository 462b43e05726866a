// The browser playground: bundle src/playground/browser-main.js (the
// simulator, store, client, scenarios, lock algorithms and checkers) for the
// browser with esbuild, and write dist/playground/index.html, one
// self-contained page (the timeline viewer and the bundle inlined) that
// `leaselab playground` serves or copies. Called by scripts/build.mjs after
// tsc, so the page renders with the built dist/ modules.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const shims = join(root, 'src', 'playground', 'shims');

/** The bundle's JavaScript (an IIFE, minified). */
export async function bundlePlayground() {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(root, 'src', 'playground', 'browser-main.js')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    legalComments: 'none',
    // Node modules the shared code imports, answered by small browser versions.
    alias: {
      'node:buffer': join(shims, 'buffer.ts'),
      'node:util': join(shims, 'node-util.ts'),
      'node:fs': join(shims, 'node-fs.ts'),
    },
    conditions: ['leaselab-source'],
    logLevel: 'warning',
    // html-timeline.ts reads its viewer file next to import.meta.url; the bundle never writes a page
    logOverride: { 'empty-import-meta': 'silent' },
  });
  return result.outputFiles[0].text;
}

/** Write dist/playground/index.html; returns its size in bytes. */
export async function buildPlayground(dist) {
  const bundle = await bundlePlayground();
  const { playgroundHtml } = await import(pathToFileURL(join(dist, 'playground', 'page.js')).href);
  const html = playgroundHtml(bundle);
  mkdirSync(join(dist, 'playground'), { recursive: true });
  writeFileSync(join(dist, 'playground', 'index.html'), html);
  return { bundleBytes: Buffer.byteLength(bundle), pageBytes: Buffer.byteLength(html) };
}
