// The store and the simulator take time and randomness only from what they are
// handed: no wall clock, no real timers, no Math.random (docs/design.md,
// determinism). The checkers are pure functions of their input. Layers import
// only downward (docs/design.md, layers).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longFunctions } from './long-functions.ts';
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

/**
 * The layers, lowest first, and what each may import besides itself. Only
 * downward: a layer never imports one above it or beside it, except that the
 * simulator drives clients (sim → client) and never the other way round.
 *
 *   store ← client ← sim ← check ← report, explore ← scenarios ← exercises, playground ← cli; server sits on check
 */
const layerImports: Record<string, readonly string[]> = {
  store: [],
  client: ['store'],
  sim: ['store', 'client'],
  check: ['store', 'client', 'sim'],
  report: ['store', 'client', 'sim', 'check'],
  explore: ['store', 'client', 'sim', 'check'],
  scenarios: ['store', 'client', 'sim', 'check', 'report'],
  server: ['store', 'client', 'sim', 'check'],
  exercises: ['store', 'client', 'sim', 'check', 'report', 'explore', 'scenarios'],
  playground: ['store', 'client', 'sim', 'check', 'report', 'explore', 'scenarios'],
  cli: ['store', 'client', 'sim', 'check', 'report', 'explore', 'scenarios', 'exercises', 'playground', 'server'],
  // src/index.ts: the package's entry re-exports the library layers (not the server or the CLI).
  '.': ['store', 'client', 'sim', 'check', 'report', 'explore', 'scenarios'],
};

/**
 * Known exceptions, each with its reason; the test fails when one is gone
 * (delete it then) so the list only shrinks.
 */
const layerExceptions: Record<string, string> = {
  // A worker thread's entry point, started by explore's pool: it loads the lock
  // the way the CLI does (built-in name or user module). Moving loadLockAlgorithm
  // below the CLI (src/explore) removes this.
  'src/explore/pool-worker.ts → src/cli/commands/explore.ts': 'worker entry point loads locks as the CLI does',
};

/** Relative specifiers a file imports or re-exports (static, dynamic and `import('…')` types), outside comments. */
function relativeImports(file: string, read: (file: string) => string = (path) => readFileSync(path, 'utf8')): string[] {
  const code = read(file)
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  const found: string[] = [];
  for (const match of code.matchAll(
    /\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm,
  )) {
    found.push((match[1] ?? match[2] ?? match[3])!);
  }
  return found;
}

/** The layer of a path under src/ ('.' for src/index.ts), or undefined outside src/. */
function layerOf(path: string): string | undefined {
  const inSrc = relative('src', path);
  if (inSrc.startsWith('..')) return undefined;
  const parts = inSrc.split('/');
  return parts.length === 1 ? '.' : parts[0];
}

/** Every import that breaks the layer rules, as `from → to: why`. */
function layerViolations(files: string[], read?: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    const from = layerOf(file)!;
    const allowed = layerImports[from];
    if (allowed === undefined) {
      found.push(`${file}: layer src/${from} is not in the layer table (add it to layerImports)`);
      continue;
    }
    for (const specifier of relativeImports(file, read)) {
      const target = normalize(join(dirname(file), specifier));
      const to = layerOf(target);
      const edge = `${file} → ${target}`;
      if (layerExceptions[edge] !== undefined) continue;
      if (to === undefined) found.push(`${edge}: imports from above src/`);
      else if (to !== from && !allowed.includes(to)) found.push(`${edge}: ${from} may not import ${to}`);
    }
  }
  return found;
}

describe('tidy', () => {
  it('layers import only downward, and nothing in src/ imports from above src/', () => {
    const files = sourceFiles('src');
    expect(files.length).toBeGreaterThan(50);
    expect(layerViolations(files)).toEqual([]);
  });

  it('every layer exception is still needed', () => {
    const edges = new Set(
      sourceFiles('src').flatMap((file) => relativeImports(file).map((specifier) => `${file} → ${normalize(join(dirname(file), specifier))}`)),
    );
    expect(Object.keys(layerExceptions).filter((edge) => !edges.has(edge))).toEqual([]);
  });

  it('the layer rules catch an upward import, a sideways one, one from above src/ and an unknown layer', () => {
    const sources: Record<string, string> = {
      'src/client/bad.ts': "import { Sim } from '../sim/sim.ts';\nimport type { X } from '../server/grpc-server.ts';\n// import { ok } from '../cli/main.ts';",
      'src/report/bad.ts': "export { judge } from '../explore/judge.ts';\nconst later = await import('../explore/pool.ts');",
      'src/store/bad.ts': "import { fake } from '../../test/store/kv-fixtures.ts';\n/* import '../sim/x.ts'; */",
      'src/sim/fine.ts': "import {\n  Client,\n} from '../client/client.ts';\nimport './local.ts';",
      'src/nowhere/file.ts': '',
    };
    expect(layerViolations(Object.keys(sources), (file) => sources[file]!)).toEqual([
      'src/client/bad.ts → src/sim/sim.ts: client may not import sim',
      'src/client/bad.ts → src/server/grpc-server.ts: client may not import server',
      'src/report/bad.ts → src/explore/judge.ts: report may not import explore',
      'src/report/bad.ts → src/explore/pool.ts: report may not import explore',
      'src/store/bad.ts → test/store/kv-fixtures.ts: imports from above src/',
      'src/nowhere/file.ts: layer src/nowhere is not in the layer table (add it to layerImports)',
    ]);
  });

  it('src/check is pure: no wall clock, timers, randomness, I/O or process state', () => {
    const files = sourceFiles('src/check');
    expect(files.length).toBeGreaterThan(0);
    const io =
      /\bfrom\s+['"](node:)?(fs|fs\/promises|net|http|http2|https|dgram|child_process|worker_threads|readline|tls|os)['"]|\bprocess\.(env|stdout|stderr|stdin|argv|exit|hrtime|cwd)\b|\bconsole\./;
    const impure = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, index) => ({ line, index }))
        .filter(
          ({ line }) => !line.trim().startsWith('*') && !line.trim().startsWith('//') && io.test(line.replace(/\/\/.*$/, '')) && !line.includes('tidy: allow'),
        )
        .map(({ line, index }) => `${file}:${index + 1}: ${line.trim()}`),
    );
    expect(files.flatMap(offenders).concat(impure)).toEqual([]);
  });

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
        return (
          spreadThenKeys(lines.join('\n'))
            // the opt-out sits on the literal's line or, as the formatter places a comment after `{`, the next
            .filter((hit) => !lines[hit.line - 1]!.includes('tidy: allow') && !(lines[hit.line] ?? '').trim().startsWith('// tidy: allow'))
            .map((hit) => `${file}:${hit.line}: ${hit.text}`)
        );
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

  // No function over ~80 lines (docs/style.md). Those still longer are listed with
  // why; the list may only shrink: a new long function fails, and so does an entry
  // whose function got short (remove it).
  const functionLinesMax = 80;
  const longFunctionsAllowed: Record<string, string> = {
    'src/check/linearizability.ts: run':
      "the search loop, nearly all of a check's CPU: its state (depth, hash, bitset bounds, model state) lives in locals; a split would move it to fields or hand it back and forth on every step",
    'src/cli/commands/serve.ts: startServing': 'every serve flag mapped onto server options, one after another',
    'src/report/timeline-viewer.js: (anonymous)':
      "the viewer's outer wrapper `(function () { 'use strict'; … })()`: a plain browser script keeps its functions private in one closure",
  };
  /** The plain JavaScript the browser runs (read as text, like the TypeScript). */
  const browserScripts = ['src/report/timeline-viewer.js', 'src/playground/browser-main.js'];

  it(`no function in src/ is over ${functionLinesMax} lines, but those listed with a reason`, () => {
    const found = new Map<string, string>();
    for (const file of [...sourceFiles('src'), ...browserScripts]) {
      for (const long of longFunctions(readFileSync(file, 'utf8'), functionLinesMax))
        found.set(`${file}: ${long.name}`, `${file}:${long.line}: ${long.name} (${long.lines} lines)`);
    }
    const unlisted = [...found].filter(([key]) => !(key in longFunctionsAllowed)).map(([, where]) => where);
    const gone = Object.keys(longFunctionsAllowed).filter((key) => !found.has(key));
    expect({ unlisted, gone }).toEqual({ unlisted: [], gone: [] });
  });

  it('the long-function scanner finds function bodies, not blocks', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  x${i}();`).join('\n');
    const source = [
      `function named(a: number): string {\n${body(5)}\n}`,
      `const arrow = async (b) => {\n${body(5)}\n};`,
      `class C {\n  method<T>(\n    c: T,\n  ): Promise<void> {\n${body(5)}\n  }\n}`,
      `items.forEach((item) => {\n${body(5)}\n});`,
      `if (ready) {\n${body(5)}\n}`,
      `for (const y of ys) {\n${body(5)}\n}`,
      "const s = 'function f() {';",
      `function plain(c) {\n  const escaped = c.replace(/[{"']/g, '');\n${body(4)}\n}`,
      `(function () {\n${body(5)}\n})();`,
      `chain = chain.then(async () => {\n${body(5)}\n});`,
    ].join('\n');
    expect(longFunctions(source, 5).map((long) => `${long.name}:${long.line}`)).toEqual([
      'named:1',
      'arrow:8',
      'method:18',
      '(anonymous):26',
      'plain:48',
      '(anonymous):55',
      '(anonymous):62',
    ]);
  });
});
