// The browser's node:fs: the page never reads files; a call says so and names the file.
import { describe, expect, it } from 'vitest';
import { readFileSync } from '../../../src/playground/shims/node-fs.ts';

describe('readFileSync (browser)', () => {
  it('throws, naming what was to be read', () => {
    expect(() => readFileSync('/tmp/viewer.js')).toThrow(new Error('no file system in the browser (read /tmp/viewer.js)'));
    expect(() => readFileSync(new URL('file:///a/b.js'))).toThrow('no file system in the browser (read file:///a/b.js)');
  });
});
