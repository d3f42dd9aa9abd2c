import crypto from 'node:crypto';
import { defineConfig } from 'vitest/config';

// Each run names its temporary directories after its own id, so the teardown (and anyone looking
// at the temp folder) can tell what a run left behind, even with other suites running at once.
const run = (process.env.GIT_COORD_TEST_RUN ??= crypto.randomBytes(4).toString('hex'));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/global-setup.ts'],
    env: { GIT_COORD_TEST_RUN: run },
    // Timeouts only catch hangs: every test is bounded by a count of operations and needs a
    // small fraction of this on a quiet machine (measured: the slowest, 47 s, at a load average of
    // 15 on 2 cores, with other suites running).
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Process races need the cores; files run in parallel, tests inside a file in order.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
