// `npm run build` (and `prepare`, so a fresh clone's `npm install` builds):
// compile src/ to dist/ (ESM, .d.ts, source maps) and copy the files read at
// run time (the gRPC server's protos, with their descriptors, the timeline page's browser code), and
// write the browser playground's page (scripts/build-playground.mjs, esbuild), then bundle the
// fast-starting commands (scripts/build-cli-bundle.mjs, esbuild). `--if-stale` builds only when a source
// or build setting is newer than the last build (vitest's globalSetup uses it,
// so tests that spawn the CLI run the current sources).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleCli } from './build-cli-bundle.mjs';
import { buildPlayground } from './build-playground.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const stamp = join(root, 'node_modules', '.cache', 'leaselab-build-stamp');
const inputs = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
  'scripts/build.mjs',
  'scripts/build-playground.mjs',
  'scripts/build-cli-bundle.mjs',
];

/** The newest modification time (ms) under `path`, directories included (a deleted file touches its directory). */
function newestMtimeMs(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, name)));
  return newest;
}

/**
 * rewriteRelativeImportExtensions rewrites the JavaScript's `./x.ts` imports
 * to `./x.js` but leaves them in the .d.ts files; rewrite those too, so any
 * TypeScript version reads the declarations the way Node resolves the code.
 */
function rewriteDeclarationImports(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) rewriteDeclarationImports(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const rewritten = text.replace(/((?:from |import\()["'](?:\.\.?\/)[^"']*?)\.ts(["'])/g, '$1.js$2');
      if (rewritten !== text) writeFileSync(path, rewritten);
    }
  }
}

/** Beside each .proto, its descriptor (`x.proto.json`): the server loads that instead of parsing the .proto at start-up. */
async function writeProtoDescriptors(dir) {
  const { protoDescriptorJson, protoDescriptorPath } = await import(pathToFileURL(join(dist, 'server', 'proto-services.js')).href);
  for (const name of readdirSync(dir)) {
    if (name.endsWith('.proto')) writeFileSync(protoDescriptorPath(join(dir, name)), protoDescriptorJson(join(dir, name)));
  }
}

export function isStale() {
  if (!existsSync(stamp) || !existsSync(join(dist, 'index.js'))) return true;
  const builtMs = statSync(stamp).mtimeMs;
  return inputs.some((input) => existsSync(join(root, input)) && newestMtimeMs(join(root, input)) > builtMs);
}

export async function build() {
  const startedMs = Date.now();
  rmSync(dist, { recursive: true, force: true });
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) throw new Error(`leaselab build: tsc failed (exit ${result.status ?? result.signal})`);
  rewriteDeclarationImports(dist);
  cpSync(join(root, 'src', 'server', 'proto'), join(dist, 'server', 'proto'), { recursive: true });
  await writeProtoDescriptors(join(dist, 'server', 'proto'));
  // The timeline page's browser code, read at run time and inlined into each page.
  cpSync(join(root, 'src', 'report', 'timeline-viewer.js'), join(dist, 'report', 'timeline-viewer.js'));
  // The browser playground's page (esbuild bundle): dist/playground/index.html.
  await buildPlayground(dist);
  // list, run and serve as single bundles (scripts/build-cli-bundle.mjs): they start faster.
  await bundleCli(dist);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date(startedMs).toISOString()}\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--if-stale') || isStale()) await build();
}
