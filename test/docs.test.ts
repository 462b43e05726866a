// docs/ stays current: every `docs/etcd-semantics.md §N` a comment cites is a
// section there, every docs/ file a comment names exists, and the design's
// layer table names every directory under src/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : files(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

const sources = [...files('src'), ...files('test'), ...files('bench'), ...files('scripts'), 'README.md'];

describe('docs/', () => {
  it('every cited section of docs/etcd-semantics.md exists', () => {
    const semantics = readFileSync('docs/etcd-semantics.md', 'utf8');
    const sections = new Set([...semantics.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1]!));
    expect(sections.has('11')).toBe(true);
    const missing: string[] = [];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/docs\/etcd-semantics\.md\s+(§[\d.,§\s–-]+)/g)) {
        for (const section of match[1]!.matchAll(/§(\d+(?:\.\d+)?)/g))
          if (!sections.has(section[1]!.replace(/\.$/, ''))) missing.push(`${file}: §${section[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('§11 lists its test cases 1 to 70 in order', () => {
    const semantics = readFileSync('docs/etcd-semantics.md', 'utf8');
    const eleven = semantics.slice(semantics.indexOf('## 11.'), semantics.indexOf('## 12.'));
    const numbers = [...eleven.matchAll(/^(\d+)\. [VD]\b/gm)].map((match) => Number(match[1]));
    expect(numbers).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
  });

  it('every docs/ file a comment names exists', () => {
    const named = new Set(sources.flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/\bdocs\/([\w-]+\.(?:md|png))/g)].map((match) => match[1]!)));
    expect([...named].filter((name) => !existsSync(join('docs', name)) && !existsSync(join('docs/images', name)))).toEqual([]);
  });

  it("the design's layer table names every directory under src/", () => {
    const design = readFileSync('docs/design.md', 'utf8');
    const table = design.slice(design.indexOf('## Layers'), design.indexOf('## Rules'));
    const layers = readdirSync('src').filter((name) => statSync(join('src', name)).isDirectory());
    expect(layers.filter((layer) => !new RegExp(`\\b${layer}\\b`).test(table))).toEqual([]);
  });
});
