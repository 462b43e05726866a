// The commands that must start fast (issue 16: list, run, serve) as esbuild
// bundles of tsc's output: each dist/cli/commands/<name>.js is replaced by one
// module holding what it imports from dist/ and node_modules, with what they
// import lazily (the gRPC server, the scenarios) as chunks in dist/cli/chunks/.
// Loading ~250 files one by one (resolving, reading and compiling each) was
// about a third of `serve`'s CPU to its first answer. Called by
// scripts/build.mjs after tsc. The other commands stay as tsc wrote them:
// explore and exercise load the user's modules, which import leaselab's own
// dist/ and must meet the same classes there.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import * as esbuild from 'esbuild';

const bundledCommands = ['list', 'run', 'serve'];

/**
 * Packages left to load from node_modules at run time: the ones a bundled
 * command imports only on some paths (prom-client on the first /metrics, tsx
 * for a user's TypeScript), so a test can see they were not loaded at start.
 */
const external = ['prom-client', 'tsx', 'tsx/*', '@grpc/proto-loader', 'esbuild', 'fast-check', 'playwright-core', 'vitest'];

/**
 * Every output but main.js sits two directories below dist/ (cli/commands/, cli/chunks/),
 * so a module's `import.meta.url` becomes the URL its tsc output has, taken
 * relative to whichever output holds it: its `new URL('./proto/rpc.proto',
 * import.meta.url)` still finds dist/server/proto/.
 */
function importMetaUrlOfTscOutput(dist) {
  return {
    name: 'import-meta-url-of-tsc-output',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dist + sep)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        const url = `new URL(${JSON.stringify(`../../${relative(dist, args.path).split(sep).join('/')}`)}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * dist/cli/main.js is bundled too (it and picocolors were two more files to
 * load); the commands not bundled stay imports of their tsc output, which
 * sits where the bundle's main.js does.
 */
function unbundledCommandsExternal(dist) {
  const main = join(dist, 'cli', 'main.js');
  return {
    name: 'unbundled-commands-external',
    setup(build) {
      build.onResolve({ filter: /^\.\/commands\/[\w-]+\.js$/ }, (args) => {
        if (args.importer !== main) return undefined;
        const name = args.path.slice('./commands/'.length, -'.js'.length);
        return bundledCommands.includes(name) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/** Bundle the CLI's entry and the fast-starting commands over dist/ (tsc's output); returns the output files' paths. */
export async function bundleCli(dist) {
  const result = await esbuild.build({
    entryPoints: [join(dist, 'cli', 'main.js'), ...bundledCommands.map((name) => join(dist, 'cli', 'commands', `${name}.js`))],
    outbase: dist,
    outdir: dist,
    entryNames: '[dir]/[name]',
    chunkNames: 'cli/chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    // The CommonJS packages (@grpc/grpc-js, protobufjs) call require() for Node's modules.
    banner: { js: "import { createRequire as __leaselabCreateRequire } from 'node:module'; const require = __leaselabCreateRequire(import.meta.url);" },
    // Maps to src/ through tsc's maps, as the unbundled files have.
    sourcemap: 'linked',
    sourcesContent: false,
    plugins: [unbundledCommandsExternal(dist), importMetaUrlOfTscOutput(dist)],
    write: false,
    logLevel: 'warning',
  });
  for (const file of result.outputFiles) {
    // main.js sits one directory below dist/: it must hold no module that asks for its import.meta.url.
    if (file.path.endsWith('.js') && relative(dist, file.path).split(sep).length !== 3 && file.text.includes('import.meta.url).href'))
      throw new Error(`leaselab build: bundle output ${file.path} holds a module that uses import.meta.url but is not two directories below dist/`);
  }
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.contents);
  }
  return result.outputFiles.map((file) => file.path);
}
