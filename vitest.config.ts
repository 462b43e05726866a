import { defineConfig } from 'vitest/config';

// Two tiers. `npm test` runs both (CI). `npm run test:unit` runs the fast tier
// for the edit-run loop: everything but searches over many simulated runs and
// tests that start processes (leaselab, etcd, etcdctl, Go programs, a browser,
// npm pack). It also sets LEASELAB_QUICK=1, so property tests and seed loops
// sample fewer cases there (test/quick-tier.ts).
const slowTests = [
  'test/explore/property.test.ts',
  'test/explore/kv-linearizability.test.ts',
  'test/explore/catalogue*.test.ts',
  'test/cli/explore.test.ts',
  'test/cli/explore-*.test.ts',
  'test/cli/conformance-endpoint.test.ts',
  'test/client/grpc-transport.test.ts',
  'test/client/grpc-transport-require-leader.test.ts',
  'test/explore/guided.test.ts',
  'test/explore/subtle-search.test.ts',
  'test/explore/exhaustive.test.ts',
  'test/explore/user-lock.test.ts',
  'test/examples/polling-lock.test.ts',
  'test/cli/run-predict.test.ts',
  'test/cli/playground.test.ts',
  'test/report/timeline-browser.test.ts',
  'test/report/playground-browser.test.ts',
  'test/server/**/*.test.ts',
  'test/package/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/**/*.slow.test.ts',
];

export default defineConfig({
  // `import … from 'leaselab'` in examples and tests resolves to src/ (the
  // package.json `leaselab-source` condition), not to the built dist/. Setting
  // conditions replaces Vite's defaults, so they are listed after it.
  resolve: { conditions: ['leaselab-source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['leaselab-source', 'module', 'node', 'development|production'] } },
  test: {
    testTimeout: 60_000,
    // Two cores here and in CI: more workers only thrash.
    maxWorkers: 2,
    // Tests that spawn bin/leaselab.js run dist/: build it when sources changed.
    globalSetup: ['test/setup/build-dist.ts'],
    projects: [
      // isolate: false: the unit files share one module graph per worker, so each file does not
      // re-import and re-warm the simulator (the tier took 40-80 s isolated, ~10 s shared; it passes
      // in shuffled orders). A test that replaces a global or patches a shared object must restore it
      // in a finally; restoreMocks undoes vi.spyOn after each test.
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: slowTests, isolate: false, restoreMocks: true } },
      { extends: true, test: { name: 'slow', include: slowTests } },
    ],
  },
});
