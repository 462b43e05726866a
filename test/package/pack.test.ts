// leaselab as users get it: `npm pack` the package, install the tarball into
// an empty project, and use it from there — plain JavaScript ESM, CommonJS
// `require`, a strict TypeScript consumer (module nodenext), and the
// `leaselab` bin (list, and explore with the user's own TypeScript lock).
// dist/ is current: vitest's globalSetup rebuilt it if a source changed.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number) as [number, number];
const canRequireEsm = nodeMajor > 20 || (nodeMajor === 20 && nodeMinor >= 19);

interface PackedFile {
  path: string;
  size: number;
}

let project: string;
let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), 'leaselab-consumer-'));
  // --ignore-scripts: dist/ is already built (globalSetup); pack only packs.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: root });
  packed = (JSON.parse(stdout) as (typeof packed)[])[0]!;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'leaselab-consumer', version: '1.0.0', private: true }, null, 2));
  // Dependencies come from npm's cache when it has them (a CI `npm ci` filled it).
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(project, packed.filename)], { cwd: project });
}, 120_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

async function node(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, [file], { cwd: project });
  return stdout;
}

describe('the npm package', () => {
  it('holds only what users need: dist/, the bin, README, LICENSE, package.json', () => {
    const paths = packed.files.map((file) => file.path);
    const stray = paths.filter(
      (path) =>
        !/^(dist\/.+\.(js|d\.ts|js\.map|proto|proto\.json)|dist\/playground\/index\.html|bin\/leaselab\.js|README\.md|LICENSE|package\.json)$/.test(path),
    );
    expect(stray).toEqual([]);
    for (const needed of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/server/index.js',
      'dist/server/proto/rpc.proto',
      'dist/server/proto/rpc.proto.json',
      'dist/cli/main.js',
      'dist/playground/index.html',
      'LICENSE',
    ]) {
      expect(paths).toContain(needed);
    }
  });

  it('imports from plain JavaScript ESM, every entry, and the root loads no gRPC', async () => {
    writeFileSync(
      join(project, 'esm.mjs'),
      `import { createRequire } from 'node:module';
import { Sim, EtcdStore, VirtualClock, utf8, etcdMutexFenced, renderTextTimeline, randomFaultSchedule } from 'leaselab';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('@grpc'));
const sim = new Sim({ seed: 1 });
sim.faults(randomFaultSchedule(1, { processes: ['alice'], untilMs: 5000, count: 1 }));
sim.process('alice', async ({ client }) => {
  const lock = etcdMutexFenced.create(client, { lockName: '/lock', ttlSeconds: 5 });
  await lock.acquire();
  await lock.release();
});
const result = await sim.run();
const store = new EtcdStore({ clock: new VirtualClock() });
store.put({ key: utf8('k'), value: utf8('v') });
const grpcAfterRoot = loaded();
const entries = await Promise.all(['store', 'client', 'sim', 'check', 'explore', 'server'].map((entry) => import('leaselab/' + entry)));
console.log(JSON.stringify({
  endedBy: result.endedBy,
  timeline: renderTextTimeline(result.trace, { color: false }).includes('alice'),
  count: store.range({ key: utf8('k') }).count,
  grpcAfterRoot,
  grpcAfterServer: loaded(),
  entryExports: entries.map((entry) => Object.keys(entry).length > 0),
}));
`,
    );
    expect(JSON.parse(await node('esm.mjs'))).toEqual({
      endedBy: 'done',
      timeline: true,
      count: 1,
      grpcAfterRoot: false,
      grpcAfterServer: true,
      entryExports: [true, true, true, true, true, true],
    });
  });

  it.skipIf(!canRequireEsm)('requires from CommonJS (Node >= 20.19 requires ES modules)', async () => {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `const { EtcdStore, VirtualClock, utf8, LeaseNotFoundError } = require('leaselab');
const { Client } = require('leaselab/client');
const store = new EtcdStore({ clock: new VirtualClock() });
store.put({ key: utf8('k'), value: utf8('v') });
let error;
try { store.leaseRevoke({ ID: 42n }); } catch (caught) { error = caught; }
console.log(JSON.stringify({ count: store.range({ key: utf8('k') }).count, client: typeof Client, notFound: error instanceof LeaseNotFoundError }));
`,
    );
    expect(JSON.parse(await node('cjs.cjs'))).toEqual({ count: 1, client: 'function', notFound: true });
  });

  it('type-checks a strict TypeScript consumer (module nodenext, no skipLibCheck)', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2022'],
          types: [],
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: false,
          noEmit: true,
        },
        files: ['consumer.mts'],
      }),
    );
    writeFileSync(
      join(project, 'consumer.mts'),
      `import { Sim, Client, TxnBuilder, ClientError, ClientUsageError, StreamEndedError, WatchCanceledByServerError, EtcdError,
  RandomStream, randomFaultSchedule, type SimWorld, type LockAlgorithm, type LockBeliefEnd, type BeliefEnd } from 'leaselab';
import { EtcdStore, VirtualClock, utf8, type RangeResponse } from 'leaselab/store';
import { checkMutualExclusion } from 'leaselab/check';
import { lockSafety, LockPropertyError } from 'leaselab/explore';
import { startGrpcServer, type GrpcEtcdServer } from 'leaselab/server';

interface MyClient { hello(): string }
// @ts-expect-error the default client is not a MyClient: createClient is required
new Sim<MyClient>({ seed: 1 });
const mine = new Sim<MyClient>({ seed: 1, createClient: () => ({ hello: () => 'hi' }) });
mine.process('a', async ({ client }) => { client.hello(); });
mine.at(10, (world: SimWorld<MyClient>) => world.pause('a'));
// @ts-expect-error the world's scheduler is not public
mine.at(10, (world) => world.scheduler);

const store = new EtcdStore({ clock: new VirtualClock() });
const range: RangeResponse = store.range({ key: utf8('k') });
const schedule = randomFaultSchedule(new RandomStream(1, 'faults'), { processes: ['a'], untilMs: 100, count: 1 });
const builder: (client: Client) => TxnBuilder = (client) => client.txn();
const errors: (abstract new (...args: never[]) => Error)[] = [ClientError, ClientUsageError, StreamEndedError, WatchCanceledByServerError, EtcdError, LockPropertyError];
const ends: (LockBeliefEnd | BeliefEnd)[] = ['held', 'end-of-run'];
const lock: LockAlgorithm | undefined = undefined;
const serve: () => Promise<GrpcEtcdServer> = () => startGrpcServer({ port: 0 });
export { range, schedule, builder, errors, ends, lock, serve, checkMutualExclusion, lockSafety };
`,
    );
    // Declarations import `./x.js`, as the code does: any TypeScript version resolves them.
    const declarations = packed.files.filter((file) => file.path.endsWith('.d.ts'));
    const tsSpecifiers = declarations.filter((file) =>
      /(from |import\()["']\.[^"']*\.ts["']/.test(readFileSync(join(project, 'node_modules', 'leaselab', file.path), 'utf8')),
    );
    expect(tsSpecifiers.map((file) => file.path)).toEqual([]);
    const result = await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch((error: { stdout: string; stderr: string }) => error);
    expect('stdout' in result ? result.stdout + result.stderr : '').toBe('');
  });

  it('runs the bin: npx leaselab list, and explore with the user’s own TypeScript lock', async () => {
    const list = await run('npx', ['--no-install', 'leaselab', 'list'], { cwd: project });
    expect(list.stdout).toContain('pause-breaks-lock');
    // list and run start without gRPC (only serve loads it).
    writeFileSync(
      join(project, 'grpc-probe.mjs'),
      `import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => process.stdout.write('grpc loaded: ' + Object.keys(cache).some((path) => path.includes('@grpc')) + '\\n'));
`,
    );
    const bin = join(project, 'node_modules', 'leaselab', 'bin', 'leaselab.js');
    // serve loads gRPC only once it starts serving: its --help does not either.
    for (const args of [['list'], ['run', 'lease-expiry'], ['serve', '--help']]) {
      const probed = await run(process.execPath, ['--import', './grpc-probe.mjs', bin, ...args], { cwd: project });
      expect(probed.stdout, args.join(' ')).toContain('grpc loaded: false');
    }
    // The probe does see gRPC when it is loaded: the server entry loads it.
    const server = await run(process.execPath, ['--import', './grpc-probe.mjs', '--input-type=module', '-e', "await import('leaselab/server')"], {
      cwd: project,
    });
    expect(server.stdout).toContain('grpc loaded: true');
    writeFileSync(join(project, 'user-lock.ts'), readFileSync(join(root, 'examples', 'polling-lock.ts'), 'utf8'));
    const explore = await run(
      'npx',
      ['--no-install', 'leaselab', 'explore', '--lock', './user-lock.ts', '--runs', '5', '--clients', '2', '--property', 'fenced'],
      { cwd: project },
    );
    expect(explore.stdout).toMatch(/\nfenced +ok +- +- +none in 5 run\(s\)\n/);
    // An ES-module lock (.mts, or .ts under "type": "module") shares the CLI's copy of leaselab.
    writeFileSync(join(project, 'user-lock.mts'), readFileSync(join(project, 'user-lock.ts'), 'utf8'));
    const esm = await run(
      'npx',
      ['--no-install', 'leaselab', 'explore', '--lock', './user-lock.mts', '--runs', '1', '--clients', '2', '--property', 'fenced'],
      { cwd: project },
    );
    expect(esm.stdout).toMatch(/\nfenced +ok +- +- +none in 1 run\(s\)\n/);
    // The playground ships built: no esbuild in the consumer's node_modules, the page is written as is.
    const playground = await run('npx', ['--no-install', 'leaselab', 'playground', '--out', 'site'], { cwd: project });
    expect(playground.stdout).toContain(`wrote ${join(project, 'site', 'index.html')}`);
    expect(readFileSync(join(project, 'site', 'index.html'), 'utf8')).toBe(readFileSync(join(root, 'dist', 'playground', 'index.html'), 'utf8'));
  });
});
