/**
 * `leaselab serve` as a child process, for tests that kill it (kill -9),
 * restart it, or measure its memory from outside.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ServeChild {
  child: ChildProcess;
  /** host:port of its gRPC server. */
  address: string;
  /** Everything it printed so far. */
  stdout(): string;
  /** Resident set size now, in bytes (from /proc). */
  rssBytes(): number;
  /** Exit code or signal, once it has exited. */
  exited: Promise<number | string>;
  /** kill -9 and wait for it to be gone. */
  kill9(): Promise<void>;
}

/** Start `leaselab serve --port 0 ...args` (under `node ...nodeArgs`) and wait (bounded) for its address. */
export async function startServeChild(args: string[], startMsMax = 20_000, nodeArgs: string[] = []): Promise<ServeChild> {
  const child = spawn(process.execPath, [...nodeArgs, process.env.LEASELAB_TEST_BIN ?? 'bin/leaselab.js', 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const kill9 = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + startMsMax;
  for (;;) {
    const match = /gRPC on (\S+)/.exec(stdout);
    if (match !== null && (stdout.includes('lease IDs:') || stdout.includes('Ctrl-C'))) {
      return {
        child,
        address: match[1]!,
        stdout: () => stdout,
        rssBytes: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
        exited,
        kill9,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill9();
      throw new Error(`leaselab serve did not start: ${stdout}${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
