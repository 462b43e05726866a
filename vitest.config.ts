import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    // Two cores here and in CI: more workers only thrash.
    maxWorkers: 2,
  },
});
