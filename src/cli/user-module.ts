/**
 * Load a module the user names on the command line (`explore --lock ./my-lock.ts`).
 * JavaScript, or TypeScript where the runtime already reads it (vitest, Node
 * with type stripping), loads as it is. Node 20 cannot read TypeScript: only
 * then is tsx loaded, so the CLI's other paths never pay for it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const typeScriptFile = /\.[cm]?tsx?$/;

type Namespace = Record<string, unknown>;

let tsxHooks: Promise<void> | undefined;

/** Whether Node reads `file` as an ES module: `.mts`, or `.ts` under a package.json with `"type": "module"`. */
function isEsmFile(file: string): boolean {
  if (file.endsWith('.mts')) return true;
  if (file.endsWith('.cts')) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(dir) === dir) return false;
  }
}

/** tsx compiles a CommonJS-typed .ts file to CommonJS: its exports object arrives as the namespace's default. */
function unwrapCommonJs(namespace: Namespace): Namespace {
  const inner = namespace.default;
  if (typeof inner === 'object' && inner !== null && 'default' in inner) return inner as Namespace;
  return namespace;
}

/** Import `path` (relative to the working directory). @throws what the import throws */
export async function importUserModule(path: string): Promise<Namespace> {
  const file = resolve(process.cwd(), path);
  const url = pathToFileURL(file).href;
  try {
    return (await import(url)) as Namespace;
  } catch (error) {
    const unknownExtension = (error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
    if (!unknownExtension || !typeScriptFile.test(file)) throw error;
  }
  const tsx = await import('tsx/esm/api');
  if (isEsmFile(file)) {
    // An ES module: tsx's hooks for the whole process, so the user's module
    // shares this process's copy of leaselab (one EtcdError class, one Client).
    tsxHooks ??= Promise.resolve(tsx.register()).then(() => undefined);
    await tsxHooks;
    // Node remembers the failed load of `url`: ask again under another URL.
    return (await import(`${url}?typescript`)) as Namespace;
  }
  // A CommonJS-typed .ts file: tsx loads it (and what it imports) on its own.
  return unwrapCommonJs((await tsx.tsImport(url, import.meta.url)) as Namespace);
}
