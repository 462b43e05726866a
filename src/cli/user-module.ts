/**
 * Load a module the user names on the command line (`explore --lock ./my-lock.ts`).
 * JavaScript, or TypeScript where the runtime already reads it (vitest, Node
 * with type stripping), loads as it is. Node 20 cannot read TypeScript: only
 * then is tsx loaded and registered, so the CLI's other paths never pay for it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const typeScriptFile = /\.[cm]?tsx?$/;

let tsxRegistered: Promise<void> | undefined;

function registerTsx(): Promise<void> {
  tsxRegistered ??= import('tsx/esm/api').then(({ register }) => {
    // Global, not tsImport's namespace: the user's module then shares this
    // process's copy of leaselab (one EtcdError class, one Client class).
    register();
  });
  return tsxRegistered;
}

/** Import `path` (relative to the working directory). @throws what the import throws */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(process.cwd(), path)).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const unknownExtension = (error as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION';
    if (!unknownExtension || !typeScriptFile.test(path)) throw error;
  }
  await registerTsx();
  // Node remembers the failed load of `url`: ask again under another URL.
  return (await import(`${url}?typescript`)) as Record<string, unknown>;
}
