/**
 * Which modules a leaselab command loads: the built CLI (bin/leaselab.js over
 * dist/) run under an ESM loader hook that prints `loaded file:///…` to
 * stderr for each module. Used by the start-up tests (bundled commands, lazy
 * prom-client).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));

/** Whether dist/ is built (these tests run the built CLI). */
export const distBuilt = existsSync(fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url)));

const probe =
  "import{register}from'node:module';register('data:text/javascript,'+encodeURIComponent(" +
  "\"export async function load(u,c,n){if(u.startsWith('file:'))process.stderr.write('loaded '+u+'\\\\n');return n(u,c)}\"));";

/** Node's arguments to run the leaselab CLI under the probe; append the command's own. */
export const probedCliArgs = ['--import', `data:text/javascript,${encodeURIComponent(probe)}`, bin];

/** The modules the ESM loader loaded, from the probe's lines. */
export function loadedUrls(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded '))
    .map((line) => line.slice('loaded '.length));
}

/**
 * Start `leaselab serve --port 0 --ready-json` under the probe and wait for its
 * ready line: `ready` is that line, `stderrAtReady` what serve wrote to stderr
 * until then (the probe's lines among it). `stop` ends the server.
 */
export async function serveUntilReady(): Promise<{ ready: string; stderrAtReady: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...probedCliArgs, 'serve', '--port', '0', '--ready-json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
  };
  try {
    const ready = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
    return { ready, stderrAtReady: stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
