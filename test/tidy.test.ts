// The store and the simulator take time and randomness only from what they are
// handed: no wall clock, no real timers, no Math.random (DESIGN.md, determinism).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spreadThenKeys } from './spread-literals.ts';

const banned = /\b(Date\.now|new Date\(|performance\.now|Math\.random|setTimeout|setInterval|setImmediate)\b/;

function sourceFiles(dir: string): string[] {
  let files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files = files.concat(sourceFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** Lines outside comments that use a banned call; a line may opt out with `tidy: allow <reason>`. */
function offenders(file: string): string[] {
  const found: string[] = [];
  let inBlockComment = false;
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const trimmed = line.trim();
      if (inBlockComment) {
        if (trimmed.includes('*/')) inBlockComment = false;
        return;
      }
      if (trimmed.startsWith('/*')) {
        inBlockComment = !trimmed.includes('*/');
        return;
      }
      if (trimmed.startsWith('//') || trimmed.startsWith('*')) return;
      const code = line.replace(/\/\/.*$/, '');
      if (banned.test(code) && !line.includes('tidy: allow')) found.push(`${file}:${index + 1}: ${trimmed}`);
    });
  return found;
}

describe('tidy', () => {
  for (const layer of ['src/store', 'src/sim']) {
    it(`${layer} reads no wall clock, sets no real timer and draws no unseeded randomness`, () => {
      const files = sourceFiles(layer);
      expect(files.length).toBeGreaterThan(0);
      expect(files.flatMap(offenders)).toEqual([]);
    });
  }

  // `{ ...a, x }` costs microseconds in Node 20 where `Object.assign({}, a, { x })`,
  // a clone then assignments, or a plain literal cost tens of nanoseconds (issue 16).
  for (const layer of ['src/store', 'src/sim', 'src/client', 'src/server']) {
    it(`${layer} builds no object literal that starts with a spread and adds keys`, () => {
      const found = sourceFiles(layer).flatMap((file) => {
        const lines = readFileSync(file, 'utf8').split('\n');
        return spreadThenKeys(lines.join('\n'))
          .filter((hit) => !lines[hit.line - 1]!.includes('tidy: allow'))
          .map((hit) => `${file}:${hit.line}: ${hit.text}`);
      });
      expect(found).toEqual([]);
    });
  }

  it('the spread scanner finds the slow shapes and passes the fast ones', () => {
    const source = [
      'const a = { ...b, x: 1 };', // 1: slow
      'const c = { ...b };', // fast: a clone
      'const d = {\n  ...b,\n  ...e,\n};', // 3: slow, over lines
      'f({ ...g(h, i), [k]: 1 });', // 7: slow, commas inside the spread expression skipped
      "const s = '{ ...b, x }'; // { ...b, x }", // inside a string and a comment
      'const t = `${{ ...b, y: 2 }.y} { ...b, z }`;', // 9: slow inside a template substitution, not in its text
      'const { p, ...rest } = b;', // a rest pattern
      'const u = { ...b, };', // a clone with a trailing comma
    ].join('\n');
    expect(spreadThenKeys(source).map((hit) => hit.line)).toEqual([1, 3, 7, 9]);
  });
});
