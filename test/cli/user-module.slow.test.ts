// importUserModule under plain Node 20, which cannot read TypeScript: the built module (dist/) loads a
// .ts file through tsx, as an ES module under "type": "module" and as CommonJS otherwise.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-user-module-node-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const built = pathToFileURL(resolve('dist/cli/user-module.js')).href;

/** Load `path` with the built importUserModule in a fresh Node; its namespace as JSON, or the error's code and message. */
function loadInNode(path: string): { namespace?: Record<string, unknown>; error?: { code?: string; message: string } } {
  const script = `
    import { importUserModule } from ${JSON.stringify(built)};
    try {
      const namespace = await importUserModule(${JSON.stringify(path)});
      console.log(JSON.stringify({ namespace }));
    } catch (error) {
      console.log(JSON.stringify({ error: { code: error.code, message: error.message } }));
    }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

describe('importUserModule in Node 20', () => {
  it('loads an ES-module .ts (package.json "type": "module") through tsx', () => {
    const esm = join(dir, 'esm');
    mkdirSync(esm);
    writeFileSync(join(esm, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(join(esm, 'lock.ts'), 'const ttl: number = 5;\nexport const name = "esm-lock";\nexport default { ttl };\n');
    expect(loadInNode(join(esm, 'lock.ts'))).toEqual({ namespace: { name: 'esm-lock', default: { ttl: 5 } } });
  });

  it('loads a CommonJS-typed .ts: its exports as the namespace, not wrapped in a default', () => {
    const cjs = join(dir, 'cjs');
    mkdirSync(cjs);
    writeFileSync(join(cjs, 'lock.ts'), 'export const name: string = "cjs-lock";\nexport const ttl = 6;\n');
    const { namespace } = loadInNode(join(cjs, 'lock.ts'));
    expect(namespace?.name).toBe('cjs-lock');
    expect(namespace?.ttl).toBe(6);
  });

  it("a file Node cannot read and that is not TypeScript fails with Node's own error", () => {
    writeFileSync(join(dir, 'lock.txt'), 'export const x = 1;\n');
    expect(loadInNode(join(dir, 'lock.txt')).error?.code).toBe('ERR_UNKNOWN_FILE_EXTENSION');
  });
});
