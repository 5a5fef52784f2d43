import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', '.bench/**'],
    // noble's fake HCI socket needs real worker threads or forks, not vmThreads.
    pool: 'forks',
    // One test file per core (vitest's default leaves one core idle): the tests wait on events and
    // polled conditions, never on sleeps, so they hold while the other core is busy (docs/architecture.md).
    maxWorkers: Math.max(1, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
