import { defineConfig } from 'vitest/config';

export default defineConfig({
  // `import … from 'leaselab'` in examples and tests resolves to src/ (the
  // package.json `leaselab-source` condition), not to the built dist/. Setting
  // conditions replaces Vite's defaults, so they are listed after it.
  resolve: { conditions: ['leaselab-source', 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: ['leaselab-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Two cores here and in CI: more workers only thrash.
    maxWorkers: 2,
    // Tests that spawn bin/leaselab.js run dist/: build it when sources changed.
    globalSetup: ['test/setup/build-dist.ts'],
  },
});
