// Every source module has a test where one would look for it: test/<same dirs>/<name>.test.ts
// (or .slow.test.ts) beside src/<dirs>/<name>.ts. A module tested under another name is listed in
// `testedElsewhere` with the tests that cover it; the entry is checked, so it cannot rot: each test
// file must exist and import the module, directly or through a barrel (src/**/index.ts, the
// package's own `leaselab[/part]` entries), or through the modules named in `via`, each link
// checked (a link may also name the next file by path, as a worker entry or a bundler alias is).
// A module with no behaviour (types, a limits table) is listed with `noBehaviour` and why; the
// test checks it declares no function. The table may only shrink: a new module without a mirrored
// test fails, and so does an entry whose module got its mirrored test or is gone (remove it).
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longFunctions } from './long-functions.ts';
import { importedFiles, mirroredSources, mirroredTests, modulesReachedBy } from './mirror-map.ts';

type Coverage = { tests: string[]; via?: string[] } | { noBehaviour: string };

const testedElsewhere: Record<string, Coverage> = {
  'src/check/history.ts': { noBehaviour: 'types only: the history shapes the checkers read' },
  'src/check/models/kv-append.ts': {
    tests: ['test/check/edn-history.test.ts', 'test/check/linearizability-brute-force.test.ts', 'test/check/linearizability.test.ts'],
  },
  'src/check/models/kv-etcd.ts': { tests: ['test/check/kv-etcd.test.ts', 'test/check/beliefs.test.ts'] },
  'src/check/models/register.ts': { tests: ['test/check/register.test.ts'] },
  'src/cli/commands/case-html.ts': { tests: ['test/cli/explore-html.test.ts'], via: ['src/cli/commands/explore.ts'] },
  'src/cli/commands/conformance.ts': { tests: ['test/cli/conformance.test.ts', 'test/cli/conformance-endpoint.test.ts'] },
  'src/cli/commands/exercise.ts': { tests: ['test/exercises/exercises.test.ts'], via: ['test/cli/in-process-cli.ts', 'src/cli/main.ts'] },
  'src/cli/commands/explore-merge.ts': { tests: ['test/cli/explore-shard.test.ts'] },
  'src/cli/commands/explore.ts': { tests: ['test/cli/explore-members.slow.test.ts', 'test/cli/explore-search.test.ts', 'test/cli/explore-shard.test.ts'] },
  'src/cli/commands/playground.ts': { tests: ['test/cli/playground.test.ts'], via: ['test/cli/in-process-cli.ts', 'src/cli/main.ts'] },
  'src/cli/commands/replay.ts': { tests: ['test/cli/explore-members.slow.test.ts', 'test/cli/explore-search.test.ts', 'test/cli/explore-terminal.test.ts'] },
  'src/cli/commands/run-endpoint.ts': {
    tests: ['test/cli/run-endpoint.slow.test.ts'],
    via: ['test/cli/in-process-cli.ts', 'src/cli/main.ts', 'src/cli/commands/run.ts'],
  },
  'src/cli/commands/run.ts': { tests: ['test/cli/run.test.ts', 'test/cli/run-what-if.test.ts'], via: ['test/cli/in-process-cli.ts', 'src/cli/main.ts'] },
  'src/cli/commands/serve.ts': { tests: ['test/server/serve-process.test.ts', 'test/server/grpc-server.test.ts', 'test/server/auto-compaction.test.ts'] },
  'src/cli/conformance/replay-endpoint.ts': { tests: ['test/cli/conformance.test.ts'], via: ['src/cli/commands/conformance.ts'] },
  'src/cli/conformance/replay.ts': { tests: ['test/cli/conformance.test.ts', 'test/server/conformance-http.test.ts'] },
  'src/cli/conformance/trace.ts': { tests: ['test/cli/conformance.test.ts', 'test/server/conformance-http.test.ts'] },
  'src/cli/endpoint-run.ts': { tests: ['test/cli/run-endpoint.slow.test.ts', 'test/cli/run-endpoint-faults.slow.test.ts'] },
  'src/cli/main.ts': { tests: ['test/cli/run.test.ts', 'test/cli/run-predict.test.ts', 'test/cli/playground.test.ts'], via: ['test/cli/in-process-cli.ts'] },
  'src/client/concurrency/election.ts': { tests: ['test/client/concurrency.test.ts', 'test/client/grpc-transport.test.ts'] },
  'src/client/concurrency/mutex.ts': { tests: ['test/client/concurrency.test.ts', 'test/client/grpc-transport.test.ts'] },
  'src/client/concurrency/session.ts': { tests: ['test/client/concurrency.test.ts', 'test/client/grpc-transport.test.ts'] },
  'src/client/events.ts': { noBehaviour: 'types only: the events and outcomes a client reports' },
  'src/client/kv.ts': { tests: ['test/client/watch.test.ts', 'test/client/client.test.ts', 'test/client/concurrency.test.ts'] },
  'src/client/transport.ts': { noBehaviour: 'types only: the interface a transport implements' },
  'src/exercises/fix-check-then-act.ts': { tests: ['test/exercises/exercises.test.ts', 'test/cli/scenario-catalogue.test.ts'] },
  'src/exercises/ttl-for-a-pause.ts': { tests: ['test/exercises/exercises.test.ts', 'test/cli/scenario-catalogue.test.ts'] },
  'src/explore/pool-worker.ts': { tests: ['test/explore/pool.slow.test.ts'], via: ['src/explore/pool.ts'] },
  'src/playground/bundle.ts': { tests: ['test/playground/page.test.ts'] },
  'src/playground/limits.ts': { noBehaviour: 'a limits table' },
  'src/playground/shims/buffer.ts': { tests: ['test/playground/playground-run.test.ts'] },
  'src/playground/shims/globals.ts': { tests: ['test/playground/page.test.ts'], via: ['src/playground/bundle.ts', 'src/playground/browser-main.js'] },
  'src/report/limits.ts': { noBehaviour: 'a limits table' },
  'src/report/timeline-model.ts': { tests: ['test/report/html-timeline.test.ts', 'test/cli/explore-html.test.ts'] },
  'src/scenarios/client-clock-drift.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/crash-releases-lock.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/delayed-write.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/election-failover.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/fencing-saves-the-day.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/keepalive-cut-from-leader.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/late-keepalive.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/leader-change-extends-lease.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/leader-changes-and-leases.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/leader-isolated.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/lease-expiry.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/lease-keepalive.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/lock-contention.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/one-way-partition.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/partition-expires-lease.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/pause-breaks-lock.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/scenario.ts': { tests: ['test/scenarios/scenarios.test.ts', 'test/scenarios/analyses.test.ts'] },
  'src/scenarios/session-close-vs-orphan.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/stale-read-two-holders.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/scenarios/watch-sees-expiry.ts': { tests: ['test/scenarios/analyses.test.ts', 'test/scenarios/scenarios.test.ts'] },
  'src/server/auth/auth-service.ts': { tests: ['test/server/auth-etcd3.test.ts', 'test/server/auth-etcdctl.test.ts'], via: ['src/server/grpc-server.ts'] },
  'src/server/auth/auth-store.ts': { tests: ['test/server/auth-token-idle.test.ts'] },
  'src/server/grpc-control.ts': { tests: ['test/server/lease-keepers.test.ts', 'test/server/keepalive-waits-for-revoke.test.ts'] },
  'src/server/grpc-transport.ts': {
    tests: ['test/cli/endpoint-faults.test.ts', 'test/client/grpc-transport-require-leader.test.ts', 'test/client/grpc-transport.test.ts'],
  },
  'src/server/limits.ts': { noBehaviour: 'a limits table' },
  'src/sim/cluster/member.ts': { tests: ['test/sim/cluster/leases.test.ts'], via: ['src/sim/cluster/cluster.ts'] },
  'src/sim/cluster/raft.ts': { tests: ['test/sim/cluster/leases.test.ts'], via: ['src/sim/cluster/cluster.ts', 'src/sim/cluster/member.ts'] },
  'src/sim/sim-world.ts': { tests: ['test/cli/run-endpoint.slow.test.ts'] },
  'src/sim/trace.ts': { tests: ['test/sim/faults.test.ts', 'test/sim/aimed-faults.test.ts', 'test/report/trace-facts.test.ts'] },
  'src/sim/world.ts': { tests: ['test/cli/run-endpoint.slow.test.ts'] },
  'src/store/clock.ts': { noBehaviour: 'types only: the clock interface' },
  'src/store/etcd-api.ts': { noBehaviour: 'types only: the etcd API the store and the transports share' },
  'src/store/kv-contract.ts': { noBehaviour: 'types only: the contract between the KV store and its users' },
  'src/store/messages.ts': { noBehaviour: 'types only: the request and response messages of etcd' },
  'src/store/watch-stream.ts': { tests: ['test/properties/watch-properties.test.ts'] },
};

/** Whether `from` imports `to` (directly or through barrels), or names it by path (a worker entry, a bundler alias). */
function links(from: string, to: string): boolean {
  if (modulesReachedBy(from).has(to)) return true;
  const path = relative(dirname(from), to);
  const named = new RegExp(`['"\`/}]${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
  return named.test(readFileSync(from, 'utf8'));
}

/** What is wrong with one entry, as messages (none when the entry holds). */
function entryProblems(source: string, coverage: Coverage): string[] {
  if ('noBehaviour' in coverage) {
    const functions = longFunctions(readFileSync(source, 'utf8'), 0).map((f) => `${f.name}:${f.line}`);
    return functions.length === 0 ? [] : [`${source}: listed with no behaviour but declares ${functions.join(', ')}`];
  }
  const problems: string[] = [];
  if (coverage.tests.length === 0) problems.push(`${source}: names no test`);
  for (const test of coverage.tests) {
    if (!existsSync(test)) {
      problems.push(`${source}: ${test} does not exist`);
      continue;
    }
    const chain = [test, ...(coverage.via ?? []), source];
    for (let k = 0; k + 1 < chain.length; k++) {
      if (!existsSync(chain[k]!)) problems.push(`${source}: ${chain[k]} does not exist`);
      else if (!links(chain[k]!, chain[k + 1]!)) problems.push(`${source}: ${chain[k]} does not import ${chain[k + 1]}`);
    }
  }
  return problems;
}

describe('tests mirror sources', () => {
  const sources = mirroredSources();

  it('every source module has a test at its mirrored path or an entry saying where it is tested', () => {
    const unlisted = sources.filter((source) => mirroredTests(source).length === 0 && !(source in testedElsewhere));
    const gone = Object.keys(testedElsewhere).filter((source) => !existsSync(source) || mirroredTests(source).length > 0);
    expect({ unlisted, gone }).toEqual({ unlisted: [], gone: [] });
  });

  it('every entry names tests that exist and import the module', () => {
    const problems = Object.entries(testedElsewhere).flatMap(([source, coverage]) => (existsSync(source) ? entryProblems(source, coverage) : []));
    expect(problems).toEqual([]);
  });

  it('the import scanner follows relative imports, package entries and barrels, not comments', () => {
    const code = [
      "import { a } from '../src/store/bytes.ts';",
      "// import { b } from '../src/store/nowhere.ts';",
      "const c = await import('../src/sim/sim.ts');",
      "import { d } from 'leaselab/client';",
      "import 'node:fs';",
    ].join('\n');
    expect(importedFiles('test/example.test.ts', code)).toEqual(['src/store/bytes.ts', 'src/sim/sim.ts', 'src/client/index.ts']);
    // src/store/index.ts re-exports the store's errors: a test importing the barrel imports them.
    expect(modulesReachedBy('src/index.ts').has('src/store/errors.ts')).toBe(true);
    expect(mirroredTests('src/store/bytes.ts')).toEqual(['test/store/bytes.test.ts']);
    expect(basename(mirroredSources().find((path) => path.endsWith('/index.ts')) ?? 'none')).toBe('none');
  });

  it('a broken entry is reported', () => {
    expect(entryProblems('src/store/bytes.ts', { tests: ['test/store/no-such.test.ts'] })).toEqual([
      'src/store/bytes.ts: test/store/no-such.test.ts does not exist',
    ]);
    expect(entryProblems('src/store/bytes.ts', { tests: ['test/store/lessor.test.ts'], via: ['src/sim/sim.ts'] })).toContain(
      'src/store/bytes.ts: test/store/lessor.test.ts does not import src/sim/sim.ts',
    );
    expect(entryProblems('src/store/bytes.ts', { noBehaviour: 'a claim' })[0]).toMatch(/^src\/store\/bytes\.ts: listed with no behaviour but declares /);
  });
});
