// The store and the simulator take time and randomness only from what they are
// handed: no wall clock, no real timers, no Math.random (DESIGN.md, determinism).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

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
});
