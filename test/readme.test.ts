// The README's examples are real code: each ```ts block that names an example
// file is that file's text, and the examples do what the README says.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fastForward } from '../examples/store-fast-forward.ts';
import { twoHolders } from '../examples/two-holders.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const codeBlocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);

function expectBlockIn(file: string, marker: string): void {
  const source = readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
  const block = codeBlocks.find((code) => code.includes(marker));
  expect(block, `a README block containing ${marker}`).toBeDefined();
  const body = block!.split('\n').filter((line) => line.trim() !== '' && !line.includes('return sim.run()'));
  for (const line of body) expect(source, `README line missing from ${file}`).toContain(line.replace(/ \/\/ \{ endedBy.*$/, ''));
}

describe('README', () => {
  it('the 20-line example is examples/two-holders.ts, and the stale write is rejected', async () => {
    expectBlockIn('examples/two-holders.ts', 'twoHolders');
    const { world, endedBy } = await twoHolders();
    expect(endedBy).toBe('done');
    expect(world.resource('storage').attempts.map((a) => `${a.process}:${a.fencingToken}:${a.accepted}`)).toEqual(['bob:3:true', 'alice:2:false']);
  });

  it('the lockSafety example is test/examples/polling-lock.test.ts', () => {
    expectBlockIn('test/examples/polling-lock.test.ts', 'lockSafety(pollingLock');
  });

  // It runs (a gRPC server and the etcd3 client) in the slow tier: test/readme-etcd3.slow.test.ts.
  it('the etcd3 example is examples/etcd3-fast-forward.ts', () => {
    expectBlockIn('examples/etcd3-fast-forward.ts', 'startGrpcServer');
  });

  it('the store example is examples/store-fast-forward.ts, and the key is gone after 5.5 s', () => {
    expectBlockIn('examples/store-fast-forward.ts', 'runStoreLoops(store, clock)');
    expect(fastForward()).toBe(0);
  });
});
