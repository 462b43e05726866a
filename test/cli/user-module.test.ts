// importUserModule as the test runner loads it (vitest reads TypeScript itself): a path relative to the
// working directory, JavaScript in either module system, and the import's own error when it fails.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importUserModule } from '../../src/cli/user-module.ts';

const dir = mkdtempSync(join(tmpdir(), 'leaselab-user-module-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('importUserModule', () => {
  it('loads a path relative to the working directory', async () => {
    const path = file('lock.mjs', 'export const name = "my-lock";\nexport default { ttl: 5 };\n');
    const namespace = await importUserModule(relative(process.cwd(), path));
    expect(namespace.name).toBe('my-lock');
    expect(namespace.default).toEqual({ ttl: 5 });
  });

  it('loads CommonJS: module.exports is the default', async () => {
    const namespace = await importUserModule(file('lock.cjs', 'module.exports = { create: 1 };\n'));
    expect(namespace.default).toEqual({ create: 1 });
  });

  it('loads TypeScript where the runtime reads it', async () => {
    const namespace = await importUserModule(file('typed.mts', 'export const ttlSeconds: number = 7;\n'));
    expect(namespace.ttlSeconds).toBe(7);
  });

  it("fails with the import's own error: a missing file, a module that throws", async () => {
    await expect(importUserModule(join(dir, 'missing.mjs'))).rejects.toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
    await expect(importUserModule(file('throws.mjs', 'throw new RangeError("bad lock module");\n'))).rejects.toThrow(new RangeError('bad lock module'));
  });
});
