/**
 * `leaselab playground [--port N] [--out DIR]`: the browser playground (the
 * simulator, etcd's store, the lock algorithms and the checkers in one page;
 * src/playground/). Serves it on loopback and prints the URL, or writes the
 * static page to DIR (index.html, opens from file:// with no network).
 *
 *   $ npx leaselab playground
 *   leaselab playground: http://127.0.0.1:41237/   (Ctrl-C stops it)
 *   $ npx leaselab playground --out site/ && xdg-open site/index.html
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';

const usage = `usage: leaselab playground [--port N] [--out DIR]

The playground in your browser: pick a lock (naive, mutex, mutex-fenced) or a
scenario, set the TTL and the latency, inject pauses, crashes and partitions,
step through the run and see whether the lock held. Same setup, same run.

  --port N    serve on http://127.0.0.1:N/ (default: a free port)
  --out DIR   write the page to DIR/index.html instead of serving it (it opens from file://)
`;

/** The built page (npm run build), or one bundled now from the sources (a checkout without a build). */
async function playgroundPage(): Promise<string> {
  const built = new URL('../../playground/index.html', import.meta.url);
  if (existsSync(built)) return readFileSync(built, 'utf8');
  const { buildPlaygroundHtml } = await import('../../playground/bundle.ts');
  return buildPlaygroundHtml();
}

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { port: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } }));
  } catch (error) {
    process.stderr.write(`leaselab playground: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (values.port !== undefined && values.out !== undefined) {
    process.stderr.write(`${pc.red('leaselab playground: give --port or --out, not both')}\n\n${usage}`);
    return 2;
  }
  let port = 0;
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
      process.stderr.write(`${pc.red(`leaselab playground: --port takes a port number 0-65535, got '${values.port}'`)}\n\n${usage}`);
      return 2;
    }
    port = Number(values.port);
  }
  let page: string;
  try {
    page = await playgroundPage();
  } catch (error) {
    process.stderr.write(`${pc.red(`leaselab playground: ${(error as Error).message}`)}\n`);
    return 1;
  }

  if (values.out !== undefined) {
    const dir = resolve(values.out);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'index.html'), page);
    } catch (error) {
      process.stderr.write(`${pc.red(`leaselab playground: cannot write ${dir}: ${(error as Error).message}`)}\n`);
      return 1;
    }
    process.stdout.write(
      `leaselab playground: wrote ${join(dir, 'index.html')} (${Math.round(Buffer.byteLength(page) / 1024)} KB; open it in a browser, no server needed)\n`,
    );
    return 0;
  }

  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== '/index.html') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the playground is at /\n');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    response.end(request.method === 'HEAD' ? undefined : page);
  });
  const listening = await new Promise<boolean>((done) => {
    server.once('error', (error) => {
      process.stderr.write(`${pc.red(`leaselab playground: cannot listen on 127.0.0.1:${port}: ${error.message}`)}\n`);
      done(false);
    });
    server.listen(port, '127.0.0.1', () => done(true));
  });
  if (!listening) return 1;
  const address = server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  process.stdout.write(`leaselab playground: http://127.0.0.1:${actualPort}/   (Ctrl-C stops it)\n`);
  await new Promise<void>((done) => {
    const stop = () => server.close(() => done());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
