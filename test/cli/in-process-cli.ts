/**
 * Run the leaselab command in-process, as `leaselab <argv…>` would, with
 * stdout and stderr captured (colour codes stripped: picocolors turns colour
 * on where it sees a CI or a TTY, and the tests read the text).
 *
 *   const { code, stdout } = await cli('run', 'lease-expiry');
 */
import { stripVTControlCharacters } from 'node:util';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(argv);
    return { code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
