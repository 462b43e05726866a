/** The output of a command run in-process (explore, replay, explore-merge), captured as text; stderr is a terminal when `isTTY`. */
import type { CommandIo } from '../../src/cli/commands/explore.ts';

export function capturedIo(isTTY = false): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (text: string) => void (out += text) },
    stderr: { write: (text: string) => void (err += text), isTTY },
    out: () => out,
    err: () => err,
  };
}
