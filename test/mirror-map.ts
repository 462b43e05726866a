/**
 * Which test files reach which source modules, for test/mirror.test.ts. A
 * scanner, not a resolver: it reads the `from '…'` / `import('…')` specifiers
 * of a file (relative ones and the package's own `leaselab[/part]` entries,
 * which resolve to src/ under the `leaselab-source` condition) and follows
 * barrels (src/**\/index.ts) through their re-exports, since a test that
 * imports a barrel imports every module the barrel lists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

/** Every `.ts` file under `dir`, as a path relative to the working directory. */
export function tsFiles(dir: string): string[] {
  let files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files = files.concat(tsFiles(path));
    else if (path.endsWith('.ts')) files.push(path);
  }
  return files;
}

let packageExports: Record<string, Record<string, string>> | undefined;

/** The source module a package entry (`leaselab`, `leaselab/store`) names under the `leaselab-source` condition. */
function packageEntry(specifier: string): string | undefined {
  packageExports ??= JSON.parse(readFileSync('package.json', 'utf8')).exports as Record<string, Record<string, string>>;
  const exports = packageExports;
  const key = specifier === 'leaselab' ? '.' : `.${specifier.slice('leaselab'.length)}`;
  const source = exports[key]?.['leaselab-source'];
  return source === undefined ? undefined : normalize(source);
}

/** The files `file` imports or re-exports (static, dynamic, side-effect), resolved to paths; comments ignored. */
export function importedFiles(file: string, code: string = readFileSync(file, 'utf8')): string[] {
  const live = code
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n');
  const found: string[] = [];
  for (const match of live.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm)) {
    const specifier = (match[1] ?? match[2] ?? match[3])!;
    if (specifier.startsWith('.')) found.push(normalize(join(dirname(file), specifier)));
    else if (specifier === 'leaselab' || specifier.startsWith('leaselab/')) {
      const entry = packageEntry(specifier);
      if (entry !== undefined) found.push(entry);
    }
  }
  return found;
}

const isBarrel = (path: string) => path.startsWith('src/') && path.endsWith('/index.ts');

const reachedByFile = new Map<string, Set<string>>();

/** The modules `file` (a test, a test helper or a source module) imports directly or through barrels. */
export function modulesReachedBy(file: string): Set<string> {
  const known = reachedByFile.get(file);
  if (known !== undefined) return known;
  const reached = new Set<string>();
  reachedByFile.set(file, reached);
  const pending = importedFiles(file);
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (reached.has(path)) continue;
    reached.add(path);
    if (isBarrel(path) && existsSync(path)) pending.push(...importedFiles(path));
  }
  return reached;
}

/** The test files at a source file's mirrored path (src/a/b.ts → test/a/b.test.ts or test/a/b.slow.test.ts) that exist. */
export function mirroredTests(sourceFile: string): string[] {
  const stem = join('test', sourceFile.slice('src/'.length, -'.ts'.length));
  return [`${stem}.test.ts`, `${stem}.slow.test.ts`].filter((path) => existsSync(path));
}

/** Source files the mirror rule applies to: not barrels, declarations, nor the generated/vendored src/server/proto. */
export function mirroredSources(): string[] {
  return tsFiles('src').filter(
    (path) => !path.endsWith('/index.ts') && path !== 'src/index.ts' && !path.endsWith('.d.ts') && !path.startsWith('src/server/proto/'),
  );
}
