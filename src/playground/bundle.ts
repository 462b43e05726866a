/**
 * The playground page from the sources: bundle src/playground/browser-main.js
 * for the browser with esbuild and inline it into the page. `npm run build`
 * does this once (dist/playground/index.html); `leaselab playground` run from
 * a checkout without a build does it on demand. esbuild is a devDependency:
 * an installed package ships the built page and never needs it.
 */
import { fileURLToPath } from 'node:url';
import { playgroundHtml } from './page.ts';

/** The bundle's JavaScript: an IIFE, minified. @throws Error when esbuild is not installed */
export async function bundlePlayground(): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error('the playground page is not built and esbuild is not installed: run `npm install` and `npm run build` in the leaselab checkout');
  }
  const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
  // From dist/playground/bundle.js the sources are in ../../src/playground/.
  const dir = import.meta.url.includes('/dist/playground/') ? '../../src/playground/' : './';
  const result = await esbuild.build({
    entryPoints: [source(`${dir}browser-main.js`)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    // errors name themselves by their class (`this.name = new.target.name`), and traces carry those names: same trace as in Node
    keepNames: true,
    legalComments: 'none',
    // Node modules the shared code imports, answered by small browser versions.
    alias: {
      'node:buffer': source(`${dir}shims/buffer.ts`),
      'node:util': source(`${dir}shims/node-util.ts`),
      'node:fs': source(`${dir}shims/node-fs.ts`),
    },
    conditions: ['leaselab-source'],
    logLevel: 'warning',
    // html-timeline.ts reads its viewer file next to import.meta.url: the playground never writes such a page.
    logOverride: { 'empty-import-meta': 'silent' },
  });
  return result.outputFiles[0]!.text;
}

/** The whole page, bundled now. */
export async function buildPlaygroundHtml(): Promise<string> {
  return playgroundHtml(await bundlePlayground());
}
