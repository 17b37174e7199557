import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Integration suites start real servers on port 0; files run in parallel
    // workers, tests within a file in order.
    pool: 'forks',
  },
});
