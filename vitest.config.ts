import { defineConfig } from 'vitest/config';

// Two tiers. `npm test` runs both (CI). `npm run test:unit` runs the fast tier
// for the edit-run loop: everything but searches over many simulated runs and
// tests that start real peers (etcd, etcdctl, Go programs, a browser, npm pack).
const slowTests = [
  'test/explore/property.test.ts',
  'test/explore/kv-linearizability.test.ts',
  'test/explore/catalogue*.test.ts',
  'test/cli/explore.test.ts',
  'test/server/**/*.test.ts',
  'test/package/**/*.test.ts',
  'test/browser/**/*.test.ts',
  'test/**/*.slow.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    // Two cores here and in CI: more workers only thrash.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: slowTests } },
      { extends: true, test: { name: 'slow', include: slowTests } },
    ],
  },
});
