/**
 * etcdctl run against one endpoint, told as a transcript two servers' runs can be compared by:
 * `$ <args>`, what it printed (clientv3's retry warnings left out, the endpoint written ENDPOINT,
 * then `mask` applied), and `exit <code>` (`exit stopped` when `stopAfterMs` ended it).
 */
import { spawn } from 'node:child_process';

export interface EtcdctlRun {
  /** Its stdin. */
  input?: string;
  /** Stop it (SIGTERM) this long after its start: for commands that run until stopped. */
  stopAfterMs?: number;
}

export function etcdctlTranscript(
  endpoint: string,
  args: string[],
  run: EtcdctlRun = {},
  mask: (output: string) => string = (output) => output,
): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn('etcdctl', [`--endpoints=${endpoint}`, '--command-timeout=5s', ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdin.on('error', () => {}); // etcdctl may exit before reading its input (EPIPE)
    child.stdin.end(run.input ?? '');
    const timer = run.stopAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), run.stopAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const shown = out
        .split('\n')
        .filter((line) => !line.includes('"level":"warn"'))
        .join('\n')
        .replaceAll(endpoint, 'ENDPOINT');
      resolve(`$ ${args.join(' ')}\n${mask(shown)}exit ${run.stopAfterMs === undefined ? code : 'stopped'}`);
    });
  });
}
