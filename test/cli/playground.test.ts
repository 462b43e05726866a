// `leaselab playground`: writes the page with --out, serves it on loopback
// (the page at /, nothing else), and refuses bad flags and a taken port.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './in-process-cli.ts';

const bin = fileURLToPath(new URL('../../bin/leaselab.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'leaselab-playground-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('leaselab playground', () => {
  it('--out writes the page as one self-contained file', async () => {
    const out = join(dir, 'site');
    const { code, stdout } = await cli('playground', '--out', out);
    expect(code).toBe(0);
    expect(stdout).toContain(`wrote ${join(out, 'index.html')}`);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<title>leaselab playground</title>');
    expect(html).toContain('window.leaselabTimeline');
  }, 30_000);

  it('refuses bad flags and a path it cannot write, changing nothing', async () => {
    expect((await cli('playground', '--port', 'abc')).stderr).toContain("--port takes a port number 0-65535, got 'abc'");
    expect((await cli('playground', '--port', '70000')).code).toBe(2);
    const both = await cli('playground', '--port', '1', '--out', join(dir, 'x'));
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --port or --out, not both');
    expect((await cli('playground', '--nope')).code).toBe(2);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const blocked = await cli('playground', '--out', join(file, 'sub'));
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('cannot write');
    expect((await cli('playground', '--help')).stdout).toContain('usage: leaselab playground [--port N] [--out DIR]');
  }, 30_000);

  it('serves the page on loopback at /, 404 elsewhere; a taken port is an error', async () => {
    const child = spawn(process.execPath, [bin, 'playground', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
          if (match) resolve(match[0]);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await page.text()).toContain('<title>leaselab playground</title>');
      expect((await fetch(`${url}nope`)).status).toBe(404);
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
      // the same port again: taken
      const port = new URL(url).port;
      const again = await cli('playground', '--port', port);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      child.kill('SIGTERM');
    }
    // a port another program holds
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const held = (holder.address() as { port: number }).port;
    try {
      expect((await cli('playground', '--port', String(held))).code).toBe(1);
    } finally {
      holder.close();
    }
  }, 30_000);
});
